import 'reflect-metadata';
import { ConfigurationError, loadConfig } from './common/config';
import { createDataSource } from './common/database/data-source';
import { EmbeddedDatabase, startEmbeddedPostgres } from './common/database/embedded-postgres';
import { waitForDatabase } from './common/database/wait-for-database';
import { stopBackgroundTasks } from './common/background';
import { createLogger, processLogger, setProcessLogger } from './common/http/logging';
import { startServer } from './server';
import { servesGraphql, startBackgroundWork } from './worker';

/**
 * `npm start`: DATABASE_URL or an embedded PostgreSQL kept in .data/postgres, pending migrations,
 * then GraphQL on PORT (4000). SIGINT/SIGTERM stop the HTTP server, the pool, then the database.
 */
async function main() {
  const config = loadConfig();
  const log = createLogger({ level: config.logLevel, production: config.production });
  setProcessLogger(log);
  let embedded: EmbeddedDatabase | undefined;
  let databaseUrl = config.databaseUrl;
  if (!databaseUrl) {
    log.info({ dataDir: config.embeddedDataDir }, 'starting embedded PostgreSQL');
    embedded = await startEmbeddedPostgres(config.embeddedDataDir, { persistent: true });
    databaseUrl = embedded.url;
    log.info({ port: embedded.port }, `embedded PostgreSQL listening on 127.0.0.1:${embedded.port}`);
  }
  await waitForDatabase(databaseUrl, { waitSeconds: config.database.waitSeconds, logger: log });
  // Migrations run on a connection of their own, without the request timeouts.
  const migrator = createDataSource(config.databaseDirectUrl ?? databaseUrl, { poolSize: 1 });
  await migrator.initialize();
  const applied = await migrator.runMigrations({ transaction: 'all' });
  await migrator.destroy();
  if (applied.length) log.info({ migrations: applied.map((m) => m.name) }, `applied ${applied.length} migration(s)`);
  else log.info('database schema is up to date');
  const dataSource = createDataSource(databaseUrl, {
    limits: config.database,
    pooler: config.pooler,
    directUrl: config.databaseDirectUrl,
  });
  await dataSource.initialize();

  const server = await startServer(
    {
      dataSource,
      production: config.production,
      auth: config,
      webhooks: config.webhooks,
      limits: config.rateLimits,
      subscriptions: config.subscriptions,
      logger: log,
      metrics: config.metrics,
      shutdown: config.shutdown,
      graphql: servesGraphql(config.role),
      redisUrl: config.redisUrl,
      trustedProxies: config.trustedProxies,
      replicas: {
        ...config.replicas,
        statementTimeoutMs: config.pooler ? 0 : config.database.statementTimeoutMs,
        unnamedStatements: Boolean(config.pooler),
      },
    },
    config.port,
  );
  const sandbox = config.production ? '' : ' (open it in a browser for the sandbox)';
  if (servesGraphql(config.role)) log.info({ url: server.url }, `信易贷 GraphQL API ready at ${server.url}${sandbox}`);
  else log.info({ url: server.url.replace(/\/graphql$/, '/readyz') }, `worker ready (${config.role}): no GraphQL here`);

  startBackgroundWork(server.services, config, config.role);

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    const { delaySeconds, graceSeconds } = config.shutdown;
    log.info(
      { signal, delaySeconds, graceSeconds },
      `${signal} received: not ready; serving ${delaySeconds} s more, then stopping HTTP server, background tasks, ` +
        `database pool${embedded ? ', embedded PostgreSQL' : ''}`,
    );
    await server.stop();
    await stopBackgroundTasks();
    await dataSource.destroy();
    if (embedded) await embedded.stop();
    log.info('stopped');
    log.flush(() => process.exit(0));
  };
  // embedded-postgres (through async-exit-hook) stops its server and exits on these signals by
  // itself, before the pool is closed; this process owns the order instead.
  process.removeAllListeners('SIGINT');
  process.removeAllListeners('SIGTERM');
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

main().catch((error) => {
  const log = processLogger();
  if (error instanceof ConfigurationError) {
    // Before the logger exists: plain lines an operator reads at once.
    console.error(`Refusing to start. ${error.message}`);
  } else if (log.isLevelEnabled('fatal')) {
    log.fatal({ err: error }, `failed to start: ${error instanceof Error ? error.message : String(error)}`);
    log.flush(() => process.exit(1));
    return;
  } else {
    console.error('Failed to start:', error instanceof Error ? error.message : error);
  }
  process.exit(1);
});
