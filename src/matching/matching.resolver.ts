import DataLoader from 'dataloader';
import { GraphQLResolveInfo } from 'graphql';
import { Arg, Args, Ctx, FieldResolver, ID, Info, Resolver, Root } from 'type-graphql';
import { selects } from '../common/selection';
import { RequestContext } from '../common/context';
import { ConnectionArgs, ConnectionType, Edge, pageRequest, PageRequest } from '../common/pagination';
import { expectGlobalId } from '../common/global-id';
import { ForbiddenError } from '../common/errors';
import { FinancingRequest } from '../financing/financing-request.entity';
import { LoanProduct } from '../product/loan-product.entity';
import { Match, ProductFit } from './matching.types';
import { RankedMatch } from './matching.service';
import { preparedQuery } from '../common/database/prepared';
import { recordDetailsVisible } from '../common/context';

export const MatchConnection = ConnectionType(Match, 'Match', 'Ranked matches, best first.');
export const ProductFitConnection = ConnectionType(ProductFit, 'ProductFit', 'How a request fits published products, by product.');

/** A stored match row; its reasons parsed, or as the JSON text to parse when asked for (null where the query did not ask). */
type MatchRow = Omit<RankedMatch, 'reasons'> & { position: number } & ({ reasons: Record<string, unknown> } | { reasonsJson: string | null });

function toMatch(row: MatchRow): Match {
  // An instance of the GraphQL type, so type-graphql's field resolvers take it as it is instead of
  // copying every property (which would also read, and so parse, the reasons) into a new one.
  const match = new Match();
  match.financingRequestId = row.financingRequestId;
  match.loanProductId = row.loanProductId;
  match.rank = row.position;
  match.matchScore = row.matchScore;
  match.quotedRate = row.quotedRate;
  match.storedReasons = 'reasonsJson' in row ? row.reasonsJson : row.reasons;
  return match;
}

/**
 * Sets each match's product and request where the query selects them (`selects` may say yes for a
 * field under @skip, never no for one it reads): the parent where it is that object, else one
 * statement for all the matches that the page's resolvers complete in the same tick. A failed
 * load fails the page's field as a whole.
 */
async function withRelations(
  matches: Match[],
  info: GraphQLResolveInfo,
  ctx: RequestContext,
  known: { financingRequest?: FinancingRequest; loanProduct?: LoanProduct } = {},
): Promise<void> {
  const fill = async <K extends 'loanProduct' | 'financingRequest'>(field: K, parent: Match[K], loader: DataLoader<string, Match[K] | null>, keyOf: (m: Match) => string) => {
    if (!selects(info, ['edges', 'node', field]) && !selects(info, ['nodes', field])) return;
    const rows = parent ? matches.map(() => parent) : await loader.loadMany(matches.map(keyOf));
    rows.forEach((row, i) => {
      if (row instanceof Error) throw row;
      // A missing row stays unset and the non-null field reports it, as a resolver returning null would.
      if (row) matches[i][field] = row;
    });
  };
  await Promise.all([
    fill('loanProduct', known.loanProduct, ctx.loaders.byId(LoanProduct), (m) => m.loanProductId),
    fill('financingRequest', known.financingRequest, ctx.loaders.byId(FinancingRequest), (m) => m.financingRequestId),
  ]);
}

/** A connection over rows fetched with `limit + 1`, with cursors from `cursorOf`. */
function connectionOf<T>(rows: T[], page: PageRequest, cursorOf: (row: T) => string, total: () => Promise<number>) {
  const nodes = rows.slice(0, page.limit);
  const edges = nodes.map((node) => new Edge(node, cursorOf(node)));
  let counted: Promise<number> | undefined;
  return {
    edges,
    nodes,
    pageInfo: { hasNextPage: rows.length > page.limit, hasPreviousPage: false, startCursor: edges[0]?.cursor ?? null, endCursor: edges.at(-1)?.cursor ?? null },
    get totalCount() {
      return (counted ??= total());
    },
  };
}

