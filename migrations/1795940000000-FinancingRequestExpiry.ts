import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A financing need past its validUntil becomes EXPIRED (src/financing/README.md): a new status, the
 * append-only audit trail of a need's status changes, and the index the expiry sweep reads (open
 * needs by validUntil) so that it does not scan every open need each run.
 */
export class FinancingRequestExpiry1795940000000 implements MigrationInterface {
  name = 'FinancingRequestExpiry1795940000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    const q = (sql: string) => queryRunner.query(sql);
    // Not used in this transaction (a value added in a transaction cannot be), only declared.
    await q(`ALTER TYPE "public"."financing_request_status" ADD VALUE 'EXPIRED'`);
    await q(`CREATE TABLE financing_request_event (
      id bigserial PRIMARY KEY,
      financing_request_id bigint NOT NULL REFERENCES financing_request (id) ON DELETE RESTRICT,
      actor varchar(60) NOT NULL,
      from_status financing_request_status,
      to_status financing_request_status NOT NULL,
      reason varchar(500),
      occurred_at timestamptz NOT NULL DEFAULT now())`);
    await q(`CREATE INDEX ix_financing_request_event_request ON financing_request_event (financing_request_id, id)`);
    await q(`CREATE FUNCTION financing_request_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'financing_request_event is append-only' USING ERRCODE = 'insufficient_privilege';
      END $$`);
    await q(`CREATE TRIGGER financing_request_event_no_update_delete BEFORE UPDATE OR DELETE ON financing_request_event
      FOR EACH ROW EXECUTE FUNCTION financing_request_event_append_only()`);
    await q(`CREATE TRIGGER financing_request_event_no_truncate BEFORE TRUNCATE ON financing_request_event
      FOR EACH STATEMENT EXECUTE FUNCTION financing_request_event_append_only()`);
    await q(`CREATE INDEX ix_financing_request_open_valid_until ON financing_request (valid_until)
      WHERE status IN ('OPEN', 'APPLIED', 'ACCEPTED')`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    const q = (sql: string) => queryRunner.query(sql);
    await q(`DROP INDEX ix_financing_request_open_valid_until`);
    await q(`DROP TABLE financing_request_event`);
    await q(`DROP FUNCTION financing_request_event_append_only()`);
    // PostgreSQL cannot drop an enum value: the type is rebuilt without it; expired needs reopen.
    await q(`UPDATE financing_request SET status = 'OPEN' WHERE status = 'EXPIRED'`);
    await q(`ALTER TABLE financing_request ALTER COLUMN status DROP DEFAULT`);
    await q(`ALTER TYPE financing_request_status RENAME TO financing_request_status_old`);
    await q(`CREATE TYPE financing_request_status AS ENUM
      ('OPEN', 'APPLIED', 'ACCEPTED', 'CREDIT_GRANTED', 'DISBURSED', 'WITHDRAWN')`);
    await q(`ALTER TABLE financing_request ALTER COLUMN status TYPE financing_request_status
      USING status::text::financing_request_status`);
    await q(`ALTER TABLE financing_request ALTER COLUMN status SET DEFAULT 'OPEN'`);
    await q(`DROP TYPE financing_request_status_old`);
  }
}
