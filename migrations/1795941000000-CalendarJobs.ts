import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The last China date each calendar job has processed (src/credit/README.md, daily rescoring): the
 * job's row is locked while it runs, so it runs once across processes and catches up from there.
 */
export class CalendarJobs1795941000000 implements MigrationInterface {
  name = 'CalendarJobs1795941000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE calendar_job (job varchar(40) PRIMARY KEY, last_date date)`);
    // Never run yet: the first run counts from the oldest credit profile's date.
    await queryRunner.query(`INSERT INTO calendar_job (job, last_date) VALUES ('credit-rescoring', NULL)`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE calendar_job`);
  }
}
