import { DataSource, EntityManager } from 'typeorm';
import { Actor, actorKey } from '../common/actor';
import { keysetSql, PageRequest, positionalBinder } from '../common/pagination';
import { BusinessRuleError, ForbiddenError, NotFoundError } from '../common/errors';
import { transferCreditRecords, transferLock } from '../credit/credit-transfer';
import { Enterprise, EnterpriseVerificationStatus as Status } from './enterprise.entity';
import { IdentityVerifier } from './identity-verifier';
import { emit } from '../notifications/outbox';

/** One entry of the append-only verification audit trail (enterprise_verification_event). */
export interface VerificationEvent {
  id: string;
  enterpriseId: string;
  uscc: string;
  fromStatus: Status;
  toStatus: Status;
  method: string;
  actor: string;
  evidence: string;
  occurredAt: Date;
}

type Claim = { id: string; status: Status };

/**
 * 实名认证: which registration acts for a USCC. A registration is a claim (an enterprise row,
 * PENDING); an operator's review or a verifier (identity-verifier.ts) makes it VERIFIED, and the
 * other claims still waiting on that USCC SUPERSEDED. An operator can move a wrongly verified USCC
 * to another claim (the first becomes REVOKED). Every change is in enterprise_verification_event
 * with who, how and the evidence; the claims of a USCC are locked in id order while one changes.
 */
export class IdentityVerificationService {
  /**
   * Called after a claim lost its verification: its financing needs that can still be withdrawn are, as the
   * step of the operator who revoked it (wired in services.ts).
   */
  onRevoked: (operator: Actor, enterpriseId: string, reason: string) => Promise<void> = async () => undefined;
  /**
   * Called after any status change commits, so this process stops using accounts it kept with the
   * old status at once (other processes hear the enterprise trigger's notification).
   */
  onChanged: () => void = () => undefined;

  constructor(
    private readonly dataSource: DataSource,
    private readonly verifier: IdentityVerifier | null,
  ) {}

  /** An operator verifies a claim after reviewing evidence (licence, legal representative), which is recorded. */
  async verifyByOperator(actor: Actor, enterpriseId: string, evidence: string): Promise<Enterprise> {
    assertOperator(actor, 'verify enterprises');
    return this.verify(actorKey(actor), enterpriseId, 'OPERATOR_REVIEW', evidence);
  }

  /** The enterprise submits a signed assertion for its own claim; the configured verifier checks it. */
  async verifyByAssertion(actor: Actor, assertion: string): Promise<Enterprise> {
    if (actor.kind !== 'ENTERPRISE')
      throw new ForbiddenError('Only an enterprise submits an identity assertion for itself');
    if (!this.verifier) {
      throw new BusinessRuleError(
        'IDENTITY_VERIFIER_NOT_CONFIGURED',
        'Identity assertions are not accepted here; ask the platform operator to verify you',
      );
    }
    const claim = await this.dataSource.getRepository(Enterprise).findOneByOrFail({ id: actor.enterpriseId });
    if (claim.verificationStatus === Status.VERIFIED) return claim;
    const verdict = await this.verifier.check({ enterpriseId: claim.id, uscc: claim.uscc }, assertion);
    if (!verdict.verified)
      throw new BusinessRuleError('IDENTITY_ASSERTION_REJECTED', verdict.reason, ['input', 'assertion']);
    return this.verify(actorKey(actor), claim.id, this.verifier.method, verdict.evidence);
  }

