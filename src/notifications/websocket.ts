import type http from 'node:http';
import { GraphQLError, GraphQLSchema, getOperationAST, parse, validate } from 'graphql';
import { CloseCode } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import type { Actor } from '../common/actor';
import type { SubscriptionContext } from './notifications.resolver';
import { codedError, ErrorCode } from '../common/errors';

/** How often a connection's token is checked again: a revoked session or an expired token ends it this soon. */
export const TOKEN_RECHECK_MS = 1000;

export interface SubscriptionServerOptions {
  schema: GraphQLSchema;
  /** Who acts for the connection's `connectionParams` (the HTTP headers' rules); throws to refuse. */
  authenticate(params: Record<string, unknown>): Promise<Actor>;
  /** The token's actor now, or null once it expired or its session ended. */
  recheck(token: string): Promise<Actor | null>;
  /** The context of one subscription for the connection's actor. */
  contextFor(actor: Actor, clientAddress: string): SubscriptionContext;
  recheckMs?: number;
}

/** What a connection keeps beside graphql-ws's socket and request (a type alias: graphql-ws wants a record). */
type Extra = {
  actor?: Actor;
  recheck?: NodeJS.Timeout;
};

const bearer = (params: Record<string, unknown>): string | null => {
  const value = params.authorization ?? params.Authorization;
  const match = typeof value === 'string' ? /^Bearer ([A-Za-z0-9_.-]{1,2048})$/.exec(value.trim()) : null;
  return match ? match[1] : null;
};

/** The same party and account (an enterprise's verification may change; that is not another party). */
const sameParty = (a: Actor, b: Actor) =>
  JSON.stringify({ ...a, verified: 0 }) === JSON.stringify({ ...b, verified: 0 });

/**
 * GraphQL subscriptions over the graphql-ws protocol on the HTTP server's `/graphql`. The connection
 * is authenticated once, by `connectionParams` (`authorization: "Bearer <token>"`, or outside
 * production `x-actor` as the HTTP header); the token is checked again every `recheckMs`, and the
 * socket closed with 4401 once it expired or its session ended, 4403 once it acts for another party.
 * Only subscriptions are served here: queries and mutations go over HTTP, with its limits.
 */
export function attachSubscriptions(
  httpServer: http.Server,
  options: SubscriptionServerOptions,
): { close(): Promise<void> } {
  const { schema, recheckMs = TOKEN_RECHECK_MS } = options;
  const webSocketServer = new WebSocketServer({ server: httpServer, path: '/graphql', maxPayload: 64 * 1024 });
  const served = useServer<Record<string, unknown>, Extra>(
    {
      schema,
      onConnect: async (ctx) => {
        const params = ctx.connectionParams ?? {};
        let actor: Actor;
        try {
          actor = await options.authenticate(params);
        } catch (error) {
          const message = error instanceof GraphQLError ? error.message : 'Authentication failed';
          ctx.extra.socket.close(CloseCode.Unauthorized, message.slice(0, 120));
          return false;
        }
        if (actor.kind === 'ANONYMOUS') {
          ctx.extra.socket.close(CloseCode.Unauthorized, 'Send connectionParams.authorization: "Bearer <token>"');
          return false;
        }
        ctx.extra.actor = actor;
        const token = bearer(params);
        if (token) {
          ctx.extra.recheck = setInterval(() => {
            options.recheck(token).then(
              (now) => {
                const { socket } = ctx.extra;
                if (!now) socket.close(CloseCode.Unauthorized, 'The access token expired or its session ended');
                else if (!sameParty(now, actor)) socket.close(CloseCode.Forbidden, 'Acting for another party now');
              },
              () => undefined,
            );
          }, recheckMs);
          ctx.extra.recheck.unref();
        }
        return true;
      },
      onSubscribe: (_ctx, _id, payload) => {
        let document;
        try {
          document = parse(payload.query, { maxTokens: 2000 });
        } catch (error) {
          const message = error instanceof GraphQLError ? error.message : 'Malformed query';
          return [codedError('GRAPHQL_PARSE_FAILED', message)];
        }
        const errors = validate(schema, document);
        if (errors.length > 0) {
          const code: ErrorCode = 'GRAPHQL_VALIDATION_FAILED';
          return errors.map((error) => new GraphQLError(error.message, { nodes: error.nodes, extensions: { code } }));
        }
        const operation = getOperationAST(document, payload.operationName);
        if (operation?.operation !== 'subscription') {
          const message = 'Only subscriptions are served over WebSocket; queries and mutations go over HTTP';
          return [codedError('BAD_REQUEST', message)];
        }
      },
      context: (ctx) => options.contextFor(ctx.extra.actor!, ctx.extra.request.socket.remoteAddress ?? 'unknown'),
      onClose: (ctx) => {
        if (ctx.extra.recheck) clearInterval(ctx.extra.recheck);
      },
    },
    webSocketServer,
  );
  return {
    // Every socket is closed with 1001 (going away): clients reconnect elsewhere and resume with `after:`.
    close: async () => {
      await served.dispose();
    },
  };
}
