import 'reflect-metadata';
import fs from 'node:fs';
import path from 'node:path';
import { dataSource as cliDataSource } from '../../ormconfig';
import { importCreditFile, progressBar } from '../credit/credit-file-import';

/** `npm run import:credit -- FILE.csv|FILE.jsonl [--batch N]` — see README "Importing credit data". */
async function main() {
  const args = process.argv.slice(2);
  const file = args.find((arg) => !arg.startsWith('--') && !/^\d+$/.test(arg));
  const batchIndex = args.indexOf('--batch');
  const batchSize = batchIndex >= 0 ? Number(args[batchIndex + 1]) : undefined;
  if (!file || !fs.existsSync(file)) {
    console.error('Usage: npm run import:credit -- FILE.csv|FILE.jsonl [--batch N]');
    process.exit(2);
  }
  const dataSource = await cliDataSource;
  await dataSource.initialize();
  const startedAt = Date.now();
  try {
    const result = await importCreditFile(dataSource, file, {
      batchSize,
      onProgress: (bytes, total, records) => process.stderr.write(progressBar(bytes, total, records, startedAt)),
    });
    process.stderr.write('\n');
    for (const { line, reason } of result.rejected.slice(0, 1000))
      console.log(`${path.basename(file)}:${line}: rejected: ${reason}`);
    if (result.rejected.length > 1000) console.log(`… and ${result.rejected.length - 1000} more rejected rows`);
    console.log(
      `Imported ${result.imported} new record(s), ${result.duplicates} already present, ` +
        `${result.rejected.length} rejected; ${result.rescored} enterprise(s) rescored in ` +
        `${result.seconds.toFixed(1)} s (${Math.round(result.records / Math.max(result.seconds, 0.001))} records/s).`,
    );
  } finally {
    await dataSource.destroy();
  }
}

main().catch((error) => {
  console.error('Import failed:', error instanceof Error ? error.message : error);
  process.exit(1);
});
