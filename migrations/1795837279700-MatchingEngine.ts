import { MigrationInterface, QueryRunner } from 'typeorm';

export class MatchingEngine1795837279700 implements MigrationInterface {
  name = 'MatchingEngine1795837279700';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "credit_profile" ("enterprise_id" bigint NOT NULL, "score" smallint NOT NULL, "grade" character varying(3) NOT NULL, "flags" character varying(40) array NOT NULL DEFAULT '{}', "model_version" character varying(20) NOT NULL, "as_of" date NOT NULL, "computed_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_a66e0b0e11bed7b2cab953ba850" PRIMARY KEY ("enterprise_id"))`,
    );
    await queryRunner.query(
      `CREATE TABLE "product_match" ("financing_request_id" bigint NOT NULL, "loan_product_id" bigint NOT NULL, "match_score" numeric(7,4) NOT NULL, "quoted_rate" numeric(7,4) NOT NULL, "reasons" jsonb NOT NULL, "model_version" character varying(20) NOT NULL, "computed_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_cd0db1c0ee60cde134973d72493" PRIMARY KEY ("financing_request_id", "loan_product_id"))`,
    );
    await queryRunner.query(`CREATE INDEX "IDX_6ade384d75c9a2035bb5d776a5" ON "product_match"  ("loan_product_id") `);
    await queryRunner.query(
      `CREATE INDEX "IDX_b04fa1c409042363761b9bbc5b" ON "product_match"  ("financing_request_id", "match_score") `,
    );
    await queryRunner.query(`CREATE TYPE "public"."matching_job_kind" AS ENUM('PRODUCT_CHANGED', 'SCORE_CHANGED')`);
    await queryRunner.query(
      `CREATE TABLE "matching_job" ("id" BIGSERIAL NOT NULL, "kind" "public"."matching_job_kind" NOT NULL, "subject_id" bigint NOT NULL, "enqueued_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "finished_at" TIMESTAMP WITH TIME ZONE, "attempts" smallint NOT NULL DEFAULT '0', "last_error" character varying(500), CONSTRAINT "PK_6a0edd6ef0b2ce62830a09862a0" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_matching_job_pending" ON "matching_job"  ("id") WHERE finished_at IS NULL`,
    );
    await queryRunner.query(
      `CREATE TABLE "matchable_request" ("financing_request_id" bigint NOT NULL, "enterprise_id" bigint NOT NULL, "amount" numeric(17,2) NOT NULL, "term_months" smallint NOT NULL, "acceptable_guarantee_types" character varying(12) array NOT NULL, "max_rate" numeric(7,4) NOT NULL, "valid_until" date NOT NULL, "region_code" character(6) NOT NULL, "prefecture_code" character(4) NOT NULL, "province_code" character(2) NOT NULL, "industry_code" character(3) NOT NULL, "scale" character varying(6) NOT NULL, "credit_score" smallint NOT NULL, "credit_grade" character varying(3) NOT NULL, "dishonest_debtor" boolean NOT NULL, "established_on" date NOT NULL, "annual_revenue" numeric(17,2) NOT NULL, CONSTRAINT "PK_5bf494e6f558239a01531ae44e5" PRIMARY KEY ("financing_request_id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_matchable_request_enterprise" ON "matchable_request"  ("enterprise_id") `,
    );
    await queryRunner.query(`CREATE INDEX "ix_matchable_request_region" ON "matchable_request"  ("region_code") `);
    await queryRunner.query(
      `CREATE INDEX "ix_matchable_request_prefecture" ON "matchable_request"  ("prefecture_code") `,
    );
    await queryRunner.query(`CREATE INDEX "ix_matchable_request_province" ON "matchable_request"  ("province_code") `);
    await queryRunner.query(`ALTER TABLE "loan_product" ADD "grade_rates" jsonb NOT NULL DEFAULT '{}'`);
    await queryRunner.query(`ALTER TABLE "financing_request" ADD "matches_refreshed_at" TIMESTAMP WITH TIME ZONE`);
    await queryRunner.query(
      `ALTER TABLE "credit_profile" ADD CONSTRAINT "FK_a66e0b0e11bed7b2cab953ba850" FOREIGN KEY ("enterprise_id") REFERENCES "enterprise"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    // Matching reads products through these: an empty criteria list means "all", stored as '*'.
    // One multicolumn GIN index: a single scan intersects the region and industry conditions.
    await queryRunner.query(`CREATE INDEX "ix_loan_product_match_keys" ON "loan_product" USING gin (
            (CASE WHEN cardinality(eligible_regions) = 0 THEN '{*}'::varchar[] ELSE eligible_regions END),
            (CASE WHEN cardinality(eligible_industries) = 0 THEN '{*}'::varchar[] ELSE eligible_industries END)
          ) WHERE status = 'PUBLISHED'`);
    // Products in region order: CLUSTER loan_product USING this index keeps each region's
    // products on few pages (see src/matching/README.md, "Maintenance").
    await queryRunner.query(
      `CREATE INDEX "ix_loan_product_region_order" ON "loan_product" ((coalesce(eligible_regions[1], '')), id)`,
    );
    // Room on each page for HOT updates: scores change often, their rows stay put.
    await queryRunner.query(`ALTER TABLE "credit_profile" SET (fillfactor = 85)`);
    await queryRunner.query(`ALTER TABLE "matchable_request" SET (fillfactor = 85)`);
    // Requests open before matching existed become matchable with the base score until their enterprise is scored.
    await queryRunner.query(`
            INSERT INTO matchable_request (financing_request_id, enterprise_id, amount, term_months, acceptable_guarantee_types, max_rate, valid_until,
                region_code, prefecture_code, province_code, industry_code, scale, credit_score, credit_grade, dishonest_debtor, established_on, annual_revenue)
            SELECT r.id, r.enterprise_id, r.amount, r.term_months, r.acceptable_guarantee_types::varchar[], r.max_rate, r.valid_until,
                e.region_code, left(e.region_code, 4), left(e.region_code, 2), e.industry_code, e.scale::text, 600, 'BBB', false, e.established_on, e.annual_revenue
            FROM financing_request r JOIN enterprise e ON e.id = r.enterprise_id
            WHERE r.status IN ('OPEN', 'APPLIED', 'ACCEPTED')`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."ix_loan_product_region_order"`);
    await queryRunner.query(`DROP INDEX "public"."ix_loan_product_match_keys"`);
    await queryRunner.query(`ALTER TABLE "credit_profile" DROP CONSTRAINT "FK_a66e0b0e11bed7b2cab953ba850"`);
    await queryRunner.query(`ALTER TABLE "financing_request" DROP COLUMN "matches_refreshed_at"`);
    await queryRunner.query(`ALTER TABLE "loan_product" DROP COLUMN "grade_rates"`);
    await queryRunner.query(`DROP INDEX "public"."ix_matchable_request_province"`);
    await queryRunner.query(`DROP INDEX "public"."ix_matchable_request_prefecture"`);
    await queryRunner.query(`DROP INDEX "public"."ix_matchable_request_region"`);
    await queryRunner.query(`DROP INDEX "public"."ix_matchable_request_enterprise"`);
    await queryRunner.query(`DROP TABLE "matchable_request"`);
    await queryRunner.query(`DROP INDEX "public"."ix_matching_job_pending"`);
    await queryRunner.query(`DROP TABLE "matching_job"`);
    await queryRunner.query(`DROP TYPE "public"."matching_job_kind"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_b04fa1c409042363761b9bbc5b"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_6ade384d75c9a2035bb5d776a5"`);
    await queryRunner.query(`DROP TABLE "product_match"`);
    await queryRunner.query(`DROP TABLE "credit_profile"`);
  }
}
