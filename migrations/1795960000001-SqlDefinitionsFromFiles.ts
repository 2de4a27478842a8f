import { MigrationInterface, QueryRunner } from 'typeorm';
import { applySqlDefinitions } from '../src/common/database/sql-definitions';

/**
 * From here on the current definition of every SQL function and trigger lives in one file beside its
 * module (SQL_DEFINITION_FILES); the migrations before this one stay as the history. A change to a file
 * comes with a new migration that calls applySqlDefinitions() again.
 */
export class SqlDefinitionsFromFiles1795960000001 implements MigrationInterface {
  name = 'SqlDefinitionsFromFiles1795960000001';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await applySqlDefinitions(queryRunner);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    // The other definitions are those the earlier migrations left; this one was new here.
    await queryRunner.query(`DROP TRIGGER holiday_schedule_load_no_update_delete ON holiday_schedule_load`);
    await queryRunner.query(`DROP TRIGGER holiday_schedule_load_no_truncate ON holiday_schedule_load`);
    await queryRunner.query(`DROP FUNCTION holiday_schedule_load_append_only()`);
  }
}
