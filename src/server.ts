import http from 'node:http';
import path from 'node:path';
import { loadConfig, projectRoot, WebhookSettings } from './common/config';
import express from 'express';
import { ApolloServer, ApolloServerPlugin, GraphQLRequestListener } from '@apollo/server';
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginInlineTraceDisabled,
  ApolloServerPluginLandingPageDisabled,
} from '@apollo/server/plugin/disabled';
import { GraphQLError } from 'graphql';
import { DataSource } from 'typeorm';
import { Actor, actorKey, anonymous } from './common/actor';
import {
  AbuseLimits,
  abuseLimitPlugin,
  countIp,
  DEFAULT_LIMITS,
  SubscriptionLimits,
  tooManyRequests,
} from './common/abuse-limits';
import { createRateLimits } from './common/shared-limits';
import { TrustedProxies } from './common/http/client-ip';
import { onPrimary, ReplicaOptions, startReplicas } from './common/database/replicas';
import { aroundRequest, consistencyToken } from './common/http/read-routing';
import { graphqlHttpHandler } from './common/http/graphql-http';
import { RequestContext } from './common/context';
import { Loaders } from './common/loaders';
import { parseGlobalId } from './common/global-id';
import { formatGraphQLError, isServerError } from './common/error-formatting';
import { codedError, errorBody, ErrorCode, isErrorCode, RETRY_AFTER_SECONDS } from './common/errors';
import { transientKind, unavailable } from './common/database/transaction';
import { buildAppSchema } from './schema';
import { compiledExecution } from './common/compiled-execution';
import { answerClientError, applySecurityHeaders, sendNotFound } from './common/http-hygiene';
import { createServices, Services } from './services';
import { Clock } from './common/clock';
import { answerLiveness, answerReadiness, Readiness } from './common/http/health';
import { noteErrorCode, noteRequest, RequestLifecycle } from './common/http/request-lifecycle';
import { LiveFeed } from './notifications/live-feed';
import { attachSubscriptions } from './notifications/websocket';
import { accessLog, Logger, silentLogger } from './common/http/logging';
import { answerMetrics, createServerMetrics, MetricsEndpoint } from './common/http/metrics';
import { ConnectionDrain } from './common/http/drain';

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
  /** Webhook retry and disable periods; the configuration's where omitted. */
  webhooks?: WebhookSettings;
  /** Depth, cost, alias, body and rate limits; DEFAULT_LIMITS where omitted. */
  limits?: Partial<AbuseLimits>;
  /** Bounds on subscriptions over WebSocket; DEFAULT_SUBSCRIPTION_LIMITS where omitted. */
  subscriptions?: Partial<SubscriptionLimits>;
  /** The services' time source; the system clock where omitted (tests stand at a date boundary). */
  clock?: Clock;
  /** Access and error log; nothing is logged when omitted. */
  logger?: Logger;
  /** `/metrics`: by default open outside production and off in production. */
  metrics?: MetricsEndpoint;
  /**
   * stop(): seconds still serving with readiness at 503 (default 0), then seconds requests in
   * flight get to finish (default 10).
   */
  shutdown?: { delaySeconds?: number; graceSeconds?: number };
  /** With it, the rate limits are counted in this Redis, shared by all processes (src/common/shared-limits.ts). */
  redisUrl?: string;
  /** Proxies whose X-Forwarded-For is believed (src/common/http/client-ip.ts); none by default. */
  trustedProxies?: string[];
  /** Read replicas for read-only requests (src/common/database/replicas.ts); none by default. */
  replicas?: { urls: string[] } & Partial<ReplicaOptions>;
  /** False in a worker-role process: only /livez, /readyz and /metrics are answered, anything else 404. */
  graphql?: boolean;
  /** More Apollo Server plugins, after the server's own: they see every GraphQL request. */
  plugins?: ApolloServerPlugin<RequestContext>[];
}

export interface RunningServer {
  httpServer: http.Server;
  url: string;
  services: Services;
  /** What `/readyz` answers from. */
  readiness: Readiness;
  /** Every request's start, end, outcome and errors (probes, refusals, GraphQL): register hooks here. */
  requests: RequestLifecycle;
  /** This process's view of the outbox, feeding the WebSocket subscriptions. */
  liveFeed: LiveFeed;
  /** Drains (see ServerOptions.shutdown) and stops; calling it again waits for the same stop. */
  stop(): Promise<void>;
}

/**
 * A credential that was sent and refused denies the whole request before it runs (docs/adr/0102):
 * 401 with a Bearer challenge (RFC 6750), no `data`. A request without one runs as anonymous.
 */
