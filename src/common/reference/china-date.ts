/**
 * China Standard Time (UTC+8, no daylight saving): the calendar every date of the platform is in
 * (validUntil, disbursedOn, a score's as-of date, the statistics' days).
 */
export function chinaDate(instant: Date): string {
  return new Date(instant.getTime() + 8 * 3600_000).toISOString().slice(0, 10);
}
