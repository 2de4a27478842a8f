import { Column, Entity, JoinColumn, OneToOne, PrimaryColumn } from 'typeorm';
import { Field, Int, ObjectType, registerEnumType } from 'type-graphql';
import { DateScalar } from '../common/scalars';
import { Enterprise } from '../enterprise/enterprise.entity';

export enum CreditGrade {
  AAA = 'AAA',
  AA = 'AA',
  A = 'A',
  BBB = 'BBB',
  BB = 'BB',
  B = 'B',
  C = 'C',
}
registerEnumType(CreditGrade, { name: 'CreditGrade', description: '信用等级 from the score: AAA ≥ 900, AA ≥ 800, A ≥ 700, BBB ≥ 600, BB ≥ 500, B ≥ 400, C below.' });

export enum CreditFlag {
  DISHONEST_DEBTOR = 'DISHONEST_DEBTOR',
  MAJOR_TAX_VIOLATION = 'MAJOR_TAX_VIOLATION',
  ABNORMAL_OPERATIONS = 'ABNORMAL_OPERATIONS',
}
registerEnumType(CreditFlag, {
  name: 'CreditFlag',
  description:
    'Active listings: DISHONEST_DEBTOR (失信被执行人, makes the enterprise ineligible for every product), MAJOR_TAX_VIOLATION (重大税收违法失信主体), ABNORMAL_OPERATIONS (经营异常名录).',
});

/** The enterprise's current score under the scoring model; recomputed set-based when its records change. */
@ObjectType({
  simpleResolvers: true,
  description:
    '信用画像 — an enterprise’s credit score, grade and flags under a versioned scoring model. Score and grade are shown ' +
    'to whoever sees the enterprise; what derives from its records only to those who see the record details.',
})
@Entity('credit_profile')
export class CreditProfile {
  @PrimaryColumn({ type: 'bigint' })
  enterpriseId: string;

  @OneToOne(() => Enterprise, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'enterprise_id' })
  enterprise?: Enterprise;

  @Field(() => Int, { description: 'Credit score, 0–1000.' })
  @Column({ type: 'smallint' })
  score: number;

  @Field(() => CreditGrade)
  @Column({ type: 'varchar', length: 3 })
  grade: CreditGrade;

  /** Shown through CreditProfileResolver.flags, to those who see the record details. */
  @Column({ type: 'varchar', length: 40, array: true, default: () => "'{}'" })
  flags: CreditFlag[];

  @Field(() => String, { description: 'Scoring model version that produced the score.' })
  @Column({ type: 'varchar', length: 20 })
  modelVersion: string;

  @Field(() => DateScalar, { description: 'The date the score holds for (time decay is counted to it).' })
  @Column({ type: 'date' })
  asOf: string;

  @Field(() => Date)
  @Column({ type: 'timestamptz', default: () => 'now()' })
  computedAt: Date;
}
