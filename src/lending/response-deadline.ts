import { chinaDate } from '../common/clock';
import { WorkingCalendar } from '../calendar/working-calendar';

/**
 * An institution must accept (受理) within N working days (工作日) of submission, counted by the
 * official holiday calendar with its adjusted working weekends (调休): a schedule an operator loaded
 * for the year, else `chinese-days`, else weekends and the fixed statutory days, which makes the
 * deadline provisional. The deadline is the end of the Nth working day after the submission date,
 * China time.
 */
export function responseDeadline(
  submittedAt: Date,
  workingDays: number,
  calendar: WorkingCalendar = new WorkingCalendar(),
): { responseDeadline: Date; responseDeadlineProvisional: boolean } {
  const { day, provisional } = calendar.addWorkingDays(chinaDate(submittedAt), workingDays);
  return {
    responseDeadline: new Date(new Date(`${day}T00:00:00+08:00`).getTime() + 24 * 3600_000),
    responseDeadlineProvisional: provisional,
  };
}