  private async verify(actorText: string, enterpriseId: string, method: string, evidence: string): Promise<Enterprise> {
    const verified = await this.dataSource.transaction(async (manager) => {
      const { uscc, claims } = await lockClaims(manager, enterpriseId);
      const claim = claims.find((c) => c.id === enterpriseId)!;
      if (claim.status === Status.VERIFIED)
        return manager.getRepository(Enterprise).findOneByOrFail({ id: enterpriseId });
      if (claims.some((c) => c.status === Status.VERIFIED)) {
        throw new BusinessRuleError(
          'USCC_ALREADY_VERIFIED',
          'Another registration of this USCC is verified; if that is wrong, ' +
            'the platform operator can move it to this one',
          ['input', 'enterpriseId'],
        );
      }
      const superseded = claims.filter((c) => c.id !== enterpriseId && c.status === Status.PENDING);
      await setStatus(manager, [claim], Status.VERIFIED, { uscc, method, actor: actorText, evidence });
      await setStatus(manager, superseded, Status.SUPERSEDED, {
        uscc,
        method,
        actor: actorText,
        evidence: `registration ${enterpriseId} was verified`,
      });
      return manager.getRepository(Enterprise).findOneByOrFail({ id: enterpriseId });
    });
    this.onChanged();
    return verified;
  }

  /**
   * An operator moves a wrongly verified USCC to another registration of it: the first becomes
   * REVOKED (its open financing needs are withdrawn), the second VERIFIED, and the USCC's credit
   * records follow it.
   */
  async reassign(
    actor: Actor,
    input: { fromEnterpriseId: string; toEnterpriseId: string; evidence: string },
  ): Promise<Enterprise> {
    assertOperator(actor, 'move a verified USCC');
    const { fromEnterpriseId, toEnterpriseId, evidence } = input;
    const moved = await this.dataSource.transaction(async (manager) => {
      // First, before the claims: an import in flight files records under the registration about to be revoked,
      // invisible to the transfer until it commits (src/credit/credit-transfer.ts).
      await transferLock(manager);
      const { uscc, claims } = await lockClaims(manager, fromEnterpriseId);
      const from = claims.find((c) => c.id === fromEnterpriseId)!;
      const to = claims.find((c) => c.id === toEnterpriseId);
      if (from.status !== Status.VERIFIED) {
        throw new BusinessRuleError('NOT_VERIFIED', 'This registration is not the verified one of its USCC', [
          'input',
          'fromEnterpriseId',
        ]);
      }
      if (!to) {
        if (!(await manager.getRepository(Enterprise).existsBy({ id: toEnterpriseId })))
          throw new NotFoundError('Enterprise');
        throw new BusinessRuleError('DIFFERENT_USCC', 'The registration to move to claims another USCC', [
          'input',
          'toEnterpriseId',
        ]);
      }
      if (to === from)
        throw new BusinessRuleError('SAME_REGISTRATION', 'Both IDs name the same registration', [
          'input',
          'toEnterpriseId',
        ]);
      const audit = { uscc, method: 'REASSIGNMENT', actor: actorKey(actor), evidence };
      await setStatus(manager, [from], Status.REVOKED, audit);
      await setStatus(manager, [to], Status.VERIFIED, audit);
      await transferCreditRecords(manager, from.id, to.id);
      return manager.getRepository(Enterprise).findOneByOrFail({ id: toEnterpriseId });
    });
    this.onChanged();
    await this.onRevoked(
      actor,
      fromEnterpriseId,
      `identity (实名认证) moved to another registration by the platform operator`,
    );
    return moved;
  }

  /** Only operators read the audit trail: its evidence may name people and documents. */
  mayReadEvents(actor: Actor): boolean {
    return actor.kind === 'OPERATOR' || actor.kind === 'SYSTEM';
  }

