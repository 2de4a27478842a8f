/**
 * The scaled topology on loopback, for `npm run test:scale` and `npm run bench:scale`: a PostgreSQL
 * primary and a streaming replica, PgBouncer (transaction mode) in front of the primary, Redis, and
 * `node dist/src/main.js` processes started with a role and their configuration.
 */
import { ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { projectRoot } from '../../src/common/config';
import { pgbouncerAvailable, startPgBouncer, TestPgBouncer } from '../support/pgbouncer';
import { redisServerAvailable, startRedis, TestRedis } from '../support/redis';
import { freePort, postgresBinariesAvailable, startStreamingCluster, StreamingCluster } from '../support/replication';

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface Process {
  name: string;
  url: string;
  child: ChildProcess;
}

export interface Topology {
  cluster: StreamingCluster;
  /** The application's database on the primary, directly. */
  primary: string;
  logs: string;
  /** Starts `node dist/src/main.js` with `role` and waits for /readyz; `env` overrides the defaults. */
  start(name: string, role: 'api' | 'worker', env?: NodeJS.ProcessEnv): Promise<Process>;
  /** Kills every process started, stops PgBouncer, Redis and PostgreSQL, removes their files. */
  stop(): Promise<void>;
}

/** Throws naming what to install where a part of the topology is missing. */
export function requireParts(): void {
  for (const [ok, what] of [
    [postgresBinariesAvailable(), 'PostgreSQL binaries (/usr/lib/postgresql/15/bin): apt-get install postgresql'],
    [pgbouncerAvailable(), 'pgbouncer: apt-get install pgbouncer'],
    [redisServerAvailable(), 'redis-server: apt-get install redis-server'],
    [fs.existsSync(path.join(projectRoot, 'dist', 'src', 'main.js')), 'dist/src/main.js: npm run build'],
  ] as const) {
    if (!ok) throw new Error(`missing ${what}`);
  }
}

export async function startTopology(defaults: NodeJS.ProcessEnv): Promise<Topology> {
  const logs = fs.mkdtempSync(path.join(os.tmpdir(), 'cel-scale-logs-'));
  let bouncer: TestPgBouncer | undefined;
  let redis: TestRedis | undefined;
  const children: ChildProcess[] = [];
  const cluster = await startStreamingCluster();
  const stop = async () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await bouncer?.stop().catch(() => undefined);
    await redis?.stop().catch(() => undefined);
    cluster.stop();
  };
  try {
    await cluster.createDatabase('app');
    bouncer = await startPgBouncer(cluster.primaryUrl('app'), 20);
    redis = await startRedis();
  } catch (error) {
    await stop();
    throw error;
  }
  const primary = cluster.primaryUrl('app');
  const environment = (role: string, port: number, env: NodeJS.ProcessEnv): NodeJS.ProcessEnv => ({
    PATH: process.env.PATH,
    NODE_ENV: 'development',
    PORT: String(port),
    ROLE: role,
    DATABASE_URL: bouncer!.through(primary),
    DATABASE_POOLER: 'pgbouncer',
    DATABASE_DIRECT_URL: primary,
    DATABASE_REPLICA_URLS: cluster.replicaUrl('app'),
    DATABASE_POOL_SIZE: '8',
    REDIS_URL: redis!.url,
    TRUSTED_PROXIES: '127.0.0.1',
    LOG_LEVEL: 'warn',
    SHUTDOWN_DELAY_SECONDS: '0',
    ...defaults,
    ...env,
  });
  return {
    cluster,
    primary,
    logs,
    stop,
    async start(name, role, env = {}) {
      const port = await freePort();
      const log = fs.openSync(path.join(logs, `${name}.log`), 'a');
      const child = spawn(process.execPath, [path.join(projectRoot, 'dist', 'src', 'main.js')], {
        env: environment(role, port, env),
        stdio: ['ignore', log, log],
      });
      children.push(child);
      const base = `http://127.0.0.1:${port}`;
      const deadline = Date.now() + 60_000;
      for (;;) {
        const ready = await fetch(`${base}/readyz`).then(
          (r) => r.status === 200,
          () => false,
        );
        if (ready) break;
        if (Date.now() > deadline || child.exitCode !== null) {
          const output = fs.readFileSync(path.join(logs, `${name}.log`), 'utf8');
          throw new Error(`${name} did not become ready:\n${output.slice(-2000)}`);
        }
        await sleep(100);
      }
      return { name, url: `${base}/graphql`, child };
    },
  };
}
