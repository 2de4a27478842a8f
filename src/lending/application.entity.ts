import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
  Unique,
  UpdateDateColumn,
} from 'typeorm';
import { Field, ObjectType, registerEnumType } from 'type-graphql';
import { Node } from '../common/node';
import { FinancingRequest } from '../financing/financing-request.entity';
import { LoanProduct } from '../product/loan-product.entity';
import { Institution } from '../institution/institution.entity';
import { Enterprise } from '../enterprise/enterprise.entity';

export enum ApplicationStatus {
  SUBMITTED = 'SUBMITTED',
  ACCEPTED = 'ACCEPTED',
  CREDIT_GRANTED = 'CREDIT_GRANTED',
  DISBURSED = 'DISBURSED',
  DECLINED = 'DECLINED',
  WITHDRAWN = 'WITHDRAWN',
  EXPIRED = 'EXPIRED',
}
registerEnumType(ApplicationStatus, {
  name: 'ApplicationStatus',
  description:
    '对接状态: SUBMITTED (已提交) → ACCEPTED (受理) → CREDIT_GRANTED (授信) → DISBURSED (放款, one or more tranches); ' +
    'side exits DECLINED (拒绝), WITHDRAWN (撤回), EXPIRED (超时未受理).',
  valuesConfig: {
    SUBMITTED: { description: '已提交: waits for the institution to accept it.' },
    ACCEPTED: { description: '受理: accepted by the institution.' },
    CREDIT_GRANTED: { description: '授信: credit granted.' },
    DISBURSED: { description: '放款: one or more tranches paid out.' },
    DECLINED: { description: '拒绝: declined by the institution.' },
    WITHDRAWN: { description: '撤回: withdrawn by the enterprise.' },
    EXPIRED: { description: '超时未受理: not accepted within the response deadline.' },
  },
});

export enum ApplicationOrigin {
  ENTERPRISE_APPLIED = 'ENTERPRISE_APPLIED',
  INSTITUTION_CLAIMED = 'INSTITUTION_CLAIMED',
}
registerEnumType(ApplicationOrigin, {
  name: 'ApplicationOrigin',
  description:
    'Who started the application: the enterprise applied (申请), or the institution claimed the need (抢单).',
  valuesConfig: {
    ENTERPRISE_APPLIED: { description: 'The enterprise applied (申请).' },
    INSTITUTION_CLAIMED: { description: 'The institution claimed the need (抢单).' },
  },
});

@ObjectType({
  simpleResolvers: true,
  implements: Node,
  description: '对接 — one financing request meeting one loan product.',
})
@Entity('application')
@Unique('uq_application_request_product', ['financingRequestId', 'loanProductId'])
@Index(['institutionId', 'id'])
@Index(['enterpriseId', 'id'])
@Index('ix_application_submitted_deadline', ['responseDeadline'], { where: "status = 'SUBMITTED'" })
export class Application extends Node {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: string;

  @Column({ type: 'bigint' })
  financingRequestId: string;

  @ManyToOne(() => FinancingRequest, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'financing_request_id' })
  financingRequest?: FinancingRequest;

  @Index()
  @Column({ type: 'bigint' })
  loanProductId: string;

  @ManyToOne(() => LoanProduct, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'loan_product_id' })
  loanProduct?: LoanProduct;

  /** Copied from the product so ownership checks and listings need no join. */
  @Column({ type: 'bigint' })
  institutionId: string;

  @ManyToOne(() => Institution, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'institution_id' })
  institution?: Institution;

  /** Copied from the request, for the same reason. */
  @Column({ type: 'bigint' })
  enterpriseId: string;

  @ManyToOne(() => Enterprise, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'enterprise_id' })
  enterprise?: Enterprise;

  @Field(() => ApplicationStatus, { description: 'Where the application stands (对接状态).' })
  @Column({ type: 'enum', enum: ApplicationStatus, enumName: 'application_status' })
  status: ApplicationStatus;

  @Field(() => ApplicationOrigin, {
    description: 'Whether the enterprise applied or the institution claimed the need (抢单).',
  })
  @Column({ type: 'enum', enum: ApplicationOrigin, enumName: 'application_origin' })
  origin: ApplicationOrigin;

  @Field(() => Date, {
    description: 'Accept (受理) before this instant or the application expires; working days by the official calendar.',
  })
  @Column({ type: 'timestamptz' })
  responseDeadline: Date;

  @Field(() => Boolean, {
    description:
      'The deadline was counted through a year without an official holiday schedule (weekends and the ' +
      'fixed statutory days only): the lunar holidays and make-up working days of that year may move it.',
  })
  @Column({ type: 'boolean', default: false })
  responseDeadlineProvisional: boolean;

  @Field(() => String, { nullable: true, description: 'Why the institution declined (拒绝原因).' })
  @Column({ type: 'varchar', length: 500, nullable: true })
  declineReason: string | null;

  @Field(() => Date, { description: 'When it was submitted.' })
  @CreateDateColumn({ type: 'timestamptz' })
  submittedAt: Date;

  @Field(() => Date, { nullable: true, description: 'When the institution accepted it (受理); null before.' })
  @Column({ type: 'timestamptz', nullable: true })
  acceptedAt: Date | null;

  @Field(() => Date, { description: 'When it last changed.' })
  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}
