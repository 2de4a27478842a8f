import { MigrationInterface, QueryRunner } from 'typeorm';

export class FourEyesGrants1795840365707 implements MigrationInterface {
  name = 'FourEyesGrants1795840365707';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "institution" ADD "four_eyes_threshold" numeric(17,2)`);
    await queryRunner.query(`CREATE TYPE "public"."credit_grant_status" AS ENUM('PENDING_APPROVAL', 'APPROVED')`);
    await queryRunner.query(
      `ALTER TABLE "credit_grant" ADD "status" "public"."credit_grant_status" NOT NULL DEFAULT 'APPROVED'`,
    );
    await queryRunner.query(
      `ALTER TABLE "credit_grant" ADD "proposed_by" character varying(60) NOT NULL DEFAULT 'SYSTEM'`,
    );
    await queryRunner.query(`ALTER TABLE "credit_grant" ADD "approved_by" character varying(60)`);
    await queryRunner.query(`ALTER TABLE "credit_grant" ADD "approved_at" TIMESTAMP WITH TIME ZONE`);
    // Grants made before four eyes existed took effect at once; their maker is in the audit trail.
    await queryRunner.query(`
            UPDATE "credit_grant" g SET approved_at = g.granted_at, proposed_by = coalesce((
              SELECT e.actor FROM application_event e WHERE e.application_id = g.application_id AND e.to_status = 'CREDIT_GRANTED' ORDER BY e.id LIMIT 1), 'SYSTEM')`);
    await queryRunner.query(`ALTER TABLE "credit_grant" ALTER COLUMN "proposed_by" DROP DEFAULT`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "credit_grant" DROP COLUMN "approved_at"`);
    await queryRunner.query(`ALTER TABLE "credit_grant" DROP COLUMN "approved_by"`);
    await queryRunner.query(`ALTER TABLE "credit_grant" DROP COLUMN "proposed_by"`);
    await queryRunner.query(`ALTER TABLE "credit_grant" DROP COLUMN "status"`);
    await queryRunner.query(`DROP TYPE "public"."credit_grant_status"`);
    await queryRunner.query(`ALTER TABLE "institution" DROP COLUMN "four_eyes_threshold"`);
  }
}
