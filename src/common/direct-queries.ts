import type { IncomingMessage, ServerResponse } from 'node:http';
import { DocumentNode, ExecutionResult, getOperationAST, GraphQLSchema, NoSchemaIntrospectionCustomRule, OperationDefinitionNode, parse, specifiedRules, validate } from 'graphql';
import { getVariableValues } from 'graphql/execution/values';
import { CompiledQuery, compileQuery, isCompiledQuery } from 'graphql-jit';
import { introspects, withGraphQLErrors } from './compiled-execution';
import { documentHasNul, valueHasNul } from './input-hygiene';
import { noteRequest } from './http/request-lifecycle';
import { AbuseLimits, measureOperation, nestingRefusal, overLimits, refuseOverIpLimit } from './abuse-limits';

/** A query text (and operation name) that may be served directly, compiled once. */
interface DirectQuery {
  document: DocumentNode;
  operation: OperationDefinitionNode;
  /** Compiled on the first request that passes the limits (a refused query is never compiled); null where graphql-jit cannot. */
  compiled?: CompiledQuery | null;
}

/** What the direct path needs from the server around it. */
export interface DirectQueryOptions<Context> {
  schema: GraphQLSchema;
  /** What graphql-jit compiles against (src/schema.ts `buildExecutionSchema`); `schema` validates. */
  executionSchema: GraphQLSchema;
  limits: AbuseLimits;
  production: boolean;
  /**
   * Counts the request against the per-IP limit (once, whichever path serves it); seconds to wait
   * when over it (a promise where the counts are shared through Redis).
   */
  countIp(req: IncomingMessage): number | Promise<number>;
  /** The request's context, or null where Apollo must answer (bad token, actor over its limit). */
  contextFor(req: IncomingMessage): Promise<Context | null>;
  /**
   * The full stack (Express, body parser, Apollo), given the body already read and parsed, and the
   * result of running it where it ran with errors (Apollo formats those rather than running it again).
   */
  delegate(req: IncomingMessage, res: ServerResponse, body: unknown, executed?: ExecutionResult): void;
  /** Answers a body that could not be read or parsed, as the Express stack would. */
  refuseBody(res: ServerResponse, status: 400 | 413): void;
  /** Runs the answer of a query (read replicas route its reads here); the work itself by default. */
  around?<R>(req: IncomingMessage, work: () => R): R;
  /** An error of this path's own (not a resolver's): for the request pipeline's error log. */
  onError(req: IncomingMessage, error: unknown): void;
}

/**
 * What is kept compiled: at most this many texts and characters in all; a longer text is left to
 * Apollo (whose document store has its own bound). Forgetting only costs a parse and a compile.
 */
const MAX_DOCUMENTS = 200;
const MAX_TEXT_LENGTH = 8 * 1024;
const MAX_TOTAL_TEXT = 1024 * 1024;
const OPERATION_NAME = /^[_A-Za-z][_0-9A-Za-z]*$/;

/**
 * POST /graphql with a JSON body holding a plain query: parsed, validated and compiled once per
 * text, then run without Express's router and body parser and without Apollo's request pipeline,
 * which together cost more per `node(id:)` than executing it (bench:api profile). The same
 * checks run here in the same order (per-IP limit, nesting guard, validation, variable coercion,
 * depth/alias/cost limits, the actor and its limit), and anything that is not a plain success
 * goes to the full stack instead: mutations, persisted queries, unusual headers, any error at
 * all. A request is counted against each rate limit once, whichever path answers it. Errors are
 * therefore always Apollo's, formatted by the same `formatError`; a query that fails during
 * execution is handed over with its result, which Apollo answers from without running it again.
 */
export class DirectQueries<Context> {
  private readonly documents = new Map<string, DirectQuery | null>();
  private documentsLength = 0;
  /** Requests this path answered itself, and those it read and handed to the full stack. */
  readonly counts = { answered: 0, handedOver: 0 };
  private readonly rules;

  constructor(private readonly options: DirectQueryOptions<Context>) {
    // The rules Apollo validates with: its NoIntrospection in production is the same check.
    this.rules = options.production ? [...specifiedRules, NoSchemaIntrospectionCustomRule] : specifiedRules;
  }

  private closed = false;

  /** From now on every request goes to the full stack (which answers as it does while shutting down). */
  close(): void {
    this.closed = true;
  }

  /** Whether the request is one the direct path reads (the body is not touched before this). */
  accepts(req: IncomingMessage): boolean {
    if (this.closed || req.method !== 'POST' || req.url !== '/graphql') return false;
    const headers = req.headers;
    const type = headers['content-type']?.toLowerCase().replace(/\s+/g, '');
    if (type !== 'application/json' && type !== 'application/json;charset=utf-8') return false;
    // Apollo chooses the response type by Accept; these are the ones that mean application/json.
    const accept = headers.accept;
    if (accept !== undefined && accept !== '*/*' && accept !== 'application/json') return false;
    if (headers['content-encoding'] !== undefined && headers['content-encoding'] !== 'identity') return false;
    const length = headers['content-length'];
    return length === undefined || Number(length) <= this.options.limits.maxBodyBytes;
  }

  serve(req: IncomingMessage, res: ServerResponse): void {
    // As in front of Express: the per-IP limit before the body is read or anything parsed.
    const wait = this.options.countIp(req);
    if (typeof wait === 'number') return this.serveCounted(req, res, wait);
    wait.then(
      (seconds) => this.serveCounted(req, res, seconds),
      (error: unknown) => {
        this.options.onError(req, error);
        this.options.refuseBody(res, 400);
      },
    );
  }

