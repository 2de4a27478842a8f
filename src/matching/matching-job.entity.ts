import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export enum MatchingJobKind {
  PRODUCT_CHANGED = 'PRODUCT_CHANGED',
  SCORE_CHANGED = 'SCORE_CHANGED',
  /** A founding anniversary took the enterprise past a published product's minimum years in business. */
  YEARS_IN_BUSINESS_CHANGED = 'YEARS_IN_BUSINESS_CHANGED',
}

/**
 * Durable queue of match refreshes that must not run inside a mutation. Workers take jobs with
 * FOR UPDATE SKIP LOCKED; a job stays until it finishes, so a crash only delays it.
 */
@Entity('matching_job')
@Index('ix_matching_job_pending', ['id'], { where: 'finished_at IS NULL' })
@Index('ix_matching_job_pending_subject', ['kind', 'subjectId'], { where: 'finished_at IS NULL' })
// The retention job deletes finished jobs by when they finished.
@Index('ix_matching_job_finished', ['finishedAt'], { where: 'finished_at IS NOT NULL' })
export class MatchingJob {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: string;

  @Column({ type: 'enum', enum: MatchingJobKind, enumName: 'matching_job_kind' })
  kind: MatchingJobKind;

  /** The product (PRODUCT_CHANGED) or enterprise (the other kinds) to refresh for. */
  @Column({ type: 'bigint' })
  subjectId: string;

  @CreateDateColumn({ type: 'timestamptz' })
  enqueuedAt: Date;

  @Column({ type: 'timestamptz', nullable: true })
  finishedAt: Date | null;

  @Column({ type: 'smallint', default: 0 })
  attempts: number;

  @Column({ type: 'varchar', length: 500, nullable: true })
  lastError: string | null;
}
