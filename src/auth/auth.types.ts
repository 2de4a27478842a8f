import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { IsEmail, IsOptional, Length, MaxLength } from 'class-validator';
import { UserAccount } from './user-account.entity';
import { MAX_USER_ERRORS, PayloadType, UserError } from '../common/payload';
import { ConnectionType, MaxItems } from '../common/pagination';
import { StaffInvitation } from './staff-invitation.entity';

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

@InputType({ description: 'An institution admin invites an email to join the institution as staff.' })
export class InviteStaffMemberInput {
  @Field(() => String, { description: 'The email to invite; the invitation’s token is mailed there.' })
  @IsEmail({}, { message: 'email must be an email address' })
  @MaxLength(254)
  email: string;

  @Field(() => Boolean, { defaultValue: false, description: 'Invite as an admin (INSTITUTION_ADMIN) too.' })
  admin: boolean;
}

@InputType({ description: 'The staff invitation to revoke.' })
export class StaffInvitationIdInput {
  @Field(() => ID, { description: 'A StaffInvitation ID.' })
  invitationId: string;
}

@InputType({ description: 'Accept a staff invitation from its email: the token and your own password.' })
export class AcceptStaffInvitationInput {
  @Field(() => String, { description: 'The token from the invitation email; good once.' })
  @MaxLength(100)
  token: string;

  @Field(() => String, { description: 'The password of the new account: 12–128 characters.' })
  @Length(12, 128, { message: 'password must be 12 to 128 characters long' })
  password: string;
}

export const StaffInvitationPayload = PayloadType(
  'StaffInvitation',
  'invitation',
  () => StaffInvitation,
  'Result of inviting a staff member or revoking an invitation.',
);

export const StaffInvitationConnection = ConnectionType(
  StaffInvitation,
  'StaffInvitation',
  'A page of staff invitations, oldest first.',
);

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
  'Result of creating an account (or of accepting a staff invitation).',
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
