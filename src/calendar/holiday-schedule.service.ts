import { DataSource, EntityManager } from 'typeorm';
import { Actor, actorKey } from '../common/actor';
import { BusinessRuleError, ForbiddenError } from '../common/errors';
import { Clock, chinaDate } from '../common/clock';
import { WorkingCalendar, YearSchedule } from './working-calendar';

/**
 * How long a process keeps the loaded schedules before reading them again. A load takes effect at
 * once in the process that made it and within this time in every other one: schedules change once a
 * year, so a short re-read is simpler and sturdier than a LISTEN connection.
 */
export const SCHEDULE_KEPT_MS = 30_000;
/** Readiness and the metric warn from this many days before a year without a schedule begins. */
export const COVERAGE_WARNING_DAYS = 60;

export interface HolidayScheduleInput {
  year: number;
  holidays: string[];
  workdays: string[];
  /** The notice it comes from, e.g. 国办发明电〔2026〕7号. */
  source?: string | null;
}

export interface HolidaySchedule extends YearSchedule {
  source: string | null;
  loadedBy: string;
  loadedAt: Date;
}

/** What /readyz details and the metric report about the coming year. */
export interface CalendarCoverage {
  /** The next calendar year (China time). */
  year: number;
  /** Whether its working days are known from a loaded schedule or the package. */
  covered: boolean;
  /** Days from today (China date) until 1 January of `year`. */
  daysUntil: number;
  /** Not covered and within COVERAGE_WARNING_DAYS of its start: an operator should load its schedule. */
  warning: boolean;
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const SCHEDULE_COLUMNS = `year, holidays::text[] AS holidays, workdays::text[] AS workdays, source,
  loaded_by AS "loadedBy", loaded_at AS "loadedAt"`;

/** The official holiday schedules an operator loads per year, and the working calendar they make. */
export class HolidayScheduleService {
  private kept: { calendar: WorkingCalendar; until: number } | null = null;
  private warnedOn: string | null = null;

  constructor(
    private readonly dataSource: DataSource,
    private readonly clock: Clock,
  ) {}

  /**
   * The working calendar with every loaded schedule, read again after SCHEDULE_KEPT_MS; inside a
   * transaction, read through its `manager` (never a second pooled connection).
   */
  async calendar(manager: EntityManager = this.dataSource.manager): Promise<WorkingCalendar> {
    if (this.kept && this.kept.until > Date.now()) return this.kept.calendar;
    const calendar = new WorkingCalendar(await this.current(manager));
    this.kept = { calendar, until: Date.now() + SCHEDULE_KEPT_MS };
    return calendar;
  }

  /** The schedule in force for each loaded year: its latest load. */
  async current(manager: EntityManager = this.dataSource.manager): Promise<HolidaySchedule[]> {
    const rows = await manager.query(
      `SELECT DISTINCT ON (year) ${SCHEDULE_COLUMNS} FROM holiday_schedule_load ORDER BY year, id DESC`,
    );
    return rows;
  }

  /**
   * Loads (or replaces) one year's official schedule; every load is kept with who made it and when.
   * Operators only (and the CLI, as the system).
   */
  async load(actor: Actor, input: HolidayScheduleInput): Promise<HolidaySchedule> {
    if (actor.kind !== 'OPERATOR' && actor.kind !== 'SYSTEM') {
      throw new ForbiddenError('Only platform operators load holiday schedules');
    }
    const schedule = validSchedule(input);
    const source = input.source?.trim() || null;
    const [row] = await this.dataSource.query(
      `INSERT INTO holiday_schedule_load (year, holidays, workdays, source, loaded_by, loaded_at)
       VALUES ($1, $2::date[], $3::date[], $4, $5, $6)
       RETURNING ${SCHEDULE_COLUMNS}`,
      [schedule.year, schedule.holidays, schedule.workdays, source, actorKey(actor), this.clock.now()],
    );
    this.kept = null;
    return row;
  }

  /** Whether the coming year has a schedule: for /readyz details and the calendar metric. */
  async coverage(): Promise<CalendarCoverage> {
    return calendarCoverage(this.clock, await this.calendar());
  }

