import { createDataSource } from '../src/common/database/data-source';
import { startServer, RunningServer } from '../src/server';
import type { DataSource } from 'typeorm';
import { productInput } from './support/fixtures';
import { postgresBinariesAvailable, replicaCalls, startStreamingCluster } from './support/replication';
import type { StreamingCluster } from './support/replication';

const CREATE = `mutation Create($input: CreateInstitutionInput!) {
  createInstitution(input: $input) { institution { id } userErrors { message } }
}`;
const LIST = '{ institutions(first: 100) { nodes { name } } }';

if (!postgresBinariesAvailable()) {
  console.warn('replicas: no PostgreSQL binaries (apt-get install postgresql); the streaming-replica tests do not run');
}
const withBinaries = postgresBinariesAvailable() ? describe : describe.skip;

withBinaries('read replicas with read-your-writes (DATABASE_REPLICA_URLS)', () => {
  let cluster: StreamingCluster;
  let dataSource: DataSource;
  let server: RunningServer;
  let url: string;

  const post = async (query: string, variables?: object, headers: Record<string, string> = {}) => {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-actor': 'operator', ...headers },
      body: JSON.stringify({ query, variables }),
    });
    return { status: response.status, headers: response.headers, body: (await response.json()) as any };
  };
  const names = async (headers?: Record<string, string>) =>
    ((await post(LIST, undefined, headers)).body.data.institutions.nodes as Array<{ name: string }>).map((n) => n.name);
  const replicaReads = () => replicaCalls(cluster, 'app', 'FROM institution self');
  const caughtUp = async () => {
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      const [{ lsn }] = await dataSource.query('SELECT pg_current_wal_insert_lsn()::text AS lsn');
      const [row] = await cluster.onReplica(`SELECT pg_last_wal_replay_lsn() >= '${lsn}'::pg_lsn AS ok`);
      if (row.ok) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error('the replica did not catch up');
  };

  beforeAll(async () => {
    cluster = await startStreamingCluster();
    await cluster.createDatabase('app');
    const migrator = createDataSource(cluster.primaryUrl('app'), { poolSize: 1 });
    await migrator.initialize();
    await migrator.runMigrations({ transaction: 'all' });
    await migrator.destroy();
    dataSource = createDataSource(cluster.primaryUrl('app'), { poolSize: 10 });
    await dataSource.initialize();
    await caughtUp();
    server = await startServer(
      {
        dataSource,
        production: false,
        replicas: { urls: [cluster.replicaUrl('app')], checkIntervalMs: 100, waitMs: 300, maxLagBytes: 1024 * 1024 },
      },
      0,
      '127.0.0.1',
    );
    url = server.url.replace('localhost', '127.0.0.1');
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
    await dataSource?.destroy();
    cluster?.stop();
  });

  it('queries read from the replica (counted there), mutations write to the primary', async () => {
    const before = await replicaReads();
    const created = await post(CREATE, { input: { name: '副本测试银行一', type: 'BANK', regionsServed: ['230000'] } });
    expect(created.body.data.createInstitution.userErrors).toEqual([]);
    expect(created.headers.get('x-consistency-token')).toMatch(/^[0-9A-F]+\/[0-9A-F]+$/);
    await caughtUp();
    for (let i = 0; i < 5; i++) expect(await names()).toContain('副本测试银行一');
    // A mutation that writes outside withTransaction (repository.save) writes to the primary too.
    const bank = created.body.data.createInstitution.institution.id;
    const product = await post(
      `mutation($input: CreateLoanProductInput!) {
        createLoanProduct(input: $input) { loanProduct { id } userErrors { message } }
      }`,
      { input: productInput() },
      { 'x-actor': bank },
    );
    expect(product.body.errors).toBeUndefined();
    expect(product.body.data.createLoanProduct.userErrors).toEqual([]);
    // Counted on the replica: each read runs its statements on the institution table there.
    expect((await replicaReads()) - before).toBeGreaterThanOrEqual(5);
  });

  it('with replay paused, a read carrying the token sees its write (primary); one without does not', async () => {
    await cluster.onReplica('SELECT pg_wal_replay_pause()');
    try {
      const created = await post(CREATE, {
        input: { name: '副本测试银行二', type: 'BANK', regionsServed: ['230000'] },
      });
      const token = created.headers.get('x-consistency-token')!;
      expect(token).toBeTruthy();
      // Replay is paused: the replica has not seen the write, so the read goes to the primary.
      expect(await names({ 'x-consistency-token': token })).toContain('副本测试银行二');
      // Without the token a lag-tolerant read is the replica's (behind by one small write, in rotation).
      expect(await names()).not.toContain('副本测试银行二');
    } finally {
      await cluster.onReplica('SELECT pg_wal_replay_resume()');
    }
    await caughtUp();
    expect(await names()).toContain('副本测试银行二');
  });

  it('a replica that goes down leaves the rotation and reads fall back to the primary', async () => {
    cluster.stopReplica();
    // A read on a connection the replica dropped is answered retryable (503), never as an empty page.
    const first = await post(LIST);
    if (first.status !== 200) {
      expect(first.status).toBe(503);
      expect(first.body.errors[0].extensions.code).toBe('SERVICE_UNAVAILABLE');
    }
    expect(await names()).toContain('副本测试银行二');
    const deadline = Date.now() + 5_000;
    let metrics = '';
    while (Date.now() < deadline) {
      metrics = await (await fetch(url.replace(/\/graphql$/, '/metrics'))).text();
      if (/replicas_in_rotation 0/.test(metrics)) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(metrics).toMatch(/replicas_in_rotation 0/);
    for (let i = 0; i < 3; i++) expect(await names()).toContain('副本测试银行一');
  });
});
