import http from 'node:http';
import type { Duplex } from 'node:stream';
import {
  DocumentNode,
  ExecutionArgs,
  getOperationAST,
  GraphQLError,
  GraphQLSchema,
  NoSchemaIntrospectionCustomRule,
  parse,
  specifiedRules,
  validate,
} from 'graphql';
import { CloseCode, handleProtocols, makeServer } from 'graphql-ws';
import { WebSocket, WebSocketServer } from 'ws';
import { Actor, actorKey } from '../common/actor';
import {
  AbuseLimits,
  DEFAULT_LIMITS,
  DEFAULT_SUBSCRIPTION_LIMITS,
  measureOperation,
  nestingRefusal,
  overLimits,
  SubscriptionLimits,
  tooManyRequests,
} from '../common/abuse-limits';
import { formatGraphQLError, isServerError } from '../common/error-formatting';
import { documentHasNul, nulRefusal, valueHasNul } from '../common/input-hygiene';
import { Refusal, RequestLifecycle, RequestRecord } from '../common/http/request-lifecycle';
import type { RequestLimiter } from '../common/shared-limits';
import type { SubscriptionContext } from './notifications.resolver';
import { codedError, ErrorCode, isErrorCode } from '../common/errors';

/** How often a connection's token is checked again: a revoked session or an expired token ends it this soon. */
export const TOKEN_RECHECK_MS = 1000;

/** A peer that does not answer a ping within this time is dropped (half-open connections hold their counts). */
const KEEP_ALIVE_MS = 12_000;

/** Closes a connection refused for too many connections or requests (the client should back off). */
export const TOO_MANY_CLOSE_CODE = CloseCode.TooManyInitialisationRequests;

export interface SubscriptionServerOptions {
  schema: GraphQLSchema;
  /** Who acts for the connection's `connectionParams` (the HTTP headers' rules); throws to refuse. */
  authenticate(params: Record<string, unknown>): Promise<Actor>;
  /** The token's actor now, or null once it expired or its session ended. */
  recheck(token: string): Promise<Actor | null>;
  /** The context of one subscription for the connection's actor. */
  contextFor(actor: Actor, clientAddress: string): SubscriptionContext;
  recheckMs?: number;
  /** Production validation: no introspection, as over HTTP. */
  production?: boolean;
  /** The HTTP requests' depth, alias and cost limits; DEFAULT_LIMITS where omitted. */
  limits?: AbuseLimits;
  /** Connections, subscriptions, message size, connection_init wait; DEFAULT_SUBSCRIPTION_LIMITS where omitted. */
  bounds?: Partial<SubscriptionLimits>;
  /** The HTTP requests' per-IP and per-actor limiters (shared through Redis when configured). */
  rateLimits?: { ip: RequestLimiter; actor: RequestLimiter };
  /** The client's address as for HTTP (TrustedProxies); the socket peer where omitted. */
  clientIp?(req: http.IncomingMessage): string;
  /** The request pipeline's hooks: one record per subscription, and per refused connection. */
  lifecycle?: RequestLifecycle;
}

/** What a connection keeps beside graphql-ws's state (a type alias: graphql-ws wants a record). */
type Extra = {
  socket: WebSocket;
  clientIp: string;
  actor?: Actor;
  /** actorKey() of the actor, once it is counted against the per-account connection bound. */
  account?: string;
  recheck?: NodeJS.Timeout;
  /** Subscriptions being checked or running, by their id: each one's record. */
  running: Map<string, RequestRecord>;
};

const bearer = (params: Record<string, unknown>): string | null => {
  const value = params.authorization ?? params.Authorization;
  const match = typeof value === 'string' ? /^Bearer ([A-Za-z0-9_.-]{1,2048})$/.exec(value.trim()) : null;
  return match ? match[1] : null;
};

