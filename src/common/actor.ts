import { EnterpriseNotVerifiedError } from './errors';

/**
 * The party on whose behalf an operation runs. Services take it explicitly and check ownership;
 * how it is established (development header now, tokens later) is the server's business.
 */
export type Actor =
  | { kind: 'ANONYMOUS' }
  | {
      kind: 'ENTERPRISE';
      enterpriseId: string;
      /** Its claim on the USCC is verified (实名认证); read with the actor, kept current like the account. */
      verified: boolean;
      accountId?: string;
      sessionId?: string;
    }
  | { kind: 'INSTITUTION'; institutionId: string; admin?: boolean; accountId?: string; sessionId?: string }
  | { kind: 'ANALYST'; accountId?: string; sessionId?: string }
  | { kind: 'OPERATOR'; accountId?: string; sessionId?: string }
  | { kind: 'SYSTEM' };

/** Refuses an enterprise actor whose claim is not verified; other actors pass (their own rules apply). */
export function assertVerifiedEnterprise(actor: Actor): void {
  if (actor.kind === 'ENTERPRISE' && !actor.verified) throw new EnterpriseNotVerifiedError();
}

export const anonymous: Actor = { kind: 'ANONYMOUS' };
export const systemActor: Actor = { kind: 'SYSTEM' };

/**
 * Stable text for audit trails and idempotency keys: the party, and the signed-in account acting
 * for it where there is one, e.g. "INSTITUTION:3#17".
 */
export function actorKey(actor: Actor): string {
  const account = 'accountId' in actor && actor.accountId ? `#${actor.accountId}` : '';
  switch (actor.kind) {
    case 'ENTERPRISE':
      return `ENTERPRISE:${actor.enterpriseId}${account}`;
    case 'INSTITUTION':
      return `INSTITUTION:${actor.institutionId}${account}`;
    default:
      return `${actor.kind}${account}`;
  }
}
