import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Forward matching reads products through one key per (region, industry, guarantee type, term band)
 * a product accepts, '*' standing for an empty list. A request looks up the 12 × (guarantees it
 * accepts) keys it can meet, in its term's band, so one GIN scan applies the region, industry and
 * guarantee criteria and most of the term criterion together, and never reads the long '*' posting
 * lists that the former two-column index had to intersect.
 *
 * Grade rates (守信激励) are kept inside the product's rate range by a constraint as well as by the
 * service: matching relies on a quote never exceeding the product's maximum rate.
 */
export class ForwardMatchKeys1795853000000 implements MigrationInterface {
  name = 'ForwardMatchKeys1795853000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    // Terms in bands (months): ≤ 6, 7–12, 13–24, 25–36, 37–60, 61–120, above.
    await queryRunner.query(`
      CREATE FUNCTION loan_term_band(months int) RETURNS int
      LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT width_bucket(months, ARRAY[7, 13, 25, 37, 61, 121]) $$`);
    // IMMUTABLE: it reads only its arguments (an enum label is never renamed here). Schema-qualified
    // calls: index builds run with a search_path of pg_catalog only (PostgreSQL 17+).
    await queryRunner.query(`
      CREATE FUNCTION loan_product_match_keys(regions varchar[], industries varchar[], guarantee guarantee_type, min_term int, max_term int) RETURNS text[]
      LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT array_agg(region || '|' || industry || '|' || guarantee::text || '|' || band)
        FROM unnest(CASE WHEN cardinality(regions) = 0 THEN '{*}'::varchar[] ELSE regions END) AS region,
             unnest(CASE WHEN cardinality(industries) = 0 THEN '{*}'::varchar[] ELSE industries END) AS industry,
             generate_series(public.loan_term_band(min_term), public.loan_term_band(max_term)) AS band
      $$`);
    await queryRunner.query(`DROP INDEX "public"."ix_loan_product_match_keys"`);
    await queryRunner.query(`CREATE INDEX "ix_loan_product_match_keys" ON "loan_product" USING gin (
        loan_product_match_keys(eligible_regions, eligible_industries, guarantee_type, min_term_months, max_term_months)
      ) WHERE status = 'PUBLISHED'`);
    await queryRunner.query(`
      CREATE FUNCTION loan_product_grade_rates_in_range(grade_rates jsonb, min_rate numeric, max_rate numeric) RETURNS boolean
      LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT coalesce(bool_and(value::numeric BETWEEN min_rate AND max_rate), true) FROM jsonb_each_text(grade_rates)
      $$`);
    await queryRunner.query(`ALTER TABLE "loan_product" ADD CONSTRAINT "ck_loan_product_grade_rates_in_range"
      CHECK (loan_product_grade_rates_in_range(grade_rates, min_rate, max_rate))`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "loan_product" DROP CONSTRAINT "ck_loan_product_grade_rates_in_range"`);
    await queryRunner.query(`DROP FUNCTION loan_product_grade_rates_in_range(jsonb, numeric, numeric)`);
    await queryRunner.query(`DROP INDEX "public"."ix_loan_product_match_keys"`);
    await queryRunner.query(`CREATE INDEX "ix_loan_product_match_keys" ON "loan_product" USING gin (
        (CASE WHEN cardinality(eligible_regions) = 0 THEN '{*}'::varchar[] ELSE eligible_regions END),
        (CASE WHEN cardinality(eligible_industries) = 0 THEN '{*}'::varchar[] ELSE eligible_industries END)
      ) WHERE status = 'PUBLISHED'`);
    await queryRunner.query(`DROP FUNCTION loan_product_match_keys(varchar[], varchar[], guarantee_type, int, int)`);
    await queryRunner.query(`DROP FUNCTION loan_term_band(int)`);
  }
}
