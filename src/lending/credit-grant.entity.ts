import { Check, Column, CreateDateColumn, Entity, Index, JoinColumn, OneToOne, PrimaryGeneratedColumn } from 'typeorm';
import { Field, Int, ObjectType } from 'type-graphql';
import { Node } from '../common/node';
import { MoneyScalar, RateScalar } from '../common/scalars';
import { Application } from './application.entity';

@ObjectType({ implements: Node, description: '授信 — the credit an institution grants on an accepted application.' })
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

  @Field(() => Date)
  @CreateDateColumn({ type: 'timestamptz' })
  grantedAt: Date;
}
