import { DataSource, EntityManager } from 'typeorm';
import { Actor } from '../common/actor';
import { ForbiddenError } from '../common/errors';
import { chinaDate } from '../lending/response-deadline';
import { MatchingJobKind } from '../matching/matching-job.entity';
import { CreditPolarity, CreditSource } from './credit-record.entity';
import { CreditProfile } from './credit-profile.entity';
import { contributionsSql, SCORING_MODEL_VERSION, scoresSql } from './scoring-model';

export interface CreditRecordRow {
  uscc: string;
  source: CreditSource;
  sourceReference: string;
  indicator: string;
  polarity: CreditPolarity;
  recordedOn: string;
  expiresOn?: string | null;
}

export interface RejectedCreditRecord {
  /** 1-based position of the row in what was submitted (line number for files). */
  line: number;
  reason: string;
}

export interface CreditImportResult {
  imported: number;
  duplicates: number;
  rejected: RejectedCreditRecord[];
}

export class CreditService {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Imports credit records from a government source. Rows naming an unknown USCC or with an
   * expiry before their date are rejected with their line; the rest go in with one set-based
   * statement. (source, sourceReference) identifies a record, so importing twice changes nothing.
   */
  async importCreditRecords(actor: Actor, rows: CreditRecordRow[]): Promise<CreditImportResult> {
    if (actor.kind !== 'OPERATOR' && actor.kind !== 'SYSTEM') throw new ForbiddenError('Only platform operators import credit data');
    const rejected: RejectedCreditRecord[] = [];
    const candidates: Array<CreditRecordRow & { line: number }> = [];
    rows.forEach((row, index) => {
      if (row.expiresOn && row.expiresOn < row.recordedOn) rejected.push({ line: index + 1, reason: 'expiresOn is before recordedOn' });
      else candidates.push({ ...row, line: index + 1 });
    });
    return this.dataSource.transaction(async (manager) => {
      const known: Array<{ uscc: string; id: string }> = await manager.query(`SELECT uscc, id::text AS id FROM enterprise WHERE uscc = ANY($1)`, [
        [...new Set(candidates.map((row) => row.uscc))],
      ]);
      const enterpriseByUscc = new Map(known.map((row) => [row.uscc, row.id]));
      const accepted = candidates.filter((row) => {
        if (enterpriseByUscc.has(row.uscc)) return true;
        rejected.push({ line: row.line, reason: 'no registered enterprise has this USCC' });
        return false;
      });
      let imported = 0;
      if (accepted.length > 0) {
        const result: Array<{ enterprise_id: string }> = await manager.query(
          `INSERT INTO credit_record (enterprise_id, source, source_reference, indicator, polarity, recorded_on, expires_on)
           SELECT * FROM unnest($1::bigint[], $2::credit_source[], $3::varchar[], $4::varchar[], $5::credit_polarity[], $6::date[], $7::date[])
           ON CONFLICT (source, source_reference) DO NOTHING
           RETURNING enterprise_id::text`,
          [
            accepted.map((row) => enterpriseByUscc.get(row.uscc)),
            accepted.map((row) => row.source),
            accepted.map((row) => row.sourceReference),
            accepted.map((row) => row.indicator),
            accepted.map((row) => row.polarity),
            accepted.map((row) => row.recordedOn),
            accepted.map((row) => row.expiresOn ?? null),
          ],
        );
        imported = result.length;
        await recomputeCreditProfiles(manager, [...new Set(result.map((row) => row.enterprise_id))]);
      }
      rejected.sort((a, b) => a.line - b.line);
      return { imported, duplicates: accepted.length - imported, rejected };
    });
  }

  /** The stored profile (score, grade, flags); every registered enterprise has one. */
  profile(enterpriseId: string): Promise<CreditProfile | null> {
    return this.dataSource.getRepository(CreditProfile).findOneBy({ enterpriseId });
  }

  /** Each record's contribution to the score as of the profile's date: the explanation of the score. */
  async contributions(enterpriseId: string, asOf: string): Promise<CreditContribution[]> {
    const rows = await this.dataSource.query(
      `SELECT c.record_id::text AS "recordId", c.source, c.state, c.base_points AS "basePoints", c.decay_percent AS "decayPercent", c.points, c.flag,
              r.indicator, r.polarity::text AS polarity, r.recorded_on::text AS "recordedOn", r.expires_on::text AS "expiresOn"
       FROM (${contributionsSql('$1::date', '$2::bigint[]')}) c JOIN credit_record r ON r.id = c.record_id
       ORDER BY abs(c.points) DESC, c.record_id`,
      [asOf, [enterpriseId]],
    );
    return rows;
  }

  /** Record details: the enterprise itself, operators, and institutions it applied to (applying authorises). */
  canSeeRecordsOf(actor: Actor, enterpriseId: string): Promise<boolean> | boolean {
    switch (actor.kind) {
      case 'OPERATOR':
      case 'SYSTEM':
        return true;
      case 'ENTERPRISE':
        return actor.enterpriseId === enterpriseId;
      case 'INSTITUTION':
        return this.dataSource
          .query(`SELECT 1 FROM application WHERE enterprise_id = $1 AND institution_id = $2 LIMIT 1`, [enterpriseId, actor.institutionId])
          .then((rows: unknown[]) => rows.length > 0);
      default:
        return false;
    }
  }
}

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

/**
 * Recomputes the scores of the given enterprises as of today (China time) in one statement, keeps
 * the matchable requests' copies in step, and queues a match refresh for each score that changed.
 */
export async function recomputeCreditProfiles(manager: EntityManager, enterpriseIds: string[], asOf = chinaDate(new Date())): Promise<string[]> {
  if (enterpriseIds.length === 0) return [];
  const changed: Array<{ enterprise_id: string }> = await manager.query(
    `WITH scored AS (${scoresSql('$1::date', '$2::bigint[]')}),
     previous AS (SELECT enterprise_id, score, grade, flags FROM credit_profile WHERE enterprise_id = ANY($2::bigint[])),
     upserted AS (
       INSERT INTO credit_profile (enterprise_id, score, grade, flags, model_version, as_of, computed_at)
       SELECT enterprise_id, score, grade, flags, $3, $1::date, now() FROM scored
       ON CONFLICT (enterprise_id) DO UPDATE SET score = excluded.score, grade = excluded.grade, flags = excluded.flags,
         model_version = excluded.model_version, as_of = excluded.as_of, computed_at = excluded.computed_at
       RETURNING enterprise_id, score, grade, flags
     )
     SELECT u.enterprise_id::text FROM upserted u LEFT JOIN previous p USING (enterprise_id)
     WHERE p.enterprise_id IS NOT NULL AND (p.score, p.grade, p.flags) IS DISTINCT FROM (u.score, u.grade, u.flags)`,
    [asOf, enterpriseIds, SCORING_MODEL_VERSION],
  );
  const changedIds = changed.map((row) => row.enterprise_id);
  if (changedIds.length > 0) {
    await manager.query(
      `UPDATE matchable_request m SET credit_score = cp.score, credit_grade = cp.grade, dishonest_debtor = 'DISHONEST_DEBTOR' = ANY(cp.flags)
       FROM credit_profile cp WHERE cp.enterprise_id = m.enterprise_id AND m.enterprise_id = ANY($1::bigint[])`,
      [changedIds],
    );
    await manager.query(`INSERT INTO matching_job (kind, subject_id) SELECT $1, unnest($2::bigint[])`, [MatchingJobKind.SCORE_CHANGED, changedIds]);
  }
  return changedIds;
}
