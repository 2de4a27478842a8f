import { Arg, Ctx, ID, Query, Resolver } from 'type-graphql';
import { RequestContext } from './context';
import { Node } from './node';
import { parseGlobalId } from './global-id';
import { codedError } from './errors';

/** IDs one `nodes` call takes; the cost limit counts each. */
export const MAX_NODES_IDS = 100;

type Finder = (ctx: RequestContext, id: string) => Promise<Node | null>;

/** How each type behind `node(id:)` is found, through the same visibility as its own queries. */
const finders: Record<string, Finder> = {
  Enterprise: (ctx, id) => ctx.services.enterprise.findVisible(ctx.actor, id),
  Institution: (ctx, id) => ctx.services.institution.findVisible(ctx.actor, id),
  LoanProduct: (ctx, id) => ctx.services.product.findVisible(ctx.actor, id),
  FinancingRequest: (ctx, id) => ctx.services.financing.findVisible(ctx.actor, id),
  Application: (ctx, id) => ctx.services.lending.findVisible(ctx.actor, id),
  CreditGrant: (ctx, id) => ctx.services.lending.findVisibleGrant(ctx.actor, id),
  Disbursement: (ctx, id) => ctx.services.lending.findVisibleDisbursement(ctx.actor, id),
  ApplicationEvent: (ctx, id) => ctx.services.lending.findVisibleEvent(ctx.actor, id),
  UserAccount: (ctx, id) => ctx.services.auth.findVisibleAccount(ctx.actor, id),
};

@Resolver()
export class NodeResolver {
  @Query(() => Node, { nullable: true, description: 'Fetch any object by its global ID. A missing object and one the actor may not see answer alike: null.' })
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
    return Promise.all(ids.map((id) => this.node(id, ctx)));
  }
}