/** The same party and account (an enterprise's verification may change; that is not another party). */
const sameParty = (a: Actor, b: Actor) =>
  JSON.stringify({ ...a, verified: 0 }) === JSON.stringify({ ...b, verified: 0 });

const codeOf = (error: GraphQLError): ErrorCode => {
  const code = error.extensions?.code;
  return isErrorCode(code) ? code : 'INTERNAL_SERVER_ERROR';
};

const withCode = (error: GraphQLError, code: ErrorCode) =>
  new GraphQLError(error.message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    extensions: { code },
  });

/** Counts per key (client IP, account); a key at zero is forgotten. */
class Counts {
  private readonly counts = new Map<string, number>();
  get(key: string): number {
    return this.counts.get(key) ?? 0;
  }
  add(key: string, delta: number): void {
    const count = this.get(key) + delta;
    if (count > 0) this.counts.set(key, count);
    else this.counts.delete(key);
  }
}

/** A refused upgrade: a JSON error like HTTP's, then the socket closed. */
function answerUpgrade(socket: Duplex, status: number, body: string, headers: Record<string, string>): void {
  const head = {
    connection: 'close',
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(body)),
    ...headers,
  };
  const lines = Object.entries(head).map(([name, value]) => `${name}: ${value}`);
  socket.once('finish', () => socket.destroy());
  socket.end(`HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\n${lines.join('\r\n')}\r\n\r\n${body}`);
}

/**
 * GraphQL subscriptions over the graphql-ws protocol on the HTTP server's `/graphql`, held to what
 * every HTTP request is held to (README "Who may see and do what"):
 * - the upgrade counts against the per-IP rate limit and the per-IP connection bound (429 with a
 *   JSON error before any WebSocket exists);
 * - `connection_init` authenticates by `connectionParams` (`authorization: "Bearer <token>"`, or
 *   outside production `x-actor` as the HTTP header), counts against the per-actor rate limit and
 *   the per-account connection bound (closed with 4429 when over); the token is checked again every
 *   `recheckMs`, and the socket closed with 4401 once it expired or its session ended, 4403 once it
 *   acts for another party;
 * - each subscribe message counts against both rate limits and the per-connection subscription
 *   bound, and is validated (production: no introspection), nesting-guarded, NUL-checked and measured
 *   with its coerced variables like an HTTP request: refused with an error message carrying the
 *   same `extensions.code`, nothing run.
 * Only subscriptions are served here: queries and mutations go over HTTP. The request lifecycle
 * sees each subscription from subscribe to its end, and each refused connection.
 */
