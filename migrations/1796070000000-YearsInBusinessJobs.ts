import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A matching job for an enterprise whose years in business crossed a product's minimum on a China day: its open
 * requests' stored matches are refreshed as after a score change (src/matching/changes.ts anniversariesReached).
 */
export class YearsInBusinessJobs1796070000000 implements MigrationInterface {
  name = 'YearsInBusinessJobs1796070000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TYPE matching_job_kind ADD VALUE IF NOT EXISTS 'YEARS_IN_BUSINESS_CHANGED'`);
  }

  public async down(): Promise<void> {
    // PostgreSQL cannot drop an enum value; an unused value is harmless.
  }
}
