import { DataSource } from 'typeorm';
import { dataSource as cliDataSource } from '../../ormconfig';
import { BusinessRuleError } from '../common/errors';

/**
 * Runs `work` against the migrated configured database, then closes it. A refused business rule is
 * printed as its message with exit code 1; anything else fails the script.
 */
export function runWithDatabase(work: (dataSource: DataSource) => Promise<void>): void {
  const run = async () => {
    const dataSource = await cliDataSource;
    await dataSource.initialize();
    try {
      await dataSource.runMigrations({ transaction: 'all' });
      await work(dataSource);
    } catch (error) {
      if (!(error instanceof BusinessRuleError)) throw error;
      console.error(error.message);
      process.exitCode = 1;
    } finally {
      await dataSource.destroy();
    }
  };
  run().catch((error) => {
    console.error('Failed:', error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
