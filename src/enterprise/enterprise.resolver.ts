import { auditActor } from '../auth/audit-actor.types';
import { Arg, Args, Ctx, FieldResolver, Mutation, Query, Resolver, Root } from 'type-graphql';
import { RequestContext } from '../common/context';
import { ConnectionArgs, emptyConnection, pageRequest, toConnection } from '../common/pagination';
import { toPayload } from '../common/payload';
import { industrySectionName } from '../common/reference/industries';
import { regionName } from '../common/reference/regions';
import { Enterprise, EnterpriseVerificationStatus } from './enterprise.entity';
import {
  EnterpriseConnection,
  EnterprisePayload,
  EnterpriseVerificationEventConnection,
  ReassignEnterpriseIdentityInput,
  RegisterEnterpriseInput,
  RegisterEnterprisePayload,
  SubmitIdentityAssertionInput,
  VerifyEnterpriseInput,
} from './enterprise.types';
import { expectGlobalId, toGlobalId } from '../common/global-id';
import { VerificationEvent } from './identity-verification.service';
import { FinancingRequestConnection } from '../financing/financing-request.types';
import { FinancingRequest } from '../financing/financing-request.entity';

@Resolver(() => Enterprise)
export class EnterpriseResolver {
  @Query(() => EnterpriseConnection, { description: 'Enterprises visible to the actor.' })
  enterprises(
    @Args(() => ConnectionArgs, { validate: false }) args: ConnectionArgs,
    @Arg('verificationStatus', () => EnterpriseVerificationStatus, {
      nullable: true,
      description: 'Only registrations with this 实名认证 status, e.g. PENDING: the operators’ review queue.',
    })
    verificationStatus: EnterpriseVerificationStatus | null,
    @Ctx() ctx: RequestContext,
  ) {
    return ctx.services.enterprise.list(ctx.actor, pageRequest(args, 'Enterprise'), verificationStatus);
  }

  @Mutation(() => RegisterEnterprisePayload, { description: '企业注册 — register an enterprise.' })
  registerEnterprise(
    @Arg('input', () => RegisterEnterpriseInput) input: RegisterEnterpriseInput,
    @Ctx() ctx: RequestContext,
  ) {
    return toPayload('enterprise', () =>
      ctx.services.enterprise.registerEnterprise(ctx.actor, input, ctx.clientAddress),
    );
  }

  @Mutation(() => EnterprisePayload, {
    description:
      '实名认证 by the platform operator: the registration acts for its USCC; other waiting registrations are SUPERSEDED.',
  })
  verifyEnterprise(
    @Arg('input', () => VerifyEnterpriseInput) input: VerifyEnterpriseInput,
    @Ctx() ctx: RequestContext,
  ) {
    const enterpriseId = expectGlobalId(input.enterpriseId, 'Enterprise', 'enterpriseId');
    return toPayload('enterprise', () =>
      ctx.services.identity.verifyByOperator(ctx.actor, enterpriseId, input.evidence),
    );
  }

  @Mutation(() => EnterprisePayload, {
    description: '实名认证 by a signed assertion of the provincial identity service, for the signed-in enterprise.',
  })
  submitIdentityAssertion(
    @Arg('input', () => SubmitIdentityAssertionInput) input: SubmitIdentityAssertionInput,
    @Ctx() ctx: RequestContext,
  ) {
    return toPayload('enterprise', () => ctx.services.identity.verifyByAssertion(ctx.actor, input.assertion));
  }

  @Mutation(() => EnterprisePayload, {
    description: 'The platform operator moves a wrongly verified USCC to another registration of it (audited).',
  })
  reassignEnterpriseIdentity(
    @Arg('input', () => ReassignEnterpriseIdentityInput) input: ReassignEnterpriseIdentityInput,
    @Ctx() ctx: RequestContext,
  ) {
    const fromEnterpriseId = expectGlobalId(input.fromEnterpriseId, 'Enterprise', 'fromEnterpriseId');
    const toEnterpriseId = expectGlobalId(input.toEnterpriseId, 'Enterprise', 'toEnterpriseId');
    return toPayload('enterprise', () =>
      ctx.services.identity.reassign(ctx.actor, { fromEnterpriseId, toEnterpriseId, evidence: input.evidence }),
    );
  }

  @FieldResolver(() => EnterpriseVerificationEventConnection, {
    description:
      'The 实名认证 audit trail of every registration of this USCC, oldest first (operators only; empty for others).',
  })
  async verificationEvents(
    @Root() enterprise: Enterprise,
    @Args(() => ConnectionArgs, { validate: false }) args: ConnectionArgs,
    @Ctx() ctx: RequestContext,
  ) {
    const page = pageRequest(args, 'EnterpriseVerificationEvent');
    if (!ctx.services.identity.mayReadEvents(ctx.actor)) return emptyConnection(page);
    const pageKey = `${page.limit}:${page.backward}:${page.after ?? ''}:${page.before ?? ''}`;
    const events = await ctx.loaders
      .keyed<string, VerificationEvent[]>(`verificationEventsOfUscc:${pageKey}`, (enterpriseIds) =>
        ctx.services.identity.eventsOfUsccs(enterpriseIds, page),
      )
      .load(enterprise.id);
    const count = () =>
      ctx.loaders
        .keyed<string, number>('verificationEventCounts', (ids) => ctx.services.identity.countEventsOfUsccs(ids))
        .load(enterprise.id);
    const nodes = events.map((event) => ({
      ...event,
      enterpriseId: toGlobalId('Enterprise', event.enterpriseId),
      actor: auditActor(ctx.actor, event.actor),
    }));
    return toConnection(nodes, page, count);
  }

  @FieldResolver(() => String, { nullable: true, description: 'Name of the region (行政区划名称).' })
  regionName(@Root() enterprise: Enterprise) {
    return regionName(enterprise.regionCode);
  }

  @FieldResolver(() => String, { description: 'GB/T 4754 section letter (门类).' })
  industrySection(@Root() enterprise: Enterprise) {
    return enterprise.industryCode[0];
  }

  @FieldResolver(() => String, { nullable: true, description: 'Name of the GB/T 4754 section.' })
  industrySectionName(@Root() enterprise: Enterprise) {
    return industrySectionName(enterprise.industryCode[0]);
  }

  @FieldResolver(() => FinancingRequestConnection, {
    description: 'Financing needs this enterprise posted (融资需求).',
  })
  financingRequests(
    @Root() enterprise: Enterprise,
    @Args(() => ConnectionArgs, { validate: false }) args: ConnectionArgs,
    @Ctx() ctx: RequestContext,
  ) {
    return ctx.loaders.childConnection(
      FinancingRequest,
      'enterpriseId',
      enterprise.id,
      args,
      ctx.services.financing.visibility(ctx.actor),
    );
  }
}
