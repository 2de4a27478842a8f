import { Field, InputType, Int } from 'type-graphql';
import { IsInt, IsOptional, Length, Max, Min, ValidateNested } from 'class-validator';
import { AccountCredentialsInput } from '../auth/auth.types';
import { Enterprise, EnterpriseScale } from './enterprise.entity';
import { DateScalar, MoneyScalar } from '../common/scalars';
import { ConnectionType } from '../common/pagination';
import { PayloadType } from '../common/payload';
import { IsIndustryCode, IsPlainText, IsRegionCode, IsUscc } from '../common/validators';

@InputType({ description: 'Register an enterprise (企业注册).' })
export class RegisterEnterpriseInput {
  @Field(() => String, { description: '统一社会信用代码, 18 characters with a valid check character.' })
  @IsUscc()
  uscc: string;

  @Field(() => String, { description: 'Registered name (企业名称).' })
  @Length(2, 200)
  @IsPlainText()
  name: string;

  @Field(() => String, { description: 'Six-digit GB/T 2260 region code, e.g. "230123" (依兰县).' })
  @IsRegionCode()
  regionCode: string;

  @Field(() => String, { description: 'GB/T 4754 section and division, e.g. "C13".' })
  @IsIndustryCode()
  industryCode: string;

  @Field(() => EnterpriseScale, { description: '企业规模 by the national SME classification.' })
  scale: EnterpriseScale;

  @Field(() => DateScalar, { description: 'Day of establishment (成立日期).' })
  establishedOn: string;

  @Field(() => MoneyScalar, { description: 'Registered capital in yuan (注册资本).' })
  registeredCapital: string;

  @Field(() => MoneyScalar, { description: 'Annual revenue in yuan (营业收入).' })
  annualRevenue: string;

  @Field(() => Int, { description: 'Number of employees (从业人员).' })
  @IsInt()
  @Min(0)
  @Max(10_000_000)
  employees: number;

  @Field(() => AccountCredentialsInput, { nullable: true, description: 'The enterprise’s first user account (role ENTERPRISE), created with it.' })
  @IsOptional()
  @ValidateNested()
  account?: AccountCredentialsInput | null;
}

export const EnterpriseConnection = ConnectionType(Enterprise, 'Enterprise', 'A page of enterprises.');
export const RegisterEnterprisePayload = PayloadType('RegisterEnterprise', 'enterprise', () => Enterprise, 'Result of registerEnterprise.');
