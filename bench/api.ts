import 'reflect-metadata';
import { ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Client } from 'pg';
import { createDataSource } from '../src/common/database/data-source';
import { projectRoot } from '../src/common/config';
import { findFreePort } from '../src/common/database/embedded-postgres';
import { toGlobalId } from '../src/common/global-id';
import { createServices } from '../src/services';
import { loadDemoData, DEMO_ACCOUNTS } from '../src/analytics/demo-data';
import { recomputeCreditProfiles } from '../src/credit/credit-scoring';
import { benchDatabase, machine, parseScale } from './support';
import { recordBenchmark } from './record';

/**
 * `npm run bench:api [-- --scale=0.1]`: this server (as `npm start` runs it, with a signed-in
 * token), PostGraphile 4.14 (bench/api, its own package.json) and a bare node:http + pg floor,
 * side by side on one PostgreSQL with pg_stat_statements, over the demo data grown to benchmark
 * scale (scale 1 = 100,000 more needs, each with its stored matches). Interleaved rounds of
 * saturation runs, then a fixed-rate run, a counted run for SQL statements per operation, and
 * the servers' peak RSS.
 */
const scale = parseScale(process.argv);
const GROWTH = Math.round(100_000 * scale);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const COUNTED = 200;
const POOL_SIZE = '20';
const benchRequire = createRequire(path.join(projectRoot, 'bench', 'api', 'package.json'));
const autocannon = benchRequire('autocannon') as (options: Record<string, unknown>) => Promise<AutocannonResult>;

interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number };
  non2xx: number;
  errors: number;
  timeouts: number;
}

/** `baseline`: BENCH_BASELINE's build of this server, asked ours' questions (an A/B within one run). */
type ServerName = 'ours' | 'baseline' | 'postgraphile' | 'floor';
interface Target {
  method: 'GET' | 'POST';
  path: string;
  headers?: Record<string, string>;
  body?: string;
  /** A fresh body per request (posting). */
  nextBody?: () => string;
  /** Throws when the answer is not the full answer to the question. */
  check: (json: any) => void;
}
interface Workload {
  name: string;
  targets: Record<Exclude<ServerName, 'baseline'>, Target>;
  /** Started around each measurement of this workload (every server alike); returns its stop. */
  background?: () => () => Promise<void>;
}

/**
 * Writes committed on their own, this many per second, in the cluster's `postgres` database (not counted per
 * operation).
 */
const BACKGROUND_COMMITS_PER_SECOND = 200;

/**
 * A steady trickle of small commits elsewhere in the cluster while a workload runs: every commit
 * moves the database snapshot, so a server that keeps answers per snapshot must compute afresh.
 */
function backgroundCommits(databaseUrl: string): () => () => Promise<void> {
  return () => {
    const url = new URL(databaseUrl);
    url.pathname = '/postgres';
    const client = new Client({ connectionString: url.toString() });
    let running = true;
    const done = (async () => {
      await client.connect();
      await client.query(`CREATE TABLE IF NOT EXISTS bench_write_tick (id int PRIMARY KEY, n bigint NOT NULL)`);
      await client.query(`INSERT INTO bench_write_tick VALUES (1, 0) ON CONFLICT DO NOTHING`);
      const interval = 1000 / BACKGROUND_COMMITS_PER_SECOND;
      for (let next = performance.now(); running; next += interval) {
        await client.query(`UPDATE bench_write_tick SET n = n + 1 WHERE id = 1`);
        const wait = next + interval - performance.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      }
      await client.end();
    })();
    return async () => {
      running = false;
      await done;
    };
  };
}

const FLAT_OURS = (n: number) =>
  `{ financingRequests(first: ${n}, status: OPEN) { edges { node { id amount termMonths status postedAt } } } }`;
const FLAT_PG = (n: number) =>
  `{ allFinancingRequests(first: ${n}, orderBy: PRIMARY_KEY_ASC, condition: { status: OPEN }) ` +
  `{ nodes { id amount termMonths status postedAt } } }`;
