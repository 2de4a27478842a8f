import { DataSource } from 'typeorm';
import { createDataSource, StatementCounter } from '../../src/common/database/data-source';
import { startServer, RunningServer, ServerOptions } from '../../src/server';
import type { Logger } from '../../src/common/http/logging';
import { DatabaseLimits, DEFAULT_DATABASE_LIMITS } from '../../src/common/config';
import { createTestDatabase, TestDatabase } from './database';
import { Clock } from '../../src/common/clock';

export interface GraphQLResponse<T = any> {
  status: number;
  data?: T;
  errors?: Array<{ message: string; path?: string[]; extensions?: Record<string, any> }>;
  raw: string;
  headers: Headers;
}

/** POSTs a GraphQL operation to `url` with `headers` (the scale test and bench use it on their own processes). */
export async function postGraphQL<T = any>(
  url: string,
  query: string,
  variables?: Record<string, unknown>,
  headers: Record<string, string> = {},
): Promise<GraphQLResponse<T>> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  const raw = await response.text();
  const body = JSON.parse(raw);
  return { status: response.status, data: body.data, errors: body.errors, raw, headers: response.headers };
}

export interface TestApp {
  url: string;
  /** The test database's URL (another app may run on it: `startTestApp({ onDatabaseOf })`). */
  databaseUrl: string;
  dataSource: DataSource;
  statements: StatementCounter;
  server: RunningServer;
  /** POSTs a GraphQL operation over HTTP, acting as `actor` (X-Actor header) when given. */
  gql<T = any>(query: string, variables?: Record<string, unknown>, actor?: string): Promise<GraphQLResponse<T>>;
  close(): Promise<void>;
}

/**
 * The real server on a free port, over its own copy of the migrated template database, with the
 * configuration's bounded waits (DEFAULT_DATABASE_LIMITS) unless `limits` changes some; `clock` and
 * the database session's time zone (`sessionTimeZone`) where a test stands at a date boundary; with
 * `production`, as NODE_ENV=production runs it (tokens only: `gql`'s actor header is refused).
 */
export async function startTestApp(
  options: {
    poolSize?: number;
    limits?: Partial<DatabaseLimits>;
    clock?: Clock;
    sessionTimeZone?: string;
    production?: boolean;
    logger?: Logger;
    /** A second server process's view: its own pool and listeners on this app's database (left to it to drop). */
    onDatabaseOf?: TestApp;
    /**
     * More server options: a worker-role server (`graphql: false`), shared rate limits, trusted proxies,
     * bounds on subscriptions.
     */
    server?: Pick<ServerOptions, 'graphql' | 'redisUrl' | 'trustedProxies' | 'limits' | 'subscriptions'>;
  } = {},
): Promise<TestApp> {
  const shared = options.onDatabaseOf;
  const database: TestDatabase = shared
    ? { url: shared.databaseUrl, drop: async () => undefined }
    : await createTestDatabase();
  const statements = new StatementCounter();
  const limits = { ...DEFAULT_DATABASE_LIMITS, ...options.limits };
  const dataSource = createDataSource(database.url, {
    poolSize: options.poolSize ?? 30,
    limits,
    sessionTimeZone: options.sessionTimeZone,
  });
  await dataSource.initialize();
  statements.attach(dataSource);
  const server = await startServer(
    {
      dataSource,
      production: options.production ?? false,
      clock: options.clock,
      logger: options.logger,
      ...options.server,
    },
    0,
    '127.0.0.1',
  );
  const url = server.url.replace('localhost', '127.0.0.1');
  return {
    url,
    databaseUrl: database.url,
    dataSource,
    statements,
    server,
    gql: (query, variables, actor) => postGraphQL(url, query, variables, actor ? { 'x-actor': actor } : {}),
    async close() {
      await server.stop();
      await dataSource.destroy();
      await database.drop();
    },
  };
}
