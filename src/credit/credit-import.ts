import { EntityManager } from 'typeorm';
import { from as copyFrom } from 'pg-copy-streams';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { isValidUscc } from '../common/reference/uscc';
import { CreditPolarity, CreditSource } from './credit-record.entity';
import { recomputeCreditProfiles } from './credit-scoring';
import { chinaDate } from '../common/clock';

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
  /** 1-based line of the file (or position in a batch). */
  line: number;
  reason: string;
}

export interface CreditImportResult {
  imported: number;
  duplicates: number;
  rejected: RejectedCreditRecord[];
  /** Enterprises whose records changed (their scores were recomputed). */
  rescored: number;
}

const SOURCES = new Set<string>(Object.values(CreditSource));
const POLARITIES = new Set<string>(Object.values(CreditPolarity));
const TEXT = /^[^\u0000-\u001f\u007f]{1,100}$/;

function isDate(value: unknown): value is string {
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  const date = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === value;
}

/**
 * Checks one record as a source sends it (CSV columns or JSON keys, snake_case or camelCase).
 * Returns the record, or the reason it is refused.
 */
export function parseCreditRecord(raw: Record<string, unknown>): CreditRecordRow | string {
  const pick = (...keys: string[]) => {
    for (const key of keys) if (raw[key] !== undefined && raw[key] !== '') return raw[key];
    return undefined;
  };
  const uscc = pick('uscc');
  const source = pick('source');
  const sourceReference = pick('source_reference', 'sourceReference');
  const indicator = pick('indicator');
  const polarity = pick('polarity');
  const recordedOn = pick('recorded_on', 'recordedOn');
  const expiresOn = pick('expires_on', 'expiresOn') ?? null;
  if (typeof uscc !== 'string' || !isValidUscc(uscc)) return 'uscc is not a valid 统一社会信用代码';
  if (typeof source !== 'string' || !SOURCES.has(source)) return `source must be one of ${[...SOURCES].join(', ')}`;
  if (typeof sourceReference !== 'string' || !TEXT.test(sourceReference))
    return 'source_reference must be 1–100 printable characters';
  if (typeof indicator !== 'string' || !TEXT.test(indicator)) return 'indicator must be 1–100 printable characters';
  if (typeof polarity !== 'string' || !POLARITIES.has(polarity)) return 'polarity must be POSITIVE or NEGATIVE';
  if (!isDate(recordedOn)) return 'recorded_on must be a date as YYYY-MM-DD';
  if (expiresOn !== null && !isDate(expiresOn)) return 'expires_on must be empty or a date as YYYY-MM-DD';
  if (expiresOn !== null && expiresOn < recordedOn) return 'expires_on is before recorded_on';
  return {
    uscc,
    source: source as CreditSource,
    sourceReference,
    indicator,
    polarity: polarity as CreditPolarity,
    recordedOn,
    expiresOn,
  };
}

const COPY_LINES_PER_CHUNK = 1000;

const COPY_SPECIAL = /[\\\t\n\r]/;

/** COPY text format: tabs, newlines and backslashes escaped; \N is NULL. */
function copyField(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '\\N';
  const text = String(value);
  // Almost no field needs escaping: one test instead of four replacements per field.
  if (!COPY_SPECIAL.test(text)) return text;
  return text.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r');
}

/**
 * Imports checked records in the caller's transaction: COPY into a temporary table, one INSERT …
 * SELECT joining the verified enterprise of each USCC (unknown or unverified ones are rejected with
 * their line), ON CONFLICT on
 * (source, source_reference) so a repeated import changes nothing, then one set-based rescoring.
 */
export async function importCreditBatch(
  manager: EntityManager,
  rows: Array<{ line: number; record: CreditRecordRow }>,
  asOf = chinaDate(new Date()),
): Promise<CreditImportResult> {
  if (rows.length === 0) return { imported: 0, duplicates: 0, rejected: [], rescored: 0 };
  // A batch's statements cost enough to trigger JIT compilation, which takes longer than it saves.
  await manager.query(`SET LOCAL jit = off`);
  await manager.query(
    `CREATE TEMP TABLE IF NOT EXISTS credit_import_staging (
       line int, uscc char(18), source credit_source, source_reference varchar(100), indicator varchar(100),
       polarity credit_polarity, recorded_on date, expires_on date
     ) ON COMMIT DELETE ROWS`,
  );
  const client = await manager.queryRunner!.connect();
  const lines = rows.map(
    ({ line, record: r }) =>
      [line, r.uscc, r.source, r.sourceReference, r.indicator, r.polarity, r.recordedOn, r.expiresOn ?? null]
        .map(copyField)
        .join('\t') + '\n',
  );
  // Sent in chunks of COPY_LINES_PER_CHUNK lines: a socket write per line was a large part of a record's cost.
  const chunks = Array.from({ length: Math.ceil(lines.length / COPY_LINES_PER_CHUNK) }, (_, k) =>
    lines.slice(k * COPY_LINES_PER_CHUNK, (k + 1) * COPY_LINES_PER_CHUNK).join(''),
  );
  await pipeline(Readable.from(chunks), client.query(copyFrom('COPY credit_import_staging FROM STDIN')));

  // One probe of the verified-USCC index per row (a subquery, so the planner never hashes all enterprises
  // for a batch): unknown enterprises are reported, the rest inserted.
  const [outcome]: Array<{ unknown_lines: number[] | null; enterprise_ids: string[] | null; inserted: number }> =
    await manager.query(
      `WITH joined AS (
       SELECT s.*, (SELECT e.id FROM enterprise e WHERE e.uscc = s.uscc AND e.verification_status = 'VERIFIED')
         AS enterprise_id
       FROM credit_import_staging s
     ), inserted AS (
       INSERT INTO credit_record (enterprise_id, source, source_reference, indicator, polarity, recorded_on, expires_on)
       SELECT enterprise_id, source, source_reference, indicator, polarity, recorded_on, expires_on
       FROM joined WHERE enterprise_id IS NOT NULL
       ORDER BY line
       ON CONFLICT (source, source_reference) DO NOTHING
       RETURNING enterprise_id
     )
     SELECT (SELECT array_agg(line ORDER BY line) FROM joined WHERE enterprise_id IS NULL) AS unknown_lines,
            (SELECT array_agg(DISTINCT enterprise_id)::text[] FROM inserted) AS enterprise_ids,
            (SELECT count(*)::int FROM inserted) AS inserted`,
    );
  const unknown = (outcome.unknown_lines ?? []).map((line) => ({ line }));
  const insertedCount = outcome.inserted;
  await manager.query(`TRUNCATE credit_import_staging`);
  const enterpriseIds = outcome.enterprise_ids ?? [];
  await recomputeCreditProfiles(manager, enterpriseIds, asOf);
  return {
    imported: insertedCount,
    duplicates: rows.length - unknown.length - insertedCount,
    rejected: unknown.map(({ line }) => ({ line, reason: 'no verified enterprise has this USCC' })),
    rescored: enterpriseIds.length,
  };
}
