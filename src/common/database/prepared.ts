import type { Pool, PoolClient } from 'pg';
import type { DataSource, EntityManager } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';

/**
 * Runs a named prepared statement on the DataSource's pool: each connection parses and plans it
 * once. For hot read queries outside transactions; `name` must always go with the same `text`.
 */
export async function preparedQuery<T = Record<string, unknown>>(
  dataSource: DataSource,
  name: string,
  text: string,
  values: unknown[],
): Promise<T[]> {
  const pool = (dataSource.driver as PostgresDriver).master as Pool;
  const result = await pool.query({ name, text, values });
  return result.rows as T[];
}

/**
 * The same inside a transaction: runs the named prepared statement on the connection of the
 * transaction's EntityManager (prepared statements belong to a connection).
 */
export async function preparedQueryIn<T = Record<string, unknown>>(
  manager: EntityManager,
  name: string,
  text: string,
  values: unknown[],
): Promise<T[]> {
  const client: PoolClient = await manager.queryRunner!.connect();
  const result = await client.query({ name, text, values });
  return result.rows as T[];
}

type Querying = {
  query: (...args: unknown[]) => unknown;
  on(event: 'connect', listener: (client: never) => void): unknown;
};

/**
 * Behind a pooler in transaction mode (DATABASE_POOLER=pgbouncer; Debian's 1.18 predates its
 * support of the protocol's prepared statements) consecutive statements may reach different server
 * connections, where a statement prepared on another is unknown: every query of the pool's
 * connections is sent unnamed (parsed each time) instead. Copy streams and other submittables pass.
 */
export function withoutNamedStatements(pool: Pool): void {
  const unname = (client: Querying) => {
    const query = client.query;
    client.query = function (this: unknown, config: unknown, ...rest: unknown[]) {
      if (config && typeof config === 'object' && 'name' in config && !('submit' in config)) {
        const { name: _name, ...unnamed } = config as Record<string, unknown>;
        return query.call(this, unnamed, ...rest);
      }
      return query.call(this, config, ...rest);
    };
  };
  (pool as unknown as Querying).on('connect', unname);
  for (const client of (pool as unknown as { _clients?: Querying[] })._clients ?? []) unname(client);
}