  /**
   * For each enterprise, a page (fetched with `limit + 1`, in fetch order) of the audit trail of
   * every claim on its USCC, by event ID; one statement for all.
   */
  async eventsOfUsccs(enterpriseIds: readonly string[], page: PageRequest): Promise<VerificationEvent[][]> {
    const params: unknown[] = [enterpriseIds, page.limit + 1];
    const keyset = keysetSql(page, [{ sql: 'v.id' }], positionalBinder(params));
    const rows: Array<VerificationEvent & { forEnterprise: string }> = await this.dataSource.query(
      `SELECT "forEnterprise", id, "enterpriseId", uscc, "fromStatus", "toStatus", method, actor, evidence, "occurredAt"
       FROM (SELECT e.id::text AS "forEnterprise", v.id::text AS id, v.enterprise_id::text AS "enterpriseId", v.uscc,
               v.from_status AS "fromStatus", v.to_status AS "toStatus", v.method, v.actor, v.evidence,
               v.occurred_at AS "occurredAt",
               row_number() OVER (PARTITION BY e.id ORDER BY ${keyset.orderBy}) AS position
             FROM enterprise e JOIN enterprise_verification_event v ON v.uscc = e.uscc
             WHERE e.id = ANY($1::bigint[]) AND ${keyset.where}) ranked
       WHERE position <= $2 ORDER BY position`,
      params,
    );
    const byEnterprise = new Map<string, VerificationEvent[]>(enterpriseIds.map((id) => [id, []]));
    for (const { forEnterprise, ...event } of rows) byEnterprise.get(forEnterprise)!.push(event);
    return enterpriseIds.map((id) => byEnterprise.get(id)!);
  }

  /** For each enterprise, how many events the audit trail of its USCC holds. */
  async countEventsOfUsccs(enterpriseIds: readonly string[]): Promise<number[]> {
    const rows: Array<{ id: string; n: number }> = await this.dataSource.query(
      `SELECT e.id::text AS id, count(*)::int AS n
       FROM enterprise e JOIN enterprise_verification_event v ON v.uscc = e.uscc
       WHERE e.id = ANY($1::bigint[]) GROUP BY e.id`,
      [enterpriseIds],
    );
    const counts = new Map(rows.map((row) => [row.id, row.n]));
    return enterpriseIds.map((id) => counts.get(id) ?? 0);
  }
}

function assertOperator(actor: Actor, doing: string): void {
  if (actor.kind !== 'OPERATOR' && actor.kind !== 'SYSTEM')
    throw new ForbiddenError(`Only the platform operator may ${doing}`);
}

/** Every claim on the USCC of `enterpriseId`, locked in id order (NOT_FOUND when it does not exist). */
async function lockClaims(manager: EntityManager, enterpriseId: string): Promise<{ uscc: string; claims: Claim[] }> {
  const [target]: Array<{ uscc: string }> = await manager.query(`SELECT uscc FROM enterprise WHERE id = $1`, [
    enterpriseId,
  ]);
  if (!target) throw new NotFoundError('Enterprise');
  const claims: Claim[] = await manager.query(
    `SELECT id::text AS id, verification_status AS status FROM enterprise WHERE uscc = $1 ORDER BY id FOR UPDATE`,
    [target.uscc],
  );
  return { uscc: target.uscc, claims };
}

async function setStatus(
  manager: EntityManager,
  claims: Claim[],
  status: Status,
  audit: { uscc: string; method: string; actor: string; evidence: string },
): Promise<void> {
  if (claims.length === 0) return;
  const ids = claims.map((c) => c.id);
  await manager.query(
    `UPDATE enterprise SET verification_status = $2::enterprise_verification_status,
       verified_at = CASE WHEN $2::enterprise_verification_status = 'VERIFIED' THEN now() END
     WHERE id = ANY($1::bigint[])`,
    [ids, status],
  );
  await manager.query(
    `INSERT INTO enterprise_verification_event (enterprise_id, uscc, from_status, to_status, method, actor, evidence)
     SELECT id, $3, from_status::enterprise_verification_status, $4, $5, $6, $7
     FROM unnest($1::bigint[], $2::text[]) AS t(id, from_status)`,
    [ids, claims.map((c) => c.status), audit.uscc, status, audit.method, audit.actor, audit.evidence],
  );
  if (status !== Status.VERIFIED) return;
  for (const { id } of claims) {
    const payload: Record<string, [string, string]> = { enterpriseId: ['Enterprise', id] };
    await emit(manager, { type: 'ENTERPRISE_VERIFIED', enterpriseId: id, platform: true, payload });
  }
}
