/**
 * The party on whose behalf an operation runs. Services take it explicitly and check ownership;
 * how it is established (development header now, tokens later) is the server's business.
 */
export type Actor =
  | { kind: 'ANONYMOUS' }
  | { kind: 'ENTERPRISE'; enterpriseId: string }
  | { kind: 'INSTITUTION'; institutionId: string }
  | { kind: 'ANALYST' }
  | { kind: 'OPERATOR' }
  | { kind: 'SYSTEM' };

export const anonymous: Actor = { kind: 'ANONYMOUS' };
export const systemActor: Actor = { kind: 'SYSTEM' };

/** Stable text for audit trails and idempotency keys, e.g. "ENTERPRISE:12". */
export function actorKey(actor: Actor): string {
  switch (actor.kind) {
    case 'ENTERPRISE':
      return `ENTERPRISE:${actor.enterpriseId}`;
    case 'INSTITUTION':
      return `INSTITUTION:${actor.institutionId}`;
    default:
      return actor.kind;
  }
}
