import { Arg, Args, Ctx, FieldResolver, Mutation, Query, Resolver, Root } from 'type-graphql';
import { RequestContext } from '../common/context';
import { ConnectionArgs, pageRequest } from '../common/pagination';
import { toPayload } from '../common/payload';
import { industrySectionName, } from '../common/reference/industries';
import { regionName } from '../common/reference/regions';
import { Enterprise } from './enterprise.entity';
import { EnterpriseConnection, RegisterEnterpriseInput, RegisterEnterprisePayload } from './enterprise.types';
import { FinancingRequestConnection } from '../financing/financing-request.types';
import { FinancingRequest } from '../financing/financing-request.entity';

@Resolver(() => Enterprise)
export class EnterpriseResolver {
  @Query(() => EnterpriseConnection, { description: 'Enterprises visible to the actor.' })
  enterprises(@Args(() => ConnectionArgs, { validate: false }) args: ConnectionArgs, @Ctx() ctx: RequestContext) {
    return ctx.services.enterprise.list(ctx.actor, pageRequest(args));
  }

  @Mutation(() => RegisterEnterprisePayload, { description: '企业注册 — register an enterprise.' })
  registerEnterprise(@Arg('input', () => RegisterEnterpriseInput) input: RegisterEnterpriseInput, @Ctx() ctx: RequestContext) {
    return toPayload('enterprise', () => ctx.services.enterprise.registerEnterprise(ctx.actor, input, ctx.clientAddress));
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

  @FieldResolver(() => FinancingRequestConnection, { description: 'Financing needs this enterprise posted (融资需求).' })
  financingRequests(@Root() enterprise: Enterprise, @Args(() => ConnectionArgs, { validate: false }) args: ConnectionArgs, @Ctx() ctx: RequestContext) {
    return ctx.loaders.childConnection(FinancingRequest, 'enterpriseId', enterprise.id, args, ctx.services.financing.visibility(ctx.actor));
  }
}