  private serveCounted(req: IncomingMessage, res: ServerResponse, wait: number): void {
    if (wait > 0) return refuseOverIpLimit(res, wait);
    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    req.on('data', (chunk: Buffer) => {
      if (refused) return;
      size += chunk.length;
      if (size > this.options.limits.maxBodyBytes) {
        refused = true;
        this.options.refuseBody(res, 413);
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (refused) return;
      // As Express's JSON parser: an empty body is {}, anything but an object or array is malformed.
      let body: unknown = {};
      try {
        // (Express's parser also drops a byte order mark.)
        if (size > 0) body = JSON.parse(Buffer.concat(chunks, size).toString('utf8').replace(/^\uFEFF/, ''));
      } catch {
        body = undefined;
      }
      if (typeof body !== 'object' || body === null) {
        this.options.refuseBody(res, 400);
        return;
      }
      const answer = () => this.answer(req, res, body);
      (this.options.around ? this.options.around(req, answer) : answer()).catch((error: unknown) => {
        // Resolver errors come back in the result; anything thrown here is this path's own fault.
        this.options.onError(req, error);
        if (!res.headersSent) this.handOver(req, res, body);
      });
    });
    req.on('error', () => req.destroy());
  }

  private async answer(req: IncomingMessage, res: ServerResponse, body: unknown): Promise<void> {
    const { options } = this;
    const request = plainQuery(body);
    const query = request && this.documentFor(request.query, request.operationName);
    if (!request || !query) return this.handOver(req, res, body);
    const variables = request.variables ?? {};
    // Apollo answers what the limits refuse (NUL in a variable included).
    if (valueHasNul(variables)) return this.handOver(req, res, body);
    const { operation } = query;
    noteRequest(req, { operationName: operation.name?.value, operationType: 'query' });
    if (getVariableValues(options.schema, operation.variableDefinitions ?? [], variables, { maxErrors: 1 }).errors) return this.handOver(req, res, body);
    if (overLimits(measureOperation(options.schema, query.document, operation, variables), options.limits)) return this.handOver(req, res, body);

    const compiled = query.compiled !== undefined ? query.compiled : (query.compiled = this.compile(query));
    if (!compiled) return this.handOver(req, res, body);
    const context = await options.contextFor(req);
    if (!context) return this.handOver(req, res, body);
    const result = await compiled.query(undefined, context, variables);
    if (result.errors?.length) return this.handOver(req, res, body, withGraphQLErrors(result));
    const text = `${JSON.stringify({ data: result.data })}\n`;
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
    res.end(text);
    this.counts.answered++;
  }

  private handOver(req: IncomingMessage, res: ServerResponse, body: unknown, executed?: ExecutionResult): void {
    this.counts.handedOver++;
    this.options.delegate(req, res, body, executed);
  }

  /** The parsed query for a text, or null where it is not a valid single query operation. */
  private documentFor(text: string, operationName: string | undefined): DirectQuery | null {
    if (text.length > MAX_TEXT_LENGTH) return null;
    // A name holds no NUL, so the key is unambiguous; any other operation name is Apollo's to refuse.
    if (operationName !== undefined && !OPERATION_NAME.test(operationName)) return null;
    const key = operationName === undefined ? `\u0000${text}` : `${operationName}\u0000${text}`;
    let entry = this.documents.get(key);
    if (entry === undefined) {
      entry = this.parsed(text, operationName);
      if (this.documents.size >= MAX_DOCUMENTS || this.documentsLength + key.length > MAX_TOTAL_TEXT) {
        this.documents.clear();
        this.documentsLength = 0;
      }
      this.documents.set(key, entry);
      this.documentsLength += key.length;
    }
    return entry;
  }

  private parsed(text: string, operationName: string | undefined): DirectQuery | null {
    // Over-nested texts are refused by the Express stack's guard before they reach the parser.
    if (nestingRefusal(text, this.options.limits)) return null;
    let document: DocumentNode;
    try {
      document = parse(text);
    } catch {
      return null;
    }
    if (validate(this.options.schema, document, this.rules).length > 0) return null;
    const operation = getOperationAST(document, operationName);
    return operation?.operation === 'query' && !documentHasNul(document) ? { document, operation } : null;
  }

  private compile(query: DirectQuery): CompiledQuery | null {
    // Apollo answers introspection, on the public schema.
    if (introspects(query.document, query.operation)) return null;
    const compiled = compileQuery(this.options.executionSchema, query.document, query.operation.name?.value);
    return isCompiledQuery(compiled) ? compiled : null;
  }
}

/** `{ query, operationName?, variables? }` and nothing else, each of the type GraphQL over HTTP says. */
function plainQuery(body: unknown): { query: string; operationName?: string; variables?: Record<string, unknown> } | null {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return null;
  const { query, operationName, variables, ...rest } = body as Record<string, unknown>;
  for (const _ in rest) return null;
  if (typeof query !== 'string') return null;
  if (operationName !== undefined && operationName !== null && typeof operationName !== 'string') return null;
  if (variables !== undefined && variables !== null && (typeof variables !== 'object' || Array.isArray(variables))) return null;
  return { query, operationName: operationName ?? undefined, variables: (variables ?? undefined) as Record<string, unknown> | undefined };
}