const NESTED_OURS = (n: number) =>
  `{ financingRequests(first: ${n}, status: OPEN) { edges { node { id amount termMonths status
  enterprise { id name creditProfile { score grade } }
  matches(first: 5) { edges { node { rank matchScore quotedRate ` +
  `loanProduct { id name institution { id name } } } } } } } } }`;
const NESTED_PG = (n: number) =>
  `{ allFinancingRequests(first: ${n}, orderBy: PRIMARY_KEY_ASC, condition: { status: OPEN }) ` +
  `{ nodes { id amount termMonths status
  enterpriseByEnterpriseId { id name creditProfileByEnterpriseId { score grade } }
  productMatchesByFinancingRequestId(first: 5, orderBy: [MATCH_SCORE_DESC, LOAN_PRODUCT_ID_ASC]) ` +
  `{ nodes { matchScore quotedRate
    loanProductByLoanProductId { id name institutionByInstitutionId { id name } } } } } } }`;

function graphql(
  query: string,
  token?: string,
  variables?: () => Record<string, unknown>,
): Pick<Target, 'method' | 'path' | 'headers' | 'body' | 'nextBody'> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  return {
    method: 'POST',
    path: '/graphql',
    headers,
    body: JSON.stringify({ query }),
    nextBody: variables && (() => JSON.stringify({ query, variables: variables() })),
  };
}

function expectNoErrors(json: any) {
  if (json.errors) throw new Error(JSON.stringify(json.errors).slice(0, 300));
}

async function build(url: string) {
  const dataSource = createDataSource(url, { poolSize: 4 });
  await dataSource.initialize();
  try {
    const services = createServices(dataSource);
    console.log('  demo data set (npm run demo) …');
    await loadDemoData(dataSource, services.auth);
    console.log(`  growing it by ${GROWTH.toLocaleString('en')} open needs …`);
    await dataSource.query(
      `INSERT INTO financing_request (enterprise_id, amount, term_months, purpose, acceptable_guarantee_types, max_rate,
        valid_until, status, posted_at)
       SELECT e.id, (5 + g % 300) * 10000, (ARRAY[6, 12, 24, 36])[1 + g % 4], '流动资金', '{CREDIT,GUARANTEE,MORTGAGE}',
         8.00, current_date + 180, 'OPEN', now() - make_interval(mins => g)
       FROM generate_series(1, $1::int) g JOIN LATERAL (SELECT id FROM enterprise ORDER BY id OFFSET (g * 7919) % 11133
         LIMIT 1) e ON true`,
      [GROWTH],
    );
    // The demo's own open needs ran out of validity in 2021: no longer on offer, they would head every list.
    await dataSource.query(
      `UPDATE financing_request SET status = 'WITHDRAWN' WHERE status = 'OPEN' AND valid_until < current_date`,
    );
    const enterprises: string[] = (await dataSource.query(`SELECT id::text FROM enterprise ORDER BY id`)).map(
      (r: { id: string }) => r.id,
    );
    console.log('  credit profiles …');
    for (let i = 0; i < enterprises.length; i += 5000)
      await dataSource.transaction((m) => recomputeCreditProfiles(m, enterprises.slice(i, i + 5000)));
    const open: string[] = (
      await dataSource.query(`SELECT id::text FROM financing_request WHERE status = 'OPEN' ORDER BY id`)
    ).map((r: { id: string }) => r.id);
    console.log(`  matches for ${open.length.toLocaleString('en')} open needs …`);
    for (let i = 0; i < open.length; i += 2000)
      await dataSource.transaction((m) => services.matching.refreshRequestMatches(m, open.slice(i, i + 2000)));
    await dataSource.query(`SELECT stats_compact()`);
    await dataSource.query(`VACUUM ANALYZE`);
  } finally {
    await dataSource.destroy();
  }
}

