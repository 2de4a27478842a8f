import { Field, InputType, ObjectType } from 'type-graphql';
import { IsEmail, IsOptional, Length, MaxLength } from 'class-validator';
import { UserAccount } from './user-account.entity';
import { PayloadType, UserError } from '../common/payload';

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

@InputType({ description: 'An institution admin creates an account for the institution’s staff.' })
export class CreateStaffAccountInput extends AccountCredentialsInput {
  @Field(() => Boolean, { defaultValue: false, description: 'Make the new account an admin too.' })
  admin: boolean;
}

@ObjectType({ simpleResolvers: true, description: 'A signed access token: send it as `Authorization: Bearer <token>`.' })
export class LoginPayload {
  @Field(() => String, {
    nullable: true,
    description: 'Access token to send as `Authorization: Bearer <token>`; null when refused.',
  })
  token: string | null;

  @Field(() => Date, { nullable: true, description: 'When the token stops being accepted.' })
  expiresAt: Date | null;

  @Field(() => UserAccount, { nullable: true, description: 'The account signed in.' })
  account: UserAccount | null;

  @Field(() => String, { nullable: true, description: 'Echoed back from the input, for the client’s bookkeeping.' })
  clientMutationId?: string | null;

  @Field(() => [UserError], { description: 'Why the sign-in was refused (INVALID_CREDENTIALS); empty on success.' })
  userErrors: UserError[];
}

export const CreateAccountPayload = PayloadType('CreateAccount', 'account', () => UserAccount, 'Result of creating an account.');
