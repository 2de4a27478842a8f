/**
 * The request pipeline's side of read replicas (src/common/database/replicas.ts): which requests
 * read from replicas, and the consistency token on the responses of mutations.
 */
import type { IncomingMessage } from 'node:http';
import type { ApolloServerPlugin } from '@apollo/server';
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

/**
 * Runs a GraphQL request's execution (`query` its text): a read-only one reads from the replicas,
 * at or past the consistency token it sent; anything else stays on the primary.
 */
export function aroundRequest(replicas: ReplicaSet | null) {
  return <R>(req: IncomingMessage, query: unknown, work: () => R): R => {
    if (!replicas) return work();
    return isReadOnlyDocument(query) ? readFromReplicas(routeOf(req), work) : onPrimary(work);
  };
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