/** What PostGraphile needs to answer the same questions; idempotent, run on every start. */
async function prepareComparison(client: Client) {
  // The totals question for the other two: the same rollup, summed by measure.
  await client.query(`CREATE SCHEMA IF NOT EXISTS bench_postgraphile`);
  await client.query(`CREATE OR REPLACE FUNCTION bench_postgraphile.platform_totals() RETURNS TABLE (measure text,
    count bigint, amount numeric) LANGUAGE sql STABLE AS $$
      SELECT measure, sum(count)::bigint, sum(amount) FROM (
        SELECT measure, count, amount FROM stats_rollup WHERE institution_id = 0 AND guarantee_type = ''
          AND grain = 'NM'
        UNION ALL SELECT measure, count, amount FROM stats_delta WHERE institution_id = 0 AND guarantee_type = '') f
      GROUP BY measure ORDER BY measure $$`);
  // product_match carries no foreign keys (it is rewritten wholesale); PostGraphile's smart comments declare them.
  await client.query(
    `COMMENT ON TABLE product_match IS
      E'@foreignKey (financing_request_id) references financing_request (id)\\n` +
      `@foreignKey (loan_product_id) references loan_product (id)'`,
  );
}

/** The node options `npm start` runs the server with (package.json), so this server runs as users run it. */
function startNodeOptions(): string[] {
  const start: string = JSON.parse(fs.readFileSync(path.join(projectRoot, 'package.json'), 'utf8')).scripts.start;
  const match = /^node ((?:--\S+ )*)dist\/src\/main\.js$/.exec(start);
  if (!match) throw new Error(`bench:api expects "start" to be "node [--options] dist/src/main.js", not "${start}"`);
  return match[1].split(' ').filter(Boolean);
}

interface Running {
  name: ServerName;
  port: number;
  process: ChildProcess;
  peakRssKb: number;
}

async function startProcess(
  name: ServerName,
  command: string[],
  env: Record<string, string>,
  cwd = projectRoot,
): Promise<Running> {
  const port = await findFreePort();
  const child = spawn(process.execPath, command, {
    cwd,
    env: { ...process.env, ...env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start:\n${output}`)), 120_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (/ready/.test(output)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('exit', (code) => reject(new Error(`${name} exited with ${code}:\n${output}`)));
  });
  child.stdout!.removeAllListeners('data');
  child.stdout!.resume();
  child.stderr!.resume();
  return { name, port, process: child, peakRssKb: 0 };
}

/** CPU time (user + system) a process has used so far, in milliseconds (Linux /proc, clock ticks of 10 ms). */
function cpuMs(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  // Fields 14 and 15 of stat (utime, stime), counted from `state` (field 3) here.
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

function rssKb(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
}

async function call(server: Running, target: Target): Promise<any> {
  const response = await fetch(`http://127.0.0.1:${server.port}${target.path}`, {
    method: target.method,
    headers: target.headers,
    body: target.nextBody?.() ?? target.body,
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${server.name} ${target.path}: HTTP ${response.status} ${text.slice(0, 300)}`);
  return JSON.parse(text);
}

async function load(server: Running, target: Target, options: Record<string, unknown>): Promise<AutocannonResult> {
  const sampler = setInterval(() => (server.peakRssKb = Math.max(server.peakRssKb, rssKb(server.process.pid!))), 200);
  try {
    const result = await autocannon({
      url: `http://127.0.0.1:${server.port}`,
      requests: [
        {
          method: target.method,
          path: target.path,
          headers: target.headers,
          body: target.body,
          ...(target.nextBody ? { setupRequest: (req: any) => ({ ...req, body: target.nextBody!() }) } : {}),
        },
      ],
      ...options,
    });
    if (result.non2xx || result.errors || result.timeouts)
      throw new Error(
        `${server.name} ${target.path}: ${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts`,
      );
    return result;
  } finally {
    clearInterval(sampler);
  }
}

