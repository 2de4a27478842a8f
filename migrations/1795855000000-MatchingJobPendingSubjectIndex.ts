import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Pending jobs by subject: the worker folds duplicates of a job (same kind and subject) and
 * `matchesCurrent` asks whether a score change of the request's enterprise is still queued. Without
 * this index both read every pending job — after a bulk credit import, ~200,000 of them per call.
 */
export class MatchingJobPendingSubjectIndex1795855000000 implements MigrationInterface {
  name = 'MatchingJobPendingSubjectIndex1795855000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE INDEX "ix_matching_job_pending_subject" ON "matching_job" ("kind", "subject_id") WHERE finished_at IS NULL`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."ix_matching_job_pending_subject"`);
  }
}
