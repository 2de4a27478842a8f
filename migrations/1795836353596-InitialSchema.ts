import { MigrationInterface, QueryRunner } from 'typeorm';

export class InitialSchema1795836353596 implements MigrationInterface {
  name = 'InitialSchema1795836353596';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TYPE "public"."enterprise_scale" AS ENUM('MICRO', 'SMALL', 'MEDIUM', 'LARGE')`);
    await queryRunner.query(
      `CREATE TABLE "enterprise" ("id" BIGSERIAL NOT NULL, "uscc" character(18) NOT NULL, "name" character varying(200) NOT NULL, "region_code" character(6) NOT NULL, "industry_code" character(3) NOT NULL, "scale" "public"."enterprise_scale" NOT NULL, "established_on" date NOT NULL, "registered_capital" numeric(17,2) NOT NULL, "annual_revenue" numeric(17,2) NOT NULL, "employees" integer NOT NULL, "registered_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "UQ_c8f2c226bf7ff9f7da15710c1ee" UNIQUE ("uscc"), CONSTRAINT "ck_enterprise_employees" CHECK (employees >= 0), CONSTRAINT "PK_09687cd306dc5d486c0e227c471" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX "IDX_b2de7ad4e0e766dcf3fd837b85" ON "enterprise"  ("region_code") `);
    await queryRunner.query(`CREATE INDEX "IDX_fd73284338f35731706f8718cb" ON "enterprise"  ("industry_code") `);
    await queryRunner.query(
      `CREATE TYPE "public"."credit_source" AS ENUM('TAX', 'SOCIAL_INSURANCE', 'HOUSING_FUND', 'UTILITIES', 'CUSTOMS', 'COURT', 'MARKET_REGULATION', 'ENVIRONMENT', 'OTHER')`,
    );
    await queryRunner.query(`CREATE TYPE "public"."credit_polarity" AS ENUM('POSITIVE', 'NEGATIVE')`);
    await queryRunner.query(
      `CREATE TABLE "credit_record" ("id" BIGSERIAL NOT NULL, "enterprise_id" bigint NOT NULL, "source" "public"."credit_source" NOT NULL, "source_reference" character varying(100) NOT NULL, "indicator" character varying(100) NOT NULL, "polarity" "public"."credit_polarity" NOT NULL, "recorded_on" date NOT NULL, "expires_on" date, "imported_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "uq_credit_record_source_reference" UNIQUE ("source", "source_reference"), CONSTRAINT "PK_dde3c943c35a6f995747f94d4cb" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX "IDX_f6de76f9b00aba8422b36d688c" ON "credit_record"  ("enterprise_id") `);
    await queryRunner.query(
      `CREATE TYPE "public"."institution_type" AS ENUM('BANK', 'MICRO_LOAN_COMPANY', 'GUARANTEE_COMPANY', 'FINANCIAL_LEASING', 'OTHER')`,
    );
    await queryRunner.query(
      `CREATE TABLE "institution" ("id" BIGSERIAL NOT NULL, "name" character varying(200) NOT NULL, "type" "public"."institution_type" NOT NULL, "regions_served" character varying(6) array NOT NULL DEFAULT '{}', "response_deadline_days" smallint NOT NULL DEFAULT '3', "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "UQ_d218ad3566afa9e396f184fd7d5" UNIQUE ("name"), CONSTRAINT "PK_f60ee4ff0719b7df54830b39087" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE TYPE "public"."guarantee_type" AS ENUM('CREDIT', 'MORTGAGE', 'PLEDGE', 'GUARANTEE')`,
    );
    await queryRunner.query(
      `CREATE TYPE "public"."loan_product_status" AS ENUM('DRAFT', 'PUBLISHED', 'SUSPENDED', 'RETIRED')`,
    );
    await queryRunner.query(
      `CREATE TABLE "loan_product" ("id" BIGSERIAL NOT NULL, "institution_id" bigint NOT NULL, "name" character varying(200) NOT NULL, "guarantee_type" "public"."guarantee_type" NOT NULL, "min_amount" numeric(17,2) NOT NULL, "max_amount" numeric(17,2) NOT NULL, "min_term_months" smallint NOT NULL, "max_term_months" smallint NOT NULL, "min_rate" numeric(7,4) NOT NULL, "max_rate" numeric(7,4) NOT NULL, "eligible_regions" character varying(6) array NOT NULL DEFAULT '{}', "eligible_industries" character varying(3) array NOT NULL DEFAULT '{}', "eligible_scales" "public"."enterprise_scale" array NOT NULL DEFAULT '{}', "min_credit_score" smallint, "min_years_in_business" smallint, "min_annual_revenue" numeric(17,2), "status" "public"."loan_product_status" NOT NULL DEFAULT 'DRAFT', "version" integer NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "ck_loan_product_rates" CHECK (min_rate <= max_rate), CONSTRAINT "ck_loan_product_terms" CHECK (min_term_months >= 1 AND min_term_months <= max_term_months), CONSTRAINT "ck_loan_product_amounts" CHECK (min_amount > 0 AND min_amount <= max_amount), CONSTRAINT "PK_620f430f4bf9e702c7193d73026" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX "IDX_21df07d256384724a6294b5759" ON "loan_product"  ("status") `);
    await queryRunner.query(
      `CREATE INDEX "IDX_ae44ef2691282f0996a12b5c0f" ON "loan_product"  ("institution_id", "id") `,
    );
    await queryRunner.query(
      `CREATE TYPE "public"."financing_request_status" AS ENUM('OPEN', 'APPLIED', 'ACCEPTED', 'CREDIT_GRANTED', 'DISBURSED', 'WITHDRAWN')`,
    );
    await queryRunner.query(
      `CREATE TABLE "financing_request" ("id" BIGSERIAL NOT NULL, "enterprise_id" bigint NOT NULL, "amount" numeric(17,2) NOT NULL, "term_months" smallint NOT NULL, "purpose" character varying(500) NOT NULL, "acceptable_guarantee_types" "public"."guarantee_type" array NOT NULL, "max_rate" numeric(7,4) NOT NULL, "valid_until" date NOT NULL, "status" "public"."financing_request_status" NOT NULL DEFAULT 'OPEN', "posted_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "ck_financing_request_amount" CHECK (amount > 0 AND term_months >= 1), CONSTRAINT "PK_584fa9a5acefd4b8648736ea97a" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX "IDX_88aa08f86b51d682ed2e9c6694" ON "financing_request"  ("status") `);
    await queryRunner.query(
      `CREATE INDEX "IDX_40763372d063c98daebbc15ec6" ON "financing_request"  ("enterprise_id", "id") `,
    );
    await queryRunner.query(
      `CREATE TYPE "public"."application_status" AS ENUM('SUBMITTED', 'ACCEPTED', 'CREDIT_GRANTED', 'DISBURSED', 'DECLINED', 'WITHDRAWN', 'EXPIRED')`,
    );
    await queryRunner.query(
      `CREATE TYPE "public"."application_origin" AS ENUM('ENTERPRISE_APPLIED', 'INSTITUTION_CLAIMED')`,
    );
    await queryRunner.query(
      `CREATE TABLE "application" ("id" BIGSERIAL NOT NULL, "financing_request_id" bigint NOT NULL, "loan_product_id" bigint NOT NULL, "institution_id" bigint NOT NULL, "enterprise_id" bigint NOT NULL, "status" "public"."application_status" NOT NULL, "origin" "public"."application_origin" NOT NULL, "response_deadline" TIMESTAMP WITH TIME ZONE NOT NULL, "decline_reason" character varying(500), "submitted_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "accepted_at" TIMESTAMP WITH TIME ZONE, "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "uq_application_request_product" UNIQUE ("financing_request_id", "loan_product_id"), CONSTRAINT "PK_569e0c3e863ebdf5f2408ee1670" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX "IDX_91c0b6768afeb1f61716f45d28" ON "application"  ("loan_product_id") `);
    await queryRunner.query(
      `CREATE INDEX "ix_application_submitted_deadline" ON "application"  ("response_deadline") WHERE status = 'SUBMITTED'`,
    );
    await queryRunner.query(`CREATE INDEX "IDX_b796ed6ee2bc0b4c0771770206" ON "application"  ("enterprise_id", "id") `);
    await queryRunner.query(
      `CREATE INDEX "IDX_cbbe871c1862676d14968bc613" ON "application"  ("institution_id", "id") `,
    );
    await queryRunner.query(
      `CREATE TABLE "credit_grant" ("id" BIGSERIAL NOT NULL, "application_id" bigint NOT NULL, "financing_request_id" bigint NOT NULL, "amount" numeric(17,2) NOT NULL, "annual_rate" numeric(7,4) NOT NULL, "term_months" smallint NOT NULL, "granted_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "UQ_b237b7f52eff970771cab3cc30d" UNIQUE ("application_id"), CONSTRAINT "REL_b237b7f52eff970771cab3cc30" UNIQUE ("application_id"), CONSTRAINT "ck_credit_grant_amount" CHECK (amount > 0 AND term_months >= 1), CONSTRAINT "PK_79d290c89176adf4db4da4bf5d5" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_ab7b291572f35bef62792059bd" ON "credit_grant"  ("financing_request_id") `,
    );
    await queryRunner.query(
      `CREATE TABLE "disbursement" ("id" BIGSERIAL NOT NULL, "credit_grant_id" bigint NOT NULL, "amount" numeric(17,2) NOT NULL, "disbursed_on" date NOT NULL, "recorded_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "ck_disbursement_amount" CHECK (amount > 0), CONSTRAINT "PK_463ed35f32b733386261ab7d7fa" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_1ab0d35b49b1d873bd4e1eaaa4" ON "disbursement"  ("credit_grant_id", "id") `,
    );
    await queryRunner.query(
      `CREATE TABLE "application_event" ("id" BIGSERIAL NOT NULL, "application_id" bigint NOT NULL, "actor" character varying(60) NOT NULL, "from_status" "public"."application_status", "to_status" "public"."application_status" NOT NULL, "reason" character varying(500), "occurred_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_dfaa2b28d25fb0223bfd1313f0a" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_8aed327a5e427a864e02ace49f" ON "application_event"  ("application_id", "id") `,
    );
    await queryRunner.query(
      `CREATE TABLE "idempotency_key" ("actor" character varying(60) NOT NULL, "key" character varying(100) NOT NULL, "operation" character varying(60) NOT NULL, "request_hash" character(64) NOT NULL, "result" jsonb NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_773cf5a1593922fc8420ee4fa54" PRIMARY KEY ("actor", "key"))`,
    );
    await queryRunner.query(
      `ALTER TABLE "credit_record" ADD CONSTRAINT "FK_f6de76f9b00aba8422b36d688c7" FOREIGN KEY ("enterprise_id") REFERENCES "enterprise"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "loan_product" ADD CONSTRAINT "FK_166c75d2db19678414cc1c5ac5a" FOREIGN KEY ("institution_id") REFERENCES "institution"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "financing_request" ADD CONSTRAINT "FK_77d516152db5f25a805d7e14083" FOREIGN KEY ("enterprise_id") REFERENCES "enterprise"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "application" ADD CONSTRAINT "FK_fb789e0a9945c27ce6648793b08" FOREIGN KEY ("financing_request_id") REFERENCES "financing_request"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "application" ADD CONSTRAINT "FK_91c0b6768afeb1f61716f45d28f" FOREIGN KEY ("loan_product_id") REFERENCES "loan_product"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "application" ADD CONSTRAINT "FK_c8285a9848f6545546bfb2e5a14" FOREIGN KEY ("institution_id") REFERENCES "institution"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "application" ADD CONSTRAINT "FK_be8f6d35ee784253e47b679b9ce" FOREIGN KEY ("enterprise_id") REFERENCES "enterprise"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "credit_grant" ADD CONSTRAINT "FK_b237b7f52eff970771cab3cc30d" FOREIGN KEY ("application_id") REFERENCES "application"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "disbursement" ADD CONSTRAINT "FK_0ed3db3c0e562298fb472652ef5" FOREIGN KEY ("credit_grant_id") REFERENCES "credit_grant"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "disbursement" DROP CONSTRAINT "FK_0ed3db3c0e562298fb472652ef5"`);
    await queryRunner.query(`ALTER TABLE "credit_grant" DROP CONSTRAINT "FK_b237b7f52eff970771cab3cc30d"`);
    await queryRunner.query(`ALTER TABLE "application" DROP CONSTRAINT "FK_be8f6d35ee784253e47b679b9ce"`);
    await queryRunner.query(`ALTER TABLE "application" DROP CONSTRAINT "FK_c8285a9848f6545546bfb2e5a14"`);
    await queryRunner.query(`ALTER TABLE "application" DROP CONSTRAINT "FK_91c0b6768afeb1f61716f45d28f"`);
    await queryRunner.query(`ALTER TABLE "application" DROP CONSTRAINT "FK_fb789e0a9945c27ce6648793b08"`);
    await queryRunner.query(`ALTER TABLE "financing_request" DROP CONSTRAINT "FK_77d516152db5f25a805d7e14083"`);
    await queryRunner.query(`ALTER TABLE "loan_product" DROP CONSTRAINT "FK_166c75d2db19678414cc1c5ac5a"`);
    await queryRunner.query(`ALTER TABLE "credit_record" DROP CONSTRAINT "FK_f6de76f9b00aba8422b36d688c7"`);
    await queryRunner.query(`DROP TABLE "idempotency_key"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_8aed327a5e427a864e02ace49f"`);
    await queryRunner.query(`DROP TABLE "application_event"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_1ab0d35b49b1d873bd4e1eaaa4"`);
    await queryRunner.query(`DROP TABLE "disbursement"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_ab7b291572f35bef62792059bd"`);
    await queryRunner.query(`DROP TABLE "credit_grant"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_cbbe871c1862676d14968bc613"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_b796ed6ee2bc0b4c0771770206"`);
    await queryRunner.query(`DROP INDEX "public"."ix_application_submitted_deadline"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_91c0b6768afeb1f61716f45d28"`);
    await queryRunner.query(`DROP TABLE "application"`);
    await queryRunner.query(`DROP TYPE "public"."application_origin"`);
    await queryRunner.query(`DROP TYPE "public"."application_status"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_40763372d063c98daebbc15ec6"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_88aa08f86b51d682ed2e9c6694"`);
    await queryRunner.query(`DROP TABLE "financing_request"`);
    await queryRunner.query(`DROP TYPE "public"."financing_request_status"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_ae44ef2691282f0996a12b5c0f"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_21df07d256384724a6294b5759"`);
    await queryRunner.query(`DROP TABLE "loan_product"`);
    await queryRunner.query(`DROP TYPE "public"."loan_product_status"`);
    await queryRunner.query(`DROP TYPE "public"."guarantee_type"`);
    await queryRunner.query(`DROP TABLE "institution"`);
    await queryRunner.query(`DROP TYPE "public"."institution_type"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_f6de76f9b00aba8422b36d688c"`);
    await queryRunner.query(`DROP TABLE "credit_record"`);
    await queryRunner.query(`DROP TYPE "public"."credit_polarity"`);
    await queryRunner.query(`DROP TYPE "public"."credit_source"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_fd73284338f35731706f8718cb"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_b2de7ad4e0e766dcf3fd837b85"`);
    await queryRunner.query(`DROP TABLE "enterprise"`);
    await queryRunner.query(`DROP TYPE "public"."enterprise_scale"`);
  }
}
