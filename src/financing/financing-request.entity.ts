import {
  Check,
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
} from 'typeorm';
import { Field, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Node } from '../common/node';
import { sqlList } from '../common/database/sql-list';
import { DateScalar, MoneyScalar, RateScalar } from '../common/scalars';
import { Enterprise } from '../enterprise/enterprise.entity';
import { GuaranteeType } from '../product/loan-product.entity';

export enum FinancingRequestStatus {
  OPEN = 'OPEN',
  APPLIED = 'APPLIED',
  ACCEPTED = 'ACCEPTED',
  CREDIT_GRANTED = 'CREDIT_GRANTED',
  DISBURSED = 'DISBURSED',
  WITHDRAWN = 'WITHDRAWN',
  EXPIRED = 'EXPIRED',
}
/** Statuses in which a request still looks for credit: it can be applied to, matched and expire. */
export const OPEN_REQUEST_STATUSES: readonly FinancingRequestStatus[] = [
  FinancingRequestStatus.OPEN,
  FinancingRequestStatus.APPLIED,
  FinancingRequestStatus.ACCEPTED,
];
/** OPEN_REQUEST_STATUSES as a SQL list, for `status IN ${OPEN_REQUEST_STATUSES_SQL}`. */
export const OPEN_REQUEST_STATUSES_SQL = sqlList(OPEN_REQUEST_STATUSES);

registerEnumType(FinancingRequestStatus, {
  name: 'FinancingRequestStatus',
  description:
    'Follows the most advanced of its applications: OPEN (待对接, none active), APPLIED (已申请), ACCEPTED (已受理), ' +
    'CREDIT_GRANTED (已授信), DISBURSED (已放款); WITHDRAWN (已撤回) by the enterprise; EXPIRED (已过期): past its ' +
    'validUntil before credit was granted — out of matching, refused new applications; its applications run on.',
  valuesConfig: {
    OPEN: { description: '待对接: no active application.' },
    APPLIED: { description: '已申请: an application waits for the institution.' },
    ACCEPTED: { description: '已受理: an institution accepted it.' },
    CREDIT_GRANTED: { description: '已授信: credit was granted.' },
    DISBURSED: { description: '已放款: money was paid out.' },
    WITHDRAWN: { description: '已撤回: withdrawn by the enterprise.' },
  },
});

@ObjectType({
  simpleResolvers: true,
  implements: Node,
  description: '融资需求 — a financing need posted by an enterprise.',
})
@Entity('financing_request')
@Check('ck_financing_request_amount', 'amount > 0 AND term_months >= 1')
@Index(['enterpriseId', 'id'])
// Lists by status page by id (keyset): one index range, no sort.
@Index('ix_financing_request_status_id', ['status', 'id'])
// The expiry sweep's index: open needs by validUntil (partial, migration FinancingRequestExpiry).
@Index('ix_financing_request_open_valid_until', { synchronize: false })
export class FinancingRequest extends Node {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: string;

  @Column({ type: 'bigint' })
  enterpriseId: string;

  @ManyToOne(() => Enterprise, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'enterprise_id' })
  enterprise?: Enterprise;

  @Field(() => MoneyScalar, { description: 'Amount asked for, yuan (融资金额).' })
  @Column({ type: 'numeric', precision: 17, scale: 2 })
  amount: string;

  @Field(() => Int, { description: 'Term asked for, months (融资期限).' })
  @Column({ type: 'smallint' })
  termMonths: number;

  @Field(() => String, { description: 'Purpose of the funds (资金用途).' })
  @Column({ type: 'varchar', length: 500 })
  purpose: string;

  @Field(() => [GuaranteeType], { description: 'Guarantee types the enterprise can offer.' })
  @Column({ type: 'enum', enum: GuaranteeType, enumName: 'guarantee_type', array: true })
  acceptableGuaranteeTypes: GuaranteeType[];

  @Field(() => RateScalar, { description: 'Highest acceptable annual rate, percent.' })
  @Column({ type: 'numeric', precision: 7, scale: 4 })
  maxRate: string;

  @Field(() => DateScalar, { description: 'Last day the need stands (有效期至).' })
  @Column({ type: 'date' })
  validUntil: string;

  @Field(() => FinancingRequestStatus, { description: 'Where the need stands (状态).' })
  @Column({
    type: 'enum',
    enum: FinancingRequestStatus,
    enumName: 'financing_request_status',
    default: FinancingRequestStatus.OPEN,
  })
  status: FinancingRequestStatus;

  @Field(() => Date, { nullable: true, description: 'When its matches were last computed in full.' })
  @Column({ type: 'timestamptz', nullable: true })
  matchesRefreshedAt: Date | null;

  @Field(() => Date, { description: 'When the need was posted.' })
  @CreateDateColumn({ type: 'timestamptz' })
  postedAt: Date;

  @Field(() => Date, { description: 'When it last changed.' })
  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}
