import { findWorkday } from 'chinese-days';
import { chinaDate } from '../common/reference/china-date';

/**
 * An institution must accept (受理) within N working days (工作日) of submission, counted by the
 * official holiday calendar with its adjusted working weekends (调休) from `chinese-days`.
 * The deadline is the end of the Nth working day after the submission date, China time.
 */
export function responseDeadline(submittedAt: Date, workingDays: number): Date {
  const lastWorkingDay = findWorkday(workingDays, chinaDate(submittedAt));
  return new Date(new Date(`${lastWorkingDay}T00:00:00+08:00`).getTime() + 24 * 3600_000);
}