async function main() {
  console.log(
    `bench:api — scale ${scale}: demo data + ${GROWTH.toLocaleString('en')} needs; ` +
      `${ROUNDS} rounds × ${SECONDS} s, ${CONNECTIONS} connections\n${machine()}`,
  );
  const database = await benchDatabase('cel_bench_api', {
    reuse: process.argv.includes('--reuse'),
    settings: { shared_preload_libraries: 'pg_stat_statements' },
  });
  const admin = new Client({ connectionString: database.url });
  await admin.connect();
  const servers: Running[] = [];
  try {
    if (!database.reused) await build(database.url);
    await prepareComparison(admin);
    // Statements are counted where the server preloads pg_stat_statements (the embedded one does; a
    // service may not, and then the extension exists but cannot count).
    const statements = await admin
      .query(`CREATE EXTENSION IF NOT EXISTS pg_stat_statements`)
      .then(() => admin.query(`SELECT pg_stat_statements_reset()`))
      .then(
        () => true,
        () => false,
      );
    // Limits at the configuration's maximum: the bench measures serving, not refusing.
    const env = {
      DATABASE_URL: database.url,
      POOL_SIZE,
      DATABASE_POOL_SIZE: POOL_SIZE,
      RATE_LIMIT_PER_IP_PER_MINUTE: '10000000',
      RATE_LIMIT_PER_ACTOR_PER_MINUTE: '10000000',
    };
    // OURS_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles this server alone.
    servers.push(
      await startProcess(
        'ours',
        [...startNodeOptions(), ...(process.env.OURS_NODE_ARGS?.split(' ').filter(Boolean) ?? []), 'dist/src/main.js'],
        env,
      ),
    );
    // BENCH_BASELINE=<another checkout, built>: that code too, measured in the same rounds as ours.
    const baseline = process.env.BENCH_BASELINE;
    if (baseline)
      servers.push(
        await startProcess('baseline', [...startNodeOptions(), 'dist/src/main.js'], env, path.resolve(baseline)),
      );
    servers.push(await startProcess('postgraphile', ['bench/api/postgraphile-server.js'], env));
    servers.push(await startProcess('floor', ['bench/api/floor-server.js'], env));
    const [ours] = servers;

    const login = async (role: string) => {
      const account = DEMO_ACCOUNTS.find((a) => a.role === role)!;
      const json = await call(ours, {
        ...graphql(
          `mutation { login(input: { email: "${account.email}", password: "${account.password}" }) { token } }`,
        ),
        check: () => undefined,
      });
      return json.data.login.token as string;
    };
    const operator = await login('OPERATOR');
    const analyst = await login('ANALYST');
    const enterprise = await login('ENTERPRISE');
    const [{ id: someId }] = (
      await admin.query(`SELECT id::text FROM financing_request ORDER BY id OFFSET 2500 LIMIT 1`)
    ).rows;
    const [{ id: millId }] = (
      await admin.query(
        `SELECT e.id::text FROM enterprise e JOIN user_account u ON u.enterprise_id = e.id
          WHERE u.email = 'ricemill@demo.xinyidai'`,
      )
    ).rows;
    const pgNodeId: string = (
      await call(
        servers.find((s) => s.name === 'postgraphile')!,
        {
          ...graphql(`{ allFinancingRequests(condition: { id: "${someId}" }) { nodes { nodeId } } }`),
          check: () => undefined,
        },
      )
    ).data.allFinancingRequests.nodes[0].nodeId;
    let posted = 0;
    const need = () => ({
      amount: `${100000 + (posted++ % 1000) * 100}.00`,
      termMonths: 12,
      purpose: '流动资金',
      acceptableGuaranteeTypes: ['CREDIT', 'GUARANTEE'],
      maxRate: '6.00',
      validUntil: '2027-12-31',
    });
    const length = (n: number) => (list: unknown[]) => {
      if (list.length !== n) throw new Error(`expected ${n} items, got ${list.length}`);
    };
    const fiftyNested = (nodes: any[], matches: (node: any) => any[]) => {
      length(50)(nodes);
      if (!nodes.some((n) => matches(n).length === 5)) throw new Error('no request with 5 matches');
    };
    // The same totals question with and without writes elsewhere in the cluster.
    const totals: Workload['targets'] = {
      ours: {
        ...graphql(
          '{ platformStats { enterprisesRegistered institutions productsPublished ' +
            'requested { count amount } accepted { count amount } ' +
            'granted { count amount } disbursed { count amount } ' +
            'weightedAverageGrantedRate medianDaysToGrant firstTimeBorrowers } }',
          analyst,
        ),
        check: (j) => (expectNoErrors(j), j.data.platformStats.requested.count > 0 || fail()),
      },
      postgraphile: {
        ...graphql(`{ platformTotals { nodes { measure count amount } } }`),
        check: (j) => (expectNoErrors(j), j.data.platformTotals.nodes.length > 0 || fail()),
      },
      floor: { method: 'GET', path: '/totals', check: (j) => j.data.length > 0 || fail() },
    };
    const workloads: Workload[] = [
      {
        name: 'flat list of 50 requests',
        targets: {
          ours: {
            ...graphql(FLAT_OURS(50), operator),
            check: (j) => (expectNoErrors(j), length(50)(j.data.financingRequests.edges)),
          },
          postgraphile: {
            ...graphql(FLAT_PG(50)),
            check: (j) => (expectNoErrors(j), length(50)(j.data.allFinancingRequests.nodes)),
          },
          floor: { method: 'GET', path: '/requests?first=50', check: (j) => length(50)(j.data) },
        },
      },
      {
        name: 'nested list (50 → enterprise → credit profile → top 5 matches → product → institution)',
        targets: {
          ours: {
            ...graphql(NESTED_OURS(50), operator),
            check: (j) => (expectNoErrors(j), fiftyNested(j.data.financingRequests.edges, (e) => e.node.matches.edges)),
          },
          postgraphile: {
            ...graphql(NESTED_PG(50)),
            check: (j) => (
              expectNoErrors(j),
              fiftyNested(j.data.allFinancingRequests.nodes, (n) => n.productMatchesByFinancingRequestId.nodes)
            ),
          },
          floor: {
            method: 'GET',
            path: '/requests/nested?first=50',
            check: (j) => fiftyNested(j.data, (n) => n.matches),
          },
        },
      },
      {
        name: 'one object by id',
        targets: {
          ours: {
            ...graphql(
              `{ node(id: "${toGlobalId('FinancingRequest', someId)}") ` +
                '{ ... on FinancingRequest { id amount termMonths status postedAt } } }',
              operator,
            ),
            check: (j) => (expectNoErrors(j), j.data.node.id || fail()),
          },
          postgraphile: {
            ...graphql(`{ financingRequest(nodeId: "${pgNodeId}") { id amount termMonths status postedAt } }`),
            check: (j) => (expectNoErrors(j), j.data.financingRequest.id || fail()),
          },
          floor: { method: 'GET', path: `/requests/${someId}`, check: (j) => j.data.id || fail() },
        },
      },
      {
        // No resolver, no database: what each server's request pipeline costs on its own (HTTP, GraphQL
        // handling, sign-in, limits, logs), the part every other workload pays before reading anything.
        name: 'pipeline only ({ __typename }, reads nothing)',
        targets: {
          ours: {
            ...graphql('{ __typename }', operator),
            check: (j) => (expectNoErrors(j), j.data.__typename === 'Query' || fail()),
          },
          postgraphile: {
            ...graphql('{ __typename }'),
            check: (j) => (expectNoErrors(j), j.data.__typename === 'Query' || fail()),
          },
          floor: { method: 'GET', path: '/typename', check: (j) => j.data.__typename === 'Query' || fail() },
        },
      },
      {
        name: 'platform totals',
        targets: totals,
      },
      {
        name: `platform totals, ${BACKGROUND_COMMITS_PER_SECOND} commits/s elsewhere`,
        background: backgroundCommits(database.url),
        targets: totals,
      },
      {
        name: 'posting a need',
        targets: {
          ours: {
            ...graphql(
              'mutation($input: PostFinancingRequestInput!) { postFinancingRequest(input: $input) ' +
                '{ financingRequest { id amount status } userErrors { code } } }',
              enterprise,
              () => ({ input: need() }),
            ),
            check: (j) => (expectNoErrors(j), j.data.postFinancingRequest.financingRequest.id || fail()),
          },
          postgraphile: {
            ...graphql(
              'mutation($input: CreateFinancingRequestInput!) { createFinancingRequest(input: $input) ' +
                '{ financingRequest { id amount status } } }',
              undefined,
              () => ({
                input: {
                  financingRequest: {
                    ...need(),
                    enterpriseId: millId,
                    acceptableGuaranteeTypes: ['CREDIT', 'GUARANTEE'],
                  },
                },
              }),
            ),
            check: (j) => (expectNoErrors(j), j.data.createFinancingRequest.financingRequest.id || fail()),
          },
          floor: {
            method: 'POST',
            path: '/post',
            headers: { 'content-type': 'application/json' },
            nextBody: () => JSON.stringify({ ...need(), enterpriseId: millId }),
            check: (j) => j.data.id || fail(),
          },
        },
      },
    ];

    // BENCH_ONLY=regex runs only the workloads whose name matches.
    if (process.env.BENCH_ONLY)
      workloads.splice(
        0,
        workloads.length,
        ...workloads.filter((w) => new RegExp(process.env.BENCH_ONLY!).test(w.name)),
      );
    // Every server answers every question in full before anything is timed.
    for (const workload of workloads)
      for (const server of servers) targetOf(workload, server).check(await call(server, targetOf(workload, server)));

    const saturation = new Map<string, number[]>();
    // The server's own CPU per answered request: robust to other load on the machine, unlike req/s.
    const cpuPerRequest = new Map<string, number[]>();
    for (let round = 0; round < ROUNDS; round++) {
      for (const workload of workloads) {
        // A/B/C, then B/C/A, …: no server always runs first or last.
        const order = servers.map((_, i) => servers[(i + round) % servers.length]);
        for (const server of order) {
          const cpuBefore = cpuMs(server.process.pid!);
          const result = await withBackground(workload, () =>
            load(server, targetOf(workload, server), { connections: CONNECTIONS, duration: SECONDS }),
          );
          const cpu = (cpuMs(server.process.pid!) - cpuBefore) / result.requests.total;
          const key = `${workload.name}|${server.name}`;
          saturation.set(key, [...(saturation.get(key) ?? []), result.requests.average]);
          cpuPerRequest.set(key, [...(cpuPerRequest.get(key) ?? []), cpu]);
          process.stdout.write(
            `  round ${round + 1} ${workload.name.slice(0, 24).padEnd(24)} ${server.name.padEnd(12)} ` +
              `${result.requests.average.toFixed(0)} req/s, ${cpu.toFixed(3)} ms CPU/request\n`,
          );
        }
      }
    }
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
    const rps = (workload: Workload, server: ServerName) => median(saturation.get(`${workload.name}|${server}`)!);
    const cpuOf = (workload: Workload, server: ServerName) => median(cpuPerRequest.get(`${workload.name}|${server}`)!);

    const fixed = new Map<string, AutocannonResult>();
    const perOperation = new Map<string, number>();
    for (const workload of workloads) {
      // A rate every server sustains: half the slowest one's saturation throughput.
      const rate = Math.max(10, Math.floor(Math.min(...servers.map((s) => rps(workload, s.name))) / 2));
      for (const server of servers) {
        fixed.set(
          `${workload.name}|${server.name}`,
          await withBackground(workload, () =>
            load(server, targetOf(workload, server), {
              connections: CONNECTIONS,
              duration: SECONDS,
              overallRate: rate,
            }),
          ),
        );
        if (statements) {
          await admin.query(`SELECT pg_stat_statements_reset()`);
          await load(server, targetOf(workload, server), { connections: 1, amount: COUNTED });
          const [{ calls }] = (
            await admin.query(`SELECT coalesce(sum(calls), 0)::int AS calls FROM pg_stat_statements s JOIN pg_database d
              ON d.oid = s.dbid
            WHERE d.datname = current_database() AND s.query NOT ILIKE '%pg_stat_statements%'`)
          ).rows;
          perOperation.set(`${workload.name}|${server.name}`, calls / COUNTED);
        }
      }
    }
    // Statements per operation must not grow with the page: the nested list at 10 and at 50.
    const pageSizes: string[] = [];
    if (statements) {
      for (const [size, oursQuery, pgQuery, floorPath] of [
        [10, NESTED_OURS(10), NESTED_PG(10), '/requests/nested?first=10'],
        [50, NESTED_OURS(50), NESTED_PG(50), '/requests/nested?first=50'],
      ] as const) {
        const counts: string[] = [];
        for (const server of servers) {
          const target: Target =
            server.name === 'ours' || server.name === 'baseline'
              ? { ...graphql(oursQuery, operator), check: () => undefined }
              : server.name === 'postgraphile'
                ? { ...graphql(pgQuery), check: () => undefined }
                : { method: 'GET', path: floorPath, check: () => undefined };
          await admin.query(`SELECT pg_stat_statements_reset()`);
          await load(server, target, { connections: 1, amount: COUNTED });
          const [{ calls }] = (
            await admin.query(`SELECT coalesce(sum(calls), 0)::int AS calls FROM pg_stat_statements s JOIN pg_database d
              ON d.oid = s.dbid
            WHERE d.datname = current_database() AND s.query NOT ILIKE '%pg_stat_statements%'`)
          ).rows;
          counts.push(`${server.name} ${(calls / COUNTED).toFixed(2)}`);
        }
        pageSizes.push(`page of ${size}: ${counts.join(', ')}`);
      }
    }

    const f = (value: number) => value.toFixed(0);
    const ms = (value: number) => `${value.toFixed(1)} ms`;
    const lines = [
      '| workload | server | req/s at saturation | p50 / p99 at fixed rate | SQL statements / op | ours / this | ' +
        'server CPU ms / request | ours / this (CPU) |',
      '|---|---|---|---|---|---|---|---|',
    ];
    for (const workload of workloads) {
      for (const server of servers) {
        const key = `${workload.name}|${server.name}`;
        const latency = fixed.get(key)!;
        const ratio =
          server.name === 'ours' ? '' : `${(rps(workload, 'ours') / rps(workload, server.name)).toFixed(2)}`;
        // Above 1: ours spends less CPU per request than that server.
        const cpuRatio =
          server.name === 'ours' ? '' : `${(cpuOf(workload, server.name) / cpuOf(workload, 'ours')).toFixed(2)}`;
        lines.push(
          `| ${server.name === 'ours' ? workload.name : ''} | ${server.name} | ${f(rps(workload, server.name))} | ` +
            `${ms(latency.latency.p50)} / ${ms(latency.latency.p99)} | ` +
            `${statements ? perOperation.get(key)!.toFixed(2) : 'n/a'} | ${ratio} | ` +
            `${cpuOf(workload, server.name).toFixed(3)} | ${cpuRatio} |`,
        );
      }
    }
    lines.push('');
    lines.push(
      `Peak RSS under load: ${servers.map((s) => `${s.name} ${(s.peakRssKb / 1024).toFixed(0)} MB`).join(', ')}.`,
    );
    if (pageSizes.length)
      lines.push(`SQL statements per nested-list operation by page size — ${pageSizes.join('; ')}.`);
    lines.push(
      `Fixed rate: half the slowest server's saturation throughput for that workload, ${CONNECTIONS} connections, ` +
        `${SECONDS} s. Saturation: median of ${ROUNDS} interleaved rounds.`,
    );
    console.log(`\n${lines.join('\n')}\n`);
    recordBenchmark('bench:api', `npm run bench:api -- --scale=${scale}`, scale, lines, machine());
  } finally {
    for (const server of servers) server.process.kill('SIGTERM');
    await admin.end();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await database.stop();
  }
}

function targetOf(workload: Workload, server: Running): Target {
  return workload.targets[server.name === 'baseline' ? 'ours' : server.name];
}

async function withBackground<T>(workload: Workload, measure: () => Promise<T>): Promise<T> {
  const stop = workload.background?.();
  try {
    return await measure();
  } finally {
    await stop?.();
  }
}

function fail(): never {
  throw new Error('unexpected answer');
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
