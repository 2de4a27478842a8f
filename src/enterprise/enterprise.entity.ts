import { Check, Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { Field, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Node } from '../common/node';
import { DateScalar, MoneyScalar } from '../common/scalars';

export enum EnterpriseScale {
  MICRO = 'MICRO',
  SMALL = 'SMALL',
  MEDIUM = 'MEDIUM',
  LARGE = 'LARGE',
}
registerEnumType(EnterpriseScale, {
  name: 'EnterpriseScale',
  description: '企业规模 by the national SME classification: 微型 micro, 小型 small, 中型 medium, 大型 large.',
  valuesConfig: {
    MICRO: { description: '微型 micro enterprise.' },
    SMALL: { description: '小型 small enterprise.' },
    MEDIUM: { description: '中型 medium-sized enterprise.' },
    LARGE: { description: '大型 large enterprise.' },
  },
});

export enum EnterpriseVerificationStatus {
  PENDING = 'PENDING',
  VERIFIED = 'VERIFIED',
  SUPERSEDED = 'SUPERSEDED',
  REVOKED = 'REVOKED',
}
registerEnumType(EnterpriseVerificationStatus, {
  name: 'EnterpriseVerificationStatus',
  description:
    '实名认证 of a claim on a USCC: PENDING (registered, waiting; sees only what it entered), ' +
    'VERIFIED (acts for the USCC), ' +
    'SUPERSEDED (another claim on the USCC was verified), REVOKED (an operator moved the USCC to another claim).',
});

/**
 * One registration: a claim on a USCC. Several may wait side by side; at most one is VERIFIED
 * (uq_enterprise_verified_uscc, a partial unique index managed by the migration).
 */
@ObjectType({
  simpleResolvers: true,
  implements: Node,
  description: '企业 — an enterprise that posts financing needs (融资需求).',
})
@Entity('enterprise')
@Check('ck_enterprise_employees', 'employees >= 0')
@Index('uq_enterprise_verified_uscc', { synchronize: false })
@Index('ix_enterprise_uscc', { synchronize: false })
@Index('ix_enterprise_revoked', { synchronize: false })
export class Enterprise extends Node {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: string;

  @Field(() => String, { description: '统一社会信用代码 (USCC, GB 32100-2015), 18 characters.' })
  @Column({ type: 'char', length: 18 })
  uscc: string;

  @Field(() => EnterpriseVerificationStatus, {
    description: '实名认证 status of this registration’s claim on the USCC.',
  })
  @Column({
    type: 'enum',
    enum: EnterpriseVerificationStatus,
    enumName: 'enterprise_verification_status',
    default: EnterpriseVerificationStatus.PENDING,
  })
  verificationStatus: EnterpriseVerificationStatus;

  @Field(() => Date, { nullable: true, description: 'When the claim was verified; null while it is not.' })
  @Column({ type: 'timestamptz', nullable: true })
  verifiedAt: Date | null;

  @Field(() => String, { description: 'Registered name (企业名称).' })
  @Column({ type: 'varchar', length: 200 })
  name: string;

  @Field(() => String, { description: 'Registered region, a six-digit GB/T 2260 code (行政区划代码).' })
  @Index()
  @Column({ type: 'char', length: 6 })
  regionCode: string;

  @Field(() => String, {
    description: 'Industry by GB/T 4754-2017 (国民经济行业分类): section letter and division, e.g. "C13".',
  })
  @Index()
  @Column({ type: 'char', length: 3 })
  industryCode: string;

  @Field(() => EnterpriseScale, { description: '企业规模 — micro, small, medium or large.' })
  @Column({ type: 'enum', enum: EnterpriseScale, enumName: 'enterprise_scale' })
  scale: EnterpriseScale;

  @Field(() => DateScalar, { description: '成立日期 — date established.' })
  @Column({ type: 'date' })
  establishedOn: string;

  @Field(() => MoneyScalar, { description: '注册资本 — registered capital in yuan.' })
  @Column({ type: 'numeric', precision: 17, scale: 2 })
  registeredCapital: string;

  @Field(() => MoneyScalar, { description: '年营业收入 — annual revenue in yuan.' })
  @Column({ type: 'numeric', precision: 17, scale: 2 })
  annualRevenue: string;

  @Field(() => Int, { description: 'Number of employees (从业人员).' })
  @Column({ type: 'integer' })
  employees: number;

  @Field(() => Date, { description: 'When the enterprise registered on the platform.' })
  @CreateDateColumn({ type: 'timestamptz' })
  registeredAt: Date;
}
