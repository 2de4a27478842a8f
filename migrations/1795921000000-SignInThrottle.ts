import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Failed sign-ins, per (email, client address) and per email (src/auth/sign-in-throttle.ts), kept
 * in the database so that every server process throttles alike.
 */
export class SignInThrottle1795921000000 implements MigrationInterface {
  name = 'SignInThrottle1795921000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE sign_in_throttle (
      key varchar(320) PRIMARY KEY,
      failures integer NOT NULL,
      window_started_at timestamptz NOT NULL,
      blocked_until timestamptz,
      updated_at timestamptz NOT NULL
    )`);
    await queryRunner.query(`CREATE INDEX ix_sign_in_throttle_updated ON sign_in_throttle (updated_at)`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE sign_in_throttle`);
  }
}
