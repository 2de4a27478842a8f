import { Client } from 'pg';
import { startTestApp, TestApp } from './support/app';

/** GETs a probe of the running test server. */
async function probe(app: TestApp, path: string): Promise<{ status: number; body: any }> {
  const response = await fetch(new URL(path, app.url));
  return { status: response.status, body: await response.json() };
}

async function eventually(read: () => Promise<{ status: number; body: any }>, status: number) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const answer = await read();
    if (answer.status === status || Date.now() > deadline) return answer;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function asAdmin<T>(work: (admin: Client) => Promise<T>): Promise<T> {
  const admin = new Client({ connectionString: process.env.TEST_ADMIN_DATABASE_URL });
  await admin.connect();
  try {
    return await work(admin);
  } finally {
    await admin.end();
  }
}

describe('liveness and readiness', () => {
  let app: TestApp;
  let database: string;
  beforeAll(async () => {
    app = await startTestApp();
    database = new URL((app.dataSource.options as { url: string }).url).pathname.slice(1);
  });
  afterAll(async () => {
    await asAdmin((admin) => admin.query(`ALTER DATABASE "${database}" ALLOW_CONNECTIONS true`));
    await app.close();
  });

  it('is live and ready with the database answering, the schema current and the account listener up', async () => {
    expect(await probe(app, '/livez')).toEqual({ status: 200, body: { status: 'ok' } });
    expect(await probe(app, '/health')).toEqual({ status: 200, body: { status: 'ok' } });
    expect(await eventually(() => probe(app, '/readyz'), 200)).toEqual({
      status: 200,
      body: { status: 'ready', checks: { draining: 'ok', database: 'ok', migrations: 'ok', accountListener: 'ok' } },
    });
  });

  it('is not ready while its database refuses connections, and ready again once it is back', async () => {
    // The database goes away under the running server: every connection ended, new ones refused.
    await asAdmin(async (admin) => {
      await admin.query(`ALTER DATABASE "${database}" ALLOW_CONNECTIONS false`);
      await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [database]);
    });
    const started = Date.now();
    const down = await eventually(() => probe(app, '/readyz'), 503);
    expect(down.status).toBe(503);
    expect(down.body.status).toBe('not ready');
    expect(down.body.checks.database).toMatch(/^unreachable/);
    expect(down.body.reason).toMatch(/^database: unreachable/);
    expect(JSON.stringify(down.body)).not.toMatch(/SELECT/);
    expect(Date.now() - started).toBeLessThan(5000);
    // The process itself is fine: liveness does not depend on the database.
    expect((await probe(app, '/livez')).status).toBe(200);

    await asAdmin((admin) => admin.query(`ALTER DATABASE "${database}" ALLOW_CONNECTIONS true`));
    expect((await eventually(() => probe(app, '/readyz'), 200)).body.status).toBe('ready');
  });

  it('is not ready while a migration of this build is missing from the database', async () => {
    const [last] = await app.dataSource.query(
      'SELECT id, timestamp, name FROM migrations ORDER BY timestamp DESC LIMIT 1',
    );
    await app.dataSource.query('DELETE FROM migrations WHERE id = $1', [last.id]);
    try {
      const answer = await probe(app, '/readyz');
      expect(answer.status).toBe(503);
      expect(answer.body.checks.migrations).toMatch(/^pending migrations/);
    } finally {
      await app.dataSource.query('INSERT INTO migrations (id, timestamp, name) VALUES ($1, $2, $3)', [
        last.id,
        last.timestamp,
        last.name,
      ]);
    }
    expect((await probe(app, '/readyz')).status).toBe(200);
  });

  it('is not ready while the account-change listener is disconnected', async () => {
    await asAdmin((admin) =>
      admin.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND query LIKE 'LISTEN %'`,
        [database],
      ),
    );
    const down = await eventually(() => probe(app, '/readyz'), 503);
    expect(down.body.checks.accountListener).toBe('not listening for account changes');
    // It reconnects by itself.
    expect((await eventually(() => probe(app, '/readyz'), 200)).status).toBe(200);
  });
});
