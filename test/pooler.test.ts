import { Pool } from 'pg';
import type { DataSource } from 'typeorm';
import { loadConfig } from '../src/common/config';
import { createDataSource } from '../src/common/database/data-source';
import { startServer, RunningServer } from '../src/server';
import { createTestDatabase, TestDatabase } from './support/database';
import { pgbouncerAvailable, startPgBouncer, TestPgBouncer } from './support/pgbouncer';

if (!pgbouncerAvailable()) {
  console.warn('pooler: pgbouncer is not installed (apt-get install pgbouncer); these tests do not run');
}
const withPgBouncer = pgbouncerAvailable() ? describe : describe.skip;

describe('DATABASE_POOLER configuration', () => {
  it('pgbouncer asks for a direct URL for the session it cannot pool', () => {
    expect(() => loadConfig({ DATABASE_POOLER: 'pgbouncer' })).toThrow(
      /DATABASE_DIRECT_URL must be set when DATABASE_POOLER=pgbouncer/,
    );
    const config = loadConfig({ DATABASE_POOLER: 'PgBouncer', DATABASE_DIRECT_URL: 'postgres://u@h:5432/d' });
    expect(config.pooler).toBe('pgbouncer');
    expect(loadConfig({}).pooler).toBeUndefined();
    expect(() => loadConfig({ DATABASE_POOLER: 'odyssey' })).toThrow(/DATABASE_POOLER must be none or pgbouncer/);
  });
});

withPgBouncer('behind PgBouncer in transaction mode (DATABASE_POOLER=pgbouncer)', () => {
  let database: TestDatabase;
  let bouncer: TestPgBouncer;
  beforeAll(async () => {
    database = await createTestDatabase();
    bouncer = await startPgBouncer(database.url, 2);
  }, 60_000);
  afterAll(async () => {
    await bouncer?.stop();
    await database?.drop();
  });

  it('named prepared statements break there (why the switch exists)', async () => {
    const pool = new Pool({ connectionString: bouncer.through(database.url), max: 4 });
    try {
      const clients = await Promise.all([pool.connect(), pool.connect(), pool.connect()]);
      const run = async (client: (typeof clients)[number]) => {
        for (const n of [1, 2, 3]) await client.query({ name: 'same-name', text: 'SELECT $1::int AS n', values: [n] });
      };
      const outcomes = await Promise.allSettled(clients.map(run));
      for (const client of clients) client.release(true);
      expect(outcomes.some((outcome) => outcome.status === 'rejected')).toBe(true);
    } finally {
      await pool.end();
    }
  });

  it('serves concurrent reads (entity readers, prepared statements); LISTEN goes direct', async () => {
    const dataSource: DataSource = createDataSource(bouncer.through(database.url), {
      poolSize: 8,
      pooler: 'pgbouncer',
      directUrl: database.url,
    });
    await dataSource.initialize();
    let server: RunningServer | undefined;
    try {
      server = await startServer({ dataSource, production: false }, 0, '127.0.0.1');
      const url = server.url.replace('localhost', '127.0.0.1');
      const query = '{ institutions(first: 5) { totalCount nodes { id name } } loanProducts(first: 5) { totalCount } }';
      const responses = await Promise.all(
        Array.from({ length: 40 }, () =>
          fetch(url, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'x-actor': 'operator' },
            body: JSON.stringify({ query }),
          }).then(async (response) => ({ status: response.status, body: (await response.json()) as any })),
        ),
      );
      for (const response of responses) {
        expect(response.body.errors).toBeUndefined();
        expect(response.status).toBe(200);
      }
      const ready = await fetch(url.replace(/\/graphql$/, '/readyz'));
      expect(ready.status).toBe(200);
      expect(server.services.auth.accounts.connected).toBe(true);
    } finally {
      await server?.stop();
      await dataSource.destroy();
    }
  });
});