const unauthenticated = (message: string) =>
  codedError('UNAUTHENTICATED', message, {
    status: 401,
    headers: new Map([['www-authenticate', 'Bearer error="invalid_token"']]),
  });

/**
 * Who acts: the account of an `Authorization: Bearer` token; outside production also the
 * development header `X-Actor` (`operator`, `analyst`, or the global ID of an Enterprise or
 * Institution). A bad or expired token is refused, never treated as anonymous.
 */
async function actorOf(
  headers: http.IncomingHttpHeaders,
  services: Services,
  dataSource: DataSource,
  production: boolean,
): Promise<Actor> {
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
    if (production)
      throw unauthenticated(
        'X-Actor is a development aid and is off in production; send Authorization: Bearer <token>',
      );
    return actorFromDevelopmentHeader(stub, dataSource);
  }
  return anonymous;
}

async function actorFromDevelopmentHeader(header: string, dataSource: DataSource): Promise<Actor> {
  const value = header.trim();
  if (value.toLowerCase() === 'operator') return { kind: 'OPERATOR' };
  if (value.toLowerCase() === 'analyst') return { kind: 'ANALYST' };
  const parsed = parseGlobalId(value);
  const table =
    parsed?.typeName === 'Enterprise' ? 'enterprise' : parsed?.typeName === 'Institution' ? 'institution' : null;
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
  const [message, code]: [string, ErrorCode] =
    status === 503
      ? ['The server is shutting down; retry the request', 'SERVICE_UNAVAILABLE']
      : status < 500
        ? [
            status === 413 ? 'Request body too large' : status === 400 ? 'Malformed JSON body' : 'Bad request',
            'BAD_REQUEST',
          ]
        : ['Internal server error', 'INTERNAL_SERVER_ERROR'];
  noteErrorCode(res, code);
  const body = errorBody(code, message);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    ...headers,
  });
  res.end(body);
}

/** 503 with Retry-After and Connection: close, once the request's body (up to 1 MB) has been read. */
function refuseWhileStopping(req: http.IncomingMessage, res: http.ServerResponse): void {
  let size = 0;
  const answer = () => {
    if (!res.headersSent) sendHttpError(res, 503, { 'retry-after': '1', connection: 'close' });
  };
  req.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > 1024 * 1024) answer();
  });
  req.once('end', answer);
  req.once('error', () => req.destroy());
}

/** A plugin whose request hooks hold no state of their own: one object serves every request. */
function pluginOf(hooks: GraphQLRequestListener<RequestContext>): ApolloServerPlugin<RequestContext> {
  return {
    async requestDidStart() {
      return hooks;
    },
  };
}

/** A permission refused to nobody in particular is a missing sign-in: answer UNAUTHENTICATED. */
const anonymousIsUnauthenticated = pluginOf({
  async willSendResponse({ response, contextValue }) {
    if (contextValue?.actor?.kind !== 'ANONYMOUS' || response.body.kind !== 'single') return;
    for (const error of response.body.singleResult.errors ?? []) {
      if (error.extensions?.code === 'FORBIDDEN') {
        (error as { message: string }).message = 'Sign in first: this operation needs a signed-in account';
        (error.extensions as Record<string, unknown>).code = 'UNAUTHENTICATED';
      }
    }
  },
});

/** Tells the request pipeline what Apollo learnt: the operation, the error codes, the server's errors. */
function requestObserver(lifecycle: RequestLifecycle): ApolloServerPlugin<RequestContext> {
  return pluginOf({
    async didResolveOperation({ operation, request, contextValue }) {
      if (!contextValue.request) return;
      const operationName = operation?.name?.value ?? request.operationName;
      noteRequest(contextValue.request, { operationName, operationType: operation?.operation });
    },
    async didEncounterErrors({ errors, contextValue }) {
      for (const error of errors) {
        if (isServerError(error)) lifecycle.error(contextValue.request, error.originalError ?? error);
      }
    },
    async willSendResponse({ response, contextValue }) {
      if (!contextValue.request || response.body.kind !== 'single') return;
      const errors = response.body.singleResult.errors ?? [];
      for (const error of errors) {
        const code = error.extensions?.code;
        noteErrorCode(contextValue.request, isErrorCode(code) ? code : 'INTERNAL_SERVER_ERROR');
      }
    },
  });
}

/**
 * A request refused for a transient condition (SERVICE_UNAVAILABLE, set by formatError for reads
 * and by withTransaction for mutations) is answered 503 with Retry-After, whichever field failed.
 */