export function attachSubscriptions(
  httpServer: http.Server,
  options: SubscriptionServerOptions,
): { close(): Promise<void> } {
  const { schema, recheckMs = TOKEN_RECHECK_MS, limits = DEFAULT_LIMITS, lifecycle = new RequestLifecycle() } = options;
  const bounds: SubscriptionLimits = { ...DEFAULT_SUBSCRIPTION_LIMITS, ...options.bounds };
  const clientIp = options.clientIp ?? ((req: http.IncomingMessage) => req.socket.remoteAddress ?? 'unknown');
  const hit = async (limiter: 'ip' | 'actor', key: string) =>
    options.rateLimits ? options.rateLimits[limiter].hit(key) : 0;
  // The rules Apollo validates with over HTTP: its NoIntrospection in production is the same check.
  const rules = options.production ? [...specifiedRules, NoSchemaIntrospectionCustomRule] : specifiedRules;
  const connectionsByIp = new Counts();
  const connectionsByAccount = new Counts();
  let closing = false;

  /** One record for an attempt refused before any subscription: the access log and metrics see it. */
  const noteRefused = (method: string, code: ErrorCode, refusal?: Refusal, status?: number, actor?: string) => {
    const record = lifecycle.beginOperation({ method, path: '/graphql', actor });
    record.errorCodes.push(code);
    if (refusal) record.refusal = refusal;
    lifecycle.endOperation(record, status);
  };

  const webSocketServer = new WebSocketServer({
    noServer: true,
    path: '/graphql',
    maxPayload: bounds.maxMessageBytes,
    handleProtocols,
  });

  const refuseUpgrade = (
    socket: Duplex,
    [status, code, message]: [number, ErrorCode, string],
    refusal?: Refusal,
    headers: Record<string, string> = {},
  ) => {
    noteRefused('GET', code, refusal, status);
    answerUpgrade(socket, status, JSON.stringify({ errors: [{ message, extensions: { code } }] }), headers);
  };

  const onUpgrade = (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    // Node leaves an upgraded socket without an error listener; a reset while we wait must not throw.
    socket.on('error', () => socket.destroy());
    if (!webSocketServer.shouldHandle(req)) return refuseUpgrade(socket, [404, 'NOT_FOUND', 'Not found']);
    if (closing) {
      const stopping: [number, ErrorCode, string] = [
        503,
        'SERVICE_UNAVAILABLE',
        'The server is shutting down; reconnect',
      ];
      return refuseUpgrade(socket, stopping, undefined, { 'retry-after': '1' });
    }
    const ip = clientIp(req);
    if (connectionsByIp.get(ip) >= bounds.maxConnectionsPerIp) {
      const message = `At most ${bounds.maxConnectionsPerIp} WebSocket connections per client address`;
      return refuseUpgrade(socket, [429, 'TOO_MANY_CONNECTIONS', message], 'connections');
    }
    // Counted from now until the socket is gone, whatever happens to the handshake.
    connectionsByIp.add(ip, 1);
    socket.once('close', () => connectionsByIp.add(ip, -1));
    hit('ip', ip).then(
      (wait) => {
        if (wait > 0) {
          const message = `Too many requests; retry after ${wait} s`;
          return refuseUpgrade(socket, [429, 'RATE_LIMITED', message], 'rate_ip', { 'retry-after': String(wait) });
        }
        webSocketServer.handleUpgrade(req, socket, head, (ws) => webSocketServer.emit('connection', ws, req));
      },
      (error) => {
        lifecycle.error(undefined, error);
        socket.destroy();
      },
    );
  };

  /** Ends a subscription's record (completed, errored, or its connection closed). */
  const finish = (extra: Extra, id: string) => {
    const record = extra.running.get(id);
    extra.running.delete(id);
    if (record) lifecycle.endOperation(record);
  };

  /** An error as the client gets it (as over HTTP: formatError's codes); noted on the subscription's record. */
  const format = (error: GraphQLError, record: RequestRecord | undefined) => {
    const formatted = formatGraphQLError(error.toJSON(), error, { production: options.production });
    if (record) {
      const code = String(formatted.extensions?.code);
      if (!record.errorCodes.includes(code)) record.errorCodes.push(code);
      if (isServerError(error)) lifecycle.error(record, error.originalError ?? error);
    }
    return formatted;
  };

  const closeFor = (extra: Extra, code: number, reason: string, errorCode: string) => {
    for (const record of extra.running.values()) {
      if (!record.errorCodes.includes(errorCode)) record.errorCodes.push(errorCode);
    }
    extra.socket.close(code, reason);
  };

  const server = makeServer<Record<string, unknown>, Extra>({
    schema,
    connectionInitWaitTimeout: bounds.connectionInitTimeoutMs,
    onConnect: async (ctx) => {
      const { extra } = ctx;
      const params = ctx.connectionParams ?? {};
      let actor: Actor;
      try {
        actor = await options.authenticate(params);
      } catch (error) {
        const code = error instanceof GraphQLError ? codeOf(error) : 'INTERNAL_SERVER_ERROR';
        noteRefused('CONNECTION_INIT', code);
        if (code === 'SERVICE_UNAVAILABLE') {
          // The database out of reach: the client may retry (1013 try again later), not a bad token.
          extra.socket.close(1013, 'Service unavailable; reconnect later');
        } else if (error instanceof GraphQLError) {
          extra.socket.close(CloseCode.Unauthorized, error.message.slice(0, 120));
        } else {
          lifecycle.error(undefined, error);
          extra.socket.close(CloseCode.InternalServerError, 'Internal server error');
        }
        return false;
      }
      // Gone while we waited: nothing to count (its close has already been handled).
      if (extra.socket.readyState !== WebSocket.OPEN) return false;
      if (actor.kind === 'ANONYMOUS') {
        noteRefused('CONNECTION_INIT', 'UNAUTHENTICATED');
        extra.socket.close(CloseCode.Unauthorized, 'Send connectionParams.authorization: "Bearer <token>"');
        return false;
      }
      const account = actorKey(actor);
      if (connectionsByAccount.get(account) >= bounds.maxConnectionsPerAccount) {
        noteRefused('CONNECTION_INIT', 'TOO_MANY_CONNECTIONS', 'connections', undefined, account);
        const reason = `Too many connections: at most ${bounds.maxConnectionsPerAccount} per account`;
        extra.socket.close(TOO_MANY_CLOSE_CODE, reason);
        return false;
      }
      extra.account = account;
      connectionsByAccount.add(account, 1);
      const wait = await hit('actor', account);
      if (wait > 0) {
        noteRefused('CONNECTION_INIT', 'RATE_LIMITED', 'rate_actor', undefined, account);
        extra.socket.close(TOO_MANY_CLOSE_CODE, `Too many requests; retry after ${wait} s`);
        return false;
      }
      if (extra.socket.readyState !== WebSocket.OPEN) return false;
      extra.actor = actor;
      const token = bearer(params);
      if (token) {
        extra.recheck = setInterval(() => {
          options.recheck(token).then(
            (now) => {
              if (!now) {
                closeFor(
                  extra,
                  CloseCode.Unauthorized,
                  'The access token expired or its session ended',
                  'UNAUTHENTICATED',
                );
              } else if (!sameParty(now, actor)) {
                closeFor(extra, CloseCode.Forbidden, 'Acting for another party now', 'FORBIDDEN');
              }
            },
            () => undefined,
          );
        }, recheckMs);
        extra.recheck.unref();
      }
      return true;
    },
    onSubscribe: async (ctx, id, payload) => {
      const { extra } = ctx;
      const record = lifecycle.beginOperation({ method: 'SUBSCRIBE', path: '/graphql', actor: extra.account });
      const refuse = (errors: readonly GraphQLError[], refusal?: Refusal) => {
        for (const error of errors) record.errorCodes.push(codeOf(error));
        if (refusal) record.refusal = refusal;
        extra.running.delete(id);
        lifecycle.endOperation(record);
        return errors;
      };
      if (extra.running.size >= bounds.maxSubscriptionsPerConnection) {
        const most = bounds.maxSubscriptionsPerConnection;
        const message = `At most ${most} subscriptions may run at once on one connection`;
        return refuse([codedError('TOO_MANY_SUBSCRIPTIONS', message)], 'subscriptions');
      }
      // Counted from now: subscribe messages sent together cannot all pass the bound while being checked.
      extra.running.set(id, record);
      const ipWait = await hit('ip', extra.clientIp);
      if (ipWait > 0) return refuse([tooManyRequests(ipWait)], 'rate_ip');
      const actorWait = await hit('actor', extra.account!);
      if (actorWait > 0) return refuse([tooManyRequests(actorWait)], 'rate_actor');
      const nesting = nestingRefusal(payload.query, limits);
      if (nesting) {
        return refuse([new GraphQLError(nesting.message, { extensions: { code: nesting.code } })], 'nesting');
      }
      let document: DocumentNode;
      try {
        document = parse(payload.query);
      } catch (error) {
        const parseError = error instanceof GraphQLError ? error : new GraphQLError('Malformed query');
        return refuse([withCode(parseError, 'GRAPHQL_PARSE_FAILED')]);
      }
      const invalid = validate(schema, document, rules);
      if (invalid.length > 0) return refuse(invalid.map((error) => withCode(error, 'GRAPHQL_VALIDATION_FAILED')));
      const operation = getOperationAST(document, payload.operationName);
      if (!operation) {
        const message = 'Cannot tell which operation to run: send operationName naming one of the document';
        return refuse([codedError('OPERATION_RESOLUTION_FAILURE', message)]);
      }
      record.operationName = operation.name?.value;
      record.operationType = operation.operation;
      if (operation.operation !== 'subscription') {
        const message = 'Only subscriptions are served over WebSocket; queries and mutations go over HTTP';
        return refuse([codedError('BAD_REQUEST', message)]);
      }
      const variables = payload.variables ?? {};
      if (valueHasNul(variables) || documentHasNul(document)) return refuse([nulRefusal()]);
      const overLimit = overLimits(measureOperation(schema, document, operation, variables), limits);
      if (overLimit) return refuse([overLimit]);
      const args: ExecutionArgs = {
        schema,
        document,
        operationName: payload.operationName,
        variableValues: variables,
        contextValue: options.contextFor(extra.actor!, extra.clientIp),
      };
      return args;
    },
    onNext: (ctx, id, _payload, _args, result) => {
      if (!result.errors?.length) return;
      const record = ctx.extra.running.get(id);
      return { ...result, errors: result.errors.map((error) => format(error, record)) };
    },
    onError: (ctx, id, _payload, errors) => errors.map((error) => format(error, ctx.extra.running.get(id))),
    onComplete: (ctx, id) => finish(ctx.extra, id),
  });

  webSocketServer.on('connection', (socket: WebSocket, request: http.IncomingMessage) => {
    const extra: Extra = { socket, clientIp: clientIp(request), running: new Map() };
    let answered = true;
    const keepAlive = setInterval(() => {
      if (!answered) return socket.terminate();
      answered = false;
      socket.ping();
    }, KEEP_ALIVE_MS);
    keepAlive.unref();
    socket.on('pong', () => (answered = true));
    socket.on('error', (error: Error & { code?: string }) => {
      // A message over the size bound: ws has already closed the connection with 1009.
      if (error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') return noteRefused('MESSAGE', 'BAD_REQUEST', 'body_size');
      lifecycle.error(undefined, error);
      socket.terminate();
    });
    const closed = server.opened(
      {
        protocol: socket.protocol,
        send: (data) =>
          new Promise<void>((resolve, reject) => {
            if (socket.readyState !== WebSocket.OPEN) return resolve();
            socket.send(data, (error) => (error ? reject(error) : resolve()));
          }),
        close: (code, reason) => socket.close(code, reason),
        onMessage: (handle) =>
          socket.on('message', (data) => {
            handle(String(data)).catch((error) => {
              lifecycle.error(undefined, error);
              socket.close(CloseCode.InternalServerError, 'Internal server error');
            });
          }),
      },
      extra,
    );
    socket.once('close', (code, reason) => {
      clearInterval(keepAlive);
      if (extra.recheck) clearInterval(extra.recheck);
      if (extra.account) connectionsByAccount.add(extra.account, -1);
      closed(code, String(reason))
        .catch((error) => lifecycle.error(undefined, error))
        // Subscriptions still running end with their connection.
        .finally(() => {
          for (const id of [...extra.running.keys()]) finish(extra, id);
        });
    });
  });
  httpServer.on('upgrade', onUpgrade);

  return {
    // Every socket is closed with 1001 (going away): clients reconnect elsewhere and resume with `after:`.
    close: async () => {
      closing = true;
      for (const client of webSocketServer.clients) client.close(1001, 'Going away');
      await new Promise<void>((resolve) => webSocketServer.close(() => resolve()));
    },
  };
}
