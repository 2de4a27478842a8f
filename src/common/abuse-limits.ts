import type { ApolloServerPlugin, BaseContext, GraphQLRequestListener } from '@apollo/server';
import {
  DocumentNode,
  FieldNode,
  FragmentDefinitionNode,
  getNamedType,
  getNullableType,
  GraphQLError,
  GraphQLField,
  GraphQLList,
  GraphQLNamedType,
  GraphQLSchema,
  isObjectType,
  isInterfaceType,
  Kind,
  OperationDefinitionNode,
  SelectionSetNode,
} from 'graphql';
import { getArgumentValues, getVariableValues } from 'graphql/execution/values';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from './pagination';
import { documentHasNul, nulRefusal, valueHasNul } from './input-hygiene';
import { noteErrorCode, noteRequest } from './http/request-lifecycle';
import { codedError, errorBody, ErrorCode } from './errors';

export interface AbuseLimits {
  maxDepth: number;
  maxAliases: number;
  /** Fields times the page sizes they multiply by (`first` or `last`, default 20). */
  maxCost: number;
  maxBodyBytes: number;
  /** Requests per minute, per client IP and per signed-in account (or X-Actor). */
  perIpPerMinute: number;
  perActorPerMinute: number;
}

export const DEFAULT_LIMITS: AbuseLimits = {
  maxDepth: 12,
  maxAliases: 30,
  maxCost: 20_000,
  maxBodyBytes: 512 * 1024,
  perIpPerMinute: 1200,
  perActorPerMinute: 600,
};

/** Bounds on GraphQL subscriptions over WebSocket (src/notifications/websocket.ts), per server process. */
export interface SubscriptionLimits {
  /** Open connections per client IP (as TRUSTED_PROXIES resolves it) and per signed-in account. */
  maxConnectionsPerIp: number;
  maxConnectionsPerAccount: number;
  /** Subscriptions running at once on one connection. */
  maxSubscriptionsPerConnection: number;
  /** Largest message a client may send; a larger one closes the connection (1009). */
  maxMessageBytes: number;
  /** Time a client has to send `connection_init` after the upgrade (then 4408). */
  connectionInitTimeoutMs: number;
}

// A bank office behind one NAT address holds many staff; an account needs a few tabs, not hundreds.
export const DEFAULT_SUBSCRIPTION_LIMITS: SubscriptionLimits = {
  maxConnectionsPerIp: 100,
  maxConnectionsPerAccount: 10,
  maxSubscriptionsPerConnection: 20,
  maxMessageBytes: 64 * 1024,
  connectionInitTimeoutMs: 5_000,
};

const refuse = (code: ErrorCode, message: string) => codedError(code, message, { status: 400 });

/**
 * A field's arguments as execution will see them: variables coerced with their defaults, then the
 * field's own defaults. Null where they are invalid (the field then fails without fetching).
 */
type Values = Record<string, unknown>;
type AnyField = GraphQLField<unknown, unknown>;

function argumentsOf(field: AnyField, node: FieldNode, variables: Values): Values | null {
  try {
    return getArgumentValues(field, node, variables);
  } catch {
    return null;
  }
}

/** Items a field returns per parent: a connection's page, a list argument's length, else the plain-list estimate. */
function itemsOf(field: AnyField, node: FieldNode, variables: Values, parentIsConnection: boolean): number {
  const type = getNamedType(field.type);
  const args = argumentsOf(field, node, variables);
  if (type.name.endsWith('Connection')) {
    if (!args) return MAX_PAGE_SIZE;
    // A page of `first` or `last` items (both at once are refused, counted at the larger).
    const sizes = [args.first, args.last].filter((size): size is number => typeof size === 'number');
    return sizes.length ? Math.max(...sizes) : DEFAULT_PAGE_SIZE;
  }
  // A connection's edges and nodes are the page it already counted.
  if (!(getNullableType(field.type) instanceof GraphQLList) || parentIsConnection) return 1;
  // One item per element of a list argument (nodes(ids:)), whatever its length.
  const list = args && Object.values(args).find(Array.isArray);
  if (list) return list.length;
  const declared = field.extensions?.maxItems;
  return typeof declared === 'number' ? declared : UNDECLARED_LIST_SIZE;
}

