import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Sessions that can end (src/auth/auth.service.ts): one auth_session per sign-in, its refresh
 * tokens stored as SHA-256 hashes, and accounts that can be disabled. A change to a session
 * notifies `user_account_changed` with its account's ID, like a change to the account, so every
 * server drops what it kept for the account when the change commits.
 */
export class AuthSessions1795920000000 implements MigrationInterface {
  name = 'AuthSessions1795920000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "user_account" ADD "disabled_at" TIMESTAMP WITH TIME ZONE`);
    await queryRunner.query(`CREATE TABLE auth_session (
      id bigserial PRIMARY KEY,
      account_id bigint NOT NULL REFERENCES user_account (id) ON DELETE CASCADE,
      created_at timestamptz NOT NULL DEFAULT now(),
      expires_at timestamptz NOT NULL,
      revoked_at timestamptz,
      revoked_reason varchar(40),
      CONSTRAINT ck_auth_session_revoked CHECK ((revoked_at IS NULL) = (revoked_reason IS NULL))
    )`);
    await queryRunner.query(`CREATE INDEX ix_auth_session_account ON auth_session (account_id)`);
    await queryRunner.query(`CREATE TABLE refresh_token (
      token_hash bytea PRIMARY KEY,
      session_id bigint NOT NULL REFERENCES auth_session (id) ON DELETE CASCADE,
      issued_at timestamptz NOT NULL DEFAULT now(),
      used_at timestamptz
    )`);
    await queryRunner.query(`CREATE INDEX ix_refresh_token_session ON refresh_token (session_id)`);
    await queryRunner.query(`CREATE FUNCTION auth_session_notify_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'TRUNCATE' THEN
          PERFORM pg_notify('user_account_changed', '*');
        ELSE
          PERFORM pg_notify('user_account_changed', OLD.account_id::text);
        END IF;
        RETURN NULL;
      END $$`);
    await queryRunner.query(
      `CREATE TRIGGER auth_session_changed AFTER UPDATE OR DELETE ON auth_session
        FOR EACH ROW EXECUTE FUNCTION auth_session_notify_change()`,
    );
    await queryRunner.query(
      `CREATE TRIGGER auth_session_truncated AFTER TRUNCATE ON auth_session
        FOR EACH STATEMENT EXECUTE FUNCTION auth_session_notify_change()`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE refresh_token`);
    await queryRunner.query(`DROP TABLE auth_session`);
    await queryRunner.query(`DROP FUNCTION auth_session_notify_change()`);
    await queryRunner.query(`ALTER TABLE "user_account" DROP COLUMN "disabled_at"`);
  }
}
