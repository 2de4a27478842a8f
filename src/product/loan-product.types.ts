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
  @Field(() => CreditGrade, { description: 'Credit grade (信用等级) the rate applies to.' })
  grade: CreditGrade;

  @Field(() => RateScalar, { description: 'Annual rate for that grade, in percent.' })
  annualRate: string;
}

@InputType({ description: 'The terms of a loan product.' })
export class LoanProductTermsInput {
  @Field(() => String, { description: 'Product name (产品名称).' })
  @Length(2, 200)
  @IsPlainText()
  name: string;

  @Field(() => GuaranteeType, { description: 'Guarantee the product requires (担保方式).' })
  guaranteeType: GuaranteeType;

  @Field(() => MoneyScalar, { description: 'Smallest loan, in yuan.' })
  minAmount: string;

  @Field(() => MoneyScalar, { description: 'Largest loan, in yuan.' })
  maxAmount: string;

  @Field(() => Int, { description: 'Shortest term, in months.' })
  @IsInt()
  @Min(1)
  @Max(360)
  minTermMonths: number;

  @Field(() => Int, { description: 'Longest term, in months.' })
  @IsInt()
  @Min(1)
  @Max(360)
  maxTermMonths: number;

  @Field(() => RateScalar, { description: 'Lowest annual rate, in percent.' })
  minRate: string;

  @Field(() => RateScalar, { description: 'Highest annual rate, in percent.' })
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

  @Field(() => Int, { nullable: true, description: 'Lowest credit score accepted (0–1000); any when omitted.' })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(1000)
  minCreditScore?: number | null;

  @Field(() => Int, { nullable: true, description: 'Fewest whole years since establishment; any when omitted.' })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(100)
  minYearsInBusiness?: number | null;

  @Field(() => MoneyScalar, { nullable: true, description: 'Lowest annual revenue, in yuan; any when omitted.' })
  minAnnualRevenue?: string | null;

  @Field(() => [GradeRateInput], {
    defaultValue: [],
    description: '守信激励: lower rates for better credit grades, each within the rate range.',
  })
  @ArrayMaxSize(7)
  @ValidateNested({ each: true })
  gradeRates: GradeRateInput[];
}

@InputType({ description: 'Create a loan product, as a draft, for the acting institution.' })
export class CreateLoanProductInput extends LoanProductTermsInput {}

@InputType({ description: 'Replace the terms of a loan product.' })
export class UpdateLoanProductInput extends LoanProductTermsInput {
  @Field(() => ID, { description: 'ID of the LoanProduct.' })
  loanProductId: string;
}

@InputType({ description: 'Publish (发布), suspend (暂停) or retire (下架) a loan product.' })
export class ChangeLoanProductStatusInput {
  @Field(() => ID, { description: 'ID of the LoanProduct.' })
  loanProductId: string;
}

export const LoanProductConnection = ConnectionType(LoanProduct, 'LoanProduct', 'A page of loan products.');
export const LoanProductPayload = PayloadType(
  'LoanProduct',
  'loanProduct',
  () => LoanProduct,
  'Result of a loan-product mutation.',
);
