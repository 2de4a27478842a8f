import packageData from 'chinese-days/dist/chinese-days.json';
import { addDays } from '../common/clock';

/** One year's official schedule (国务院办公厅 notice): days off, and weekend days worked instead (调休). */
export interface YearSchedule {
  year: number;
  holidays: string[];
  workdays: string[];
}

/** Where a year's working days come from, best first. */
export type YearCoverage = 'LOADED' | 'PACKAGE' | 'STATUTORY_ONLY';

/**
 * The days off fixed by date in the national holiday regulation (全国年节及纪念日放假办法): New Year,
 * Labour Day and the first three days of National Day. The lunar holidays (春节, 清明, 端午, 中秋) and the
 * make-up working days are set anew each year by the State Council, so a year without its schedule
 * can only count these and the weekends, and what it yields is provisional.
 */
export const FIXED_STATUTORY_HOLIDAYS = ['01-01', '05-01', '10-01', '10-02', '10-03'];

const PACKAGE_HOLIDAYS = new Set(Object.keys(packageData.holidays));
const PACKAGE_WORKDAYS = new Set(Object.keys(packageData.workdays));
/** The years `chinese-days` carries a schedule for. */
export const PACKAGE_YEARS: ReadonlySet<number> = new Set([...PACKAGE_HOLIDAYS].map((day) => Number(day.slice(0, 4))));

const yearOf = (day: string) => Number(day.slice(0, 4));
const weekend = (day: string) => [0, 6].includes(new Date(`${day}T00:00:00Z`).getUTCDay());

/**
 * Working days (工作日) of mainland China by the best source for each year: a schedule loaded by an
 * operator, else the `chinese-days` package, else weekends and the fixed statutory days only.
 * Synchronous and immutable: a new load builds a new calendar.
 */
export class WorkingCalendar {
  private readonly loaded: Map<number, { holidays: Set<string>; workdays: Set<string> }>;

  constructor(schedules: YearSchedule[] = []) {
    this.loaded = new Map(
      schedules.map((s) => [s.year, { holidays: new Set(s.holidays), workdays: new Set(s.workdays) }]),
    );
  }

  coverage(year: number): YearCoverage {
    if (this.loaded.has(year)) return 'LOADED';
    return PACKAGE_YEARS.has(year) ? 'PACKAGE' : 'STATUTORY_ONLY';
  }

  isWorkday(day: string): boolean {
    const schedule = this.loaded.get(yearOf(day));
    if (schedule) return schedule.workdays.has(day) || (!weekend(day) && !schedule.holidays.has(day));
    if (PACKAGE_YEARS.has(yearOf(day))) {
      return PACKAGE_WORKDAYS.has(day) || (!weekend(day) && !PACKAGE_HOLIDAYS.has(day));
    }
    return !weekend(day) && !FIXED_STATUTORY_HOLIDAYS.includes(day.slice(5));
  }

  /**
   * The `count`th working day after `day` (China dates), and whether any day counted on the way lies
   * in a year known only by its fixed statutory days (the answer may then move once that year is loaded).
   */
  addWorkingDays(day: string, count: number): { day: string; provisional: boolean } {
    let current = day;
    let provisional = false;
    for (let found = 0; found < count;) {
      current = addDays(current, 1);
      if (this.coverage(yearOf(current)) === 'STATUTORY_ONLY') provisional = true;
      if (this.isWorkday(current)) found++;
    }
    return { day: current, provisional };
  }
}
