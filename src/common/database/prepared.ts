import type { Pool, PoolClient } from 'pg';
import type { DataSource, EntityManager } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';

/**
 * Runs a named prepared statement on the DataSource's pool: each connection parses and plans it
 * once. For hot read queries outside transactions; `name` must always go with the same `text`.
 */
export async function preparedQuery<T = Record<string, unknown>>(dataSource: DataSource, name: string, text: string, values: unknown[]): Promise<T[]> {
  const pool = (dataSource.driver as PostgresDriver).master as Pool;
  const result = await pool.query({ name, text, values });
  return result.rows as T[];
}

/**
 * The same inside a transaction: runs the named prepared statement on the connection of the
 * transaction's EntityManager (prepared statements belong to a connection).
 */
export async function preparedQueryIn<T = Record<string, unknown>>(manager: EntityManager, name: string, text: string, values: unknown[]): Promise<T[]> {
  const client: PoolClient = await manager.queryRunner!.connect();
  const result = await client.query({ name, text, values });
  return result.rows as T[];
}