/** Variable values as execution coerces them, defaults included; empty where they are invalid (nothing executes). */
export function coercedVariables(schema: GraphQLSchema, operation: OperationDefinitionNode, raw: Values): Values {
  const result = getVariableValues(schema, operation.variableDefinitions ?? [], raw, { maxErrors: 1 });
  return result.errors ? {} : result.coerced;
}

export interface Measure {
  depth: number;
  aliases: number;
  cost: number;
}

/** The introspection meta-fields of a query's root; `__typename` is an ordinary field here. */
const INTROSPECTION_ROOTS = new Set(['__schema', '__type']);

/**
 * Items assumed for a plain list field that declares no bound (MaxItems): only root-level
 * aggregates (statistics, the holiday schedules) whose length follows the data, listed in
 * test/connections.test.ts; every other list declares its bound or is a connection.
 */
const UNDECLARED_LIST_SIZE = MAX_PAGE_SIZE;

/**
 * Depth, aliases and cost of an operation, fragments followed. Cost counts each field once per
 * parent item; a connection multiplies what is below it by its page size (`first` or `last`,
 * default 20), a field taking a list (`nodes(ids:)`) by the list's length, another plain list by
 * its declared bound (MaxItems; 100 where none is declared). Arguments are read as execution
 * reads them, from the coerced variables with their defaults: a raw variable missing from the
 * request would otherwise be costed at the default page size.
 */
export function measureOperation(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  rawVariables: Values,
): Measure {
  const variables = coercedVariables(schema, operation, rawVariables);
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions)
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  const measure: Measure = { depth: 0, aliases: 0, cost: 0 };
  const fragmentMeasures = new Map<string, { unitCost: number; aliases: number; depth: number }>();
  const root =
    operation.operation === 'mutation'
      ? schema.getMutationType()
      : operation.operation === 'subscription'
        ? schema.getSubscriptionType()
        : schema.getQueryType();

  const fragmentAliases = new Map<string, number>();
  /** Aliases below a selection, fragments followed (each counted once per spread, measured once). */
  const aliasesIn = (selectionSet: SelectionSetNode, seen: ReadonlySet<string> = new Set()): number => {
    let aliases = 0;
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        if (selection.alias) aliases++;
        if (selection.selectionSet) aliases += aliasesIn(selection.selectionSet, seen);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        aliases += aliasesIn(selection.selectionSet, seen);
      } else {
        const name = selection.name.value;
        const fragment = fragments.get(name);
        if (!fragment || seen.has(name)) continue;
        if (!fragmentAliases.has(name)) {
          fragmentAliases.set(name, aliasesIn(fragment.selectionSet, new Set(seen).add(name)));
        }
        aliases += fragmentAliases.get(name)!;
      }
    }
    return aliases;
  };

  const walk = (
    selectionSet: SelectionSetNode,
    parent: GraphQLNamedType | null | undefined,
    depth: number,
    multiplier: number,
    seen: Set<string>,
  ): number => {
    let cost = 0;
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        if (selection.alias) measure.aliases++;
        if (INTROSPECTION_ROOTS.has(selection.name.value)) {
          // Introspection reads the schema, whose size and nesting (type references several
          // `ofType` deep) are fixed: only its aliases count, so that tools can load the schema.
          if (selection.selectionSet) measure.aliases += aliasesIn(selection.selectionSet);
          continue;
        }
        measure.depth = Math.max(measure.depth, depth);
        cost += multiplier;
        if (!selection.selectionSet) continue;
        const field =
          parent && (isObjectType(parent) || isInterfaceType(parent))
            ? parent.getFields()[selection.name.value]
            : undefined;
        const type = field ? getNamedType(field.type) : undefined;
        const size = field ? itemsOf(field, selection, variables, Boolean(parent?.name.endsWith('Connection'))) : 1;
        cost += walk(selection.selectionSet, type, depth + 1, multiplier * Math.max(size, 1), seen);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const type = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : parent;
        cost += walk(selection.selectionSet, type, depth, multiplier, seen);
      } else {
        const name = selection.name.value;
        const fragment = fragments.get(name);
        if (!fragment || seen.has(name)) continue; // cycles are refused by validation anyway
        // Measured once per depth and reused: a fragment spreading another twice, and so on, would
        // otherwise take exponential time to measure (its cost is linear in the multiplier).
        const key = `${name}@${depth}`;
        let measured = fragmentMeasures.get(key);
        if (!measured) {
          const outer = { aliases: measure.aliases, depth: measure.depth };
          measure.aliases = 0;
          const unitCost = walk(
            fragment.selectionSet,
            schema.getType(fragment.typeCondition.name.value),
            depth,
            1,
            new Set(seen).add(name),
          );
          measured = { unitCost, aliases: measure.aliases, depth: measure.depth };
          measure.aliases = outer.aliases;
          measure.depth = Math.max(outer.depth, measured.depth);
          fragmentMeasures.set(key, measured);
        }
        measure.aliases += measured.aliases;
        measure.depth = Math.max(measure.depth, measured.depth);
        cost += multiplier * measured.unitCost;
      }
    }
    return cost;
  };
  measure.cost = walk(operation.selectionSet, root, 1, 1, new Set());
  return measure;
}

