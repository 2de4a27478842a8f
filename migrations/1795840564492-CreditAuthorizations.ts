import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreditAuthorizations1795840564492 implements MigrationInterface {
  name = 'CreditAuthorizations1795840564492';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "credit_authorization" ("enterprise_id" bigint NOT NULL, "institution_id" bigint NOT NULL, "granted_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "revoked_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_09abd146105df1543e93b74b172" PRIMARY KEY ("enterprise_id", "institution_id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_09abd146105df1543e93b74b17" ON "credit_authorization"  ("institution_id", "enterprise_id") `,
    );
    await queryRunner.query(
      `ALTER TABLE "credit_authorization" ADD CONSTRAINT "FK_0e9bb6206c128faf0ce493e5af5" FOREIGN KEY ("enterprise_id") REFERENCES "enterprise"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "credit_authorization" ADD CONSTRAINT "FK_939e54d0b23beb30c295b2bd5ed" FOREIGN KEY ("institution_id") REFERENCES "institution"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    // Applying authorised the institution before this table existed.
    await queryRunner.query(`
            INSERT INTO credit_authorization (enterprise_id, institution_id, granted_at)
            SELECT enterprise_id, institution_id, min(submitted_at) FROM application WHERE origin = 'ENTERPRISE_APPLIED'
            GROUP BY enterprise_id, institution_id`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "credit_authorization" DROP CONSTRAINT "FK_939e54d0b23beb30c295b2bd5ed"`);
    await queryRunner.query(`ALTER TABLE "credit_authorization" DROP CONSTRAINT "FK_0e9bb6206c128faf0ce493e5af5"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_09abd146105df1543e93b74b17"`);
    await queryRunner.query(`DROP TABLE "credit_authorization"`);
  }
}
