import { Field, ID, InputType, Int } from 'type-graphql';
import { IsInt, IsOptional, Length, Max, Min } from 'class-validator';
import { Application } from './application.entity';
import { ApplicationEvent } from './application-event.entity';
import { CreditGrant } from './credit-grant.entity';
import { Disbursement } from './disbursement.entity';
import { FinancingRequest } from '../financing/financing-request.entity';
import { DateScalar, MoneyScalar, RateScalar } from '../common/scalars';
import { ConnectionType } from '../common/pagination';
import { PayloadType } from '../common/payload';
import { IDEMPOTENCY_KEY_DESCRIPTION, IsIdempotencyKey, IsPlainText } from '../common/validators';

@InputType('IdempotentInput', { description: 'Base of retry-safe inputs.' })
class IdempotentInput {
  @Field(() => String, {
    nullable: true,
    description: IDEMPOTENCY_KEY_DESCRIPTION,
  })
  @IsIdempotencyKey()
  idempotencyKey?: string | null;
}

@InputType({
  description:
    'A financing request meets a loan product: the enterprise applies (申请) or the institution claims it (抢单).',
})
export class StartApplicationInput extends IdempotentInput {
  @Field(() => ID, { description: 'ID of the FinancingRequest.' })
  financingRequestId: string;

  @Field(() => ID, { description: 'ID of the LoanProduct.' })
  loanProductId: string;
}

@InputType({ description: 'Act on one application.' })
export class ApplicationActionInput extends IdempotentInput {
  @Field(() => ID, { description: 'ID of the Application.' })
  applicationId: string;

  @Field(() => String, { nullable: true, description: 'Why (required to decline; recorded in the audit trail).' })
  @IsOptional()
  @Length(1, 500)
  @IsPlainText()
  reason?: string | null;
}

@InputType({ description: '授信 — grant credit on an accepted application.' })
export class GrantCreditInput extends IdempotentInput {
  @Field(() => ID, { description: 'ID of the Application.' })
  applicationId: string;

  @Field(() => MoneyScalar, {
    description: 'Within the product range; with other grants on the request, at most what it asked for.',
  })
  amount: string;

  @Field(() => RateScalar, { description: "Annual rate, percent, within the product's range." })
  annualRate: string;

  @Field(() => Int, { description: "Term in months, within the product's range." })
  @IsInt()
  @Min(1)
  @Max(360)
  termMonths: number;
}

@InputType({ description: '放款 — record one tranche paid out under the grant.' })
export class RecordDisbursementInput extends IdempotentInput {
  @Field(() => ID, { description: 'ID of the Application.' })
  applicationId: string;

  @Field(() => MoneyScalar, { description: 'At most what remains of the grant.' })
  amount: string;

  @Field(() => DateScalar, { nullable: true, description: 'Value date; today (China time) when omitted.' })
  disbursedOn?: string | null;
}

@InputType({ description: 'Withdraw a financing request and its open applications.' })
export class WithdrawFinancingRequestInput extends IdempotentInput {
  @Field(() => ID, { description: 'ID of the FinancingRequest.' })
  financingRequestId: string;

  @Field(() => String, { nullable: true, description: 'Why it is withdrawn; kept in the audit trail.' })
  @IsOptional()
  @Length(1, 500)
  @IsPlainText()
  reason?: string | null;
}

export const ApplicationConnection = ConnectionType(Application, 'Application', 'A page of applications (对接).');
export const ApplicationEventConnection = ConnectionType(
  ApplicationEvent,
  'ApplicationEvent',
  'A page of the audit trail, oldest first.',
);
export const DisbursementConnection = ConnectionType(
  Disbursement,
  'Disbursement',
  'A page of disbursements (放款), oldest first.',
);

export const ApplicationPayload = PayloadType(
  'Application',
  'application',
  () => Application,
  'Result of an application mutation.',
);
export const GrantCreditPayload = PayloadType(
  'GrantCredit',
  'creditGrant',
  () => CreditGrant,
  'Result of grantCredit.',
);
export const RecordDisbursementPayload = PayloadType(
  'RecordDisbursement',
  'disbursement',
  () => Disbursement,
  'Result of recordDisbursement.',
);
export const WithdrawFinancingRequestPayload = PayloadType(
  'WithdrawFinancingRequest',
  'financingRequest',
  () => FinancingRequest,
  'Result of withdrawFinancingRequest.',
);

@InputType({ description: '复核 — approve a credit grant that waits for a second staff member.' })
export class ApproveCreditGrantInput extends IdempotentInput {
  @Field(() => ID, { description: 'ID of the CreditGrant.' })
  creditGrantId: string;
}
