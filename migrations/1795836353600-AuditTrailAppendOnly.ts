import { MigrationInterface, QueryRunner } from 'typeorm';

/** The audit trail is append-only: the database itself refuses UPDATE, DELETE and TRUNCATE on it. */
export class AuditTrailAppendOnly1795836353600 implements MigrationInterface {
  name = 'AuditTrailAppendOnly1795836353600';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE FUNCTION application_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'application_event is append-only' USING ERRCODE = 'insufficient_privilege';
      END $$`);
    await queryRunner.query(`
      CREATE TRIGGER application_event_no_update_delete BEFORE UPDATE OR DELETE ON application_event
      FOR EACH ROW EXECUTE FUNCTION application_event_append_only()`);
    await queryRunner.query(`
      CREATE TRIGGER application_event_no_truncate BEFORE TRUNCATE ON application_event
      FOR EACH STATEMENT EXECUTE FUNCTION application_event_append_only()`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TRIGGER application_event_no_truncate ON application_event`);
    await queryRunner.query(`DROP TRIGGER application_event_no_update_delete ON application_event`);
    await queryRunner.query(`DROP FUNCTION application_event_append_only()`);
  }
}
