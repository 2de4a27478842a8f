import type { Pool } from 'pg';
import type { DataSource, EntityMetadata, EntityTarget, ObjectLiteral } from 'typeorm';
import type { ColumnMetadata } from 'typeorm/metadata/ColumnMetadata';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';
import { Connection, keysetSql, namedBinder, PageRequest, toConnection } from '../pagination';

/**
 * Which rows of a table an actor may see, as SQL: `where` over database column names under the
 * reader's alias, with named parameters (`:institutionId`). Services define it once and use it
 * both here and in TypeORM query builders.
 */
export interface RowFilter {
  where: string;
  params: Record<string, unknown>;
}

export const ALL_ROWS: RowFilter = { where: 'TRUE', params: {} };
export const NO_ROWS: RowFilter = { where: 'FALSE', params: {} };

/** Both filters at once. */
export function bothFilters(a: RowFilter, b: RowFilter): RowFilter {
  return { where: `(${a.where}) AND (${b.where})`, params: { ...a.params, ...b.params } };
}

/**
 * Reads whole entities for hot read paths (lists, loaders, `node(id:)`): the select list and the
 * row mapping are derived once per entity from TypeORM's metadata, and each statement text is a
 * named prepared statement, parsed and planned once per connection. TypeORM's query builder
 * rebuilds the SQL and re-hydrates through its generic transformer on every call, which was the
 * largest single cost of a read in the API's profile.
 *
 * Rows come back as arrays and are mapped by position; casts in the select list give the values
 * TypeORM would (a `date` as 'YYYY-MM-DD', an enum array as a JS array).
 */
export class EntityReader<T extends ObjectLiteral> {
  readonly table: string;
  private readonly columns: ColumnMetadata[];
  /** Per column, what turns the value read into the entity's value (null: as read). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- TypeORM's transformers take any
  private readonly conversions: Array<((value: any) => unknown) | null>;

  constructor(
    private readonly dataSource: DataSource,
    private readonly metadata: EntityMetadata,
  ) {
    this.table = metadata.tablePath;
    // A relation's join column is read through its declared @Column; virtual ones are skipped.
    const odd = metadata.columns.find((column) => !column.isVirtual && (column.embeddedMetadata || column.transformer));
    if (odd) throw new Error(`EntityReader: ${metadata.name}.${odd.propertyName} needs TypeORM's hydration`);
    this.columns = metadata.columns.filter((column) => !column.isVirtual);
    this.conversions = this.columns.map((column) => (isInstant(column) ? toDate : null));
  }

  /** The select list for the table under `alias`, in the order `hydrate` expects. */
  selectList(alias: string): string {
    return this.columns.map((column) => selectExpression(`${alias}."${column.databaseName}"`, column)).join(', ');
  }

  /**
   * The rows under `alias` that pass `where` (named parameters), then `tail` (ORDER BY, LIMIT).
   * SQL text comes from code, never from input: each distinct text names a prepared statement.
   */
  async where(alias: string, where: string, params: Record<string, unknown>, tail = ''): Promise<T[]> {
    const [text, values] = this.dataSource.driver.escapeQueryWithParameters(
      `SELECT ${this.selectList(alias)} FROM ${this.table} ${alias} WHERE ${where} ${tail}`,
      params,
    );
    const result = await this.pool().query<unknown[]>({ name: statementName(text), text, values, rowMode: 'array' });
    return result.rows.map((row) => this.hydrate(row));
  }

  /** One row by ID among those the filter lets through; null when missing or filtered out. */
  async findOne(alias: string, filter: RowFilter, id: string): Promise<T | null> {
    const [row] = await this.where(alias, `(${filter.where}) AND ${alias}.id = :rowId`, {
      ...filter.params,
      rowId: id,
    });
    return row ?? null;
  }

  /** A keyset page by ID (either way) of the rows the filter lets through; counted only when asked. */
  async page(
    this: EntityReader<T & { id: string }>,
    alias: string,
    filter: RowFilter,
    page: PageRequest,
  ): Promise<Connection<T & { id: string }>> {
    const params: Record<string, unknown> = { ...filter.params, pageLimit: page.limit + 1 };
    const keyset = keysetSql(page, [{ sql: `${alias}.id` }], namedBinder(params));
    const where = `(${filter.where}) AND ${keyset.where}`;
    const rows = await this.where(alias, where, params, `ORDER BY ${keyset.orderBy} LIMIT :pageLimit`);
    return toConnection(rows, page, async () => {
      const [text, values] = this.dataSource.driver.escapeQueryWithParameters(
        `SELECT count(*)::int AS total FROM ${this.table} ${alias} WHERE ${filter.where}`,
        filter.params,
      );
      const result = await this.pool().query<{ total: number }>({ name: statementName(text), text, values });
      return result.rows[0].total;
    });
  }

  private pool(): Pool {
    return (this.dataSource.driver as PostgresDriver).master as Pool;
  }

  private hydrate(row: unknown[]): T {
    const entity = this.metadata.create(undefined, { fromDeserializer: true }) as T;
    const { columns, conversions } = this;
    for (let i = 0; i < columns.length; i++) {
      const convert = conversions[i];
      (entity as Record<string, unknown>)[columns[i].propertyName] =
        convert && row[i] !== null ? convert(row[i]) : row[i];
    }
    return entity;
  }
}

const isInstant = (column: ColumnMetadata) =>
  !column.isArray && (column.type === 'timestamptz' || column.type === 'timestamp with time zone');
const toDate = (milliseconds: number) => new Date(milliseconds);

/**
 * How a column is read so that it maps to what TypeORM would give. An instant is read as
 * milliseconds since the epoch (microseconds dropped, as a Date made from the text drops them): pg's
 * parsing of timestamp text was a visible part of a list's cost (BENCHMARKS.md).
 */
function selectExpression(column: string, metadata: ColumnMetadata): string {
  // Truncated to the millisecond first, as pg's text parser does (also before 1970), then exact.
  if (isInstant(metadata)) return `round(extract(epoch FROM date_trunc('milliseconds', ${column})) * 1000)::float8`;
  if (metadata.type === 'date') return metadata.isArray ? `${column}::text[]` : `${column}::text`;
  if (metadata.type === 'enum' && metadata.isArray) return `${column}::text[]`;
  return column;
}

// Statement texts come from code, so this map holds a bounded set of names, never rows.
const statementNames = new Map<string, string>();
function statementName(text: string): string {
  let name = statementNames.get(text);
  if (!name) {
    name = `entity-reader-${statementNames.size + 1}`;
    statementNames.set(text, name);
  }
  return name;
}

const readers = new WeakMap<EntityMetadata, EntityReader<ObjectLiteral>>();

/** The reader of an entity on a DataSource, built on first use. */
export function entityReader<T extends ObjectLiteral>(
  dataSource: DataSource,
  entity: EntityTarget<T>,
): EntityReader<T> {
  const metadata = dataSource.getMetadata(entity);
  let reader = readers.get(metadata);
  if (!reader) {
    reader = new EntityReader<ObjectLiteral>(dataSource, metadata);
    readers.set(metadata, reader);
  }
  return reader as unknown as EntityReader<T>;
}