@Resolver(() => FinancingRequest)
export class FinancingRequestMatchingResolver {
  @FieldResolver(() => MatchConnection, { description: 'Products matched to this need (匹配产品), best first, with the rate quoted and the reasons.' })
  async matches(
    @Root() request: FinancingRequest,
    @Args(() => ConnectionArgs, { validate: false }) args: ConnectionArgs,
    @Ctx() ctx: RequestContext,
    @Info() info: GraphQLResolveInfo,
  ) {
    const page = pageRequest(args);
    const offset = page.afterId ? Number(page.afterId) : 0;
    // The reasons (JSON) are half the statement's cost; most lists show rank, product and rate.
    const withReasons = selects(info, ['edges', 'node', 'reasons']) || selects(info, ['nodes', 'reasons']);
    const rows = await ctx.loaders
      .keyed<string, MatchRow[]>(`matches:${page.limit}:${offset}:${withReasons}`, async (requestIds) => {
        const found = await preparedQuery<MatchRow>(
          ctx.dataSource,
          withReasons ? 'matches-page-with-reasons' : 'matches-page',
          // One page per request straight off the (financing_request_id, match_score, quoted_rate,
          // loan_product_id) index; without the reasons, from the index alone.
          `SELECT m.financing_request_id::text AS "financingRequestId", m.loan_product_id::text AS "loanProductId", m.match_score::text AS "matchScore",
                  m.quoted_rate::text AS "quotedRate", ${withReasons ? 'm.reasons::text' : 'NULL'} AS "reasonsJson", ($2 + m.position)::int AS position
           FROM unnest($1::bigint[]) AS target(id)
           CROSS JOIN LATERAL (SELECT p.*, row_number() OVER (ORDER BY p.match_score DESC, p.quoted_rate ASC, p.loan_product_id ASC) AS position FROM (
             SELECT financing_request_id, loan_product_id, match_score, quoted_rate${withReasons ? ', reasons' : ''} FROM product_match WHERE financing_request_id = target.id
             ORDER BY match_score DESC, quoted_rate ASC, loan_product_id ASC OFFSET $2 LIMIT $3) p) m`,
          [[...requestIds], offset, page.limit + 1],
        );
        const byRequest = new Map<string, MatchRow[]>(requestIds.map((id) => [id, []]));
        for (const row of found) byRequest.get(row.financingRequestId)?.push(row);
        return requestIds.map((id) => byRequest.get(id)!);
      })
      .load(request.id);
    const total = () =>
      ctx.loaders
        .keyed<string, number>('matchCount', async (requestIds) => {
          const counts: Array<{ id: string; n: number }> = await ctx.dataSource.query(
            `SELECT financing_request_id::text AS id, count(*)::int AS n FROM product_match WHERE financing_request_id = ANY($1::bigint[]) GROUP BY 1`,
            [[...requestIds]],
          );
          return requestIds.map((id) => counts.find((row) => row.id === id)?.n ?? 0);
        })
        .load(request.id);
    const matches = rows.map(toMatch);
    // Rows come with one past the page (hasNextPage); only the page's own get their relations.
    await withRelations(matches.slice(0, page.limit), info, ctx, { financingRequest: request });
    return connectionOf(matches, page, (match) => String(match.rank), total);
  }

  @FieldResolver(() => Boolean, { description: 'False while a refresh that could change the matches is queued (e.g. a product changed).' })
  matchesCurrent(@Root() request: FinancingRequest, @Ctx() ctx: RequestContext) {
    return ctx.loaders.keyed<string, boolean>('matchesCurrent', (ids) => ctx.services.matching.matchesAreCurrent(ids)).load(request.id);
  }

  @FieldResolver(() => ProductFit, {
    nullable: true,
    description:
      'How this need fits one product, eligible or not, with each failed criterion. ' +
      'Null unless the actor sees the enterprise’s credit details.',
  })
  async productFit(@Root() request: FinancingRequest, @Arg('loanProductId', () => ID) loanProductId: string, @Ctx() ctx: RequestContext) {
    const productId = expectGlobalId(loanProductId, 'LoanProduct', 'loanProductId');
    // Failed criteria name record-derived flags (DISHONEST_DEBTOR): credit details, under their rule.
    if (!(await recordDetailsVisible(ctx, request.enterpriseId))) return null;
    const products = ctx.loaders.visibleById(LoanProduct, ctx.services.product.childFilter(ctx.actor));
    if (!(await products.load(productId))) return null;
    return productFitLoader(ctx).load({ requestId: request.id, productId });
  }

