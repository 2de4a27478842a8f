import 'reflect-metadata';
import { createDataSource } from './src/common/database/data-source';
import { startEmbeddedPostgres } from './src/common/database/embedded-postgres';
import { databaseConfig } from './src/common/config';

/**
 * The DataSource the TypeORM CLI uses (`npm run migration:generate|run|revert`).
 * DATABASE_URL when set; otherwise the project's embedded PostgreSQL, stopped with the CLI.
 */
async function cliDataSource() {
  const config = databaseConfig();
  if (config.databaseUrl) return createDataSource(config.databaseUrl);
  const embedded = await startEmbeddedPostgres(config.embeddedDataDir, { persistent: true });
  const dataSource = createDataSource(embedded.url);
  const destroy = dataSource.destroy.bind(dataSource);
  dataSource.destroy = async () => {
    await destroy();
    await embedded.stop();
  };
  return dataSource;
}

export const dataSource = cliDataSource();
