import 'reflect-metadata';
import fs from 'node:fs';
import { createInstitution, registerEnterprise, requestInput } from '../test/support/fixtures';
import { operation } from '../test/support/operations';
import { postGraphQL, TestApp } from '../test/support/app';
import { Process, requireParts, startTopology } from '../test/scale/topology';
import { machine } from './support';
import { recordBenchmark } from './record';

/**
 * `npm run bench:scale`: read and write throughput of the scaled topology on this machine (test/scale/
 * topology.ts: primary + streaming replica, PgBouncer, Redis, one worker), with 1 and with 3 API
 * processes, each without and with the replica, side by side in one run. On 2 cores expect little
 * speed-up: the figures show the cost of the extra hops and that nothing breaks.
 */
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const READ = '{ institutions(first: 10) { totalCount nodes { id name regionsServed } } }';

interface Measured {
  perSecond: number;
  p50: number;
  errors: number;
}

/** CONNECTIONS closed-loop clients over the processes for SECONDS: completions/s, p50 ms, failures. */
async function load(apis: Process[], request: (api: Process, n: number) => Promise<boolean>): Promise<Measured> {
  const latencies: number[] = [];
  let errors = 0;
  let n = 0;
  const deadline = Date.now() + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (Date.now() < deadline) {
        const i = n++;
        const started = performance.now();
        const ok = await request(apis[i % apis.length], i).catch(() => false);
        if (ok) latencies.push(performance.now() - started);
        else errors++;
      }
    }),
  );
  latencies.sort((a, b) => a - b);
  return { perSecond: latencies.length / SECONDS, p50: latencies[Math.floor(latencies.length / 2)] ?? NaN, errors };
}

async function post(api: Process, query: string, variables: object | undefined, actor: string) {
  const response = await fetch(api.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-actor': actor },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: any; errors?: unknown[] };
  return response.status === 200 && !body.errors ? body : null;
}

async function main() {
  requireParts();
  const topology = await startTopology({
    RATE_LIMIT_PER_IP_PER_MINUTE: '10000000',
    RATE_LIMIT_PER_ACTOR_PER_MINUTE: '10000000',
  });
  try {
    const setup = await topology.start('setup', 'api');
    await topology.start('worker', 'worker');
    // What the fixtures use of a TestApp.
    const app = {
      gql: (query: string, variables?: Record<string, unknown>, actor?: string) =>
        postGraphQL(setup.url, query, variables, actor ? { 'x-actor': actor } : {}),
    } as unknown as TestApp;
    for (let i = 0; i < 20; i++) await createInstitution(app);
    const enterprises: Array<{ id: string }> = [];
    for (let i = 0; i < CONNECTIONS; i++) enterprises.push(await registerEnterprise(app));
    setup.child.kill('SIGKILL');

    const rows: string[] = [];
    let written = 0;
    for (const count of [1, 3]) {
      for (const replica of [false, true]) {
        const env = replica ? {} : { DATABASE_REPLICA_URLS: '' };
        const apis = await Promise.all(
          Array.from({ length: count }, (_, i) => topology.start(`api-${count}-${replica}-${i}`, 'api', env)),
        );
        const reads = await load(apis, async (api) => Boolean(await post(api, READ, undefined, 'operator')));
        const writes = await load(apis, async (api, i) => {
          const input = requestInput({ idempotencyKey: `bench-${++written}`, amount: `${100000 + (i % 1000)}.00` });
          const actor = enterprises[i % enterprises.length].id;
          const body = await post(api, operation('PostFinancingRequest'), { input }, actor);
          return Boolean(body?.data?.postFinancingRequest?.financingRequest);
        });
        for (const api of apis) api.child.kill('SIGKILL');
        const cells = [count, replica ? 'yes' : 'no', reads.perSecond.toFixed(0), `${reads.p50.toFixed(1)} ms`];
        cells.push(writes.perSecond.toFixed(0), `${writes.p50.toFixed(1)} ms`, reads.errors + writes.errors);
        const row = `| ${cells.join(' | ')} |`;
        console.log(row);
        rows.push(row);
      }
    }
    recordBenchmark(
      'bench:scale',
      `BENCH_SECONDS=${SECONDS} BENCH_CONNECTIONS=${CONNECTIONS} npm run bench:scale`,
      1,
      [
        '| API processes | replica | reads/s | read p50 | writes/s | write p50 | failed |',
        '|---|---|---|---|---|---|---|',
        ...rows,
        '',
        `Reads: \`${READ}\` as the operator; writes: postFinancingRequest with an idempotency key, ${CONNECTIONS} ` +
          `enterprises. ${CONNECTIONS} closed-loop connections spread over the API processes, ${SECONDS} s each; ` +
          'all processes, PgBouncer, Redis, both PostgreSQL servers and the load on this one machine.',
      ],
      machine(),
      'loopback topology: PostgreSQL 15 primary + streaming replica, PgBouncer, Redis',
    );
  } finally {
    await topology.stop();
    fs.rmSync(topology.logs, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error('bench:scale failed:', error instanceof Error ? error.stack : error);
    process.exit(1);
  },
);
