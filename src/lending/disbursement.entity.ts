import { Check, Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { Field, ObjectType } from 'type-graphql';
import { Node } from '../common/node';
import { DateScalar, MoneyScalar } from '../common/scalars';
import { CreditGrant } from './credit-grant.entity';

@ObjectType({
  simpleResolvers: true,
  implements: Node,
  description: '放款 — one tranche paid out under a credit grant.',
})
@Entity('disbursement')
@Check('ck_disbursement_amount', 'amount > 0')
@Index(['creditGrantId', 'id'])
export class Disbursement extends Node {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: string;

  @Column({ type: 'bigint' })
  creditGrantId: string;

  @ManyToOne(() => CreditGrant, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'credit_grant_id' })
  creditGrant?: CreditGrant;

  @Field(() => MoneyScalar, { description: 'Amount paid out, yuan (放款金额).' })
  @Column({ type: 'numeric', precision: 17, scale: 2 })
  amount: string;

  @Field(() => DateScalar, { description: 'Value date of the payment.' })
  @Column({ type: 'date' })
  disbursedOn: string;

  @Field(() => Date, { description: 'When the tranche was recorded.' })
  @CreateDateColumn({ type: 'timestamptz' })
  recordedAt: Date;
}