  /** The coverage, logged as a warning once a China day while the coming year needs its schedule. */
  async warnIfUncovered(): Promise<CalendarCoverage> {
    const coverage = await this.coverage();
    const today = chinaDate(this.clock.now());
    if (coverage.warning && this.warnedOn !== today) {
      this.warnedOn = today;
      console.warn(
        `[calendar] no holiday schedule for ${coverage.year}, ${coverage.daysUntil} days away: response deadlines ` +
          `reaching it are provisional; load it with npm run calendar:load or loadHolidaySchedule`,
      );
    }
    return coverage;
  }
}

/** The coming year's coverage by `calendar` as of `clock`'s China date. */
export function calendarCoverage(clock: Clock, calendar: WorkingCalendar = new WorkingCalendar()): CalendarCoverage {
  const today = chinaDate(clock.now());
  const year = Number(today.slice(0, 4)) + 1;
  const daysUntil = Math.round((Date.parse(`${year}-01-01T00:00:00Z`) - Date.parse(`${today}T00:00:00Z`)) / 86_400_000);
  const covered = calendar.coverage(year) !== 'STATUTORY_ONLY';
  return { year, covered, daysUntil, warning: !covered && daysUntil <= COVERAGE_WARNING_DAYS };
}

function validSchedule(input: HolidayScheduleInput): YearSchedule {
  const { year } = input;
  if (!Number.isInteger(year) || year < 2000 || year > 2200) {
    throw new BusinessRuleError('INVALID_SCHEDULE', 'The year must be between 2000 and 2200', ['input', 'year']);
  }
  const days = (list: string[], field: 'holidays' | 'workdays') => {
    for (const day of list) {
      const date = new Date(`${day}T00:00:00Z`);
      const valid = DAY.test(day) && !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === day;
      if (!valid || !day.startsWith(`${year}-`)) {
        throw new BusinessRuleError('INVALID_SCHEDULE', `Every day must be a date (YYYY-MM-DD) of ${year}`, [
          'input',
          field,
        ]);
      }
      // A make-up working day (调休) replaces a weekend day; a weekday is a working day already.
      if (field === 'workdays' && ![0, 6].includes(date.getUTCDay())) {
        const message = `${day} is a weekday: make-up working days fall on weekends`;
        throw new BusinessRuleError('INVALID_SCHEDULE', message, ['input', field]);
      }
    }
    return [...new Set(list)].sort();
  };
  const holidays = days(input.holidays, 'holidays');
  const workdays = days(input.workdays, 'workdays');
  if (holidays.length === 0) {
    throw new BusinessRuleError('INVALID_SCHEDULE', "A year's schedule has holidays", ['input', 'holidays']);
  }
  const both = workdays.find((day) => holidays.includes(day));
  if (both) {
    const message = `${both} is both a holiday and a working day`;
    throw new BusinessRuleError('INVALID_SCHEDULE', message, ['input', 'workdays']);
  }
  return { year, holidays, workdays };
}

/** Reads the file format of `npm run calendar:load` (README "Holiday schedules"): JSON or CSV. */
export function parseScheduleFile(text: string, fileName: string): HolidayScheduleInput {
  if (fileName.toLowerCase().endsWith('.json')) {
    const parsed = JSON.parse(text);
    const { year, holidays = [], workdays = [], source = null } = parsed;
    return { year, holidays, workdays, source };
  }
  // CSV: a header `date,kind[,name]`, then one day a line with kind HOLIDAY (休) or WORKDAY (班).
  const holidays: string[] = [];
  const workdays: string[] = [];
  const lines = text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));
  for (const [index, line] of lines.entries()) {
    const [date, kind] = line.split(',').map((cell) => cell.trim());
    if (index === 0 && date.toLowerCase() === 'date') continue;
    if (kind === 'HOLIDAY' || kind === '休') holidays.push(date);
    else if (kind === 'WORKDAY' || kind === '班') workdays.push(date);
    else throw new Error(`Line ${index + 1}: the kind must be HOLIDAY (休) or WORKDAY (班), not "${kind ?? ''}"`);
  }
  const years = new Set([...holidays, ...workdays].map((day) => Number(day.slice(0, 4))));
  if (years.size !== 1) throw new Error('A schedule file holds the days of exactly one year');
  return { year: [...years][0], holidays, workdays, source: null };
}
