import 'reflect-metadata';
import { createServices } from '../services';
import { runWithDatabase } from './cli';

/**
 * `npm run mail:pending -- --to ADDRESS`: the messages to ADDRESS that no mail relay has sent yet
 * (there is none yet), for an operator who confirms an address by hand — for instance by passing a
 * staff invitation on to its invitee over a channel they already share.
 */
function main() {
  const args = process.argv.slice(2);
  const to = args[args.indexOf('--to') + 1];
  if (args.indexOf('--to') < 0 || !to) {
    console.error('Usage: npm run mail:pending -- --to ADDRESS');
    process.exit(2);
  }
  runWithDatabase(async (dataSource) => {
    const pending = await createServices(dataSource).mail.pendingFor(to);
    if (pending.length === 0) console.log(`No pending mail for ${to}.`);
    for (const mail of pending) {
      console.log(
        `#${mail.id} ${mail.createdAt.toISOString()} to ${mail.to}\nSubject: ${mail.subject}\n\n${mail.body}\n`,
      );
    }
  });
}

main();
