import fs from 'node:fs';
import readline from 'node:readline';
import { parse } from 'csv-parse';
import { DataSource } from 'typeorm';
import { CreditRecordRow, importCreditBatch, parseCreditRecord, RejectedCreditRecord } from './credit-import';
import { withTransaction } from '../common/database/transaction';

/**
 * Streams credit records from a CSV file (header row) or JSON lines into the database with COPY,
 * batch by batch, rescoring as it goes. Bad rows are returned with their line number and reason;
 * the good ones go in. Importing the same file again changes nothing. Used by `npm run import:credit`.
 */
export const IMPORT_BATCH_DEFAULT = 20_000;

export interface FileImportResult {
  records: number;
  imported: number;
  duplicates: number;
  rescored: number;
  rejected: RejectedCreditRecord[];
  seconds: number;
}

export function progressBar(done: number, total: number, records: number, startedAt: number): string {
  const width = 30;
  const share = total > 0 ? Math.min(1, done / total) : 1;
  const filled = Math.round(share * width);
  const seconds = (Date.now() - startedAt) / 1000;
  const rate = seconds > 0 ? Math.round(records / seconds) : 0;
  return (
    `\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(share * 100).toFixed(0).padStart(3)}%  ` +
    `${records.toLocaleString('en')} records  ${rate.toLocaleString('en')}/s`
  );
}

async function* recordsOf(
  file: string,
  input: NodeJS.ReadableStream,
): AsyncGenerator<{ line: number; raw: Record<string, unknown> | string }> {
  if (/\.(jsonl|ndjson|json)$/i.test(file)) {
    let line = 0;
    for await (const text of readline.createInterface({ input, crlfDelay: Infinity })) {
      line++;
      if (!text.trim()) continue;
      try {
        const value = JSON.parse(text);
        yield { line, raw: value && typeof value === 'object' && !Array.isArray(value) ? value : 'not a JSON object' };
      } catch {
        yield { line, raw: 'not valid JSON' };
      }
    }
    return;
  }
  const parser = input.pipe(
    parse({ columns: true, bom: true, skip_empty_lines: true, trim: true, relax_column_count: true, info: true }),
  );
  for await (const { record, info } of parser as AsyncIterable<{
    record: Record<string, string>;
    info: { lines: number };
  }>) {
    yield { line: info.lines, raw: record };
  }
}

/**
 * Batches in flight at once. Records are dealt to that many lanes by USCC, so batches in flight
 * never share an enterprise: a batch never waits for another's profile locks (with one shared
 * stream, two large batches of random enterprises almost always share some, and the second
 * waited for the first to commit before it could rescore).
 */
export const IMPORT_CONCURRENCY_DEFAULT = 2;
/** The lane of a USCC: a cheap stable hash (the code's last characters are its most varied). */
function laneOf(uscc: string, lanes: number): number {
  let hash = 0;
  for (let k = uscc.length - 6; k < uscc.length; k++) hash = (hash * 31 + uscc.charCodeAt(k)) >>> 0;
  return hash % lanes;
}

export async function importCreditFile(
  dataSource: DataSource,
  file: string,
  options: {
    batchSize?: number;
    concurrency?: number;
    onProgress?: (bytesRead: number, totalBytes: number, records: number) => void;
  } = {},
): Promise<FileImportResult> {
  const batchSize = options.batchSize ?? IMPORT_BATCH_DEFAULT;
  const concurrency = Math.max(1, options.concurrency ?? IMPORT_CONCURRENCY_DEFAULT);
  const total = fs.statSync(file).size;
  const input = fs.createReadStream(file);
  let bytes = 0;
  input.on('data', (chunk) => (bytes += chunk.length));
  const startedAt = Date.now();
  const result: FileImportResult = { records: 0, imported: 0, duplicates: 0, rescored: 0, rejected: [], seconds: 0 };
  // Each batch is its own transaction. Two lanes' batches (or two imports) can deadlock on source
  // references both insert, e.g. one a file repeats under two USCCs; PostgreSQL then aborts one,
  // which withTransaction retries.
  const importBatch = (rows: Array<{ line: number; record: CreditRecordRow }>) =>
    withTransaction(dataSource, (manager) => importCreditBatch(manager, rows));
  let failure: unknown = null;
  // Each lane runs one batch at a time, in file order; the reader waits only when the lane it is
  // filling still has its previous batch in flight.
  const lanes = Array.from({ length: concurrency }, () => ({
    rows: [] as Array<{ line: number; record: CreditRecordRow }>,
    running: Promise.resolve(),
  }));
  const submit = async (lane: (typeof lanes)[number]) => {
    const rows = lane.rows;
    lane.rows = [];
    await lane.running;
    if (failure) return;
    // Never rejects: a failure (also of the progress callback) is kept and stops the import.
    lane.running = importBatch(rows)
      .then((done) => {
        result.imported += done.imported;
        result.duplicates += done.duplicates;
        result.rescored += done.rescored;
        result.rejected.push(...done.rejected);
        options.onProgress?.(bytes, total, result.records);
      })
      .catch((error) => {
        failure ??= error;
      });
  };
  // Whatever ends the reading (the end of the file, a failed batch, a CSV the parser gives up on),
  // the batches still in flight finish before this returns or throws.
  try {
    for await (const { line, raw } of recordsOf(file, input)) {
      if (failure) break;
      result.records++;
      const parsed = typeof raw === 'string' ? raw : parseCreditRecord(raw);
      if (typeof parsed === 'string') {
        result.rejected.push({ line, reason: parsed });
        continue;
      }
      const lane = lanes[laneOf(parsed.uscc, concurrency)];
      lane.rows.push({ line, record: parsed });
      if (lane.rows.length >= batchSize) await submit(lane);
    }
    for (const lane of lanes) if (lane.rows.length > 0) await submit(lane);
  } finally {
    input.destroy();
    await Promise.all(lanes.map((lane) => lane.running));
  }
  if (failure) throw failure;
  options.onProgress?.(bytes, total, result.records);
  result.rejected.sort((a, b) => a.line - b.line);
  result.seconds = (Date.now() - startedAt) / 1000;
  return result;
}
