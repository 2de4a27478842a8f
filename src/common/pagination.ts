import { ArgsType, ClassType, Field, Int, ObjectType } from 'type-graphql';
import { ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import { BadInputError } from './errors';

export const MAX_PAGE_SIZE = 100;
export const DEFAULT_PAGE_SIZE = 20;

/**
 * `first`/`after`, checked by pageRequest. Resolvers take it with `validate: false`: it has no
 * class-validator rules, and running the validator anyway costs a promise per field per row.
 */
@ArgsType()
export class ConnectionArgs {
  @Field(() => Int, { nullable: true, description: `How many items to return (default ${DEFAULT_PAGE_SIZE}, at most ${MAX_PAGE_SIZE}).` })
  first?: number | null;

  @Field(() => String, { nullable: true, description: 'Return items after this cursor (keyset pagination).' })
  after?: string | null;
}

@ObjectType({ simpleResolvers: true, description: 'Relay page information.' })
export class PageInfo {
  @Field(() => Boolean, { description: 'Whether more items follow this page (ask again with `after: endCursor`).' })
  hasNextPage: boolean;

  @Field(() => Boolean, { description: 'Always false: only forward pagination (`first`/`after`) is offered.' })
  hasPreviousPage: boolean;

  @Field(() => String, {
    nullable: true,
    description: 'Cursor of the first item of the page; null when the page is empty.',
  })
  startCursor: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'Cursor of the last item of the page: pass it as `after` for the next page.',
  })
  endCursor: string | null;
}

export interface Connection<T> {
  edges: Edge<T>[];
  nodes: T[];
  pageInfo: PageInfo;
  /** Counted only when asked for. */
  readonly totalCount: Promise<number>;
}

/** Keyset page request: ids strictly greater than `afterId`, ascending. */
export interface PageRequest {
  limit: number;
  afterId: string | null;
}

const CURSOR_PREFIX = 'cursor:';

export function encodeCursor(id: string): string {
  return Buffer.from(`${CURSOR_PREFIX}${id}`, 'utf8').toString('base64');
}

export function pageRequest(args: ConnectionArgs): PageRequest {
  const first = args.first ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(first) || first < 0 || first > MAX_PAGE_SIZE) {
    throw new BadInputError(`first must be between 0 and ${MAX_PAGE_SIZE}`, 'first');
  }
  let afterId: string | null = null;
  if (args.after != null) {
    const decoded = args.after.length <= 60 ? Buffer.from(args.after, 'base64').toString('utf8') : '';
    const match = /^cursor:([1-9]\d{0,17})$/.exec(decoded);
    if (!match || encodeCursor(match[1]) !== args.after) throw new BadInputError('after is not a valid cursor', 'after');
    afterId = match[1];
  }
  return { limit: first, afterId };
}

/** An edge whose cursor is encoded only when a client selects it (lists rarely do for every edge). */
export class Edge<T> {
  constructor(
    readonly node: T,
    private readonly cursorKey: string,
  ) {}

  get cursor(): string {
    return encodeCursor(this.cursorKey);
  }
}

/** Builds a connection from rows fetched with `limit + 1` (the extra row only says there is a next page). */
export function toConnection<T extends { id: string }>(rows: T[], page: PageRequest, countTotal: () => Promise<number>): Connection<T> {
  const nodes = rows.slice(0, page.limit);
  const edges = nodes.map((node) => new Edge(node, node.id));
  let total: Promise<number> | undefined;
  return {
    edges,
    nodes,
    pageInfo: {
      hasNextPage: rows.length > page.limit,
      hasPreviousPage: false,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges[edges.length - 1]?.cursor ?? null,
    },
    get totalCount() {
      return (total ??= countTotal());
    },
  };
}

/** One page of a query builder whose main alias has a bigint `id`; the count runs only when asked. */
export async function paginate<T extends ObjectLiteral & { id: string }>(query: SelectQueryBuilder<T>, page: PageRequest): Promise<Connection<T>> {
  const alias = query.alias;
  const countQuery = query.clone();
  const pageQuery = query.clone().orderBy(`${alias}.id`, 'ASC').limit(page.limit + 1);
  if (page.afterId) pageQuery.andWhere(`${alias}.id > :afterId`, { afterId: page.afterId });
  const rows = await pageQuery.getMany();
  return toConnection(rows, page, () => countQuery.getCount());
}

/** GraphQL types for a connection of `nodeType`: `<Name>Connection` and `<Name>Edge`. */
export function ConnectionType<T extends object>(nodeType: ClassType<T>, name: string, description: string) {
  @ObjectType(`${name}Edge`, { simpleResolvers: true, description: `An edge in a ${name}Connection.` })
  class EdgeType {
    @Field(() => nodeType, { description: `The ${name} at this position.` })
    node: T;

    @Field(() => String, { description: 'Opaque cursor for `after`.' })
    cursor: string;
  }

  @ObjectType(`${name}Connection`, { simpleResolvers: true, description })
  class ConnectionObject {
    @Field(() => [EdgeType], { description: 'The items of this page, each with its cursor, in id order.' })
    edges: EdgeType[];

    @Field(() => [nodeType], { description: 'The nodes of `edges`, for clients that need no cursors.' })
    nodes: T[];

    @Field(() => PageInfo, { description: 'Where this page ends and whether more follow.' })
    pageInfo: PageInfo;

    // Not a simple resolver: the value is a promise (counted only when asked for), which graphql-jit
    // awaits only behind a resolver; its inline property read would serialize the promise.
    @Field(() => Int, { simple: false, description: 'All items matching, regardless of the page.' })
    totalCount: number;
  }
  return ConnectionObject;
}
