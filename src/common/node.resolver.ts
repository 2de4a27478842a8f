import { Arg, Ctx, ID, Query, Resolver } from 'type-graphql';
import type { EntityTarget } from 'typeorm';
import { RequestContext } from './context';
import { Node } from './node';
import { parseGlobalId } from './global-id';
import { codedError } from './errors';
import { RowFilter } from './database/entity-reader';
import { Enterprise } from '../enterprise/enterprise.entity';
import { Institution } from '../institution/institution.entity';
import { LoanProduct } from '../product/loan-product.entity';
import { FinancingRequest } from '../financing/financing-request.entity';
import { Application } from '../lending/application.entity';
import { CreditGrant } from '../lending/credit-grant.entity';
import { Disbursement } from '../lending/disbursement.entity';
import { ApplicationEvent } from '../lending/application-event.entity';
import { UserAccount } from '../auth/user-account.entity';
import { StaffInvitation } from '../auth/staff-invitation.entity';
import { mayKnowAccountOf } from '../auth/audit-actor.types';

/** IDs one `nodes` call takes; the cost limit counts each. */
export const MAX_NODES_IDS = 100;

type Finder = (ctx: RequestContext, id: string) => Promise<Node | null>;

/** Rows by ID through a service's visibility rule, batched: `nodes` asks once per type. */
const visible =
  (entity: EntityTarget<Node & { id: string }>, visibility: (ctx: RequestContext) => RowFilter): Finder =>
  (ctx, id) =>
    ctx.loaders.visibleById(entity, visibility(ctx)).load(id);

/** How each type behind `node(id:)` is found, through the same visibility as its own queries. */
const finders: Record<string, Finder> = {
  Enterprise: visible(Enterprise, (ctx) => ctx.services.enterprise.visibility(ctx.actor)),
  // Every institution is public (as `institutions` lists them).
  Institution: (ctx, id) => ctx.loaders.byId(Institution).load(id),
  LoanProduct: visible(LoanProduct, (ctx) => ctx.services.product.childFilter(ctx.actor)),
  FinancingRequest: visible(FinancingRequest, (ctx) => ctx.services.financing.visibility(ctx.actor)),
  Application: visible(Application, (ctx) => ctx.services.lending.childFilter(ctx.actor)),
  CreditGrant: visible(CreditGrant, (ctx) => ctx.services.lending.withApplicationFilter(ctx.actor)),
  Disbursement: visible(Disbursement, (ctx) => ctx.services.lending.disbursementFilter(ctx.actor)),
  ApplicationEvent: visible(ApplicationEvent, (ctx) => ctx.services.lending.eventVisibility(ctx.actor)),
  StaffInvitation: visible(StaffInvitation, (ctx) => ctx.services.invitations.visibility(ctx.actor)),
  // Operators and the account's own institution or enterprise (as audit trails show accounts).
  UserAccount: async (ctx, id) => {
    const account = await ctx.loaders.byId(UserAccount).load(id);
    return account && mayKnowAccountOf(ctx.actor, account) ? account : null;
  },
};

@Resolver()
export class NodeResolver {
  @Query(() => Node, {
    nullable: true,
    description:
      'Fetch any object by its global ID. A missing object and one the actor may not see answer alike: null.',
  })
  async node(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext): Promise<Node | null> {
    const parsed = parseGlobalId(id);
    const finder = parsed && finders[parsed.typeName];
    if (!parsed || !finder) return null;
    return finder(ctx, parsed.id);
  }

  @Query(() => [Node], {
    nullable: 'items',
    description: 'Fetch up to 100 objects by global ID; null where missing or not visible. More IDs: TOO_MANY_IDS.',
  })
  async nodes(@Arg('ids', () => [ID]) ids: string[], @Ctx() ctx: RequestContext): Promise<Array<Node | null>> {
    if (ids.length > MAX_NODES_IDS) {
      throw codedError('TOO_MANY_IDS', `nodes takes at most ${MAX_NODES_IDS} IDs per call; ask in several calls`);
    }
    // One statement per type: the finders load through the request's DataLoaders.
    return Promise.all(ids.map((id) => this.node(id, ctx)));
  }
}
