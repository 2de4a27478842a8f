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
  VersionColumn,
} from 'typeorm';
import { Field, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Node } from '../common/node';
import { MoneyScalar, RateScalar } from '../common/scalars';
import { Institution } from '../institution/institution.entity';
import { EnterpriseScale } from '../enterprise/enterprise.entity';

export enum GuaranteeType {
  CREDIT = 'CREDIT',
  MORTGAGE = 'MORTGAGE',
  PLEDGE = 'PLEDGE',
  GUARANTEE = 'GUARANTEE',
}
registerEnumType(GuaranteeType, {
  name: 'GuaranteeType',
  description: '担保方式: 信用 CREDIT (unsecured), 抵押 MORTGAGE, 质押 PLEDGE, 保证/担保 GUARANTEE.',
  valuesConfig: {
    CREDIT: { description: '信用: unsecured credit.' },
    MORTGAGE: { description: '抵押: secured by a mortgage.' },
    PLEDGE: { description: '质押: secured by a pledge.' },
    GUARANTEE: { description: '保证/担保: backed by a guarantor.' },
  },
});

export enum LoanProductStatus {
  DRAFT = 'DRAFT',
  PUBLISHED = 'PUBLISHED',
  SUSPENDED = 'SUSPENDED',
  RETIRED = 'RETIRED',
}
registerEnumType(LoanProductStatus, {
  name: 'LoanProductStatus',
  description: '草稿 draft, 已发布 published (visible and matchable), 暂停 suspended, 下架 retired (final).',
  valuesConfig: {
    DRAFT: { description: '草稿: being prepared, not shown to enterprises.' },
    PUBLISHED: { description: '已发布: shown and matched to needs.' },
    SUSPENDED: { description: '暂停: not offered for now.' },
    RETIRED: { description: '下架: withdrawn for good (final).' },
  },
});

@ObjectType({
  simpleResolvers: true,
  implements: Node,
  description: '贷款产品 — a loan product published by an institution.',
})
@Entity('loan_product')
@Check('ck_loan_product_amounts', 'min_amount > 0 AND min_amount <= max_amount')
@Check('ck_loan_product_terms', 'min_term_months >= 1 AND min_term_months <= max_term_months')
@Check('ck_loan_product_rates', 'min_rate <= max_rate')
@Check('ck_loan_product_grade_rates_in_range', 'loan_product_grade_rates_in_range(grade_rates, min_rate, max_rate)')
@Index(['institutionId', 'id'])
// Matching indexes over expressions (see migrations/*MatchingEngine, *ForwardMatchKeys): TypeORM leaves them alone.
@Index('ix_loan_product_match_keys', { synchronize: false })
@Index('ix_loan_product_region_order', { synchronize: false })
export class LoanProduct extends Node {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: string;

  @Column({ type: 'bigint' })
  institutionId: string;

  /**
   * The institution's response deadline (working days), copied for matching's responsiveness
   * (src/product/sql/institution-copy.sql): the database sets it from the institution on every write.
   */
  @Column({ type: 'smallint', insert: false, update: false, select: false })
  institutionResponseDeadlineDays?: number;

  @ManyToOne(() => Institution, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'institution_id' })
  institution?: Institution;

  @Field(() => String, { description: 'Product name (产品名称).' })
  @Column({ type: 'varchar', length: 200 })
  name: string;

  @Field(() => GuaranteeType, { description: 'Guarantee the product requires (担保方式).' })
  @Column({ type: 'enum', enum: GuaranteeType, enumName: 'guarantee_type' })
  guaranteeType: GuaranteeType;

  @Field(() => MoneyScalar, { description: 'Smallest amount lent, yuan.' })
  @Column({ type: 'numeric', precision: 17, scale: 2 })
  minAmount: string;

  @Field(() => MoneyScalar, { description: 'Largest amount lent, yuan (授信上限).' })
  @Column({ type: 'numeric', precision: 17, scale: 2 })
  maxAmount: string;

  @Field(() => Int, { description: 'Shortest term in months.' })
  @Column({ type: 'smallint' })
  minTermMonths: number;

  @Field(() => Int, { description: 'Longest term in months.' })
  @Column({ type: 'smallint' })
  maxTermMonths: number;

  @Field(() => RateScalar, { description: 'Lowest annual rate offered, percent.' })
  @Column({ type: 'numeric', precision: 7, scale: 4 })
  minRate: string;

  @Field(() => RateScalar, { description: 'Highest annual rate offered, percent.' })
  @Column({ type: 'numeric', precision: 7, scale: 4 })
  maxRate: string;

  @Field(() => [String], {
    description: 'Eligible regions (GB/T 2260); a province code covers its cities and counties; empty means all.',
  })
  @Column({ type: 'varchar', length: 6, array: true, default: () => "'{}'" })
  eligibleRegions: string[];

  @Field(() => [String], {
    description: 'Eligible industries (GB/T 4754): sections ("C") or divisions ("C13"); empty means all.',
  })
  @Column({ type: 'varchar', length: 3, array: true, default: () => "'{}'" })
  eligibleIndustries: string[];

  @Field(() => [EnterpriseScale], { description: 'Eligible enterprise scales; empty means all.' })
  @Column({ type: 'enum', enum: EnterpriseScale, enumName: 'enterprise_scale', array: true, default: () => "'{}'" })
  eligibleScales: EnterpriseScale[];

  @Field(() => Int, { nullable: true, description: 'Lowest acceptable credit score (0–1000), if any.' })
  @Column({ type: 'smallint', nullable: true })
  minCreditScore: number | null;

  @Field(() => Int, { nullable: true, description: 'Fewest whole years in business, if any.' })
  @Column({ type: 'smallint', nullable: true })
  minYearsInBusiness: number | null;

  @Field(() => MoneyScalar, { nullable: true, description: 'Lowest annual revenue, yuan, if any.' })
  @Column({ type: 'numeric', precision: 17, scale: 2, nullable: true })
  minAnnualRevenue: string | null;

  /** 守信激励: a lower rate by credit grade, e.g. {"AAA": "3.85"}; exposed as `gradeRates`. */
  @Column({ type: 'jsonb', default: () => "'{}'" })
  gradeRates: Record<string, string>;

  @Field(() => LoanProductStatus, { description: 'Draft, published, suspended or retired.' })
  @Index()
  @Column({ type: 'enum', enum: LoanProductStatus, enumName: 'loan_product_status', default: LoanProductStatus.DRAFT })
  status: LoanProductStatus;

  @VersionColumn()
  version: number;

  @Field(() => Date, { description: 'When the product was created.' })
  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @Field(() => Date, { description: 'When it last changed.' })
  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}