/** The error refusing a measured operation, or null when it is within the limits. */
export function overLimits(measure: Measure, limits: AbuseLimits): GraphQLError | null {
  if (measure.depth > limits.maxDepth)
    return refuse(
      'QUERY_TOO_DEEP',
      `The query is nested ${measure.depth} levels deep; at most ${limits.maxDepth} are allowed`,
    );
  if (measure.aliases > limits.maxAliases)
    return refuse(
      'TOO_MANY_ALIASES',
      `The query uses ${measure.aliases} aliases; at most ${limits.maxAliases} are allowed`,
    );
  if (measure.cost > limits.maxCost)
    return refuse(
      'QUERY_TOO_COSTLY',
      `The query could touch ${measure.cost} items; at most ${limits.maxCost} are allowed (ask for smaller pages)`,
    );
  return null;
}

/** Refuses over-deep, over-aliased or over-costly operations, and NUL in any text, before anything executes. */
export function abuseLimitPlugin(limits: AbuseLimits): ApolloServerPlugin {
  // Apollo's document store hands the same parsed document to every request with the same text:
  // what does not depend on variables is worked out once per document.
  const nulInDocument = new WeakMap<DocumentNode, boolean>();
  const measureWithoutVariables = new WeakMap<OperationDefinitionNode, Measure>();
  const hooks: GraphQLRequestListener<BaseContext> = {
    async didResolveOperation({ document, operation, request, schema }) {
      if (!operation) return;
      let nul = nulInDocument.get(document);
      if (nul === undefined) nulInDocument.set(document, (nul = documentHasNul(document)));
      if (nul || valueHasNul(request.variables)) throw nulRefusal();
      const measure = () => measureOperation(schema, document, operation, request.variables ?? {});
      let measured = operation.variableDefinitions?.length ? measure() : measureWithoutVariables.get(operation);
      if (!measured) measureWithoutVariables.set(operation, (measured = measure()));
      const refusal = overLimits(measured, limits);
      if (refusal) throw refusal;
    },
  };
  return {
    async requestDidStart() {
      return hooks;
    },
  };
}

/**
 * One-minute windows, the first opening with the first request; enough for one process (a shared
 * store comes with scaling out).
 */
export class RateLimiter {
  private windowStart = -Infinity;
  private readonly counts = new Map<string, number>();

  constructor(private readonly perMinute: number) {}

