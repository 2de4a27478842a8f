import { MigrationInterface, QueryRunner } from 'typeorm';

export class UserAccounts1795839877714 implements MigrationInterface {
  name = 'UserAccounts1795839877714';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TYPE "public"."account_role" AS ENUM('ENTERPRISE', 'INSTITUTION_STAFF', 'INSTITUTION_ADMIN', 'ANALYST', 'OPERATOR')`,
    );
    await queryRunner.query(
      `CREATE TABLE "user_account" ("id" BIGSERIAL NOT NULL, "email" character varying(254) NOT NULL, "password_hash" character varying(200) NOT NULL, "role" "public"."account_role" NOT NULL, "enterprise_id" bigint, "institution_id" bigint, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "ck_user_account_binding" CHECK ((role = 'ENTERPRISE') = (enterprise_id IS NOT NULL) AND (role IN ('INSTITUTION_STAFF', 'INSTITUTION_ADMIN')) = (institution_id IS NOT NULL)), CONSTRAINT "PK_6acfec7285fdf9f463462de3e9f" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE UNIQUE INDEX "IDX_56a0e4bcec2b5411beafa47ffa" ON "user_account"  ("email") `);
    await queryRunner.query(`CREATE INDEX "IDX_b6f33a3adee1631b55a1d6b802" ON "user_account"  ("institution_id") `);
    await queryRunner.query(
      `ALTER TABLE "user_account" ADD CONSTRAINT "FK_1b31dc8ab153d17286d0be870e3" FOREIGN KEY ("enterprise_id") REFERENCES "enterprise"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "user_account" ADD CONSTRAINT "FK_b6f33a3adee1631b55a1d6b8022" FOREIGN KEY ("institution_id") REFERENCES "institution"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "user_account" DROP CONSTRAINT "FK_b6f33a3adee1631b55a1d6b8022"`);
    await queryRunner.query(`ALTER TABLE "user_account" DROP CONSTRAINT "FK_1b31dc8ab153d17286d0be870e3"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_b6f33a3adee1631b55a1d6b802"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_56a0e4bcec2b5411beafa47ffa"`);
    await queryRunner.query(`DROP TABLE "user_account"`);
    await queryRunner.query(`DROP TYPE "public"."account_role"`);
  }
}
