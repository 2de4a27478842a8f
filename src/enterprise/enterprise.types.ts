import { AuditActor } from '../auth/audit-actor.types';
import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { IsInt, IsOptional, Length, Max, MaxLength, Min, ValidateNested } from 'class-validator';
import { AccountCredentialsInput } from '../auth/auth.types';
import { Enterprise, EnterpriseScale, EnterpriseVerificationStatus } from './enterprise.entity';
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

  @Field(() => AccountCredentialsInput, {
    nullable: true,
    description: 'The enterprise’s first user account (role ENTERPRISE), created with it.',
  })
  @IsOptional()
  @ValidateNested()
  account?: AccountCredentialsInput | null;
}

export const EnterpriseConnection = ConnectionType(Enterprise, 'Enterprise', 'A page of enterprises.');
export const RegisterEnterprisePayload = PayloadType(
  'RegisterEnterprise',
  'enterprise',
  () => Enterprise,
  'Result of registerEnterprise.',
);

@InputType({
  description:
    '实名认证 by the platform operator, after reviewing the evidence (business licence, legal representative).',
})
export class VerifyEnterpriseInput {
  @Field(() => ID, { description: 'The registration (Enterprise ID) to verify.' })
  enterpriseId: string;

  @Field(() => String, { description: 'What was checked, recorded in the audit trail (1–2000 characters).' })
  @Length(1, 2000)
  @IsPlainText()
  evidence: string;
}

@InputType({
  description: '实名认证 by a signed assertion of the provincial identity service, submitted by the enterprise itself.',
})
export class SubmitIdentityAssertionInput {
  @Field(() => String, {
    description: 'The compact JWS the identity service issued for this registration (README: Identity).',
  })
  @MaxLength(4096)
  assertion: string;
}

@InputType({ description: 'The platform operator moves a wrongly verified USCC to another registration of it.' })
export class ReassignEnterpriseIdentityInput {
  @Field(() => ID, { description: 'The registration verified by mistake; it becomes REVOKED.' })
  fromEnterpriseId: string;

  @Field(() => ID, { description: 'The registration of the same USCC that becomes VERIFIED.' })
  toEnterpriseId: string;

  @Field(() => String, { description: 'Why, recorded in the audit trail (1–2000 characters).' })
  @Length(1, 2000)
  @IsPlainText()
  evidence: string;
}

@ObjectType({
  simpleResolvers: true,
  description: 'One change of a registration’s 实名认证 status, from the append-only audit trail.',
})
export class EnterpriseVerificationEvent {
  @Field(() => String, { description: 'The registration (Enterprise ID) that changed.' })
  enterpriseId: string;

  @Field(() => EnterpriseVerificationStatus)
  fromStatus: EnterpriseVerificationStatus;

  @Field(() => EnterpriseVerificationStatus)
  toStatus: EnterpriseVerificationStatus;

  @Field(() => String, { description: 'OPERATOR_REVIEW, IDENTITY_ASSERTION, REASSIGNMENT or MIGRATION.' })
  method: string;

  @Field(() => AuditActor, { description: 'Who made the change (经办人).' })
  actor: AuditActor;

  @Field(() => String)
  evidence: string;

  @Field(() => Date)
  occurredAt: Date;
}

export const EnterpriseVerificationEventConnection = ConnectionType(
  EnterpriseVerificationEvent,
  'EnterpriseVerificationEvent',
  'A page of the 实名认证 audit trail, oldest first.',
);

export const EnterprisePayload = PayloadType(
  'Enterprise',
  'enterprise',
  () => Enterprise,
  'Result of a verification mutation.',
);
