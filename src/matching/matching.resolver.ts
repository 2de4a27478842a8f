import DataLoader from 'dataloader';
import { GraphQLResolveInfo } from 'graphql';
import { Arg, Args, Ctx, FieldResolver, ID, Info, Resolver, Root } from 'type-graphql';
import { selects } from '../common/selection';
import { RequestContext } from '../common/context';
import {
  ConnectionArgs,
  ConnectionType,
  emptyConnection,
  Keyset,
  keysetSql,
  PageRequest,
  pageKey,
  pageRequest,
  pageShape,
  positionalBinder,
  toConnection,
} from '../common/pagination';
import { expectGlobalId } from '../common/global-id';
import { ForbiddenError } from '../common/errors';
import { FinancingRequest } from '../financing/financing-request.entity';
import { LoanProduct } from '../product/loan-product.entity';
import { Match, ProductFit } from './matching.types';
import { RankedMatch, REVERSE_MATCH_KEYSET } from './matching.service';
import { preparedQuery } from '../common/database/prepared';
import { recordDetailsVisible } from '../common/context';

export const MatchConnection = ConnectionType(Match, 'Match', 'Ranked matches, best first.');
export const ProductFitConnection = ConnectionType(
  ProductFit,
  'ProductFit',
  'How a request fits published products, by product.',
);

/** A request's matches, best first: by score, then the lower quoted rate, then the product's ID. */
const MATCH_KEYSET: Keyset = { name: 'Match', keys: ['decimal', 'decimal', 'id'] };
const matchKey = (match: Match) => [match.matchScore, match.quotedRate, match.loanProductId];

/**
 * A stored match row; its reasons parsed, or as the JSON text to parse when asked for (null where the query did not
 * ask).
 */
