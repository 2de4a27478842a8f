import http from 'node:http';
import path from 'node:path';
import { projectRoot } from './common/config';
import express from 'express';
import { ApolloServer, ApolloServerPlugin } from '@apollo/server';
import { expressMiddleware } from '@as-integrations/express5';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ExecutionResult, GraphQLError } from 'graphql';
import { DataSource } from 'typeorm';
import { Actor, actorKey, anonymous } from './common/actor';
import { AbuseLimits, abuseLimitPlugin, countIp, DEFAULT_LIMITS, ipRateLimit, nestingGuard, RateLimiter, tooManyRequests } from './common/abuse-limits';
import { DirectQueries } from './common/direct-queries';
import { RequestContext } from './common/context';
import { Loaders } from './common/loaders';
import { parseGlobalId } from './common/global-id';
import { formatGraphQLError } from './common/error-formatting';
import { buildAppSchema, buildExecutionSchema } from './schema';
import { compiledExecution } from './common/compiled-execution';
import { createServices, Services } from './services';

export interface ServerOptions {
  dataSource: DataSource;
  production: boolean;
  /** Token secret and lifetimes, and the identity assertion key; the configuration's when omitted. */
  auth?: {
    jwtSecret: string;
    accessTokenTtlSeconds: number;
    sessionTtlSeconds?: number;
    identityAssertionKey?: string;
  };
  /** Depth, cost, alias, body and rate limits; DEFAULT_LIMITS where omitted. */
  limits?: Partial<AbuseLimits>;
}

export interface RunningServer {
  httpServer: http.Server;
  url: string;
  services: Services;
  /** The direct path for plain queries (its counts show which path answered). */
  directQueries: DirectQueries<RequestContext>;
  stop(): Promise<void>;
}


const unauthenticated = (message: string) => new GraphQLError(message, { extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } } });

/**
 * Who acts: the account of an `Authorization: Bearer` token; outside production also the
 * development header `X-Actor` (`operator`, `analyst`, or the global ID of an Enterprise or
 * Institution). A bad or expired token is refused, never treated as anonymous.
 */
async function actorOf(headers: http.IncomingHttpHeaders, services: Services, dataSource: DataSource, production: boolean): Promise<Actor> {
  const authorization = headers.authorization;
  if (authorization) {
    const match = /^Bearer ([A-Za-z0-9_.-]{1,2048})$/.exec(authorization.trim());
    const actor = match ? await services.auth.actorForToken(match[1]) : null;
    if (!actor) throw unauthenticated('The access token is invalid or has expired; sign in again');
    return actor;
  }
  const stub = headers['x-actor'];
  if (Array.isArray(stub)) throw unauthenticated('Send one X-Actor header');
  if (stub) {
    if (production) throw unauthenticated('X-Actor is a development aid and is off in production; send Authorization: Bearer <token>');
    return actorFromDevelopmentHeader(stub, dataSource);
  }
  return anonymous;
}

async function actorFromDevelopmentHeader(header: string, dataSource: DataSource): Promise<Actor> {
  const value = header.trim();
  if (value.toLowerCase() === 'operator') return { kind: 'OPERATOR' };
  if (value.toLowerCase() === 'analyst') return { kind: 'ANALYST' };
  const parsed = parseGlobalId(value);
  const table = parsed?.typeName === 'Enterprise' ? 'enterprise' : parsed?.typeName === 'Institution' ? 'institution' : null;
  if (parsed && table) {
    // An enterprise acts as verified only while its claim on the USCC is (实名认证), as with a token.
    const verified = table === 'enterprise' ? `verification_status = 'VERIFIED'` : 'true';
    const rows: Array<{ verified: boolean }> = await dataSource.query(
      `SELECT ${verified} AS verified FROM ${table} WHERE id = $1`,
      [parsed.id],
    );
    if (rows.length > 0) {
      return parsed.typeName === 'Enterprise'
        ? { kind: 'ENTERPRISE', enterpriseId: parsed.id, verified: rows[0].verified }
        : { kind: 'INSTITUTION', institutionId: parsed.id };
    }
  }
  throw unauthenticated('X-Actor must be "operator", "analyst", or the ID of an existing Enterprise or Institution');
}

