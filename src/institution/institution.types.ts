import { Field, InputType, Int } from 'type-graphql';
import { ArrayMaxSize, IsInt, IsOptional, Length, Max, Min, ValidateNested } from 'class-validator';
import { AccountCredentialsInput } from '../auth/auth.types';
import { UserAccount } from '../auth/user-account.entity';
import { Institution, InstitutionType } from './institution.entity';
import { MoneyScalar } from '../common/scalars';
import { ConnectionType } from '../common/pagination';
import { PayloadType } from '../common/payload';
import { IsPlainText, IsRegionCodeList } from '../common/validators';

@InputType({ description: 'Onboard a financial institution (机构入驻).' })
export class CreateInstitutionInput {
  @Field(() => String, { description: 'Name of the institution (机构名称).' })
  @Length(2, 200)
  @IsPlainText()
  name: string;

  @Field(() => InstitutionType, { description: 'Kind of institution (机构类型).' })
  type: InstitutionType;

  @Field(() => [String], { description: 'GB/T 2260 codes of the regions served.' })
  @ArrayMaxSize(500)
  @IsRegionCodeList()
  regionsServed: string[];

  @Field(() => Int, { nullable: true, description: 'Working days to accept an application (default 3).' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(30)
  responseDeadlineDays?: number | null;

  @Field(() => AccountCredentialsInput, {
    nullable: true,
    description: 'The institution’s first admin account (INSTITUTION_ADMIN), created with it.',
  })
  @IsOptional()
  @ValidateNested()
  admin?: AccountCredentialsInput | null;
}

export const InstitutionConnection = ConnectionType(Institution, 'Institution', 'A page of institutions.');
export const CreateInstitutionPayload = PayloadType(
  'CreateInstitution',
  'institution',
  () => Institution,
  'Result of createInstitution.',
);
Field(() => UserAccount, {
  nullable: true,
  description: 'The admin account (INSTITUTION_ADMIN) created with the institution; null when none was asked for.',
})(CreateInstitutionPayload.prototype, 'admin');

export const SetFourEyesThresholdPayload = PayloadType(
  'SetFourEyesThreshold',
  'institution',
  () => Institution,
  'Result of setFourEyesThreshold: the institution with its new threshold.',
);

@InputType({ description: '双人复核 — grants above this amount need a second staff member; null turns it off.' })
export class SetFourEyesThresholdInput {
  @Field(() => MoneyScalar, {
    nullable: true,
    description: 'Grants above this amount in yuan wait for a second staff member (双人复核); null means none do.',
  })
  threshold: string | null;
}
