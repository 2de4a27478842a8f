import { ArgsType, ClassType, Extensions, Field, Int, ObjectType } from 'type-graphql';
import { BadInputError } from './errors';

export const MAX_PAGE_SIZE = 100;
export const DEFAULT_PAGE_SIZE = 20;

/**
 * Declares the most items a plain (unpaginated) list field returns per parent, a bound the domain
 * keeps (an input's size, an enum's); the cost limit counts the list at it. A list without such a
 * bound is a connection instead.
 */
export const MaxItems = (count: number) => Extensions({ maxItems: count });

/**
 * `first`/`after` (forward) and `last`/`before` (backward), checked by pageRequest. Resolvers take
 * it with `validate: false`: it has no class-validator rules, and running the validator anyway
 * costs a promise per field per row.
 */
@ArgsType()
export class ConnectionArgs {
  @Field(() => Int, {
    nullable: true,
    description:
      `How many items to return from the start, or from after \`after\` (default ${DEFAULT_PAGE_SIZE}, ` +
      `at most ${MAX_PAGE_SIZE}). Not together with \`last\`.`,
  })
  first?: number | null;

  @Field(() => String, { nullable: true, description: 'Return items after this cursor (keyset pagination).' })
  after?: string | null;

  @Field(() => Int, {
    nullable: true,
    description:
      `How many items to return from the end, or from before \`before\` (at most ${MAX_PAGE_SIZE}); ` +
      'pages backward. Not together with `first`.',
  })
  last?: number | null;

  @Field(() => String, { nullable: true, description: 'Return items before this cursor (keyset pagination).' })
  before?: string | null;
}

@ObjectType({ simpleResolvers: true, description: 'Relay page information.' })
export class PageInfo {
  @Field(() => Boolean, {
    description:
      'Paging forward (`first`): whether more items follow this page (ask again with `after: endCursor`). ' +
      'Paging backward (`last`): whether a `before` cursor was given (the items from it on follow this page).',
  })
  hasNextPage: boolean;

  @Field(() => Boolean, {
    description:
      'Paging backward (`last`): whether more items precede this page (ask again with `before: startCursor`). ' +
      'Paging forward (`first`): whether an `after` cursor was given (the items up to it precede this page).',
  })
  hasPreviousPage: boolean;

