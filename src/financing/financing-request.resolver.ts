import { Arg, Args, Ctx, FieldResolver, Mutation, Query, Resolver, Root } from 'type-graphql';
import { RequestContext } from '../common/context';
import { ConnectionArgs, pageRequest } from '../common/pagination';
import { toPayload } from '../common/payload';
import { Enterprise } from '../enterprise/enterprise.entity';
import { FinancingRequest, FinancingRequestStatus } from './financing-request.entity';
import {
  FinancingRequestConnection,
  PostFinancingRequestInput,
  PostFinancingRequestPayload,
} from './financing-request.types';

@Resolver(() => FinancingRequest)
export class FinancingRequestResolver {
  @Query(() => FinancingRequestConnection, { description: 'Financing requests (融资需求) visible to the actor.' })
  financingRequests(
    @Args(() => ConnectionArgs, { validate: false }) args: ConnectionArgs,
    @Arg('status', () => FinancingRequestStatus, { nullable: true }) status: FinancingRequestStatus | null,
    @Ctx() ctx: RequestContext,
  ) {
    return ctx.services.financing.list(ctx.actor, pageRequest(args, 'FinancingRequest'), status);
  }

  @Mutation(() => PostFinancingRequestPayload, { description: '发布融资需求 — post a financing need (enterprises).' })
  postFinancingRequest(
    @Arg('input', () => PostFinancingRequestInput) input: PostFinancingRequestInput,
    @Ctx() ctx: RequestContext,
  ) {
    return toPayload('financingRequest', () => ctx.services.financing.postFinancingRequest(ctx.actor, input));
  }

  @FieldResolver(() => Enterprise, { description: 'The enterprise that posted the need.' })
  enterprise(@Root() request: FinancingRequest, @Ctx() ctx: RequestContext) {
    return ctx.loaders.byId(Enterprise).load(request.enterpriseId);
  }
}
