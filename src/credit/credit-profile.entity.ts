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
/**
 * What an enterprise without a credit profile yet is scored and matched as (scoring-model.ts checks
 * that the grade is the base score's). Here, with the profile, so that every module reads one definition.
 */
export const BASE_SCORE = 600;
export const BASE_GRADE = CreditGrade.BBB;
/** SQL for a profile's score and grade, or the base ones where `profile` (a LEFT JOINed alias) is missing. */
export const scoreOrBaseSql = (profile: string) => `coalesce(${profile}.score, ${BASE_SCORE})`;
export const gradeOrBaseSql = (profile: string) => `coalesce(${profile}.grade, '${BASE_GRADE}')`;

registerEnumType(CreditGrade, {
  name: 'CreditGrade',
  description: '信用等级 from the score: AAA ≥ 900, AA ≥ 800, A ≥ 700, BBB ≥ 600, BB ≥ 500, B ≥ 400, C below.',
  valuesConfig: {
    AAA: { description: 'Score 900 or more.' },
    AA: { description: 'Score from 800, below 900.' },
    A: { description: 'Score from 700, below 800.' },
    BBB: { description: 'Score from 600, below 700.' },
    BB: { description: 'Score from 500, below 600.' },
    B: { description: 'Score from 400, below 500.' },
    C: { description: 'Score below 400.' },
  },
});

export enum CreditFlag {
  DISHONEST_DEBTOR = 'DISHONEST_DEBTOR',
  MAJOR_TAX_VIOLATION = 'MAJOR_TAX_VIOLATION',
  ABNORMAL_OPERATIONS = 'ABNORMAL_OPERATIONS',
}
registerEnumType(CreditFlag, {
  name: 'CreditFlag',
  description:
    'Active listings: DISHONEST_DEBTOR (失信被执行人, makes the enterprise ineligible for every product), ' +
    'MAJOR_TAX_VIOLATION (重大税收违法失信主体), ABNORMAL_OPERATIONS (经营异常名录).',
  valuesConfig: {
    DISHONEST_DEBTOR: {
      description: '失信被执行人: an active listing makes the enterprise ineligible for every product.',
    },
    MAJOR_TAX_VIOLATION: { description: '重大税收违法失信主体: listed for a major tax violation.' },
    ABNORMAL_OPERATIONS: { description: '经营异常名录: on the list of abnormal operations.' },
  },
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

  @Field(() => CreditGrade, { description: '信用等级 — the grade the score falls in.' })
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

  @Field(() => Date, { description: 'When the score was last computed.' })
  @Column({ type: 'timestamptz', default: () => 'now()' })
  computedAt: Date;
}
