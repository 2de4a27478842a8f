import { MigrationInterface, QueryRunner } from 'typeorm';
import { applySqlDefinitions } from '../src/common/database/sql-definitions';

/**
 * The four audit trails (application_event, financing_request_event, enterprise_verification_event,
 * holiday_schedule_load) are guarded by one function, append_only() (src/common/database/sql/append-only.sql),
 * instead of a copy each; the messages stay as they were.
 */
const TRAILS: Array<[table: string, hint: string | null]> = [
  ['application_event', null],
  ['financing_request_event', null],
  ['enterprise_verification_event', null],
  ['holiday_schedule_load', 'load the year again'],
];

export class OneAppendOnlyGuard1795990000000 implements MigrationInterface {
  name = 'OneAppendOnlyGuard1795990000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await applySqlDefinitions(queryRunner);
    for (const [table] of TRAILS) await queryRunner.query(`DROP FUNCTION IF EXISTS ${table}_append_only()`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    for (const [table, hint] of TRAILS) {
      const message = `${table} is append-only${hint ? `: ${hint}` : ''}`;
      await queryRunner.query(`CREATE FUNCTION ${table}_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION '${message}' USING ERRCODE = 'insufficient_privilege'; END $$`);
      await queryRunner.query(`CREATE OR REPLACE TRIGGER ${table}_no_truncate BEFORE TRUNCATE ON ${table}
        FOR EACH STATEMENT EXECUTE FUNCTION ${table}_append_only()`);
      await queryRunner.query(`CREATE OR REPLACE TRIGGER ${table}_no_update_delete BEFORE DELETE OR UPDATE ON ${table}
        FOR EACH ROW EXECUTE FUNCTION ${table}_append_only()`);
    }
    await queryRunner.query(`DROP FUNCTION append_only()`);
  }
}
