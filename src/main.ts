import 'reflect-metadata';
import { loadConfig } from './common/config';
import { createDataSource } from './common/database/data-source';
import { EmbeddedDatabase, startEmbeddedPostgres } from './common/database/embedded-postgres';
import { startServer } from './server';

/**
 * `npm start`: DATABASE_URL or an embedded PostgreSQL kept in .data/postgres, pending migrations,
 * then GraphQL on PORT (4000). SIGINT/SIGTERM stop the HTTP server, the pool, then the database.
 */
async function main() {
  const config = loadConfig();
  let embedded: EmbeddedDatabase | undefined;
  let databaseUrl = config.databaseUrl;
  if (!databaseUrl) {
    console.log(`Starting embedded PostgreSQL (data in ${config.embeddedDataDir}) …`);
    embedded = await startEmbeddedPostgres(config.embeddedDataDir, { persistent: true });
    databaseUrl = embedded.url;
    console.log(`Embedded PostgreSQL listening on 127.0.0.1:${embedded.port}`);
  }
  // Migrations run on a connection of their own, without the request timeouts.
  const migrator = createDataSource(databaseUrl, { poolSize: 1 });
  await migrator.initialize();
  const applied = await migrator.runMigrations({ transaction: 'all' });
  await migrator.destroy();
  console.log(applied.length ? `Applied ${applied.length} migration(s): ${applied.map((m) => m.name).join(', ')}` : 'Database schema is up to date');
  const dataSource = createDataSource(databaseUrl, { limits: config.database });
  await dataSource.initialize();

  const server = await startServer({ dataSource, production: config.production, auth: config, limits: config.rateLimits }, config.port);
  console.log(`信易贷 GraphQL API ready at ${server.url}${config.production ? '' : ' (open it in a browser for the sandbox)'}`);

  const services = server.services;
  const sweep = every(config.expirySweepSeconds * 1000, 'expiry sweep', () => services.lending.expireOverdueApplications(new Date()));
  // Match refreshes queued by product and score changes are worked here, never inside a mutation.
  const matchingWorker = every(config.matchingWorkerIntervalMs, 'matching worker', () => services.matching.workQueuedJobs());
  // Statistics deltas written by the triggers are folded into the rollup about once a second.
  const statsCompactor = every(1000, 'statistics compaction', () => services.analytics.compact());

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal} received: stopping HTTP server, database pool${embedded ? ', embedded PostgreSQL' : ''} …`);
    clearInterval(sweep);
    clearInterval(matchingWorker);
    clearInterval(statsCompactor);
    await server.stop();
    await dataSource.destroy();
    if (embedded) await embedded.stop();
    console.log('Stopped.');
    process.exit(0);
  };
  // embedded-postgres (through async-exit-hook) stops its server and exits on these signals by
  // itself, before the pool is closed; this process owns the order instead.
  process.removeAllListeners('SIGINT');
  process.removeAllListeners('SIGTERM');
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

/** Runs a background task every `ms`, never two at once; failures are logged, not fatal. */
function every(ms: number, label: string, task: () => Promise<unknown>): NodeJS.Timeout {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    task()
      .catch((error) => console.error(`[${label}] failed:`, error instanceof Error ? error.message : error))
      .finally(() => (running = false));
  }, ms);
  timer.unref();
  return timer;
}

main().catch((error) => {
  console.error('Failed to start:', error instanceof Error ? error.message : error);
  process.exit(1);
});
