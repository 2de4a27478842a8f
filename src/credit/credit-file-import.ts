import fs from 'node:fs';
import readline from 'node:readline';
import { parse } from 'csv-parse';
import { DataSource } from 'typeorm';
import { CreditRecordRow, importCreditBatch, parseCreditRecord, RejectedCreditRecord } from './credit-import';

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
  return `\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(share * 100).toFixed(0).padStart(3)}%  ${records.toLocaleString('en')} records  ${rate.toLocaleString('en')}/s`;
}

async function* recordsOf(file: string, input: NodeJS.ReadableStream): AsyncGenerator<{ line: number; raw: Record<string, unknown> | string }> {
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
  const parser = input.pipe(parse({ columns: true, bom: true, skip_empty_lines: true, trim: true, relax_column_count: true, info: true }));
  for await (const { record, info } of parser as AsyncIterable<{ record: Record<string, string>; info: { lines: number } }>) {
    yield { line: info.lines, raw: record };
  }
}

export async function importCreditFile(
  dataSource: DataSource,
  file: string,
  options: { batchSize?: number; onProgress?: (bytesRead: number, totalBytes: number, records: number) => void } = {},
): Promise<FileImportResult> {
  const batchSize = options.batchSize ?? IMPORT_BATCH_DEFAULT;
  const total = fs.statSync(file).size;
  const input = fs.createReadStream(file);
  let bytes = 0;
  input.on('data', (chunk) => (bytes += chunk.length));
  const startedAt = Date.now();
  const result: FileImportResult = { records: 0, imported: 0, duplicates: 0, rescored: 0, rejected: [], seconds: 0 };
  let batch: Array<{ line: number; record: CreditRecordRow }> = [];
  const flush = async () => {
    const done = await dataSource.transaction((manager) => importCreditBatch(manager, batch));
    result.imported += done.imported;
    result.duplicates += done.duplicates;
    result.rescored += done.rescored;
    result.rejected.push(...done.rejected);
    batch = [];
    options.onProgress?.(bytes, total, result.records);
  };
  for await (const { line, raw } of recordsOf(file, input)) {
    result.records++;
    const parsed = typeof raw === 'string' ? raw : parseCreditRecord(raw);
    if (typeof parsed === 'string') result.rejected.push({ line, reason: parsed });
    else batch.push({ line, record: parsed });
    if (batch.length >= batchSize) await flush();
  }
  await flush();
  result.rejected.sort((a, b) => a.line - b.line);
  result.seconds = (Date.now() - startedAt) / 1000;
  return result;
}
