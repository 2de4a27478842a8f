import 'reflect-metadata';
import { dataSource as cliDataSource } from '../../ormconfig';
import { createServices } from '../services';

/**
 * `npm run sweep:calendar`: now, what the server's calendar sweep does (needs past validUntil
 * expire; profiles whose records crossed a date boundary since the last run are rescored).
 */
async function main() {
  const dataSource = await cliDataSource;
  await dataSource.initialize();
  try {
    const outcome = await createServices(dataSource).calendarSweep();
    console.log(`Expired ${outcome.expiredRequests} financing request(s) past their validUntil.`);
    if (outcome.revokedRequestsWithdrawn > 0)
      console.log(
        `Withdrew ${outcome.revokedRequestsWithdrawn} need(s) of registrations whose verification was revoked.`,
      );
    const rescoring = outcome.rescoring;
    if (!rescoring) console.log('The daily rescoring is busy (another run, or a rescoring in progress): next run.');
    else console.log(`Rescored ${rescoring.rescored} credit profile(s), ${rescoring.changed} changed.`);
    const { year, covered, daysUntil } = outcome.holidays;
    console.log(`Holiday schedule for ${year} (in ${daysUntil} days): ${covered ? 'known' : 'missing'}.`);
  } finally {
    await dataSource.destroy();
  }
}

main().catch((error) => {
  console.error('Failed:', error instanceof Error ? error.message : error);
  process.exit(1);
});
