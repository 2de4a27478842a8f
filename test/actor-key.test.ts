import { Actor, actorKey, parseActorKey } from '../src/common/actor';
import { auditActor, AuditActorKind } from '../src/auth/audit-actor.types';

describe('actor keys (the text of the audit trails)', () => {
  it('parses back what actorKey writes, and nothing else', () => {
    const actors: Actor[] = [
      { kind: 'ENTERPRISE', enterpriseId: '7', verified: true, accountId: '12' },
      { kind: 'ENTERPRISE', enterpriseId: '7', verified: true },
      { kind: 'INSTITUTION', institutionId: '3', accountId: '17' },
      { kind: 'OPERATOR', accountId: '1' },
      { kind: 'OPERATOR' },
      { kind: 'SYSTEM' },
    ];
    expect(actors.map((actor) => parseActorKey(actorKey(actor)))).toEqual([
      { kind: 'ENTERPRISE', partyId: '7', accountId: '12' },
      { kind: 'ENTERPRISE', partyId: '7', accountId: null },
      { kind: 'INSTITUTION', partyId: '3', accountId: '17' },
      { kind: 'OPERATOR', partyId: null, accountId: '1' },
      { kind: 'OPERATOR', partyId: null, accountId: null },
      { kind: 'SYSTEM', partyId: null, accountId: null },
    ]);
    for (const text of ['', 'INSTITUTION', 'OPERATOR:3', 'ENTERPRISE:x#1', 'ANONYMOUS', 'INSTITUTION:1#2#3']) {
      expect(parseActorKey(text)).toBeNull();
    }
  });

  it('shows the account only to operators and to the same party', () => {
    const key = 'INSTITUTION:3#17';
    const seen = (viewer: Actor) => ({ ...auditActor(viewer, key) });
    const bank = { kind: AuditActorKind.INSTITUTION, institutionId: '3', enterpriseId: null };
    expect(seen({ kind: 'OPERATOR' })).toEqual({ ...bank, accountId: '17' });
    expect(seen({ kind: 'INSTITUTION', institutionId: '3' }).accountId).toBe('17');
    expect(seen({ kind: 'INSTITUTION', institutionId: '4' }).accountId).toBeNull();
    expect(seen({ kind: 'ENTERPRISE', enterpriseId: '3', verified: true })).toEqual({ ...bank, accountId: null });
    expect(seen({ kind: 'ANALYST' }).accountId).toBeNull();
    const operator = { ...auditActor({ kind: 'INSTITUTION', institutionId: '3' }, 'OPERATOR#1') };
    expect(operator).toEqual({
      kind: AuditActorKind.OPERATOR,
      institutionId: null,
      enterpriseId: null,
      accountId: null,
    });
  });
});
