import 'reflect-metadata';
import fs from 'node:fs';
import path from 'node:path';
import { createServices } from '../services';
import { systemActor } from '../common/actor';
import { parseScheduleFile } from '../calendar/holiday-schedule.service';
import { runWithDatabase } from './cli';

/**
 * `npm run calendar:load -- FILE`: loads one year's official holiday schedule (README "Holiday
 * schedules" for the JSON and CSV formats), recorded as loaded by SYSTEM.
 */
const file = process.argv[2];
if (!file) {
  console.error('Usage: npm run calendar:load -- FILE   (a .json or .csv holiday schedule of one year)');
  process.exit(2);
}
const input = parseScheduleFile(fs.readFileSync(file, 'utf8'), path.basename(file));
runWithDatabase(async (dataSource) => {
  const schedule = await createServices(dataSource).calendar.load(systemActor, input);
  const { year, holidays, workdays } = schedule;
  console.log(`Holiday schedule ${year} loaded: ${holidays.length} holidays, ${workdays.length} make-up working days.`);
});
