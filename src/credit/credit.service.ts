import { DataSource } from 'typeorm';
import { Actor } from '../common/actor';
import { ForbiddenError } from '../common/errors';
import { CreditPolarity, CreditSource } from './credit-record.entity';

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
        const result: unknown[] = await manager.query(
          `INSERT INTO credit_record (enterprise_id, source, source_reference, indicator, polarity, recorded_on, expires_on)
           SELECT * FROM unnest($1::bigint[], $2::credit_source[], $3::varchar[], $4::varchar[], $5::credit_polarity[], $6::date[], $7::date[])
           ON CONFLICT (source, source_reference) DO NOTHING
           RETURNING id`,
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
      }
      rejected.sort((a, b) => a.line - b.line);
      return { imported, duplicates: accepted.length - imported, rejected };
    });
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
