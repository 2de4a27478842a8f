import type { ExecutionResult } from 'graphql';
import type { DataSource } from 'typeorm';
import type { Actor } from './actor';
import type { Loaders } from './loaders';
import type { Services } from '../services';

/** Built for each GraphQL request: who acts, that request's DataLoaders, and the services. */
export interface RequestContext {
  actor: Actor;
  /** The client's address (the socket's peer): it keys sign-in throttling and shares of password hashing. */
  clientAddress: string;
  loaders: Loaders;
  services: Services;
  dataSource: DataSource;
  /**
   * A query the direct path (src/common/direct-queries.ts) already ran and got errors from, handed
   * to Apollo for its error formatting: Apollo answers from this result instead of running it again.
   */
  executed?: ExecutionResult;
}
