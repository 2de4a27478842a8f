import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Enterprise identity verification (实名认证, README "Identity, sessions and the security model"): an
 * enterprise row is a claim on a USCC; several claims may wait side by side, at most one is
 * VERIFIED (a partial unique index). Every change of a claim's status is written to the
 * append-only enterprise_verification_event with its evidence. Enterprises registered before
 * verification existed are kept VERIFIED (each with a MIGRATION event an operator can review).
 * A changed status notifies `user_account_changed` for the accounts bound to the enterprise, so
 * every server reads their standing again.
 */
export class EnterpriseVerification1795922000000 implements MigrationInterface {
  name = 'EnterpriseVerification1795922000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TYPE "public"."enterprise_verification_status" AS ENUM('PENDING', 'VERIFIED', 'SUPERSEDED', 'REVOKED')`,
    );
    await queryRunner.query(
      `ALTER TABLE "enterprise" ADD "verification_status" "public"."enterprise_verification_status"
        NOT NULL DEFAULT 'PENDING'`,
    );
    await queryRunner.query(`ALTER TABLE "enterprise" ADD "verified_at" TIMESTAMP WITH TIME ZONE`);
    await queryRunner.query(`UPDATE enterprise SET verification_status = 'VERIFIED', verified_at = registered_at`);
    await queryRunner.query(`ALTER TABLE "enterprise" DROP CONSTRAINT "UQ_c8f2c226bf7ff9f7da15710c1ee"`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX uq_enterprise_verified_uscc ON enterprise (uscc) WHERE verification_status = 'VERIFIED'`,
    );
    await queryRunner.query(`CREATE INDEX ix_enterprise_uscc ON enterprise (uscc)`);
    await queryRunner.query(`CREATE TABLE enterprise_verification_event (
      id bigserial PRIMARY KEY,
      enterprise_id bigint NOT NULL REFERENCES enterprise (id),
      uscc char(18) NOT NULL,
      from_status enterprise_verification_status NOT NULL,
      to_status enterprise_verification_status NOT NULL,
      method varchar(40) NOT NULL,
      actor varchar(100) NOT NULL,
      evidence text NOT NULL,
      occurred_at timestamptz NOT NULL DEFAULT now()
    )`);
    await queryRunner.query(
      `CREATE INDEX ix_enterprise_verification_event_enterprise ON enterprise_verification_event (enterprise_id, id)`,
    );
    await queryRunner.query(
      `CREATE INDEX ix_enterprise_verification_event_uscc ON enterprise_verification_event (uscc, id)`,
    );
    await queryRunner.query(`INSERT INTO enterprise_verification_event
        (enterprise_id, uscc, from_status, to_status, method, actor, evidence)
      SELECT id, uscc, 'PENDING', 'VERIFIED', 'MIGRATION', 'SYSTEM', 'registered before identity verification existed'
      FROM enterprise`);
    await queryRunner.query(`CREATE FUNCTION enterprise_verification_event_append_only() RETURNS trigger
      LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'enterprise_verification_event is append-only' USING ERRCODE = 'insufficient_privilege';
      END $$`);
    await queryRunner.query(`CREATE TRIGGER enterprise_verification_event_no_update_delete
      BEFORE UPDATE OR DELETE ON enterprise_verification_event
      FOR EACH ROW EXECUTE FUNCTION enterprise_verification_event_append_only()`);
    await queryRunner.query(`CREATE TRIGGER enterprise_verification_event_no_truncate
      BEFORE TRUNCATE ON enterprise_verification_event
      FOR EACH STATEMENT EXECUTE FUNCTION enterprise_verification_event_append_only()`);
    await queryRunner.query(`CREATE FUNCTION enterprise_verification_notify_change() RETURNS trigger
      LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('user_account_changed', a.id::text) FROM user_account a WHERE a.enterprise_id = NEW.id;
        RETURN NULL;
      END $$`);
    await queryRunner.query(`CREATE TRIGGER enterprise_verification_changed
      AFTER UPDATE OF verification_status ON enterprise
      FOR EACH ROW WHEN (OLD.verification_status IS DISTINCT FROM NEW.verification_status)
      EXECUTE FUNCTION enterprise_verification_notify_change()`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TRIGGER enterprise_verification_changed ON enterprise`);
    await queryRunner.query(`DROP FUNCTION enterprise_verification_notify_change()`);
    await queryRunner.query(`DROP TABLE enterprise_verification_event`);
    await queryRunner.query(`DROP FUNCTION enterprise_verification_event_append_only()`);
    await queryRunner.query(`DROP INDEX ix_enterprise_uscc`);
    await queryRunner.query(`DROP INDEX uq_enterprise_verified_uscc`);
    // Fails while several claims share a USCC: the old schema cannot hold them, and deleting claims
    // here would lose data.
    await queryRunner.query(`ALTER TABLE "enterprise" ADD CONSTRAINT "UQ_c8f2c226bf7ff9f7da15710c1ee" UNIQUE ("uscc")`);
    await queryRunner.query(`ALTER TABLE "enterprise" DROP COLUMN "verified_at"`);
    await queryRunner.query(`ALTER TABLE "enterprise" DROP COLUMN "verification_status"`);
    await queryRunner.query(`DROP TYPE "public"."enterprise_verification_status"`);
  }
}
