import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The official holiday schedules an operator loads per year (src/calendar), each load kept with who
 * made it and when (the latest load of a year is in force), and whether an application's response
 * deadline was counted through a year without a schedule.
 */
export class HolidaySchedules1795960000000 implements MigrationInterface {
  name = 'HolidaySchedules1795960000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE holiday_schedule_load (
      id bigserial PRIMARY KEY,
      year int NOT NULL CHECK (year BETWEEN 2000 AND 2200),
      holidays date[] NOT NULL,
      workdays date[] NOT NULL,
      source varchar(200),
      loaded_by varchar(100) NOT NULL,
      loaded_at timestamptz NOT NULL DEFAULT now()
    )`);
    await queryRunner.query(`CREATE INDEX ix_holiday_schedule_load_year ON holiday_schedule_load (year, id DESC)`);
    await queryRunner.query(
      `ALTER TABLE application ADD COLUMN response_deadline_provisional boolean NOT NULL DEFAULT false`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE application DROP COLUMN response_deadline_provisional`);
    await queryRunner.query(`DROP TABLE holiday_schedule_load`);
  }
}
