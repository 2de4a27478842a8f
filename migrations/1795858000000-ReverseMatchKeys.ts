import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Reverse matching and the refresh after a product change read open requests through the same
 * (region, industry, guarantee type, term band) keys forward matching reads products by: each open
 * request is indexed by the keys it can meet (its county, prefecture, province or '*' × its
 * division, section or '*' × each guarantee it accepts, in its term's band), and a product looks up
 * the keys it accepts. One GIN scan applies region, industry and guarantee together; the former
 * province / prefecture indexes applied region alone, and a refresh read every open request of the
 * product's regions (≈ 45× more rows than fit on the benchmark data set).
 *
 * The forward query writes the same keys out inline (a SQL function with an aggregate is never
 * inlined); the matching tests check both directions pair the same requests and products. The
 * region index stays: CLUSTER keeps each region's rows together through it.
 */
export class ReverseMatchKeys1795858000000 implements MigrationInterface {
  name = 'ReverseMatchKeys1795858000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    // IMMUTABLE: it reads only its arguments. Schema-qualified call: index builds run with a
    // search_path of pg_catalog only (PostgreSQL 17+).
    await queryRunner.query(`
      CREATE FUNCTION financing_request_match_keys(region char(6), industry char(3), guarantees varchar[], term_months int) RETURNS text[]
      LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT array_agg(r || '|' || i || '|' || g || '|' || public.loan_term_band(term_months))
        FROM unnest(ARRAY['*', region, left(region, 4) || '00', left(region, 2) || '0000']) AS r,
             unnest(ARRAY['*', left(industry, 1), industry]) AS i,
             unnest(guarantees) AS g
      $$`);
    await queryRunner.query(`CREATE INDEX "ix_matchable_request_match_keys" ON "matchable_request" USING gin (
        financing_request_match_keys(region_code, industry_code, acceptable_guarantee_types, term_months)
      )`);
    await queryRunner.query(`DROP INDEX "public"."ix_matchable_request_province"`);
    await queryRunner.query(`DROP INDEX "public"."ix_matchable_request_prefecture"`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE INDEX "ix_matchable_request_prefecture" ON "matchable_request" ("prefecture_code")`,
    );
    await queryRunner.query(`CREATE INDEX "ix_matchable_request_province" ON "matchable_request" ("province_code")`);
    await queryRunner.query(`DROP INDEX "public"."ix_matchable_request_match_keys"`);
    await queryRunner.query(`DROP FUNCTION financing_request_match_keys(char, char, varchar[], int)`);
  }
}
