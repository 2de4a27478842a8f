/**
 * The time source of the business services. Business dates are China dates (Asia/Shanghai, UTC+8, no
 * daylight saving) whatever the time zone of the server or of the database session; tests pass a fixed
 * clock to stand at a China-midnight boundary.
 */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** A clock that always answers `instant`. */
export function fixedClock(instant: Date | string): Clock {
  const at = new Date(instant);
  return { now: () => new Date(at) };
}

/** The calendar date in China Standard Time (UTC+8, no daylight saving) of an instant. */
export function chinaDate(instant: Date): string {
  return new Date(instant.getTime() + 8 * 3600_000).toISOString().slice(0, 10);
}

/** The calendar date `days` after (or before) `day`, both 'YYYY-MM-DD'. */
export function addDays(day: string, days: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

/** Today's China date by `clock`, 'YYYY-MM-DD'. */
export function chinaToday(clock: Clock): string {
  return chinaDate(clock.now());
}
