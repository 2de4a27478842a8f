import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { createServices } from '../services';
import { AccountRole } from '../auth/user-account.entity';
import { systemActor } from '../common/actor';
import { runWithDatabase } from './cli';

/**
 * `npm run create:operator -- --email ops@example.com`: creates a platform operator account.
 * The password comes from OPERATOR_PASSWORD, or a random one is generated and printed once.
 */
function main() {
  const args = process.argv.slice(2);
  const email = args[args.indexOf('--email') + 1];
  if (args.indexOf('--email') < 0 || !email) {
    console.error(
      'Usage: npm run create:operator -- --email EMAIL   (password from OPERATOR_PASSWORD, else generated)',
    );
    process.exit(2);
  }
  const generated = !process.env.OPERATOR_PASSWORD;
  const password = process.env.OPERATOR_PASSWORD ?? randomBytes(18).toString('base64url');
  if (password.length < 12) {
    console.error('OPERATOR_PASSWORD must be at least 12 characters');
    process.exit(2);
  }
  runWithDatabase(async (dataSource) => {
    const credentials = { email, password };
    const { auth } = createServices(dataSource);
    const account = await auth.createOperatorOrAnalyst(systemActor, credentials, AccountRole.OPERATOR);
    console.log(`Operator account ${account.email} created.${generated ? ` Password (shown once): ${password}` : ''}`);
  });
}

main();
