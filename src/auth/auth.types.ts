import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { IsEmail, IsOptional, Length, MaxLength } from 'class-validator';
import { UserAccount } from './user-account.entity';
import { MAX_USER_ERRORS, PayloadType, UserError } from '../common/payload';
import { MaxItems } from '../common/pagination';

@InputType({ description: 'Email and password for a new account.' })
export class AccountCredentialsInput {
  @Field(() => String, { description: 'Email address the account signs in with.' })
  @IsEmail({}, { message: 'email must be an email address' })
  @MaxLength(254)
  email: string;

  @Field(() => String, { description: '12–128 characters.' })
  @Length(12, 128, { message: 'password must be 12 to 128 characters long' })
  password: string;
}

@InputType({ description: 'Sign in (登录).' })
export class LoginInput {
  @Field(() => String, { description: 'Email address of the account.' })
  @MaxLength(254)
  email: string;

  @Field(() => String, { description: 'Its password.' })
  @MaxLength(128)
  password: string;
}

@InputType({ description: 'Renew the access token of the signed-in account.' })
export class RenewTokenInput {
  @Field(() => String, { nullable: true, description: 'Echoed back, for the client’s bookkeeping.' })
  @IsOptional()
  @MaxLength(64)
  clientMutationId?: string | null;
}

@InputType({ description: 'Trade a refresh token for a new access token and a new refresh token (rotation).' })
export class RefreshSessionInput {
  @Field(() => String, { description: 'The refresh token from login or the last refreshSession; good once.' })
  @MaxLength(100)
  refreshToken: string;
}

@InputType({ description: 'End the current session (logout) or every session of the account (signOutEverywhere).' })
export class EndSessionsInput {
  @Field(() => String, { nullable: true, description: 'Echoed back, for the client’s bookkeeping.' })
  @IsOptional()
  @MaxLength(64)
  clientMutationId?: string | null;
}

@InputType({ description: 'The account to disable or enable.' })
export class AccountIdInput {
  @Field(() => ID, { description: 'A UserAccount ID.' })
  accountId: string;
}

@InputType({ description: 'An institution admin creates an account for the institution’s staff.' })
export class CreateStaffAccountInput extends AccountCredentialsInput {
  @Field(() => Boolean, { defaultValue: false, description: 'Make the new account an admin too.' })
  admin: boolean;
}

@ObjectType({
  simpleResolvers: true,
  description: 'A signed access token: send it as `Authorization: Bearer <token>`.',
})
export class LoginPayload {
  @Field(() => String, {
    nullable: true,
    description: 'Access token to send as `Authorization: Bearer <token>`; null when refused.',
  })
  token: string | null;

  @Field(() => Date, { nullable: true, description: 'When the access token expires (never after its session ends).' })
  expiresAt: Date | null;

  @Field(() => String, {
    nullable: true,
    description: 'From login and refreshSession: a refresh token, good once, for refreshSession. Null from renewToken.',
  })
  refreshToken: string | null;

  @Field(() => UserAccount, { nullable: true, description: 'The account signed in.' })
  account: UserAccount | null;

  @Field(() => String, { nullable: true, description: 'Echoed back from the input, for the client’s bookkeeping.' })
  clientMutationId?: string | null;

  @Field(() => [UserError], { description: 'Why the sign-in was refused (INVALID_CREDENTIALS); empty on success.' })
  @MaxItems(MAX_USER_ERRORS)
  userErrors: UserError[];
}

export const CreateAccountPayload = PayloadType(
  'CreateAccount',
  'account',
  () => UserAccount,
  'Result of creating an account.',
);

@ObjectType({ simpleResolvers: true, description: 'Sessions ended by logout or signOutEverywhere.' })
export class EndSessionsPayload {
  @Field(() => Int, { description: 'How many sessions ended (0 when already ended).' })
  sessionsEnded: number;

  @Field(() => String, { nullable: true })
  clientMutationId?: string | null;

  @Field(() => [UserError])
  @MaxItems(MAX_USER_ERRORS)
  userErrors: UserError[];
}

export const AccountPayload = PayloadType(
  'Account',
  'account',
  () => UserAccount,
  'Result of disabling or enabling an account.',
);