type MatchRow = Omit<RankedMatch, 'reasons'> & { position: number } & (
    { reasons: Record<string, unknown> } | { reasonsJson: string | null }
  );

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
  const fill = async <K extends 'loanProduct' | 'financingRequest'>(
    field: K,
    parent: Match[K],
    loader: DataLoader<string, Match[K] | null>,
    keyOf: (m: Match) => string,
  ) => {
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

@Resolver(() => FinancingRequest)
export class FinancingRequestMatchingResolver {
  @FieldResolver(() => MatchConnection, {
    description: 'Products matched to this need (匹配产品), best first, with the rate quoted and the reasons.',
  })
  async matches(
    @Root() request: FinancingRequest,
    @Args(() => ConnectionArgs, { validate: false }) args: ConnectionArgs,
    @Ctx() ctx: RequestContext,
    @Info() info: GraphQLResolveInfo,
  ) {
    const page = pageRequest(args, MATCH_KEYSET);
    // The reasons (JSON) make the statement dearer; most lists show rank, product and rate.
    const withReasons = selects(info, ['edges', 'node', 'reasons']) || selects(info, ['nodes', 'reasons']);
    const rows = await ctx.loaders
      .keyed<string, MatchRow[]>(`matches:${pageKey(page)}:${withReasons}`, async (requestIds) => {
        const params: unknown[] = [[...requestIds], page.limit + 1];
        const columns = [
          { sql: 'r.match_score', descending: true },
          { sql: 'r.quoted_rate' },
          { sql: 'r.loan_product_id' },
        ];
        const keyset = keysetSql(page, columns, positionalBinder(params));
        // Keyset on the request's kept matches (a bounded number per request), ranked over all of
        // them; the reasons are read for the page's rows only.
        const found = await preparedQuery<MatchRow>(
          ctx.dataSource,
          `matches-page${withReasons ? '-with-reasons' : ''}-${pageShape(page)}`,
          `SELECT m.financing_request_id::text AS "financingRequestId", m.loan_product_id::text AS "loanProductId",
                  m.match_score::text AS "matchScore", m.quoted_rate::text AS "quotedRate",
                  ${withReasons ? 'x.reasons::text' : 'NULL'} AS "reasonsJson", m.position::int AS position
           FROM unnest($1::bigint[]) AS target(id)
           CROSS JOIN LATERAL (SELECT r.* FROM (
             SELECT financing_request_id, loan_product_id, match_score, quoted_rate,
                    row_number() OVER (ORDER BY match_score DESC, quoted_rate ASC, loan_product_id ASC) AS position
             FROM product_match WHERE financing_request_id = target.id) r
             WHERE ${keyset.where} ORDER BY ${keyset.orderBy} LIMIT $2) m
           ${withReasons ? 'JOIN product_match x USING (financing_request_id, loan_product_id)' : ''}
           ORDER BY m.financing_request_id, m.position ${page.backward ? 'DESC' : 'ASC'}`,
          params,
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
            `SELECT financing_request_id::text AS id, count(*)::int AS n FROM product_match
              WHERE financing_request_id = ANY($1::bigint[]) GROUP BY 1`,
            [[...requestIds]],
          );
          return requestIds.map((id) => counts.find((row) => row.id === id)?.n ?? 0);
        })
        .load(request.id);
    const matches = rows.map(toMatch);
    // Rows come with one past the page (hasNextPage); only the page's own get their relations.
    await withRelations(matches.slice(0, page.limit), info, ctx, { financingRequest: request });
    return toConnection(matches, page, total, matchKey);
  }

  @FieldResolver(() => Boolean, {
    description: 'False while a refresh that could change the matches is queued (e.g. a product changed).',
  })
  matchesCurrent(@Root() request: FinancingRequest, @Ctx() ctx: RequestContext) {
    return ctx.loaders
      .keyed<string, boolean>('matchesCurrent', (ids) => ctx.services.matching.matchesAreCurrent(ids))
      .load(request.id);
  }

  @FieldResolver(() => ProductFit, {
    nullable: true,
    description:
      'How this need fits one product, eligible or not, with each failed criterion. ' +
      'Null unless the actor sees the enterprise’s credit details.',
  })
  async productFit(
    @Root() request: FinancingRequest,
    @Arg('loanProductId', () => ID) loanProductId: string,
    @Ctx() ctx: RequestContext,
  ) {
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
    const page = pageRequest(args, 'ProductFit');
    if (!(await recordDetailsVisible(ctx, request.enterpriseId))) return emptyConnection<ProductFit>(page);
    const matching = ctx.services.matching;
    return ctx.loaders.pagedConnection(
      `productFits:${onlyIneligible}`,
      request.id,
      page,
      (requestIds) => matching.productFitPages(requestIds, page, onlyIneligible),
      (requestIds) => matching.countProductFits(requestIds, onlyIneligible),
      (fit) => [fit.loanProductId],
    );
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
    description:
      'Reverse matching (for the owning institution): the open financing requests that fit this product, best first.',
  })
  async matchingRequests(
    @Root() product: LoanProduct,
    @Args(() => ConnectionArgs, { validate: false }) args: ConnectionArgs,
    @Ctx() ctx: RequestContext,
    @Info() info: GraphQLResolveInfo,
  ) {
    if (ctx.actor.kind !== 'INSTITUTION' && ctx.actor.kind !== 'OPERATOR')
      throw new ForbiddenError('Only the owning institution sees matching requests');
    if (!ctx.services.matching.mayReverseMatch(ctx.actor, product)) {
      throw new ForbiddenError('Only the institution that owns the product sees the requests that fit it');
    }
    const page = pageRequest(args, REVERSE_MATCH_KEYSET);
    const rows = await matchingRequestPageLoader(ctx, page).load(product.id);
    const matches = rows.map(toMatch);
    await withRelations(matches.slice(0, page.limit), info, ctx, { loanProduct: product });
    const total = () => matchingRequestCountLoader(ctx).load(product.id);
    return toConnection(matches, page, total, (match) => [match.matchScore, match.financingRequestId]);
  }
}

/*
 * The per-request loaders of the fields above, apart from their arguments' parsing: one statement
 * for all the parents that ask with the same page (every field of the page in the loader's name).
 */
const productFitLoader = (ctx: RequestContext) =>
  ctx.loaders.keyed<{ requestId: string; productId: string }, ProductFit | null>('productFit', (pairs) =>
    ctx.services.matching.productFitsOf(ctx.dataSource.manager, pairs),
  );

const matchingRequestPageLoader = (ctx: RequestContext, page: PageRequest) =>
  ctx.loaders.keyed<string, MatchRow[]>(`matchingRequests:${pageKey(page)}`, (productIds) =>
    ctx.services.matching.matchingRequestPages(productIds, page),
  );

const matchingRequestCountLoader = (ctx: RequestContext) =>
  ctx.loaders.keyed<string, number>('matchingRequestCount', (productIds) =>
    ctx.services.matching.countMatchingRequests(productIds),
  );
