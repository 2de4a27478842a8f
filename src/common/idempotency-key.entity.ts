import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

/** A mutation's answer, kept under the actor's idempotency key so that a retry gets the same. */
@Entity('idempotency_key')
// The retention job deletes keys by age.
@Index('ix_idempotency_key_created', ['createdAt'])
export class IdempotencyKey {
  @PrimaryColumn({ type: 'varchar', length: 60 })
  actor: string;

  @PrimaryColumn({ type: 'varchar', length: 100 })
  key: string;

  @Column({ type: 'varchar', length: 60 })
  operation: string;

  /** sha256 of the operation's canonical input: the same key with another input is refused. */
  @Column({ type: 'char', length: 64 })
  requestHash: string;

  /** The answer: `{ id, row }`, the payload object's columns as the first call left them (docs/adr/0100). */
  @Column({ type: 'jsonb' })
  result: unknown;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}
