import { Arg, Ctx, FieldResolver, Mutation, Query, Resolver, Root } from 'type-graphql';
import { RequestContext } from '../common/context';
import { BusinessRuleError } from '../common/errors';
import { toPayload } from '../common/payload';
import { Enterprise } from '../enterprise/enterprise.entity';
import { Institution } from '../institution/institution.entity';
import { AccountRole, UserAccount } from './user-account.entity';
import { AccountCredentialsInput, CreateAccountPayload, CreateStaffAccountInput, LoginInput, LoginPayload, RenewTokenInput } from './auth.types';

async function signedIn(run: () => Promise<{ token: string; expiresAt: Date; account: UserAccount }>): Promise<LoginPayload> {
  try {
    return { ...(await run()), userErrors: [] };
  } catch (error) {
    if (error instanceof BusinessRuleError) return { token: null, expiresAt: null, account: null, userErrors: [{ field: error.field, message: error.message, code: error.code }] };
    throw error;
  }
}

@Resolver(() => UserAccount)
export class AuthResolver {
  @Query(() => UserAccount, { nullable: true, description: 'The signed-in account; null without a valid token.' })
  viewer(@Ctx() ctx: RequestContext) {
    const accountId = 'accountId' in ctx.actor ? ctx.actor.accountId : undefined;
    return accountId ? ctx.services.auth.findAccount(accountId) : null;
  }

  @Mutation(() => LoginPayload, { description: '登录 — sign in; returns a short-lived access token.' })
  login(@Arg('input', () => LoginInput) input: LoginInput, @Ctx() ctx: RequestContext) {
    return signedIn(() => ctx.services.auth.login(input));
  }

  @Mutation(() => LoginPayload, { description: 'A fresh access token for the signed-in account, before the current one expires.' })
  async renewToken(@Arg('input', () => RenewTokenInput) input: RenewTokenInput, @Ctx() ctx: RequestContext) {
    return { ...(await signedIn(() => ctx.services.auth.renew(ctx.actor))), clientMutationId: input.clientMutationId ?? null };
  }

  @Mutation(() => CreateAccountPayload, { description: 'An institution admin creates a staff account for the institution.' })
  createStaffAccount(@Arg('input', () => CreateStaffAccountInput) input: CreateStaffAccountInput, @Ctx() ctx: RequestContext) {
    return toPayload('account', () => ctx.services.auth.createStaffAccount(ctx.actor, input, input.admin));
  }

  @Mutation(() => CreateAccountPayload, { description: 'An operator creates an analyst account.' })
  createAnalystAccount(@Arg('input', () => AccountCredentialsInput) input: AccountCredentialsInput, @Ctx() ctx: RequestContext) {
    return toPayload('account', () => ctx.services.auth.createOperatorOrAnalyst(ctx.actor, input, AccountRole.ANALYST));
  }

  @FieldResolver(() => Enterprise, { nullable: true, description: 'The enterprise an ENTERPRISE account acts for.' })
  enterprise(@Root() account: UserAccount, @Ctx() ctx: RequestContext) {
    return account.enterpriseId ? ctx.loaders.byId(Enterprise).load(account.enterpriseId) : null;
  }

  @FieldResolver(() => Institution, { nullable: true, description: 'The institution an institution account acts for.' })
  institution(@Root() account: UserAccount, @Ctx() ctx: RequestContext) {
    return account.institutionId ? ctx.loaders.byId(Institution).load(account.institutionId) : null;
  }
}
