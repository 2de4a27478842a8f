/**
 * The request pipeline's side of read replicas (src/common/database/replicas.ts): which requests
 * read from replicas, and the consistency token on the responses of mutations.
 */
import type { IncomingMessage } from 'node:http';
import type { ApolloServerPlugin } from '@apollo/server';
import type express from 'express';
import type { DataSource } from 'typeorm';
import {
  CONSISTENCY_HEADER,
  isReadOnlyDocument,
  LSN,
  onPrimary,
  ReadRoute,
  readFromReplicas,
  ReplicaSet,
  walPosition,
} from '../database/replicas';

/** The route of a read-only request: at or past the consistency token it sent, if any. */
function routeOf(req: IncomingMessage): ReadRoute {
  const token = req.headers[CONSISTENCY_HEADER];
  return { minLsn: typeof token === 'string' && LSN.test(token.trim()) ? token.trim() : null };
}

/** Express: a parsed read-only GraphQL request continues with its reads routed to the replicas. */
export function replicaReads(replicas: ReplicaSet | null): express.RequestHandler {
  return (req, _res, next) => {
    const document = req.method === 'GET' ? req.query?.query : (req.body as { query?: unknown } | undefined)?.query;
    if (!replicas) return next();
    // Handed over by the direct path, a request arrives inside its route: a mutation leaves it.
    if (isReadOnlyDocument(document)) readFromReplicas(routeOf(req), next);
    else onPrimary(next);
  };
}

/** The direct query path (queries only): `work` with its reads routed to the replicas. */
export function aroundDirectQuery(replicas: ReplicaSet | null) {
  return <R>(req: IncomingMessage, work: () => R): R => (replicas ? readFromReplicas(routeOf(req), work) : work());
}

/**
 * A mutation's response carries the primary's WAL position after it committed: a later read
 * sending it back (X-Consistency-Token) sees the mutation's writes, on a replica or the primary.
 */
export function consistencyToken(replicas: ReplicaSet | null, dataSource: DataSource): ApolloServerPlugin {
  return {
    async requestDidStart() {
      if (!replicas) return {};
      return {
        async willSendResponse({ response, operation }) {
          if (operation?.operation !== 'mutation') return;
          try {
            response.http.headers.set(CONSISTENCY_HEADER, await walPosition(dataSource));
          } catch {
            // No token: the client's next read may be served by a replica that is behind.
          }
        },
      };
    },
  };
}
