import { Arg, Ctx, FieldResolver, Mutation, Query, Resolver, Root } from 'type-graphql';
import { RequestContext } from '../common/context';
import { toPayload, withUserErrors } from '../common/payload';
import { Enterprise } from '../enterprise/enterprise.entity';
import { Institution } from '../institution/institution.entity';
import { AccountRole, UserAccount } from './user-account.entity';
import { expectGlobalId } from '../common/global-id';
import { SignedIn } from './auth.service';
import { AuditActor } from './audit-actor.types';
import {
  AccountCredentialsInput,
  AccountIdInput,
  AccountPayload,
  CreateAccountPayload,
  EndSessionsInput,
  EndSessionsPayload,
  LoginInput,
  LoginPayload,
  RefreshSessionInput,
  RenewTokenInput,
} from './auth.types';

function signedIn(run: () => Promise<SignedIn>): Promise<LoginPayload> {
  return withUserErrors(run, { token: null, expiresAt: null, refreshToken: null, account: null });
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
    return signedIn(() => ctx.services.auth.login(input, ctx.clientAddress));
  }

  @Mutation(() => LoginPayload, {
    description: 'A fresh access token for the signed-in account, before the current one expires.',
  })
  async renewToken(@Arg('input', () => RenewTokenInput) input: RenewTokenInput, @Ctx() ctx: RequestContext) {
    return {
      ...(await signedIn(() => ctx.services.auth.renew(ctx.actor))),
      clientMutationId: input.clientMutationId ?? null,
    };
  }

  @Mutation(() => LoginPayload, {
    description:
      'Trades a refresh token (good once) for a new access token and refresh token. ' +
      'A refresh token used twice ends its session.',
  })
  refreshSession(@Arg('input', () => RefreshSessionInput) input: RefreshSessionInput, @Ctx() ctx: RequestContext) {
    return signedIn(() => ctx.services.auth.refreshSession(input.refreshToken));
  }

  @Mutation(() => EndSessionsPayload, {
    description: '退出登录 — ends this session: its access and refresh tokens stop working on the next request.',
  })
  async logout(@Arg('input', () => EndSessionsInput) input: EndSessionsInput, @Ctx() ctx: RequestContext) {
    return {
      sessionsEnded: await ctx.services.auth.logout(ctx.actor),
      clientMutationId: input.clientMutationId ?? null,
      userErrors: [],
    };
  }

  @Mutation(() => EndSessionsPayload, { description: 'Ends every session of the signed-in account, on every device.' })
  async signOutEverywhere(@Arg('input', () => EndSessionsInput) input: EndSessionsInput, @Ctx() ctx: RequestContext) {
    return {
      sessionsEnded: await ctx.services.auth.signOutEverywhere(ctx.actor),
      clientMutationId: input.clientMutationId ?? null,
      userErrors: [],
    };
  }

  @Mutation(() => AccountPayload, {
    description:
      'Disables an account and ends its sessions: operators any account, ' +
      'institution admins their institution’s accounts.',
  })
  disableAccount(@Arg('input', () => AccountIdInput) input: AccountIdInput, @Ctx() ctx: RequestContext) {
    const accountId = expectGlobalId(input.accountId, 'UserAccount', 'accountId');
    return toPayload('account', () => ctx.services.auth.disableAccount(ctx.actor, accountId));
  }

  @Mutation(() => AccountPayload, {
    description: 'Lets a disabled account sign in again (same authority as disableAccount).',
  })
  enableAccount(@Arg('input', () => AccountIdInput) input: AccountIdInput, @Ctx() ctx: RequestContext) {
    const accountId = expectGlobalId(input.accountId, 'UserAccount', 'accountId');
    return toPayload('account', () => ctx.services.auth.enableAccount(ctx.actor, accountId));
  }

  @Mutation(() => CreateAccountPayload, { description: 'An operator creates an analyst account.' })
  createAnalystAccount(
    @Arg('input', () => AccountCredentialsInput) input: AccountCredentialsInput,
    @Ctx() ctx: RequestContext,
  ) {
    return toPayload('account', () =>
      ctx.services.auth.createOperatorOrAnalyst(ctx.actor, input, AccountRole.ANALYST, ctx.clientAddress),
    );
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

@Resolver(() => AuditActor)
export class AuditActorResolver {
  @FieldResolver(() => UserAccount, {
    nullable: true,
    description:
      'The account that acted: shown to operators and to the same institution or enterprise; ' +
      'null otherwise or when none did.',
  })
  account(@Root() actor: AuditActor, @Ctx() ctx: RequestContext) {
    return actor.accountId ? ctx.loaders.byId(UserAccount).load(actor.accountId) : null;
  }

  @FieldResolver(() => AccountRole, {
    nullable: true,
    description: 'The role of the account that acted; null when `account` is.',
  })
  async role(@Root() actor: AuditActor, @Ctx() ctx: RequestContext) {
    return actor.accountId ? ((await ctx.loaders.byId(UserAccount).load(actor.accountId))?.role ?? null) : null;
  }

  @FieldResolver(() => Institution, { nullable: true, description: 'The institution that acted (kind INSTITUTION).' })
  institution(@Root() actor: AuditActor, @Ctx() ctx: RequestContext) {
    return actor.institutionId ? ctx.loaders.byId(Institution).load(actor.institutionId) : null;
  }

  @FieldResolver(() => Enterprise, { nullable: true, description: 'The enterprise that acted (kind ENTERPRISE).' })
  enterprise(@Root() actor: AuditActor, @Ctx() ctx: RequestContext) {
    return actor.enterpriseId ? ctx.loaders.byId(Enterprise).load(actor.enterpriseId) : null;
  }
}