  @Field(() => String, {
    nullable: true,
    description: 'Cursor of the first item of the page: pass it as `before` for the page before; null when empty.',
  })
  startCursor: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'Cursor of the last item of the page: pass it as `after` for the next page; null when empty.',
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

/** What one value of a keyset is: a row ID (positive bigint), an integer, or an exact decimal. */
export type KeyType = 'id' | 'integer' | 'decimal';

const KEY_PATTERNS: Record<KeyType, RegExp> = {
  id: /^[1-9]\d{0,17}$/,
  integer: /^-?(0|[1-9]\d{0,17})$/,
  decimal: /^-?(0|[1-9]\d{0,19})(\.\d{1,10})?$/,
};
const KEY_CASTS: Record<KeyType, string> = { id: 'bigint', integer: 'bigint', decimal: 'numeric' };

/**
 * The order of one kind of connection: its name (a cursor of one kind is refused by another) and
 * the types of its key values, most significant first. The last key is unique within the list.
 */
export interface Keyset {
  name: string;
  keys: readonly KeyType[];
}

/** The usual keyset: the row's ID, ascending. */
export const byId = (name: string): Keyset => ({ name, keys: ['id'] });

/** A page request, cursors decoded: at most `limit` items after `after` and before `before`. */
export interface PageRequest {
  keyset: Keyset;
  limit: number;
  /** Paging backward (`last`): the items nearest `before` (or the end), fetched in reverse order. */
  backward: boolean;
  after: string[] | null;
  before: string[] | null;
}

/**
 * Cursors are opaque to clients: base64 of `v1:<keyset name>:<key values>`. The version lets a
 * later order refuse old cursors clearly instead of misreading them.
 */
const CURSOR_VERSION = 'v1';
const MAX_CURSOR_LENGTH = 200;

export function encodeCursor(keyset: Keyset, values: readonly string[]): string {
  return Buffer.from(`${CURSOR_VERSION}:${keyset.name}:${values.join(',')}`, 'utf8').toString('base64');
}

/** The key values of a cursor of `keyset`; a typed refusal that echoes nothing for anything else. */
export function decodeCursor(keyset: Keyset, cursor: string, field: 'after' | 'before'): string[] {
  const decoded = cursor.length <= MAX_CURSOR_LENGTH ? Buffer.from(cursor, 'base64').toString('utf8') : '';
  const match = /^(v\d+|cursor):([A-Za-z]+:)?(.*)$/s.exec(decoded);
  if (!match || Buffer.from(decoded, 'utf8').toString('base64') !== cursor) {
    throw new BadInputError(`${field} is not a valid cursor`, field);
  }
  if (match[1] !== CURSOR_VERSION) {
    throw new BadInputError(`${field} is a cursor of an older version of the API; ask for the first page again`, field);
  }
  if (match[2] !== `${keyset.name}:`) throw new BadInputError(`${field} is a cursor of another list`, field);
  const values = match[3].split(',');
  if (values.length !== keyset.keys.length || values.some((value, i) => !KEY_PATTERNS[keyset.keys[i]].test(value))) {
    throw new BadInputError(`${field} is not a valid cursor`, field);
  }
  return values;
}

function pageSize(value: number | null | undefined, field: 'first' | 'last'): number | null {
  if (value == null) return null;
  if (!Number.isInteger(value) || value < 0 || value > MAX_PAGE_SIZE) {
    throw new BadInputError(`${field} must be between 0 and ${MAX_PAGE_SIZE}`, field);
  }
  return value;
}

/**
 * Checks and decodes connection arguments for a list in `keyset` order (a name: by ID). `last`
 * pages backward, as does `before` given alone; `first` and `last` together are refused.
 */
export function pageRequest(args: ConnectionArgs, keyset: Keyset | string): PageRequest {
  const order = typeof keyset === 'string' ? byId(keyset) : keyset;
  const first = pageSize(args.first, 'first');
  const last = pageSize(args.last, 'last');
  if (first != null && last != null) throw new BadInputError('Give first or last, not both', 'last');
  const after = args.after != null ? decodeCursor(order, args.after, 'after') : null;
  const before = args.before != null ? decodeCursor(order, args.before, 'before') : null;
  const backward = last != null || (first == null && before != null);
  return { keyset: order, limit: first ?? last ?? DEFAULT_PAGE_SIZE, backward, after, before };
}

/** One column (SQL expression) of a keyset's order; `descending` where the list runs from high to low. */
export interface KeyColumn {
  sql: string;
  descending?: boolean;
}

/**
 * The condition and ORDER BY of a page over `columns` (the page's keyset, in order): rows after
 * `after` and before `before`, in fetch order (reversed when paging backward). `bind` returns a
 * placeholder for a value (see namedBinder, positionalBinder). Descending columns are compared
 * negated, so one row comparison serves every mix of directions.
 */
export function keysetSql(page: PageRequest, columns: readonly KeyColumn[], bind: (value: string) => string) {
  const types = page.keyset.keys;
  if (columns.length !== types.length) throw new Error(`keysetSql: ${page.keyset.name} has ${types.length} keys`);
  const side = (values: string[]) => ({
    columns: columns.map((column) => (column.descending ? `-(${column.sql})` : column.sql)).join(', '),
    values: values
      .map((value, i) => `${columns[i].descending ? '-' : ''}(${bind(value)}::${KEY_CASTS[types[i]]})`)
      .join(', '),
  });
  const conditions: string[] = [];
  for (const [values, operator] of [
    [page.after, '>'],
    [page.before, '<'],
  ] as const) {
    if (!values) continue;
    const { columns: left, values: right } = side(values);
    conditions.push(`(${left}) ${operator} (${right})`);
  }
  const orderBy = columns
    .map((column) => `${column.sql} ${Boolean(column.descending) !== page.backward ? 'DESC' : 'ASC'}`)
    .join(', ');
  return { where: conditions.length ? conditions.join(' AND ') : 'TRUE', orderBy };
}

/** A binder for named parameters (`:keyset0`, TypeORM style), collected in `params`. */
export function namedBinder(params: Record<string, unknown>): (value: string) => string {
  let n = 0;
  return (value) => {
    const name = `keyset${n++}`;
    params[name] = value;
    return `:${name}`;
  };
}

/** A binder for positional parameters (`$n`), appended to `params`. */
export function positionalBinder(params: unknown[]): (value: string) => string {
  return (value) => `$${params.push(value)}`;
}

/** An edge whose cursor is encoded only when a client selects it (lists rarely do for every edge). */
export class Edge<T> {
  constructor(
    readonly node: T,
    private readonly keyset: Keyset,
    private readonly keys: readonly string[],
  ) {}