const retryableIsUnavailable = pluginOf({
  async willSendResponse({ response }) {
    if (response.body.kind !== 'single') return;
    const errors = response.body.singleResult.errors ?? [];
    if (!errors.some((error) => error.extensions?.code === 'SERVICE_UNAVAILABLE')) return;
    response.http.status = 503;
    response.http.headers.set('retry-after', String(RETRY_AFTER_SECONDS));
  },
});

/** Who acts, where finding out met a transient database condition: a retryable 503, not a 500. */
async function actorOrUnavailable(...args: Parameters<typeof actorOf>): Promise<Actor> {
  try {
    return await actorOf(...args);
  } catch (error) {
    const kind = transientKind(error);
    if (!kind) throw error;
    throw unavailable(kind);
  }
}

/** /graphql whatever its case, and anything below it, as Express routed it. */
function isGraphQLPath(url: string | undefined): boolean {
  const path = (url ?? '/').split('?', 1)[0].toLowerCase();
  return path === '/graphql' || path.startsWith('/graphql/');
}

/** Builds the HTTP server: GraphQL at /graphql (with the sandbox page for browsers in development). */
export async function startServer(options: ServerOptions, port: number, host?: string): Promise<RunningServer> {
  const { dataSource } = options;
  const limits: AbuseLimits = { ...DEFAULT_LIMITS, ...options.limits };
  const config = options.auth ?? loadConfig();
  const webhooks = options.webhooks ?? loadConfig().webhooks;
  const services = createServices(dataSource, { ...config, webhooks }, options.clock);
  const lifecycle = new RequestLifecycle();
  lifecycle.register(accessLog(options.logger ?? silentLogger));
  const metrics = createServerMetrics(dataSource);
  lifecycle.register(metrics.hooks);
  const metricsEndpoint = options.metrics ?? { enabled: !options.production };
  const rateLimits = createRateLimits({ ...limits, redisUrl: options.redisUrl, logger: options.logger });
  const proxies = new TrustedProxies(options.trustedProxies);
  const replicas = await startReplicas(dataSource, options.replicas?.urls ?? [], {
    maxLagBytes: 16 * 1024 * 1024,
    waitMs: 200,
    checkIntervalMs: 1000,
    poolSize: 10,
    ...options.replicas,
  });
  const countClient = (req: http.IncomingMessage) => countIp(rateLimits.ip, req, proxies.clientIp(req));
  const schema = buildAppSchema();
  const app = express();
  app.disable('x-powered-by');

  /**
   * Who acts and that request's loaders; refused (401, 429) by throwing the error Apollo answers with.
   * A failure that is not a refusal (the database down) is reported.
   */
  const contextFor = async (req: http.IncomingMessage): Promise<RequestContext> => {
    let actor: Actor;
    try {
      // Who acts is read on the primary: a replica behind could still know a disabled account.
      actor = await onPrimary(() => actorOrUnavailable(req.headers, services, dataSource, options.production));
    } catch (error) {
      // Not a refusal (a bad token): a failure, or the database out of reach (logged as one line).
      const refusal = error instanceof GraphQLError && error.extensions?.code !== 'SERVICE_UNAVAILABLE';
      if (!refusal) lifecycle.error(req, error);
      throw error;
    }
    if (actor.kind !== 'ANONYMOUS') {
      const key = actorKey(actor);
      noteRequest(req, { actor: key });
      const wait = await rateLimits.actor.hit(key);
      if (wait > 0) {
        noteRequest(req, { refusal: 'rate_actor' });
        throw tooManyRequests(wait);
      }
    }
    const clientAddress = proxies.clientIp(req);
    return { actor, clientAddress, loaders: new Loaders(dataSource), services, dataSource, request: req };
  };
  // Stopping: readiness turns 503 and responses close their connection (draining); after the
  // delay, every new request, on a kept-alive connection or a new one, gets 503 with Retry-After
  // and the connection closed (stopping), so clients and load balancers go elsewhere; requests
  // already being answered finish first, and the listener closes last (src/common/http/drain.ts).
  let stopping = false;
  const readiness = new Readiness(dataSource, services.auth.accounts);
  const httpServer = http.createServer((req, res) => {
    lifecycle.begin(req, res);
    applySecurityHeaders(req, res);
    drain.track(req, res);
    if (readiness.draining) res.setHeader('connection', 'close');
    // Probes are answered before anything else, also while stopping (readiness then says why).
    if (req.method === 'GET' || req.method === 'HEAD') {
      const path = req.url?.split('?', 1)[0];
      if (path === '/livez' || path === '/health') return answerLiveness(res);
      if (path === '/readyz') return void answerReadiness(res, readiness);
      if (path === '/metrics' && metricsEndpoint.enabled) {
        return void answerMetrics(req, res, metrics.registry, metricsEndpoint);
      }
    }
    // The body is read first: closing a connection with unread data resets it (ECONNRESET) and
    // the client may lose the answer.
    if (stopping) refuseWhileStopping(req, res);
    else if (options.graphql === false) sendNotFound(req, res);
    else if (isGraphQLPath(req.url)) graphql(req, res);
    else app(req, res);
  });
  httpServer.on('clientError', answerClientError);
  const drain = new ConnectionDrain(httpServer);
  const apollo = new ApolloServer<RequestContext>({
    // Queries run compiled (graphql-jit), mutations through graphql-js: src/common/compiled-execution.ts.
    gateway: compiledExecution(schema),
    introspection: !options.production,
    includeStacktraceInErrorResponses: false,
    // main.ts owns the signals and stops HTTP server, pool and database in order; Apollo's own
    // handler would call stop() a second time and leave that shutdown waiting.
    stopOnTerminationSignals: false,
    formatError: (formatted, error) => formatGraphQLError(formatted, error, { production: options.production }),
    plugins: [
      // No cache hints are used; the default cache-control plugin would still wrap every field resolver.
      ApolloServerPluginCacheControlDisabled(),
      // Not a federated subgraph: the default inline-trace plugin would only ask so on every request.
      ApolloServerPluginInlineTraceDisabled(),
      abuseLimitPlugin(limits),
      anonymousIsUnauthenticated,
      requestObserver(lifecycle),
      retryableIsUnavailable,
      consistencyToken(replicas, dataSource),
      // No sandbox page in production: the API is for clients, not for exploring.
      ...(options.production ? [ApolloServerPluginLandingPageDisabled()] : []),
      ...(options.plugins ?? []),
    ],
  });
  await apollo.start();
  const graphql = graphqlHttpHandler({
    apollo,
    limits,
    countIp: countClient,
    context: contextFor,
    around: aroundRequest(replicas),
    refuse: (res, status) => sendHttpError(res, status),
    onError: (req, error) => lifecycle.error(req, error),
  });
  await services.auth.accounts.start();
  // Subscriptions (graphql-ws) on the same path; connectionParams stand for the HTTP headers.
  const liveFeed = new LiveFeed(dataSource);
  await liveFeed.start();
  const subscriptions = attachSubscriptions(httpServer, {
    schema,
    authenticate: (params) => {
      const header = (name: string) => (typeof params[name] === 'string' ? (params[name] as string) : undefined);
      const headers = { authorization: header('authorization'), 'x-actor': header('x-actor') };
      return actorOrUnavailable(headers, services, dataSource, options.production);
    },
    recheck: (token) => services.auth.actorForToken(token),
    contextFor: (actor, clientAddress) => ({
      actor,
      clientAddress,
      loaders: new Loaders(dataSource),
      services,
      dataSource,
      liveFeed,
    }),
    // The HTTP requests' limits, limiters, client address and hooks hold for subscriptions too.
    production: options.production,
    limits,
    bounds: options.subscriptions,
    rateLimits,
    clientIp: (req) => proxies.clientIp(req),
    lifecycle,
  });

  // The analysts' page: static files that draw from this same GraphQL API after signing in.
  app.use(
    '/dashboard',
    express.static(path.join(projectRoot, 'src', 'analytics', 'dashboard'), { index: 'index.html', maxAge: 0 }),
  );
  app.use(sendNotFound);
  // A malformed path under /dashboard: a typed JSON error, never Express's HTML page or a stack trace.
  type HttpError = { status?: number; type?: string };
  app.use((error: HttpError, req: express.Request, res: express.Response, _next: express.NextFunction) => {
    const status = error.status && error.status >= 400 && error.status < 500 ? error.status : 500;
    if (status === 500) lifecycle.error(req, error);
    sendHttpError(res, status);
  });

  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(port, host, () => resolve());
  });
  let stopped: Promise<void> | undefined;
  const address = httpServer.address();
  const actualPort = typeof address === 'object' && address ? address.port : port;
  return {
    httpServer,
    url: `http://localhost:${actualPort}/graphql`,
    services,
    readiness,
    requests: lifecycle,
    liveFeed,
    stop: () =>
      (stopped ??= (async () => {
        readiness.draining = true;
        const { delaySeconds = 0, graceSeconds = 10 } = options.shutdown ?? {};
        if (delaySeconds > 0) await new Promise((resolve) => setTimeout(resolve, delaySeconds * 1000));
        stopping = true;
        await subscriptions.close();
        await drain.close(graceSeconds * 1000);
        await apollo.stop();
        await services.auth.accounts.stop();
        await liveFeed.stop();
        await rateLimits.close();
        await replicas?.stop();
      })()),
  };
}
