import { findWorkday } from 'chinese-days';

/** The calendar date in China Standard Time (UTC+8, no daylight saving) of an instant. */
export function chinaDate(instant: Date): string {
  return new Date(instant.getTime() + 8 * 3600_000).toISOString().slice(0, 10);
}

/**
 * An institution must accept (受理) within N working days (工作日) of submission, counted by the
 * official holiday calendar with its adjusted working weekends (调休) from `chinese-days`.
 * The deadline is the end of the Nth working day after the submission date, China time.
 */
export function responseDeadline(submittedAt: Date, workingDays: number): Date {
  const lastWorkingDay = findWorkday(workingDays, chinaDate(submittedAt));
  return new Date(new Date(`${lastWorkingDay}T00:00:00+08:00`).getTime() + 24 * 3600_000);
}