  get cursor(): string {
    return encodeCursor(this.keyset, this.keys);
  }
}

const idKey = (row: unknown) => [String((row as { id: string }).id)];

/**
 * Builds a connection from rows fetched in fetch order (keysetSql) with `limit + 1`: the extra row
 * only says that more follow in the direction of paging. `keyOf` gives a row's key values (its ID
 * by default).
 */
export function toConnection<T>(
  rows: T[],
  page: PageRequest,
  countTotal: () => Promise<number>,
  keyOf: (row: T) => string[] = idKey,
): Connection<T> {
  const more = rows.length > page.limit;
  const nodes = rows.slice(0, page.limit);
  if (page.backward) nodes.reverse();
  const edges = nodes.map((node) => new Edge(node, page.keyset, keyOf(node)));
  let total: Promise<number> | undefined;
  return {
    edges,
    nodes,
    pageInfo: {
      hasNextPage: page.backward ? page.before != null : more,
      hasPreviousPage: page.backward ? more : page.after != null,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges[edges.length - 1]?.cursor ?? null,
    },
    get totalCount() {
      return (total ??= countTotal());
    },
  };
}

/** A connection with nothing in it (for an actor who may see none of the list). */
export function emptyConnection<T>(page: PageRequest): Connection<T> {
  return toConnection<T>([], page, async () => 0);
}

/** GraphQL types for a connection of `nodeType`: `<Name>Connection` and `<Name>Edge`. */
export function ConnectionType<T extends object>(nodeType: ClassType<T>, name: string, description: string) {
  @ObjectType(`${name}Edge`, { simpleResolvers: true, description: `An edge in a ${name}Connection.` })
  class EdgeType {
    @Field(() => nodeType, { description: `The ${name} at this position.` })
    node: T;

    @Field(() => String, { description: 'Opaque cursor for `after` and `before`.' })
    cursor: string;
  }

  @ObjectType(`${name}Connection`, { simpleResolvers: true, description })
  class ConnectionObject {
    @Field(() => [EdgeType], { description: 'The items of this page, each with its cursor, in the list’s order.' })
    edges: EdgeType[];

    @Field(() => [nodeType], { description: 'The nodes of `edges`, for clients that need no cursors.' })
    nodes: T[];

    @Field(() => PageInfo, { description: 'Where this page starts and ends and whether more precede or follow.' })
    pageInfo: PageInfo;

    // Not a simple resolver: the value is a promise (counted only when asked for), which graphql-jit
    // awaits only behind a resolver; its inline property read would serialize the promise.
    @Field(() => Int, { simple: false, description: 'All items matching, regardless of the page.' })
    totalCount: number;
  }
  return ConnectionObject;
}

/** Every field of a page request that changes its rows: names a loader that serves that page alone. */
export function pageKey(page: PageRequest): string {
  const after = page.after?.join(',') ?? '';
  const before = page.before?.join(',') ?? '';
  return `${page.keyset.name}:${page.limit}:${page.backward}:${after}:${before}`;
}

/** Which shape of keyset statement a page needs, for naming prepared statements (one text per name). */
export function pageShape(page: PageRequest): string {
  return `${page.backward ? 'last' : 'first'}${page.after ? '-after' : ''}${page.before ? '-before' : ''}`;
}
