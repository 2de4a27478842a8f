import path from 'node:path';
import { DataSource, Logger } from 'typeorm';
import { entities } from './entities';
import { SnakeNamingStrategy } from '../naming-strategy';

/** Counts SQL statements sent, so tests can show a list query does not grow with its page size. */
export class StatementCounter implements Logger {
  count = 0;
  logQuery(): void {
    this.count++;
  }
  logQueryError(): void {}
  logQuerySlow(): void {}
  logSchemaBuild(): void {}
  logMigration(): void {}
  log(): void {}
}

export const migrationsGlob = path.join(__dirname, '..', '..', '..', 'migrations', '*.{ts,js}');

export function createDataSource(url: string, options: { poolSize?: number; logger?: Logger } = {}): DataSource {
  return new DataSource({
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
    extra: { max: options.poolSize ?? 20, application_name: 'credit-easy-loan' },
  });
}
