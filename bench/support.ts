import { Client } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import os from 'node:os';
import { seededRandom } from '../src/common/random';
import { createDataSource } from '../src/common/database/data-source';
import { startEmbeddedPostgres } from '../src/common/database/embedded-postgres';
import { loadConfig, projectRoot } from '../src/common/config';
import path from 'node:path';

/** Seeded random helpers, so every run builds the same data. */
export function random(seed: number) {
  const next = seededRandom(seed);
  return {
    next,
    int: (min: number, max: number) => min + Math.floor(next() * (max - min + 1)),
    pick: <T>(items: readonly T[]) => items[Math.floor(next() * items.length)],
    chance: (p: number) => next() < p,
  };
}

export function parseScale(argv: string[]): number {
  const flag = argv.find((arg) => arg.startsWith('--scale='));
  const scale = flag ? Number(flag.split('=')[1]) : Number(process.env.BENCH_SCALE ?? 1);
  if (!(scale > 0)) throw new Error('--scale must be a positive number (1 = full size)');
  return scale;
}

/** A fresh benchmark database: on DATABASE_URL's server, else on the project's embedded PostgreSQL. */
export async function benchDatabase(
  name: string,
  options: { reuse?: boolean; settings?: Record<string, string> } = {},
): Promise<{ url: string; stop: () => Promise<void>; reused: boolean }> {
  const config = loadConfig();
  let serverUrl = config.databaseUrl;
  let stopServer: () => Promise<void> = async () => undefined;
  if (!serverUrl) {
    // Sized for a data set of millions of rows on this machine (24 GiB): the defaults (128 MB of
    // shared buffers, 1 GB of WAL between checkpoints) would measure the disk, not the queries.
    const embedded = await startEmbeddedPostgres(path.join(projectRoot, '.data', 'bench-postgres'), {
      persistent: true,
      database: 'postgres',
      settings: {
        shared_buffers: '2GB',
        max_wal_size: '8GB',
        checkpoint_timeout: '30min',
        work_mem: '64MB',
        maintenance_work_mem: '1GB',
        effective_cache_size: '12GB',
        ...options.settings,
      },
    });
    serverUrl = embedded.url;
    stopServer = () => embedded.stop();
  }
  const admin = new Client({ connectionString: serverUrl });
  await admin.connect();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const reused = Boolean(
    options.reuse && (await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount,
  );
  if (!reused) {
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.query(`CREATE DATABASE "${name}"`);
  }
  await admin.end();
  // A reused data set gets the migrations written since it was built.
  const dataSource = createDataSource(url.toString(), { poolSize: 2 });
  await dataSource.initialize();
  await dataSource.runMigrations({ transaction: 'all' });
  await dataSource.destroy();
  return { url: url.toString(), stop: stopServer, reused };
}

/** COPY rows (arrays of fields, null = NULL) into a table from a generator. */
export async function copyRows(
  client: Client,
  table: string,
  columns: string[],
  rows: Iterable<Array<string | number | null>>,
): Promise<void> {
  const escape = (value: string | number | null) =>
    value === null ? '\\N' : String(value).replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n');
  function* lines() {
    let chunk: string[] = [];
    for (const row of rows) {
      chunk.push(row.map(escape).join('\t'));
      if (chunk.length === 5000) {
        yield chunk.join('\n') + '\n';
        chunk = [];
      }
    }
    if (chunk.length) yield chunk.join('\n') + '\n';
  }
  await pipeline(Readable.from(lines()), client.query(copyFrom(`COPY ${table} (${columns.join(', ')}) FROM STDIN`)));
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export async function timeEach(
  count: number,
  run: (index: number) => Promise<unknown> | unknown,
): Promise<{ p50: number; p99: number; mean: number }> {
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const started = process.hrtime.bigint();
    await run(i);
    times.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  times.sort((a, b) => a - b);
  return {
    p50: percentile(times, 50),
    p99: percentile(times, 99),
    mean: times.reduce((a, b) => a + b, 0) / times.length,
  };
}

export function machine(): string {
  const memory = `${(os.totalmem() / 2 ** 30).toFixed(0)} GiB RAM`;
  return `${os.cpus().length} × ${os.cpus()[0]?.model.trim()}, ${memory}, Node ${process.version}`;
}

export function progress(label: string, done: number, total: number): void {
  const width = 30;
  const filled = Math.round((done / total) * width);
  process.stderr.write(
    `\r${label.padEnd(28)} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ` +
      `${done.toLocaleString('en')}/${total.toLocaleString('en')}`,
  );
  if (done >= total) process.stderr.write('\n');
}
