import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The retention job (src/common/retention.ts) deletes each table's oldest rows that are no longer needed,
 * a batch at a time: each batch reads them through an index on the time it goes by, restricted (partial
 * index) to the rows it may delete, so it never scans the rows still in use. The outbox's
 * `outbox_event_occurred_at` and the sign-in throttle's `ix_sign_in_throttle_updated` already exist.
 */
export class RetentionIndexes1796130000000 implements MigrationInterface {
  name = 'RetentionIndexes1796130000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE INDEX "ix_idempotency_key_created" ON "idempotency_key" ("created_at")`);
    await queryRunner.query(
      `CREATE INDEX "ix_matching_job_finished" ON "matching_job" ("finished_at") WHERE finished_at IS NOT NULL`,
    );
    await queryRunner.query(
      `CREATE INDEX webhook_delivery_finished ON webhook_delivery (created_at) WHERE status <> 'PENDING'`,
    );
    await queryRunner.query(`CREATE INDEX ix_auth_session_ended ON auth_session (least(expires_at, revoked_at))`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX ix_auth_session_ended`);
    await queryRunner.query(`DROP INDEX webhook_delivery_finished`);
    await queryRunner.query(`DROP INDEX "ix_matching_job_finished"`);
    await queryRunner.query(`DROP INDEX "ix_idempotency_key_created"`);
  }
}