  @FieldResolver(() => ProductFitConnection, {
    description:
      'How this need fits every published product (by product), including the ineligible ones and why. ' +
      'Empty unless the actor sees the enterprise’s credit details.',
  })
  async productFits(
    @Root() request: FinancingRequest,
    @Args(() => ConnectionArgs, { validate: false }) args: ConnectionArgs,
    @Arg('onlyIneligible', () => Boolean, { defaultValue: false }) onlyIneligible: boolean,
    @Ctx() ctx: RequestContext,
  ) {
    const page = pageRequest(args);
    if (!(await recordDetailsVisible(ctx, request.enterpriseId))) {
      return connectionOf<ProductFit>([], page, (fit) => fit.loanProductId, async () => 0);
    }
    const rows = await productFitPageLoader(ctx, page, onlyIneligible).load(request.id);
    const total = () => productFitCountLoader(ctx, onlyIneligible).load(request.id);
    return connectionOf(rows, page, (fit) => fit.loanProductId, total);
  }
}

@Resolver(() => ProductFit)
export class ProductFitResolver {
  @FieldResolver(() => LoanProduct, { description: 'The loan product.' })
  loanProduct(@Root() fit: ProductFit, @Ctx() ctx: RequestContext) {
    return ctx.loaders.byId(LoanProduct).load(fit.loanProductId);
  }
}

@Resolver(() => LoanProduct)
export class LoanProductMatchingResolver {
  @FieldResolver(() => MatchConnection, {
    description: 'Reverse matching (for the owning institution): the open financing requests that fit this product, best first.',
  })
  async matchingRequests(
    @Root() product: LoanProduct,
    @Args(() => ConnectionArgs, { validate: false }) args: ConnectionArgs,
    @Ctx() ctx: RequestContext,
    @Info() info: GraphQLResolveInfo,
  ) {
    if (ctx.actor.kind !== 'INSTITUTION' && ctx.actor.kind !== 'OPERATOR') throw new ForbiddenError('Only the owning institution sees matching requests');
    if (!ctx.services.matching.mayReverseMatch(ctx.actor, product)) {
      throw new ForbiddenError('Only the institution that owns the product sees the requests that fit it');
    }
    const page = pageRequest(args);
    const rows = await matchingRequestPageLoader(ctx, page).load(product.id);
    const matches = rows.map(toMatch);
    await withRelations(matches.slice(0, page.limit), info, ctx, { loanProduct: product });
    const total = () => matchingRequestCountLoader(ctx).load(product.id);
    return connectionOf(matches, page, (match) => String(match.rank), total);
  }
}

/*
 * The per-request loaders of the fields above, apart from their arguments' parsing: one statement
 * for all the parents that ask with the same page.
 */
const pageKey = (page: PageRequest) => `${page.limit}:${page.afterId ?? ''}`;

const productFitLoader = (ctx: RequestContext) =>
  ctx.loaders.keyed<{ requestId: string; productId: string }, ProductFit | null>('productFit', (pairs) =>
    ctx.services.matching.productFitsOf(ctx.dataSource.manager, pairs),
  );

const productFitPageLoader = (ctx: RequestContext, page: PageRequest, onlyIneligible: boolean) =>
  ctx.loaders.keyed<string, ProductFit[]>(`productFits:${pageKey(page)}:${onlyIneligible}`, (requestIds) =>
    ctx.services.matching.productFitPages(requestIds, page, onlyIneligible),
  );

const productFitCountLoader = (ctx: RequestContext, onlyIneligible: boolean) =>
  ctx.loaders.keyed<string, number>(`productFitCount:${onlyIneligible}`, (requestIds) =>
    ctx.services.matching.countProductFits(requestIds, onlyIneligible),
  );

const matchingRequestPageLoader = (ctx: RequestContext, page: PageRequest) =>
  ctx.loaders.keyed<string, MatchRow[]>(`matchingRequests:${pageKey(page)}`, (productIds) =>
    ctx.services.matching.matchingRequestPages(productIds, page),
  );

const matchingRequestCountLoader = (ctx: RequestContext) =>
  ctx.loaders.keyed<string, number>('matchingRequestCount', (productIds) =>
    ctx.services.matching.countMatchingRequests(productIds),
  );
