import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { ArrayMaxSize, ArrayMinSize, Length, ValidateNested } from 'class-validator';
import { CreditPolarity, CreditRecord, CreditSource } from './credit-record.entity';
import { DateScalar } from '../common/scalars';
import { CreditAuthorization } from './credit-authorization.entity';
import { ConnectionType, MaxItems } from '../common/pagination';
import { IsPlainText, IsUscc } from '../common/validators';
import { MAX_USER_ERRORS, UserError } from '../common/payload';

@InputType({ description: 'One credit record as a government source reports it.' })
export class CreditRecordInput {
  @Field(() => String, { description: 'USCC of the enterprise the record is about.' })
  @IsUscc()
  uscc: string;

  @Field(() => CreditSource, { description: 'Government source of the record (数据来源).' })
  source: CreditSource;

  @Field(() => String, { description: "The source's own reference; with the source it identifies the record." })
  @Length(1, 100)
  @IsPlainText()
  sourceReference: string;

  @Field(() => String, { description: 'What the record says, e.g. "A级纳税人" or "失信被执行人".' })
  @Length(1, 100)
  @IsPlainText()
  indicator: string;

  @Field(() => CreditPolarity, { description: '守信 positive or 失信 negative.' })
  polarity: CreditPolarity;

  @Field(() => DateScalar, { description: 'Day the source recorded it.' })
  recordedOn: string;

  @Field(() => DateScalar, { nullable: true, description: 'Last day the record counts (China date); none: no expiry.' })
  expiresOn?: string | null;
}

/** Records one importCreditRecords call takes (and so refuses) at most. */
export const MAX_IMPORTED_RECORDS = 1000;

@InputType({ description: 'A batch of credit records to import (operators only).' })
export class ImportCreditRecordsInput {
  @Field(() => [CreditRecordInput], { description: 'The records to import, at least one.' })
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_IMPORTED_RECORDS)
  @ValidateNested({ each: true })
  records: CreditRecordInput[];
}

@ObjectType({
  simpleResolvers: true,
  description: 'A record the import refused, with its 1-based position in the batch.',
})
export class RejectedCreditRecord {
  @Field(() => Int, { description: 'Position of the record in `records`, from 1.' })
  line: number;

  @Field(() => String, { description: 'Why it was refused.' })
  reason: string;
}

@ObjectType({ simpleResolvers: true, description: 'Outcome of a credit-record import.' })
export class ImportCreditRecordsPayload {
  @Field(() => Int, { description: 'Records added.' })
  imported: number;

  @Field(() => Int, { description: 'Records already present (same source and reference); left unchanged.' })
  duplicates: number;

  @Field(() => [RejectedCreditRecord], {
    description: 'Records refused, with their position and reason; the others were imported.',
  })
  @MaxItems(MAX_IMPORTED_RECORDS)
  rejected: RejectedCreditRecord[];

  @Field(() => Int, { description: 'Enterprises whose records changed; their scores were recomputed.' })
  rescored: number;

  @Field(() => [UserError], {
    description:
      'Empty unless a business rule refused the whole batch (then nothing was imported and the counts are 0); ' +
      'records refused one by one are in `rejected`.',
  })
  @MaxItems(MAX_USER_ERRORS)
  userErrors: UserError[];
}

export const CreditRecordConnection = ConnectionType(CreditRecord, 'CreditRecord', 'A page of credit records.');

@InputType({
  description: '信用授权 — let an institution see (or stop seeing) the enterprise’s credit record details.',
})
export class InstitutionAuthorizationInput {
  @Field(() => ID, { description: 'ID of the Institution.' })
  institutionId: string;
}

@ObjectType({ simpleResolvers: true, description: 'One credit record’s part in the score (model credit-v1).' })
export class CreditContribution {
  recordId: string;

  @Field(() => String, { description: 'Government source of the record.' })
  source: string;

  @Field(() => String, { description: 'POSITIVE or NEGATIVE.' })
  polarity: string;

  @Field(() => String, { description: 'ACTIVE, EXPIRED (past its expiry, counts 0) or NOT_YET_EFFECTIVE.' })
  state: string;

  @Field(() => Int, { description: 'Points the record is worth when new.' })
  basePoints: number;

  @Field(() => Int, { description: 'Share still counted after time decay, percent.' })
  decayPercent: number;

  @Field(() => Int, { description: 'Points counted (before the per-source cap on positives).' })
  points: number;

  @Field(() => String, { nullable: true, description: 'Flag the record raises while active.' })
  flag: string | null;
}

export const CreditContributionConnection = ConnectionType(
  CreditContribution,
  'CreditContribution',
  'A page of the credit records’ contributions to the score, largest first.',
);

export const CreditAuthorizationConnection = ConnectionType(
  CreditAuthorization,
  'CreditAuthorization',
  'A page of an enterprise’s authorisations (信用授权), by institution.',
);
