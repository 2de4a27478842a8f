import { Check, Column, CreateDateColumn, Entity, Index, JoinColumn, OneToOne, PrimaryGeneratedColumn } from 'typeorm';
import { Field, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Node } from '../common/node';
import { MoneyScalar, RateScalar } from '../common/scalars';
import { Application } from './application.entity';

export enum CreditGrantStatus {
  PENDING_APPROVAL = 'PENDING_APPROVAL',
  APPROVED = 'APPROVED',
}
registerEnumType(CreditGrantStatus, {
  name: 'CreditGrantStatus',
  description:
    'APPROVED, or PENDING_APPROVAL while a grant above the institution’s four-eyes threshold ' +
    'waits for a second staff member (双人复核).',
  valuesConfig: {
    PENDING_APPROVAL: { description: 'Above the four-eyes threshold: waits for a second staff member (双人复核).' },
    APPROVED: { description: 'In force: tranches may be disbursed.' },
  },
});

@ObjectType({
  simpleResolvers: true,
  implements: Node,
  description: '授信 — the credit an institution grants on an accepted application.',
})
@Entity('credit_grant')
@Check('ck_credit_grant_amount', 'amount > 0 AND term_months >= 1')
export class CreditGrant extends Node {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: string;

  @Column({ type: 'bigint', unique: true })
  applicationId: string;

  @OneToOne(() => Application, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'application_id' })
  application?: Application;

  /** Copied from the application: the per-request total is checked with one indexed sum. */
  @Index()
  @Column({ type: 'bigint' })
  financingRequestId: string;

  @Field(() => MoneyScalar, { description: 'Credit granted, yuan (授信金额).' })
  @Column({ type: 'numeric', precision: 17, scale: 2 })
  amount: string;

  @Field(() => RateScalar, { description: 'Annual rate, percent (执行利率).' })
  @Column({ type: 'numeric', precision: 7, scale: 4 })
  annualRate: string;

  @Field(() => Int, { description: 'Term in months.' })
  @Column({ type: 'smallint' })
  termMonths: number;

  @Field(() => CreditGrantStatus, { description: 'Approved, or waiting for a second staff member (双人复核).' })
  @Column({
    type: 'enum',
    enum: CreditGrantStatus,
    enumName: 'credit_grant_status',
    default: CreditGrantStatus.APPROVED,
  })
  status: CreditGrantStatus;

  /** Who proposed the grant (the maker), as the audit trail names actors. */
  @Column({ type: 'varchar', length: 60 })
  proposedBy: string;

  /** The second staff member who approved it (the checker), where four eyes were needed. */
  @Column({ type: 'varchar', length: 60, nullable: true })
  approvedBy: string | null;

  @Field(() => Date, {
    nullable: true,
    description: 'When the grant took effect (at once, or on the second approval).',
  })
  @Column({ type: 'timestamptz', nullable: true })
  approvedAt: Date | null;

  @Field(() => Date, { description: 'When the grant was made (授信).' })
  @CreateDateColumn({ type: 'timestamptz' })
  grantedAt: Date;
}
