import type { EntityManager } from 'typeorm';
import { NotFoundError } from '../errors';
import type { RowFilter } from './entity-reader';

/**
 * Refuses an ID the actor may not see exactly as a missing one (NotFoundError of the type), in
 * the caller's transaction: mutations check this before anything that could tell the two apart.
 * `filter` is the service's own visibility (the one `node(id:)` uses), over the table as `self`.
 */
export async function assertVisible(
  manager: EntityManager,
  table: string,
  filter: RowFilter,
  id: string,
  typeName: string,
): Promise<void> {
  const [text, values] = manager.connection.driver.escapeQueryWithParameters(
    `SELECT 1 FROM ${table} self WHERE (${filter.where}) AND self.id = :visibleId`,
    { ...filter.params, visibleId: id },
  );
  const rows: unknown[] = await manager.query(text, values);
  if (rows.length === 0) throw new NotFoundError(typeName);
}