  /** Seconds to wait when over the limit, else 0. */
  hit(key: string, now = Date.now()): number {
    if (now - this.windowStart >= 60_000) {
      this.windowStart = now;
      this.counts.clear();
    }
    const count = (this.counts.get(key) ?? 0) + 1;
    this.counts.set(key, count);
    return count > this.perMinute ? Math.max(1, Math.ceil((this.windowStart + 60_000 - now) / 1000)) : 0;
  }
}

export function tooManyRequests(retryAfterSeconds: number): GraphQLError {
  return codedError('RATE_LIMITED', `Too many requests; retry after ${retryAfterSeconds} s`, {
    status: 429,
    headers: new Map([['retry-after', String(retryAfterSeconds)]]),
  });
}

const counted = Symbol('counted by the per-IP limit');

/**
 * Counts a request against the per-IP limit once; seconds to wait when over the limit (a promise
 * where the counts are shared through Redis, src/common/shared-limits.ts).
 */
export function countIp(
  limiter: { hit(key: string): number | Promise<number> },
  req: import('node:http').IncomingMessage,
  clientIp: string = req.socket.remoteAddress ?? 'unknown',
): number | Promise<number> {
  const request = req as typeof req & { [counted]?: number | Promise<number> };
  return (request[counted] ??= limiter.hit(clientIp));
}

/** The per-IP limit's answer: 429 with Retry-After. */
export function refuseOverIpLimit(res: import('node:http').ServerResponse, wait: number): void {
  noteRequest(res, { refusal: 'rate_ip' });
  noteErrorCode(res, 'RATE_LIMITED');
  const body = errorBody('RATE_LIMITED', `Too many requests; retry after ${wait} s`);
  res.writeHead(429, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'retry-after': String(wait),
  });
  res.end(body);
}

/**
 * Deepest `{` and `[` nesting in a GraphQL text (list literals nest the parser too), and the blocks
 * opened at the top level (one per operation or fragment, more where a variable's default is an
 * object), strings and comments skipped: a linear check before parsing.
 */
function nestingOf(query: string): { deepest: number; topLevelBlocks: number } {
  let depth = 0;
  let deepest = 0;
  let topLevelBlocks = 0;
  for (let i = 0; i < query.length; i++) {
    const c = query[i];
    if (c === '#') {
      while (i < query.length && query[i] !== '\n') i++;
    } else if (c === '"') {
      const block = query.startsWith('"""', i);
      const end = block
        ? query.indexOf('"""', i + 3)
        : (() => {
            let j = i + 1;
            while (j < query.length && query[j] !== '"') j += query[j] === '\\' ? 2 : 1;
            return j;
          })();
      i = end < 0 ? query.length : block ? end + 2 : end;
    } else if (c === '{' || c === '[') {
      if (depth === 0 && c === '{') topLevelBlocks++;
      deepest = Math.max(deepest, ++depth);
    } else if (c === '}' || c === ']') {
      depth--;
    }
  }
  return { deepest, topLevelBlocks };
}

/**
 * Operations and fragments a document may define: fragments spreading each other in a chain nest
 * as deeply as selections do, through graphql-js's recursive validation (a chain of thousands runs
 * it out of stack), and no client needs this many.
 */
const MAX_DEFINITIONS = 100;

/** Why a document is refused before it is parsed (too deeply nested, too many definitions), or null. */
export function nestingRefusal(query: string, limits: AbuseLimits): { code: ErrorCode; message: string } | null {
  const { deepest, topLevelBlocks } = nestingOf(query);
  const maxBraces = maxBraceDepth(limits);
  if (deepest > maxBraces) {
    return { code: 'QUERY_TOO_DEEP', message: `The document is nested more than ${maxBraces} levels deep` };
  }
  if (topLevelBlocks > MAX_DEFINITIONS) {
    const message = `The document defines more than ${MAX_DEFINITIONS} operations and fragments`;
    return { code: 'TOO_MANY_DEFINITIONS', message };
  }
  return null;
}

/**
 * Deepest brace nesting a document may have: input objects nest braces too, so they get room on top of the selection
 * depth.
 */
export const maxBraceDepth = (limits: AbuseLimits) => limits.maxDepth + 8;
