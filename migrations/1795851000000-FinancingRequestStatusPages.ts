import { MigrationInterface, QueryRunner } from 'typeorm';

/** Lists of needs by status page by id: (status, id) serves both, so the status-only index goes. */
export class FinancingRequestStatusPages1795851000000 implements MigrationInterface {
  name = 'FinancingRequestStatusPages1795851000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE INDEX "ix_financing_request_status_id" ON "financing_request" ("status", "id")`);
    await queryRunner.query(`DROP INDEX "public"."IDX_88aa08f86b51d682ed2e9c6694"`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE INDEX "IDX_88aa08f86b51d682ed2e9c6694" ON "financing_request" ("status")`);
    await queryRunner.query(`DROP INDEX "public"."ix_financing_request_status_id"`);
  }
}
