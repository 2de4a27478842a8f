import { Field, ID, InputType, Int } from 'type-graphql';
import { ArrayMaxSize, IsInt, IsOptional, Length, Max, Min, ValidateNested } from 'class-validator';
import { CreditGrade } from '../credit/credit-profile.entity';
import { GuaranteeType, LoanProduct } from './loan-product.entity';
import { EnterpriseScale } from '../enterprise/enterprise.entity';
import { MoneyScalar, RateScalar } from '../common/scalars';
import { ConnectionType } from '../common/pagination';
import { PayloadType } from '../common/payload';
import { IsIndustryCriterionList, IsPlainText, IsRegionCodeList } from '../common/validators';

@InputType({ description: 'A credit-incentive rate for one grade.' })
export class GradeRateInput {
  @Field(() => CreditGrade)
  grade: CreditGrade;

  @Field(() => RateScalar)
  annualRate: string;
}

@InputType({ description: 'The terms of a loan product.' })
export class LoanProductTermsInput {
  @Field(() => String)
  @Length(2, 200)
  @IsPlainText()
  name: string;

  @Field(() => GuaranteeType)
  guaranteeType: GuaranteeType;

  @Field(() => MoneyScalar)
  minAmount: string;

  @Field(() => MoneyScalar)
  maxAmount: string;

  @Field(() => Int)
  @IsInt()
  @Min(1)
  @Max(360)
  minTermMonths: number;

  @Field(() => Int)
  @IsInt()
  @Min(1)
  @Max(360)
  maxTermMonths: number;

  @Field(() => RateScalar)
  minRate: string;

  @Field(() => RateScalar)
  maxRate: string;

  @Field(() => [String], { defaultValue: [], description: 'GB/T 2260 codes; empty means all regions.' })
  @ArrayMaxSize(500)
  @IsRegionCodeList()
  eligibleRegions: string[];

  @Field(() => [String], { defaultValue: [], description: 'GB/T 4754 sections or divisions; empty means all.' })
  @ArrayMaxSize(200)
  @IsIndustryCriterionList()
  eligibleIndustries: string[];

  @Field(() => [EnterpriseScale], { defaultValue: [], description: 'Empty means all scales.' })
  @ArrayMaxSize(4)
  eligibleScales: EnterpriseScale[];

  @Field(() => Int, { nullable: true })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(1000)
  minCreditScore?: number | null;

  @Field(() => Int, { nullable: true })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(100)
  minYearsInBusiness?: number | null;

  @Field(() => MoneyScalar, { nullable: true })
  minAnnualRevenue?: string | null;

  @Field(() => [GradeRateInput], { defaultValue: [], description: '守信激励: lower rates for better credit grades, each within the rate range.' })
  @ArrayMaxSize(7)
  @ValidateNested({ each: true })
  gradeRates: GradeRateInput[];
}

@InputType({ description: 'Create a loan product, as a draft, for the acting institution.' })
export class CreateLoanProductInput extends LoanProductTermsInput {}

@InputType({ description: 'Replace the terms of a loan product.' })
export class UpdateLoanProductInput extends LoanProductTermsInput {
  @Field(() => ID)
  loanProductId: string;
}

@InputType({ description: 'Publish (发布), suspend (暂停) or retire (下架) a loan product.' })
export class ChangeLoanProductStatusInput {
  @Field(() => ID)
  loanProductId: string;
}

export const LoanProductConnection = ConnectionType(LoanProduct, 'LoanProduct', 'A page of loan products.');
export const LoanProductPayload = PayloadType('LoanProduct', 'loanProduct', () => LoanProduct, 'Result of a loan-product mutation.');
