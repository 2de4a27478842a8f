/**
 * `npm run test:scale`: the scaled topology on one machine, on loopback, then its promises checked.
 * Starts a PostgreSQL primary and a streaming replica (Debian's binaries), PgBouncer in transaction
 * mode in front of the primary, Redis, three API processes and two workers (`node dist/src/main.js`),
 * and asserts: the per-IP limit is shared; query reads are served (and counted) on the replica;
 * read-your-writes with the replica's replay paused; an API process killed with SIGKILL under write
 * load loses no acknowledged write, and retries with the same idempotency keys have one effect; a
 * worker killed mid-queue loses no job; the statistics equal stats_rebuild(). Bounded in time,
 * cleans up after itself (also when it fails).
 */
import 'reflect-metadata';
import fs from 'node:fs';
import { Client } from 'pg';
import { parseGlobalId } from '../../src/common/global-id';
import { createInstitution, createPublishedProduct, registerEnterprise, requestInput } from '../support/fixtures';
import { operation } from '../support/operations';
import { postGraphQL, TestApp } from '../support/app';
import { replicaCalls } from '../support/replication';
import { Process, requireParts, sleep, startTopology, Topology } from './topology';

const TOTAL_SECONDS = 240;
const PER_IP_LIMIT = 40;

let step = '';
const results: string[] = [];
function check(condition: boolean, what: string): void {
  if (!condition) throw new Error(`FAILED: ${what}`);
  results.push(`ok   ${what}`);
  console.log(`ok   ${what}`);
}

/** A fresh client address per call (the load balancer's X-Forwarded-For), so only the limit test shares one. */
let addresses = 0;
const someClient = () => `100.64.${Math.floor(++addresses / 250) % 250}.${(addresses % 250) + 1}`;

type Api = Process;

async function post(url: string, query: string, variables?: object, headers: Record<string, string> = {}) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': someClient(), ...headers },
    body: JSON.stringify({ query, variables }),
    signal: AbortSignal.timeout(15_000),
  });
  const raw = await response.text();
  return { status: response.status, headers: response.headers, raw, body: JSON.parse(raw) as any };
}

/** The fixtures' TestApp, as far as they use it, over one API process (a fresh client address each call). */
const appOver = (url: string) =>
  ({
    gql: (query: string, variables?: Record<string, unknown>, actor?: string) =>
      postGraphQL(url, query, variables, { 'x-forwarded-for': someClient(), ...(actor ? { 'x-actor': actor } : {}) }),
  }) as unknown as TestApp;

