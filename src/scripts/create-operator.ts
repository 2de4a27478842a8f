import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { dataSource as cliDataSource } from '../../ormconfig';
import { createServices } from '../services';
import { AccountRole } from '../auth/user-account.entity';
import { systemActor } from '../common/actor';
import { BusinessRuleError } from '../common/errors';

/**
 * `npm run create:operator -- --email ops@example.com`: creates a platform operator account.
 * The password comes from OPERATOR_PASSWORD, or a random one is generated and printed once.
 */
async function main() {
  const args = process.argv.slice(2);
  const email = args[args.indexOf('--email') + 1];
  if (args.indexOf('--email') < 0 || !email) {
    console.error('Usage: npm run create:operator -- --email EMAIL   (password from OPERATOR_PASSWORD, else generated)');
    process.exit(2);
  }
  const generated = !process.env.OPERATOR_PASSWORD;
  const password = process.env.OPERATOR_PASSWORD ?? randomBytes(18).toString('base64url');
  if (password.length < 12) {
    console.error('OPERATOR_PASSWORD must be at least 12 characters');
    process.exit(2);
  }
  const dataSource = await cliDataSource;
  await dataSource.initialize();
  try {
    await dataSource.runMigrations({ transaction: 'all' });
    const account = await createServices(dataSource).auth.createOperatorOrAnalyst(systemActor, { email, password }, AccountRole.OPERATOR);
    console.log(`Operator account ${account.email} created.${generated ? ` Password (shown once): ${password}` : ''}`);
  } catch (error) {
    if (error instanceof BusinessRuleError) {
      console.error(error.message);
      process.exitCode = 1;
    } else throw error;
  } finally {
    await dataSource.destroy();
  }
}

main().catch((error) => {
  console.error('Failed:', error instanceof Error ? error.message : error);
  process.exit(1);
});
