import path from 'node:path';
import type { Pool, PoolClient } from 'pg';
import { DataSource, Logger } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';
import { entities } from './entities';
import { SnakeNamingStrategy } from '../naming-strategy';
import { installTransactionBoundary } from './transaction';
import type { DatabaseLimits } from '../config';

/**
 * Counts the statements every connection of a DataSource's pool sends, whatever sent them
 * (TypeORM, prepared statements, entity readers): for tests of how many statements an operation costs.
 */
export class StatementCounter {
  count = 0;

  attach(dataSource: DataSource): void {
    const pool = (dataSource.driver as PostgresDriver).master as Pool & { _clients?: PoolClient[] };
    const counted = new WeakSet<PoolClient>();
    const count = (client: PoolClient) => {
      if (counted.has(client)) return;
      counted.add(client);
      const query = client.query;
      client.query = ((...args: Parameters<PoolClient['query']>) => {
        this.count++;
        return (query as (...a: unknown[]) => unknown).apply(client, args);
      }) as PoolClient['query'];
    };
    pool.on('connect', count);
    // Connections opened before attaching (TypeORM's first one): pg keeps them in `_clients`.
    for (const client of pool._clients ?? []) count(client);
  }
}

export const migrationsGlob = path.join(__dirname, '..', '..', '..', 'migrations', '*.{ts,js}');

/**
 * The application's DataSource. Its `transaction(work)` is the mutation boundary of
 * src/common/database/transaction.ts (retries, typed retryable errors, one connection per call).
 * `limits` bound every wait (the server passes the configuration's); without them (the CLI,
 * migrations, benchmarks) nothing times out.
 */
export function createDataSource(
  url: string,
  options: { poolSize?: number; logger?: Logger; limits?: Partial<DatabaseLimits>; sessionTimeZone?: string } = {},
): DataSource {
  const limits = options.limits ?? {};
  const dataSource = new DataSource({
    type: 'postgres',
    url,
    entities,
    migrations: [migrationsGlob],
    namingStrategy: new SnakeNamingStrategy(),
    synchronize: false,
    migrationsRun: false,
    migrationsTransactionMode: 'all',
    logging: options.logger ? ['query'] : false,
    logger: options.logger,
    extra: {
      max: options.poolSize ?? limits.poolSize ?? 20,
      application_name: 'credit-easy-loan',
      // Startup parameters of each connection (no SET per connection or transaction); 0 or absent: none.
      connectionTimeoutMillis: limits.poolTimeoutMs ?? 0,
      ...(limits.statementTimeoutMs ? { statement_timeout: limits.statementTimeoutMs } : {}),
      ...(limits.lockTimeoutMs ? { lock_timeout: limits.lockTimeoutMs } : {}),
      ...(limits.idleInTransactionTimeoutMs
        ? { idle_in_transaction_session_timeout: limits.idleInTransactionTimeoutMs }
        : {}),
      // Business dates never depend on the session's zone; tests set it to show that.
      ...(options.sessionTimeZone ? { options: `-c TimeZone=${options.sessionTimeZone}` } : {}),
    },
  });
  installTransactionBoundary(dataSource);
  return dataSource;
}
