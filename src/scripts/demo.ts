import 'reflect-metadata';
import { dataSource as cliDataSource } from '../../ormconfig';
import { createServices } from '../services';
import { DEMO, DEMO_ACCOUNTS, loadDemoData } from '../analytics/demo-data';

/** `npm run demo`: the provincial demo data set, in the configured database (embedded by default). */
async function main() {
  if (process.env.NODE_ENV === 'production') {
    console.error('npm run demo refuses to run with NODE_ENV=production.');
    process.exit(2);
  }
  const dataSource = await cliDataSource;
  await dataSource.initialize();
  try {
    await dataSource.runMigrations({ transaction: 'all' });
    const outcome = await loadDemoData(dataSource, createServices(dataSource).auth, (step, done, total) => {
      const width = 30;
      const filled = Math.round((done / total) * width);
      process.stderr.write(
        `\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} ${step.padEnd(40)}`,
      );
    });
    process.stderr.write('\n');
    console.log(
      outcome === 'loaded'
        ? `Loaded the 黑龙江 demo data set as of ${DEMO.asOf}: ${DEMO.enterprises} enterprises, ` +
            `${DEMO.institutions} institutions, ${DEMO.products} products.`
        : 'The demo data set is already loaded; nothing changed.',
    );
    console.log('\nDemo accounts (sign in with the login mutation):');
    for (const account of DEMO_ACCOUNTS)
      console.log(
        `  ${account.role.padEnd(18)} ${account.email.padEnd(28)} ${account.password.padEnd(22)} ${account.note}`,
      );
  } finally {
    await dataSource.destroy();
  }
}

main().catch((error) => {
  console.error('Demo failed:', error instanceof Error ? error.message : error);
  process.exit(1);
});