/** A request refused before GraphQL (body too large, malformed JSON, server stopping): a typed JSON error. */
function sendHttpError(res: http.ServerResponse, status: number, headers: http.OutgoingHttpHeaders = {}): void {
  const [message, code] =
    status === 503 ? ['The server is shutting down; retry the request', 'SERVICE_UNAVAILABLE']
    : status < 500 ? [status === 413 ? 'Request body too large' : status === 400 ? 'Malformed JSON body' : 'Bad request', 'BAD_REQUEST']
    : ['Internal server error', 'INTERNAL_SERVER_ERROR'];
  const body = JSON.stringify({ errors: [{ message, extensions: { code } }] });
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

/** A permission refused to nobody in particular is a missing sign-in: answer UNAUTHENTICATED. */
const anonymousIsUnauthenticated: ApolloServerPlugin<RequestContext> = {
  async requestDidStart() {
    return {
      async willSendResponse({ response, contextValue }) {
        if (contextValue?.actor?.kind !== 'ANONYMOUS' || response.body.kind !== 'single') return;
        for (const error of response.body.singleResult.errors ?? []) {
          if (error.extensions?.code === 'FORBIDDEN') {
            (error as { message: string }).message = 'Sign in first: this operation needs an identified actor';
            (error.extensions as Record<string, unknown>).code = 'UNAUTHENTICATED';
          }
        }
      },
    };
  },
};

/** Builds the HTTP server: GraphQL at /graphql (with the sandbox page for browsers in development). */
export async function startServer(options: ServerOptions, port: number, host?: string): Promise<RunningServer> {
  const { dataSource } = options;
  const limits: AbuseLimits = { ...DEFAULT_LIMITS, ...options.limits };
  const services = createServices(dataSource, options.auth);
  const actorLimiter = new RateLimiter(limits.perActorPerMinute);
  const ipLimiter = new RateLimiter(limits.perIpPerMinute);
  const schema = buildAppSchema();
  const executionSchema = buildExecutionSchema();
  const app = express();
  app.disable('x-powered-by');

  const actorCounted = Symbol('counted by the per-actor limit');
  const executedBefore = Symbol('run by the direct path, with errors');
  type Request = http.IncomingMessage & { [actorCounted]?: number; [executedBefore]?: ExecutionResult };
  /** Who acts and that request's loaders; refused (401, 429) by throwing the error Apollo answers with. */
  const contextFor = async (req: Request): Promise<RequestContext> => {
    const actor = await actorOf(req.headers, services, dataSource, options.production);
    if (actor.kind !== 'ANONYMOUS') {
      // Counted once per request, also when the direct path hands the request to Apollo.
      const wait = (req[actorCounted] ??= actorLimiter.hit(actorKey(actor)));
      if (wait > 0) throw tooManyRequests(wait);
    }
    const clientAddress = req.socket.remoteAddress ?? 'unknown';
    const loaders = new Loaders(dataSource);
    return { actor, clientAddress, loaders, services, dataSource, executed: req[executedBefore] };
  };
  const directQueries = new DirectQueries<RequestContext>({
    schema,
    executionSchema,
    limits,
    production: options.production,
    countIp: (req) => countIp(ipLimiter, req),
    contextFor: (req) => contextFor(req).catch(() => null),
    delegate: (req: Request & { body?: unknown }, res, body, executed) => {
      req.body = body;
      req[executedBefore] = executed;
      app(req, res);
    },
    refuseBody: (res, status) => sendHttpError(res, status),
  });
  // A request that arrives while the server stops (on a connection opened before) gets 503 with
  // Retry-After and the connection closed, so clients and load balancers go elsewhere; requests
  // already being answered finish first (Apollo's drain waits for them).
  let stopping = false;
  const httpServer = http.createServer((req, res) => {
    if (stopping) sendHttpError(res, 503, { 'retry-after': '1', connection: 'close' });
    else if (directQueries.accepts(req)) directQueries.serve(req, res);
    else app(req, res);
  });
  const apollo = new ApolloServer<RequestContext>({
    // Queries run compiled (graphql-jit), mutations through graphql-js: src/common/compiled-execution.ts.
    gateway: compiledExecution(schema, executionSchema),
    introspection: !options.production,
    includeStacktraceInErrorResponses: false,
    // main.ts owns the signals and stops HTTP server, pool and database in order; Apollo's own
    // handler would call stop() a second time and leave that shutdown waiting.
    stopOnTerminationSignals: false,
    formatError: (formatted, error) => formatGraphQLError(formatted, error, { production: options.production }),
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      // No cache hints are used; the default cache-control plugin would still wrap every field resolver.
      ApolloServerPluginCacheControlDisabled(),
      abuseLimitPlugin(limits),
      anonymousIsUnauthenticated,
      // No sandbox page in production: the API is for clients, not for exploring.
      ...(options.production ? [ApolloServerPluginLandingPageDisabled()] : []),
    ],
  });
  await apollo.start();
  await services.auth.accounts.start();

  // The analysts' page: static files that draw from this same GraphQL API after signing in.
  app.use('/dashboard', express.static(path.join(projectRoot, 'src', 'analytics', 'dashboard'), { index: 'index.html', maxAge: 0 }));
  app.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.use(
    '/graphql',
    ipRateLimit(ipLimiter),
    express.json({ limit: limits.maxBodyBytes }),
    nestingGuard(limits),
    expressMiddleware(apollo, { context: ({ req }) => contextFor(req) }),
  );
  // Malformed or oversized bodies: a typed JSON error, never Express's HTML page or a stack trace.
  app.use((error: { status?: number; type?: string }, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    const status = error.status && error.status >= 400 && error.status < 500 ? error.status : 500;
    if (status === 500) console.error('[http] internal error:', error);
    sendHttpError(res, status);
  });

  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(port, host, () => resolve());
  });
  const address = httpServer.address();
  const actualPort = typeof address === 'object' && address ? address.port : port;
  return {
    httpServer,
    url: `http://localhost:${actualPort}/graphql`,
    services,
    directQueries,
    stop: async () => {
      stopping = true;
      directQueries.close();
      await apollo.stop();
      await services.auth.accounts.stop();
    },
  };
}
