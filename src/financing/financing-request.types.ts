import { Field, InputType, Int } from 'type-graphql';
import { ArrayMaxSize, ArrayMinSize, IsInt, Length, Max, Min } from 'class-validator';
import { FinancingRequest } from './financing-request.entity';
import { GuaranteeType } from '../product/loan-product.entity';
import { DateScalar, MoneyScalar, RateScalar } from '../common/scalars';
import { ConnectionType } from '../common/pagination';
import { PayloadType } from '../common/payload';
import { IDEMPOTENCY_KEY_DESCRIPTION, IsIdempotencyKey, IsPlainText } from '../common/validators';

@InputType({ description: '发布融资需求 — post a financing need for the acting enterprise.' })
export class PostFinancingRequestInput {
  @Field(() => MoneyScalar, { description: 'Amount, yuan, e.g. "1130000.00".' })
  amount: string;

  @Field(() => Int, { description: 'Term in months.' })
  @IsInt()
  @Min(1)
  @Max(360)
  termMonths: number;

  @Field(() => String, { description: '资金用途 — purpose of the funds.' })
  @Length(2, 500)
  @IsPlainText()
  purpose: string;

  @Field(() => [GuaranteeType], { description: 'Guarantees the enterprise can offer (担保方式), at least one.' })
  @ArrayMinSize(1)
  @ArrayMaxSize(4)
  acceptableGuaranteeTypes: GuaranteeType[];

  @Field(() => RateScalar, { description: 'Highest acceptable annual rate, percent.' })
  maxRate: string;

  @Field(() => DateScalar, { description: 'Last day the need stands.' })
  validUntil: string;

  @Field(() => String, {
    nullable: true,
    description: IDEMPOTENCY_KEY_DESCRIPTION,
  })
  @IsIdempotencyKey()
  idempotencyKey?: string | null;
}

export const FinancingRequestConnection = ConnectionType(
  FinancingRequest,
  'FinancingRequest',
  'A page of financing requests.',
);
export const PostFinancingRequestPayload = PayloadType(
  'PostFinancingRequest',
  'financingRequest',
  () => FinancingRequest,
  'Result of postFinancingRequest.',
);
