import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
  Unique,
} from 'typeorm';
import { Field, ObjectType, registerEnumType } from 'type-graphql';
import { Node } from '../common/node';
import { DateScalar } from '../common/scalars';
import { Enterprise } from '../enterprise/enterprise.entity';

export enum CreditSource {
  TAX = 'TAX',
  SOCIAL_INSURANCE = 'SOCIAL_INSURANCE',
  HOUSING_FUND = 'HOUSING_FUND',
  UTILITIES = 'UTILITIES',
  CUSTOMS = 'CUSTOMS',
  COURT = 'COURT',
  MARKET_REGULATION = 'MARKET_REGULATION',
  ENVIRONMENT = 'ENVIRONMENT',
  OTHER = 'OTHER',
}
registerEnumType(CreditSource, {
  name: 'CreditSource',
  description:
    'Government source of a credit record: 税务 tax, 社保 social insurance, 公积金 housing fund, 水电气 utilities, ' +
    '海关 customs, 法院 courts, 市场监管 market regulation, 生态环境 environment.',
  valuesConfig: {
    TAX: { description: '税务 tax authority.' },
    SOCIAL_INSURANCE: { description: '社保 social insurance.' },
    HOUSING_FUND: { description: '公积金 housing provident fund.' },
    UTILITIES: { description: '水电气 water, power and gas utilities.' },
    CUSTOMS: { description: '海关 customs.' },
    COURT: { description: '法院 courts.' },
    MARKET_REGULATION: { description: '市场监管 market regulation.' },
    ENVIRONMENT: { description: '生态环境 environmental protection.' },
    OTHER: { description: '其他 any other government source.' },
  },
});

export enum CreditPolarity {
  POSITIVE = 'POSITIVE',
  NEGATIVE = 'NEGATIVE',
}
registerEnumType(CreditPolarity, {
  name: 'CreditPolarity',
  description: '守信 positive or 失信 negative.',
  valuesConfig: {
    POSITIVE: { description: '守信: in the enterprise’s favour.' },
    NEGATIVE: { description: '失信: against the enterprise.' },
  },
});

@ObjectType({
  simpleResolvers: true,
  implements: Node,
  description: '信用记录 — one record about an enterprise from a government source.',
})
@Entity('credit_record')
@Unique('uq_credit_record_source_reference', ['source', 'sourceReference'])
export class CreditRecord extends Node {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: string;

  @Index()
  @Column({ type: 'bigint' })
  enterpriseId: string;

  // Integrity by statement triggers, not a per-row foreign key (migration CreditRecordSetBasedIntegrity).
  @ManyToOne(() => Enterprise, { createForeignKeyConstraints: false })
  @JoinColumn({ name: 'enterprise_id' })
  enterprise?: Enterprise;

  @Field(() => CreditSource, { description: 'Government source of the record (数据来源).' })
  @Column({ type: 'enum', enum: CreditSource, enumName: 'credit_source' })
  source: CreditSource;

  @Field(() => String, {
    description:
      "The source's own reference for the record; with the source it identifies the record, so imports are idempotent.",
  })
  @Column({ type: 'varchar', length: 100 })
  sourceReference: string;

  @Field(() => String, { description: 'What the record states, e.g. "A级纳税人" or "失信被执行人".' })
  @Column({ type: 'varchar', length: 100 })
  indicator: string;

  @Field(() => CreditPolarity, { description: '守信 positive or 失信 negative.' })
  @Column({ type: 'enum', enum: CreditPolarity, enumName: 'credit_polarity' })
  polarity: CreditPolarity;

  @Field(() => DateScalar, { description: 'Date the fact was recorded by the source.' })
  @Column({ type: 'date' })
  recordedOn: string;

  @Field(() => DateScalar, {
    nullable: true,
    description: 'Last day the record counts (it stops the day after, China date); null means it does not expire.',
  })
  @Column({ type: 'date', nullable: true })
  expiresOn: string | null;

  @Field(() => Date, { description: 'When the record was imported.' })
  @CreateDateColumn({ type: 'timestamptz' })
  importedAt: Date;
}
