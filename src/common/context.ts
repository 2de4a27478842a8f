import type { IncomingMessage } from 'node:http';
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
  /** The HTTP request, for what the request pipeline notes about it (src/common/http/request-lifecycle.ts). */
  request?: IncomingMessage;
}

/**
 * Whether the actor sees the details derived from an enterprise's credit records (batched per
 * request): the one rule of src/credit (CreditService.recordDetailsVisible) for every module's fields.
 */
export function recordDetailsVisible(ctx: RequestContext, enterpriseId: string): Promise<boolean> {
  return ctx.loaders
    .keyed<string, boolean>('recordDetailsVisible', (ids) => ctx.services.credit.recordDetailsVisible(ctx.actor, ids))
    .load(enterpriseId);
}
