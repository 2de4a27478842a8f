import DataLoader from 'dataloader';
import { DataSource, EntityTarget, ObjectLiteral } from 'typeorm';
import {
  Connection,
  ConnectionArgs,
  keysetSql,
  namedBinder,
  PageRequest,
  pageKey,
  pageRequest,
  toConnection,
} from './pagination';
import { entityReader, RowFilter } from './database/entity-reader';

type WithId = ObjectLiteral & { id: string };

/**
 * Narrows a child connection (e.g. to what the actor may see). `where` is SQL over database
 * column names with the child table aliased `self`; `key` names the filter for loader identity.
 */
export interface ChildFilter extends RowFilter {
  key: string;
}

/** Rows grouped under the keys they belong to, in the keys' order (a DataLoader answers in that order). */
export function groupedBy<K, T>(keys: readonly K[], rows: readonly T[], keyOf: (row: T) => K): T[][] {
  const groups = new Map<K, T[]>(keys.map((key) => [key, []]));
  for (const row of rows) groups.get(keyOf(row))?.push(row);
  return keys.map((key) => groups.get(key)!);
}

const NO_FILTER: ChildFilter = { key: 'all', where: 'TRUE', params: {} };

/**
 * Per-request DataLoaders, created in the GraphQL context and dropped with it: every relation field
 * batches into one statement per level, whatever the page size. Nothing here outlives a request.
 */
export class Loaders {
  /* eslint-disable @typescript-eslint/no-explicit-any -- one registry holds loaders of every key and row type */
  private readonly loaders = new Map<string, DataLoader<any, any>>();
  private readonly byEntity = new Map<EntityTarget<any>, DataLoader<string, any>>();
  /* eslint-enable @typescript-eslint/no-explicit-any */

  constructor(private readonly dataSource: DataSource) {}

  /** A loader under a name unique to its batch function's meaning. */
  keyed<K, V>(name: string, batch: (keys: readonly K[]) => Promise<V[]>): DataLoader<K, V> {
    let loader = this.loaders.get(name);
    if (!loader) {
      loader = new DataLoader<K, V>(batch, { maxBatchSize: 1000 });
      this.loaders.set(name, loader);
    }
    return loader as DataLoader<K, V>;
  }

  /** Rows by primary key; null where absent. */
  byId<T extends WithId>(entity: EntityTarget<T>): DataLoader<string, T | null> {
    // Found by the entity itself first: relation fields ask hundreds of times per request.
    let loader = this.byEntity.get(entity);
    if (!loader) {
      const reader = entityReader(this.dataSource, entity);
      loader = this.keyed<string, T | null>(`byId:${reader.table}`, async (ids) => {
        const rows = await reader.where('item', 'item.id = ANY(:ids)', { ids: [...ids] });
        const byId = new Map(rows.map((row) => [String(row.id), row]));
        return ids.map((id) => byId.get(id) ?? null);
      });
      this.byEntity.set(entity, loader);
    }
    return loader;
  }

  /**
   * Rows by primary key among those `filter` lets through (SQL over `self`, as a service's
   * visibility rule); null where missing or filtered out, as `findOne` answers for one ID.
   */
  visibleById<T extends WithId>(entity: EntityTarget<T>, filter: RowFilter): DataLoader<string, T | null> {
    const reader = entityReader(this.dataSource, entity);
    const name = `visible:${reader.table}:${filter.where}:${JSON.stringify(filter.params)}`;
    return this.keyed<string, T | null>(name, async (ids) => {
      const where = `(${filter.where}) AND self.id = ANY(:visibleIds)`;
      const rows = await reader.where('self', where, { ...filter.params, visibleIds: [...ids] });
      const byId = new Map(rows.map((row) => [String(row.id), row]));
      return ids.map((id) => byId.get(id) ?? null);
    });
  }

  /** The single row whose `foreignKey` equals the key (one-to-one), or null. */
  oneByForeignKey<T extends WithId>(
    entity: EntityTarget<T>,
    foreignKey: keyof T & string,
  ): DataLoader<string, T | null> {
    const reader = entityReader(this.dataSource, entity);
    const column = this.dataSource.getMetadata(entity).findColumnWithPropertyName(foreignKey)!.databaseName;
    return this.keyed<string, T | null>(`one:${reader.table}.${foreignKey}`, async (keys) => {
      const rows = await reader.where('item', `item.${column} = ANY(:keys)`, { keys: [...keys] });
      const byKey = new Map(rows.map((row) => [String(row[foreignKey]), row]));
      return keys.map((key) => byKey.get(key) ?? null);
    });
  }