async function main() {
  requireParts();
  let topology: Topology | undefined;
  const timer = setTimeout(() => {
    console.error(`test:scale: over ${TOTAL_SECONDS} s (at: ${step}); stopping everything`);
    void (topology?.stop() ?? Promise.resolve()).finally(() => process.exit(1));
  }, TOTAL_SECONDS * 1000);
  try {
    step = 'starting PostgreSQL primary and streaming replica, PgBouncer, Redis';
    topology = await startTopology({
      RATE_LIMIT_PER_IP_PER_MINUTE: String(PER_IP_LIMIT),
      RATE_LIMIT_PER_ACTOR_PER_MINUTE: '1000000',
      MATCHING_WORKER_INTERVAL_MS: '50',
      STATS_COMPACTION_INTERVAL_MS: '200',
    });
    const { cluster, primary, start } = topology;
    const db = new Client({ connectionString: primary });
    step = 'starting 3 API processes and 2 workers';
    // The first one migrates (through DATABASE_DIRECT_URL); the rest find the schema ready.
    const first = await start('api-1', 'api');
    const [second, third, workerA, workerB] = await Promise.all([
      start('api-2', 'api'),
      start('api-3', 'api'),
      start('worker-1', 'worker'),
      start('worker-2', 'worker'),
    ]);
    const apis = [first, second, third];
    await db.connect();
    const onWorker = await post(workerA.url, '{ __typename }');
    check(onWorker.status === 404, 'a worker answers /graphql with 404 (probes and /metrics only)');

    step = 'shared rate limit';
    const limited = { 'x-forwarded-for': '198.51.100.77' };
    let answered = 0;
    let refused = 0;
    for (let i = 0; i < PER_IP_LIMIT + 15; i++) {
      const response = await post(apis[i % 3].url, '{ __typename }', undefined, limited);
      if (response.status === 200) answered++;
      else if (response.status === 429) refused++;
    }
    check(
      answered === PER_IP_LIMIT && refused === 15,
      `per-IP limit ${PER_IP_LIMIT}/min held by 3 processes together (${answered} answered, ${refused} refused)`,
    );

    step = 'fixtures';
    const bank = await createInstitution(appOver(first.url));
    const product = await createPublishedProduct(appOver(first.url), bank.id);
    const enterprises: Array<{ id: string }> = [];
    for (let i = 0; i < 6; i++) enterprises.push(await registerEnterprise(appOver(apis[i % 3].url)));

    step = 'replica reads';
    const replicaReads = () => replicaCalls(cluster, 'app', 'FROM institution self');
    const before = await replicaReads();
    const reads = 30;
    for (let i = 0; i < reads; i++) {
      const operator = { 'x-actor': 'operator' };
      const response = await post(apis[i % 3].url, '{ institutions(first: 5) { totalCount } }', undefined, operator);
      if (response.body.errors) throw new Error(`read failed: ${response.raw}`);
    }
    const counted = (await replicaReads()) - before;
    check(counted >= reads, `${reads} query reads served by the replica (${counted} statements on institution there)`);

    step = 'read-your-writes with replay paused';
    await cluster.onReplica('SELECT pg_wal_replay_pause()');
    try {
      const input = { name: `暂停回放测试银行${Date.now()}`, type: 'BANK', regionsServed: ['230000'] };
      const created = await post(first.url, operation('CreateInstitution'), { input }, { 'x-actor': 'operator' });
      const token = created.headers.get('x-consistency-token');
      check(Boolean(token), `a mutation's response carries X-Consistency-Token (${token})`);
      const list = '{ institutions(first: 100) { nodes { name } } }';
      const names = async (api: Api, headers: Record<string, string>) =>
        (await post(api.url, list, undefined, { 'x-actor': 'operator', ...headers })).body.data.institutions.nodes.map(
          (node: { name: string }) => node.name,
        );
      const withToken = await names(second, { 'x-consistency-token': token! });
      check(withToken.includes(input.name), 'a read carrying the token on another process sees the write');
      const withoutToken = await names(third, {});
      check(!withoutToken.includes(input.name), 'a read without it is served by the paused replica (not seen yet)');
    } finally {
      await cluster.onReplica('SELECT pg_wal_replay_resume()');
    }

    step = 'SIGKILL of an API process under write load';
    const acknowledged = new Map<string, string>();
    let retries = 0;
    let atKill = -1;
    const writer = async (client: number) => {
      const enterprise = enterprises[client];
      for (let i = 0; i < 20; i++) {
        const key = `scale-${client}-${i}`;
        const input = requestInput({ idempotencyKey: key, amount: `${100000 + client * 1000 + i}.00` });
        for (let attempt = 0; ; attempt++) {
          if (attempt > 20) throw new Error(`write ${key} not acknowledged after 20 attempts`);
          const api = apis[(client + i + attempt) % 3];
          try {
            const actor = { 'x-actor': enterprise.id };
            const response = await post(api.url, operation('PostFinancingRequest'), { input }, actor);
            const payload = response.body.data?.postFinancingRequest;
            if (response.status === 200 && payload?.financingRequest) {
              acknowledged.set(key, payload.financingRequest.id);
              break;
            }
            if (payload?.userErrors?.length) throw new Error(`write ${key} refused: ${response.raw}`);
          } catch (error) {
            if (error instanceof Error && /refused:/.test(error.message)) throw error;
          }
          retries++;
          await sleep(50);
        }
      }
    };
    const load = Promise.all(enterprises.map((_, client) => writer(client)));
    while (acknowledged.size < 30) await sleep(10);
    third.child.kill('SIGKILL');
    atKill = acknowledged.size;
    await load;
    const rows: Array<{ id: string; n: number }> = await db
      .query(`SELECT count(*)::int AS n FROM financing_request WHERE enterprise_id = ANY($1::bigint[])`, [
        enterprises.map((e) => parseGlobalId(e.id)!.id),
      ])
      .then((r) => r.rows);
    check(
      atKill < 120 && acknowledged.size === 120,
      `api-3 killed after ${atKill} of 120 writes: all acknowledged, ${retries} retries on the other processes`,
    );
    check(rows[0].n === 120, `exactly one financing request per idempotency key (${rows[0].n} rows for 120 keys)`);

    step = 'worker killed mid-queue';
    // The test holds product_match and pauses worker-2 (SIGSTOP): worker-1 takes its jobs (rows
    // locked, SKIP LOCKED) and waits inside their transactions, so it is surely killed mid-job.
    workerB.child.kill('SIGSTOP');
    const productId = parseGlobalId(product.id)!.id;
    const lock = new Client({ connectionString: primary });
    await lock.connect();
    await lock.query('BEGIN');
    await lock.query('LOCK TABLE product_match IN SHARE ROW EXCLUSIVE MODE');
    const queue = `INSERT INTO matching_job (kind, subject_id)
                   SELECT 'PRODUCT_CHANGED', $1 FROM generate_series(1, 500)`;
    await db.query(queue, [productId]);
    const count = async (sql: string) => Number((await db.query(sql)).rows[0].n);
    const pending = () => count(`SELECT count(*) AS n FROM matching_job WHERE finished_at IS NULL`);
    const waiting = async () =>
      Number(
        (
          await db.query(
            `SELECT count(*) AS n FROM pg_stat_activity
             WHERE datname = 'app' AND wait_event_type = 'Lock' AND pid <> $1`,
            [(await lock.query('SELECT pg_backend_pid() AS pid')).rows[0].pid],
          )
        ).rows[0].n,
      );
    let blocked = 0;
    for (const deadline = Date.now() + 20_000; Date.now() < deadline && blocked < 1; await sleep(50)) {
      blocked = await waiting();
    }
    // A worker may work two batches at once: one or two of its transactions wait.
    check(blocked >= 1, `worker-1 is in the middle of its jobs (${blocked} of its transactions waiting inside)`);
    workerA.child.kill('SIGKILL');
    workerB.child.kill('SIGCONT');
    const jobsAtKill = await pending();
    // PgBouncer closes the killed client's server connection: its transaction rolls back, its jobs are free again.
    for (const deadline = Date.now() + 20_000; Date.now() < deadline && blocked > 0; await sleep(50)) {
      blocked = await waiting();
    }
    await lock.query('COMMIT');
    await lock.end();
    let left = jobsAtKill;
    for (const deadline = Date.now() + 60_000; Date.now() < deadline && left > 0; await sleep(200)) {
      left = await pending();
    }
    const failed = await count(`SELECT count(*) AS n FROM matching_job WHERE last_error IS NOT NULL`);
    check(
      left === 0 && failed === 0,
      `worker-1 killed mid-job with ${jobsAtKill} of 500 jobs pending: worker-2 finished every one (${failed} failed)`,
    );

    step = 'statistics equal stats_rebuild()';
    await db.query('BEGIN');
    await db.query('SELECT stats_compact()');
    await db.query(
      `CREATE TEMP TABLE maintained ON COMMIT DROP AS
       SELECT * FROM stats_rollup WHERE count <> 0 OR amount <> 0 OR amount_rate <> 0`,
    );
    await db.query('SELECT stats_rebuild()');
    const [{ differing }] = (
      await db.query(`SELECT count(*)::int AS differing FROM (
        (SELECT * FROM maintained EXCEPT ALL SELECT * FROM stats_rollup)
        UNION ALL (SELECT * FROM stats_rollup EXCEPT ALL SELECT * FROM maintained)) d`)
    ).rows;
    await db.query('ROLLBACK');
    check(differing === 0, `the maintained statistics equal stats_rebuild() (${differing} rows differ)`);
    await db.end();
    console.log(`\ntest:scale passed (${results.length} checks)`);
  } catch (error) {
    console.error(`\ntest:scale failed at: ${step}\n${error instanceof Error ? error.stack : error}`);
    if (topology) console.error(`the processes' logs are in ${topology.logs}`);
    process.exitCode = 1;
  } finally {
    clearTimeout(timer);
    await topology?.stop();
  }
  if (process.exitCode !== 1 && topology) fs.rmSync(topology.logs, { recursive: true, force: true });
}

void main().then(() => process.exit());
