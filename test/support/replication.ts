import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';

/** Debian's PostgreSQL binaries (`apt-get install postgresql`), which the streaming-replica tests need. */
export const POSTGRES_BIN = process.env.POSTGRES_BIN ?? '/usr/lib/postgresql/15/bin';

export function postgresBinariesAvailable(): boolean {
  return ['initdb', 'pg_ctl', 'pg_basebackup'].every((tool) => fs.existsSync(path.join(POSTGRES_BIN, tool)));
}

const asRoot = process.getuid?.() === 0;

/** Runs a PostgreSQL tool, as the postgres user where this runs as root (PostgreSQL refuses root). */
function run(tool: string, args: string[]): void {
  const command = path.join(POSTGRES_BIN, tool);
  const [file, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args];
  const result = spawnSync(file, argv, { encoding: 'utf8', timeout: 60_000 });
  if (result.status !== 0) throw new Error(`${tool} failed: ${result.stderr || result.stdout || result.error}`);
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Calls on the replica of statements whose text contains `fragment` (pg_stat_statements, created in
 * `database` on the primary by `createDatabase`): reads counted where they ran, not the health checks.
 */
export async function replicaCalls(cluster: StreamingCluster, database: string, fragment: string): Promise<number> {
  const [row] = await cluster.onReplica(
    `SELECT coalesce(sum(calls), 0)::int AS calls FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
     WHERE d.datname = '${database}' AND s.query LIKE '%${fragment.replace(/'/g, "''")}%'`,
    database,
  );
  return row.calls;
}

export interface StreamingCluster {
  primaryUrl(database?: string): string;
  replicaUrl(database?: string): string;
  /** Creates `database` on the primary, with pg_stat_statements (replicated to the replica). */
  createDatabase(database: string): Promise<void>;
  /** SQL on the replica (as the superuser): pg_wal_replay_pause(), counts. */
  onReplica<T = any>(sql: string, database?: string): Promise<T[]>;
  stopReplica(): void;
  stop(): void;
}

const settings = (port: number, socketDir: string) =>
  [
    `port = ${port}`,
    `listen_addresses = '127.0.0.1'`,
    `unix_socket_directories = '${socketDir}'`,
    'wal_level = replica',
    'max_wal_senders = 5',
    'hot_standby = on',
    'fsync = off',
    'synchronous_commit = off',
    'full_page_writes = off',
    'shared_buffers = 32MB',
    'max_connections = 100',
    // Reads are counted where they ran: pg_stat_statements keeps each server's own counts, standbys' too.
    "shared_preload_libraries = 'pg_stat_statements'",
  ].join('\n');

/** A PostgreSQL primary and a streaming replica of it on loopback, in a temporary directory. */
export async function startStreamingCluster(): Promise<StreamingCluster> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'cel-replication-'));
  const primary = path.join(root, 'primary');
  const replica = path.join(root, 'replica');
  if (asRoot) execFileSync('chown', ['postgres:postgres', root]);
  const [primaryPort, replicaPort] = [await freePort(), await freePort()];
  const started: string[] = [];
  const stopCluster = (dir: string) => {
    try {
      run('pg_ctl', ['-D', dir, '-m', 'immediate', '-w', 'stop']);
    } catch {
      // Already stopped.
    }
  };
  try {
    run('initdb', ['-D', primary, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8', '--locale=C.UTF-8']);
    fs.appendFileSync(path.join(primary, 'postgresql.conf'), `\n${settings(primaryPort, root)}\n`);
    run('pg_ctl', ['-D', primary, '-l', path.join(root, 'primary.log'), '-w', '-t', '60', 'start']);
    started.push(primary);
    const source = ['-h', '127.0.0.1', '-p', String(primaryPort), '-U', 'postgres'];
    run('pg_basebackup', [...source, '-D', replica, '-R', '-X', 'stream']);
    fs.appendFileSync(path.join(replica, 'postgresql.conf'), `\nport = ${replicaPort}\n`);
    run('pg_ctl', ['-D', replica, '-l', path.join(root, 'replica.log'), '-w', '-t', '60', 'start']);
    started.push(replica);
  } catch (error) {
    for (const dir of started) stopCluster(dir);
    fs.rmSync(root, { recursive: true, force: true });
    throw error;
  }
  const url = (port: number, database = 'postgres') => `postgres://postgres@127.0.0.1:${port}/${database}`;
  let replicaRunning = true;
  return {
    primaryUrl: (database) => url(primaryPort, database),
    replicaUrl: (database) => url(replicaPort, database),
    async createDatabase(database) {
      for (const [db, sql] of [
        ['postgres', `CREATE DATABASE ${database}`],
        [database, 'CREATE EXTENSION pg_stat_statements'],
      ]) {
        const client = new Client({ connectionString: url(primaryPort, db) });
        await client.connect();
        try {
          await client.query(sql);
        } finally {
          await client.end();
        }
      }
    },
    async onReplica(sql, database) {
      const client = new Client({ connectionString: url(replicaPort, database) });
      await client.connect();
      try {
        return (await client.query(sql)).rows;
      } finally {
        await client.end();
      }
    },
    stopReplica() {
      if (replicaRunning) stopCluster(replica);
      replicaRunning = false;
    },
    stop() {
      if (replicaRunning) stopCluster(replica);
      stopCluster(primary);
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
}