  /**
   * A page of the children of many parents in one statement (a window per parent), and their
   * counts in one more, only when `totalCount` is asked for.
   */
  childConnection<T extends WithId>(
    entity: EntityTarget<T>,
    foreignKey: keyof T & string,
    parentId: string,
    args: ConnectionArgs,
    filter: ChildFilter = NO_FILTER,
  ): Promise<Connection<T>> {
    const metadata = this.dataSource.getMetadata(entity);
    const page = pageRequest(args, metadata.name);
    return this.pagedConnection(
      `child:${metadata.name}.${foreignKey}:${filter.key}`,
      parentId,
      page,
      (parentIds) => this.loadChildPages(entity, foreignKey, parentIds, page, filter),
      (parentIds) => this.countChildren(entity, foreignKey, parentIds, filter),
    );
  }

  /**
   * One parent's page through loaders shared by every parent asking for `name` with the same page:
   * `pages` answers a page for each parent in one statement (fetch order, `limit + 1` rows), `counts`
   * their totals in one more, only when `totalCount` is asked for. `name` names every argument
   * besides the page that changes the rows.
   */
  pagedConnection<K, T>(
    name: string,
    parent: K,
    page: PageRequest,
    pages: (parents: readonly K[]) => Promise<T[][]>,
    counts: (parents: readonly K[]) => Promise<number[]>,
    keyOf?: (row: T) => string[],
  ): Promise<Connection<T>> {
    const rows = this.keyed<K, T[]>(`page:${name}:${pageKey(page)}`, pages);
    const totals = this.keyed<K, number>(`count:${name}`, counts);
    return rows.load(parent).then((found) => toConnection(found, page, () => totals.load(parent), keyOf));
  }

  private async loadChildPages<T extends WithId>(
    entity: EntityTarget<T>,
    foreignKey: string,
    parentIds: readonly string[],
    page: PageRequest,
    filter: ChildFilter,
  ): Promise<T[][]> {
    const reader = entityReader(this.dataSource, entity);
    const fkColumn = this.dataSource.getMetadata(entity).findColumnWithPropertyName(foreignKey)!.databaseName;
    const params: Record<string, unknown> = { ...filter.params, parentIds: [...parentIds], pageLimit: page.limit + 1 };
    const keyset = keysetSql(page, [{ sql: 'child.id' }], namedBinder(params));
    const filtered = filter.where.replace(/\bself\./g, 'child.');
    const rows = await reader.where(
      'item',
      `item.id IN (SELECT ranked.id FROM (
         SELECT child.id, row_number() OVER (PARTITION BY child.${fkColumn} ORDER BY ${keyset.orderBy}) AS position
         FROM ${reader.table} child
         WHERE child.${fkColumn} = ANY(:parentIds) AND ${keyset.where} AND (${filtered})) ranked
       WHERE ranked.position <= :pageLimit)`,
      params,
      `ORDER BY ${keyset.orderBy.replace(/\bchild\./g, 'item.')}`,
    );
    return groupedBy(parentIds, rows, (row) => String(row[foreignKey]));
  }

  private async countChildren<T extends WithId>(
    entity: EntityTarget<T>,
    foreignKey: string,
    parentIds: readonly string[],
    filter: ChildFilter,
  ): Promise<number[]> {
    const rows: Array<{ parent: string; total: string }> = await this.dataSource
      .getRepository(entity)
      .createQueryBuilder('item')
      .select(`item.${foreignKey}`, 'parent')
      .addSelect('count(*)', 'total')
      .where(`item.${foreignKey} = ANY(:parentIds)`, { ...filter.params, parentIds: [...parentIds] })
      .andWhere(filter.where.replace(/\bself\./g, 'item.'))
      .groupBy(`item.${foreignKey}`)
      .getRawMany();
    const byParent = new Map(rows.map((row) => [String(row.parent), Number(row.total)]));
    return parentIds.map((id) => byParent.get(id) ?? 0);
  }
}
