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

/** What an audit trail's actor text (`actorKey`) names: the kind of party, which one, and the account. */
export interface ActorKeyParts {
  kind: Exclude<Actor['kind'], 'ANONYMOUS'>;
  /** The institution or enterprise acted for; null for the platform's own actors. */
  partyId: string | null;
  accountId: string | null;
}

const ACTOR_KEY = /^(ENTERPRISE|INSTITUTION|OPERATOR|ANALYST|SYSTEM)(?::(\d+))?(?:#(\d+))?$/;

/** The inverse of `actorKey`; null for text it never writes. */
export function parseActorKey(key: string): ActorKeyParts | null {
  const match = ACTOR_KEY.exec(key);
  if (!match) return null;
  const kind = match[1] as ActorKeyParts['kind'];
  const hasParty = kind === 'ENTERPRISE' || kind === 'INSTITUTION';
  if (hasParty !== (match[2] !== undefined)) return null;
  return { kind, partyId: match[2] ?? null, accountId: match[3] ?? null };
}
