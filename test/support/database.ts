import fs from 'node:fs';
import path from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { createDataSource } from '../../src/common/database/data-source';
import { readSqlDefinitions } from '../../src/common/database/sql-definitions';

/**
 * Test databases (the interledger/rafiki pattern): one template database is migrated once per
 * set of migrations; each test file gets its own `CREATE DATABASE … TEMPLATE` copy.
 */
function adminUrl(): string {
  const url = process.env.TEST_ADMIN_DATABASE_URL;
  if (!url) throw new Error('TEST_ADMIN_DATABASE_URL is not set: run the tests through jest (globalSetup)');
  return url;
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

function migrationsFingerprint(): string {
  const folder = path.join(__dirname, '..', '..', 'migrations');
  const hash = createHash('sha256');
  for (const file of fs.readdirSync(folder).sort()) hash.update(file).update(fs.readFileSync(path.join(folder, file)));
  // The SQL definition files are applied by migrations too.
  for (const { file, sql } of readSqlDefinitions()) hash.update(file).update(sql);
  return hash.digest('hex').slice(0, 12);
}

async function ensureTemplate(admin: Client): Promise<string> {
  const template = `cel_template_${migrationsFingerprint()}`;
  // One worker migrates; the others wait on the lock, then find the template ready.
  await admin.query('SELECT pg_advisory_lock(424242)');
  try {
    const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [template]);
    if (exists.rowCount === 0) {
      await admin.query(`CREATE DATABASE "${template}_building"`);
      const dataSource = createDataSource(withDatabase(adminUrl(), `${template}_building`), { poolSize: 1 });
      await dataSource.initialize();
      await dataSource.runMigrations({ transaction: 'all' });
      await dataSource.destroy();
      await admin.query(`ALTER DATABASE "${template}_building" RENAME TO "${template}"`);
    }
  } finally {
    await admin.query('SELECT pg_advisory_unlock(424242)');
  }
  return template;
}

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const admin = new Client({ connectionString: adminUrl() });
  await admin.connect();
  try {
    const template = await ensureTemplate(admin);
    const name = `cel_test_${process.pid}_${randomBytes(4).toString('hex')}`;
    await admin.query(`CREATE DATABASE "${name}" TEMPLATE "${template}"`);
    return handle(name);
  } finally {
    await admin.end();
  }
}

/** An empty database with no migrations applied (for the migrations-vs-entities check). */
export async function createEmptyDatabase(): Promise<TestDatabase> {
  const admin = new Client({ connectionString: adminUrl() });
  await admin.connect();
  const name = `cel_empty_${process.pid}_${randomBytes(4).toString('hex')}`;
  await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();
  return handle(name);
}

function handle(name: string): TestDatabase {
  return {
    url: withDatabase(adminUrl(), name),
    async drop() {
      const client = new Client({ connectionString: adminUrl() });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await client.end();
    },
  };
}
