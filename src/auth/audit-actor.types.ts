import { Field, ObjectType, registerEnumType } from 'type-graphql';
import { Actor, parseActorKey } from '../common/actor';

export enum AuditActorKind {
  ENTERPRISE = 'ENTERPRISE',
  INSTITUTION = 'INSTITUTION',
  OPERATOR = 'OPERATOR',
  ANALYST = 'ANALYST',
  SYSTEM = 'SYSTEM',
}
registerEnumType(AuditActorKind, {
  name: 'AuditActorKind',
  description: 'The kind of party that acted in an audit trail.',
  valuesConfig: {
    ENTERPRISE: { description: 'The enterprise (企业), through one of its accounts.' },
    INSTITUTION: { description: 'The financial institution (金融机构), through one of its staff.' },
    OPERATOR: { description: 'A platform operator (平台运营).' },
    ANALYST: { description: 'An analyst of the platform.' },
    SYSTEM: { description: 'The platform itself: a scheduled sweep, a migration, demo data.' },
  },
});

/**
 * Who acted in an audit trail, as far as the caller may know it: the party always; the account (a
 * `UserAccount` node, with its role) only to the platform's operators and to the same institution or
 * enterprise. A bank learns that "the enterprise" acted, not which of its users; an enterprise
 * learns that "the bank" acted; neither learns which operator did.
 */
@ObjectType({
  simpleResolvers: true,
  description:
    'Who acted (经办人): the kind of party, its institution or enterprise, and — to operators and to the same ' +
    'party — the account and its role.',
})
export class AuditActor {
  @Field(() => AuditActorKind, { description: 'The kind of party that acted.' })
  kind: AuditActorKind;

  /** Resolved by AuditActorResolver (src/auth/auth.resolver.ts), batched; null when not shown. */
  accountId: string | null;

  institutionId: string | null;

  enterpriseId: string | null;
}

/** May `viewer` know which account of this party acted (and see that account)? */
export function mayKnowAccountOf(
  viewer: Actor,
  party: { institutionId?: string | null; enterpriseId?: string | null },
): boolean {
  switch (viewer.kind) {
    case 'OPERATOR':
    case 'SYSTEM':
      return true;
    case 'INSTITUTION':
      return !!party.institutionId && party.institutionId === viewer.institutionId;
    case 'ENTERPRISE':
      return !!party.enterpriseId && party.enterpriseId === viewer.enterpriseId;
    default:
      return false;
  }
}

/** The actor of an audit trail's row (text written by `actorKey`) as `viewer` may see it. */
export function auditActor(viewer: Actor, key: string): AuditActor {
  const parts = parseActorKey(key);
  const actor = new AuditActor();
  // Text no code writes any more (none is known) reads as the platform's own.
  actor.kind = parts ? AuditActorKind[parts.kind] : AuditActorKind.SYSTEM;
  actor.institutionId = parts?.kind === 'INSTITUTION' ? parts.partyId : null;
  actor.enterpriseId = parts?.kind === 'ENTERPRISE' ? parts.partyId : null;
  actor.accountId = parts?.accountId && mayKnowAccountOf(viewer, actor) ? parts.accountId : null;
  return actor;
}
