import { DataSource, EntityManager } from 'typeorm';
import { entityReader } from '../common/database/entity-reader';
import { Keyset, keysetSql, namedBinder, PageRequest, positionalBinder } from '../common/pagination';
import { Actor, assertVerifiedEnterprise } from '../common/actor';
import { BusinessRuleError, ForbiddenError, NotFoundError } from '../common/errors';
import { Institution } from '../institution/institution.entity';
import { CreditAuthorization } from './credit-authorization.entity';
import { CreditProfile } from './credit-profile.entity';
import { contributionsSql } from './scoring-model';
import { DailyRescoring, rescoreDueProfiles } from './credit-scoring';
import { chinaToday, Clock, systemClock } from '../common/clock';
import { withTransaction } from '../common/database/transaction';
import { groupedBy } from '../common/loaders';
import {
  CreditImportResult,
  CreditRecordRow,
  importCreditBatch,
  parseCreditRecord,
  RejectedCreditRecord,
} from './credit-import';

export type { CreditImportResult, CreditRecordRow, RejectedCreditRecord } from './credit-import';

export class CreditService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly clock: Clock = systemClock,
  ) {}

  /** The daily rescoring of the profiles whose records crossed a date boundary, as of today in China. */
  rescoreDueProfiles(): Promise<DailyRescoring | null> {
    return this.dataSource.transaction((manager) => rescoreDueProfiles(manager, chinaToday(this.clock)));
  }

  /**
   * Imports credit records from a government source (the mutation; the CLI shares the same batch
   * import). Bad rows are refused with their position and reason; the good ones go in.
   */
  async importCreditRecords(actor: Actor, raw: Array<Record<string, unknown>>): Promise<CreditImportResult> {
    if (actor.kind !== 'OPERATOR' && actor.kind !== 'SYSTEM')
      throw new ForbiddenError('Only platform operators import credit data');
    const rejected: RejectedCreditRecord[] = [];
    const rows: Array<{ line: number; record: CreditRecordRow }> = [];
    raw.forEach((candidate, index) => {
      const parsed = parseCreditRecord(candidate);
      if (typeof parsed === 'string') rejected.push({ line: index + 1, reason: parsed });
      else rows.push({ line: index + 1, record: parsed });
    });
    const asOf = chinaToday(this.clock);
    const result = await withTransaction(this.dataSource, (manager) => importCreditBatch(manager, rows, asOf));
    return { ...result, rejected: [...rejected, ...result.rejected].sort((a, b) => a.line - b.line) };
  }

  /** The stored profile (score, grade, flags); every registered enterprise has one. */
  profile(enterpriseId: string): Promise<CreditProfile | null> {
    return this.dataSource.getRepository(CreditProfile).findOneBy({ enterpriseId });
  }

  /**
   * For each profile, a page of its records' contributions to the score as of the profile's date
   * (the explanation of the score), largest first (CONTRIBUTION_KEYSET), in fetch order: one
   * statement for all the profiles, a lateral page per (enterprise, date).
   */
  async contributionPages(
    profiles: ReadonlyArray<{ enterpriseId: string; asOf: string }>,
    page: PageRequest,
  ): Promise<CreditContribution[][]> {
    const params: unknown[] = [profiles.map((p) => p.enterpriseId), profiles.map((p) => p.asOf), page.limit + 1];
    const columns = [{ sql: 'abs(c.points)', descending: true }, { sql: 'c.record_id' }];
    const keyset = keysetSql(page, columns, positionalBinder(params));
    const rows: Array<CreditContribution & { position: string; ordinal: string }> = await this.dataSource.query(
      `SELECT t.position::text AS position, c.* FROM ${PROFILES_SQL}
       CROSS JOIN LATERAL (
         SELECT c.record_id::text AS "recordId", c.source, c.state, c.base_points AS "basePoints",
                c.decay_percent AS "decayPercent", c.points, c.flag, r.indicator, r.polarity::text AS polarity,
                r.recorded_on::text AS "recordedOn", r.expires_on::text AS "expiresOn",
                row_number() OVER (ORDER BY ${keyset.orderBy}) AS ordinal
         FROM (${contributionsSql('t.as_of', 'ARRAY[t.enterprise_id]')}) c JOIN credit_record r ON r.id = c.record_id
         WHERE ${keyset.where}
         ORDER BY ${keyset.orderBy} LIMIT $3) c
       ORDER BY t.position, c.ordinal`,
      params,
    );
    const positions = profiles.map((_, index) => String(index + 1));
    const groups = groupedBy(positions, rows, (row) => row.position);
    return groups.map((group) => group.map(({ position: _, ordinal: __, ...contribution }) => contribution));
  }

  /** How many records each profile's score explains (for `totalCount`); one statement for all. */
  async countContributions(profiles: ReadonlyArray<{ enterpriseId: string; asOf: string }>): Promise<number[]> {
    const rows: Array<{ position: string; n: number }> = await this.dataSource.query(
      `SELECT t.position::text AS position,
              (SELECT count(*) FROM (${contributionsSql('t.as_of', 'ARRAY[t.enterprise_id]')}) c)::int AS n
       FROM ${PROFILES_SQL}`,
      [profiles.map((p) => p.enterpriseId), profiles.map((p) => p.asOf)],
    );
    const byPosition = new Map(rows.map((row) => [row.position, row.n]));
    return profiles.map((_, index) => byPosition.get(String(index + 1)) ?? 0);
  }

  /**
   * The one rule for everything derived from credit records (the records, the score's
   * contributions, the flags): the enterprise itself, operators, and institutions it authorises
   * now (not revoked) see them; anyone else sees the score and grade alone. One answer per
   * enterprise, in one statement for all of them.
   */
  async recordDetailsVisible(
    actor: Actor,
    enterpriseIds: readonly string[],
    manager: EntityManager = this.dataSource.manager,
  ): Promise<boolean[]> {
    switch (actor.kind) {
      case 'OPERATOR':
      case 'SYSTEM':
        return enterpriseIds.map(() => true);
      case 'ENTERPRISE':
        return enterpriseIds.map((id) => id === actor.enterpriseId);
      case 'INSTITUTION': {
        const rows: Array<{ enterprise_id: string }> = await manager.query(
          `SELECT enterprise_id::text FROM credit_authorization
           WHERE enterprise_id = ANY($1::bigint[]) AND institution_id = $2 AND revoked_at IS NULL`,
          [[...enterpriseIds], actor.institutionId],
        );
        const authorised = new Set(rows.map((row) => row.enterprise_id));
        return enterpriseIds.map((id) => authorised.has(id));
      }
      default:
        return enterpriseIds.map(() => false);
    }
  }

  /** 信用授权 — the enterprise lets an institution see its record details (again). */
  async authorizeInstitution(actor: Actor, institutionId: string): Promise<CreditAuthorization> {
    if (actor.kind !== 'ENTERPRISE')
      throw new ForbiddenError('Only an enterprise authorises access to its credit records');
    assertVerifiedEnterprise(actor);
    if (!(await this.dataSource.getRepository(Institution).existsBy({ id: institutionId })))
      throw new NotFoundError('Institution');
    await grantCreditAuthorization(this.dataSource.manager, actor.enterpriseId, institutionId);
    return this.dataSource
      .getRepository(CreditAuthorization)
      .findOneByOrFail({ enterpriseId: actor.enterpriseId, institutionId });
  }

  /** The enterprise withdraws an institution's access to its record details. */
  async revokeInstitutionAuthorization(actor: Actor, institutionId: string): Promise<CreditAuthorization> {
    if (actor.kind !== 'ENTERPRISE')
      throw new ForbiddenError('Only an enterprise revokes access to its credit records');
    const repository = this.dataSource.getRepository(CreditAuthorization);
    const authorization = await repository.findOneBy({ enterpriseId: actor.enterpriseId, institutionId });
    if (!authorization || authorization.revokedAt)
      throw new BusinessRuleError('NOT_AUTHORIZED', 'This institution holds no authorisation to revoke', [
        'input',
        'institutionId',
      ]);
    authorization.revokedAt = new Date();
    return repository.save(authorization);
  }

  /**
   * For each enterprise, a page of its authorisations, revoked ones included, by institution, in
   * fetch order: one statement for all the enterprises (a window per enterprise; the key is the pair).
   */
  async authorizationPages(enterpriseIds: readonly string[], page: PageRequest): Promise<CreditAuthorization[][]> {
    const params: Record<string, unknown> = { enterpriseIds: [...enterpriseIds], pageLimit: page.limit + 1 };
    const keyset = keysetSql(page, [{ sql: 'child.institution_id' }], namedBinder(params));
    const rows = await entityReader(this.dataSource, CreditAuthorization).where(
      'a',
      `(a.enterprise_id, a.institution_id) IN (SELECT ranked.enterprise_id, ranked.institution_id FROM (
         SELECT child.enterprise_id, child.institution_id,
                row_number() OVER (PARTITION BY child.enterprise_id ORDER BY ${keyset.orderBy}) AS position
         FROM credit_authorization child
         WHERE child.enterprise_id = ANY(:enterpriseIds) AND ${keyset.where}) ranked
       WHERE ranked.position <= :pageLimit)`,
      params,
      `ORDER BY ${keyset.orderBy.replace(/\bchild\./g, 'a.')}`,
    );
    return groupedBy(enterpriseIds, rows, (row) => row.enterpriseId);
  }

  /** How many authorisations each enterprise has, revoked ones included (for `totalCount`). */
  async countAuthorizations(enterpriseIds: readonly string[]): Promise<number[]> {
    const rows: Array<{ id: string; n: number }> = await this.dataSource.query(
      `SELECT enterprise_id::text AS id, count(*)::int AS n FROM credit_authorization
       WHERE enterprise_id = ANY($1::bigint[]) GROUP BY enterprise_id`,
      [[...enterpriseIds]],
    );
    const byId = new Map(rows.map((row) => [row.id, row.n]));
    return enterpriseIds.map((id) => byId.get(id) ?? 0);
  }
}

