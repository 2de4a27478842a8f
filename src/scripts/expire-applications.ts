import 'reflect-metadata';
import { dataSource as cliDataSource } from '../../ormconfig';
import { createServices } from '../services';

/** `npm run expire:applications`: expire now every application not accepted before its deadline. */
async function main() {
  const dataSource = await cliDataSource;
  await dataSource.initialize();
  try {
    const expired = await createServices(dataSource).lending.expireOverdueApplications(new Date());
    console.log(`Expired ${expired} application(s) past their response deadline.`);
  } finally {
    await dataSource.destroy();
  }
}

main().catch((error) => {
  console.error('Failed:', error instanceof Error ? error.message : error);
  process.exit(1);
});