/** Grants (or renews) an authorisation, in the caller's transaction: applying does this. */
export async function grantCreditAuthorization(
  manager: EntityManager,
  enterpriseId: string,
  institutionId: string,
): Promise<void> {
  await manager.query(
    `INSERT INTO credit_authorization (enterprise_id, institution_id) VALUES ($1, $2)
     ON CONFLICT (enterprise_id, institution_id) DO UPDATE SET granted_at = now(), revoked_at = NULL
     WHERE credit_authorization.revoked_at IS NOT NULL`,
    [enterpriseId, institutionId],
  );
}

/** Profiles as `t` (enterprise_id, as_of, position) from parallel arrays `$1` and `$2`. */
const PROFILES_SQL = 'unnest($1::bigint[], $2::date[]) WITH ORDINALITY AS t(enterprise_id, as_of, position)';

/** Contributions, largest first: by the points' absolute value, then the record's ID. */
export const CONTRIBUTION_KEYSET: Keyset = { name: 'CreditContribution', keys: ['integer', 'id'] };

export interface CreditContribution {
  recordId: string;
  source: string;
  indicator: string;
  polarity: string;
  recordedOn: string;
  expiresOn: string | null;
  state: 'ACTIVE' | 'EXPIRED' | 'NOT_YET_EFFECTIVE';
  basePoints: number;
  decayPercent: number;
  points: number;
  flag: string | null;
}
