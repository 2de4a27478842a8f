import { fixedClock } from '../src/common/clock';
import { calendarCoverage, parseScheduleFile } from '../src/calendar/holiday-schedule.service';
import { WorkingCalendar } from '../src/calendar/working-calendar';
import { createServices } from '../src/services';
import { startTestApp, TestApp } from './support/app';
import { submittedApplication } from './support/fixtures';
import { operation } from './support/operations';
import { TestClock } from './support/clock';

/* Response deadlines across the end of the holiday package's data (2026), with and without a loaded schedule. */

const DEADLINE = `query($id: ID!) { node(id: $id) {
  ... on Application { responseDeadline responseDeadlineProvisional } } }`;
/** A schedule made up for the test (not the State Council's): 春节 off 5–12 February, Sunday 14 February worked. */
const SCHEDULE_2027 = {
  year: 2027,
  holidays: [
    '2027-01-01',
    '2027-01-02',
    '2027-01-03',
    ...[5, 6, 7, 8, 9].map((d) => `2027-02-0${d}`),
    '2027-02-10',
    '2027-02-11',
    '2027-02-12',
  ],
  workdays: ['2027-02-14'],
  source: '测试用安排',
};

let app: TestApp;
const clock = new TestClock(new Date('2026-12-29T10:00:00+08:00'));
beforeAll(async () => {
  app = await startTestApp({ clock });
});
afterAll(async () => {
  await app?.close();
});

/** A new application submitted now (by the test clock), three working days to respond. */
async function deadlineOfNewApplication() {
  const { application, enterprise } = await submittedApplication(app);
  const response = await app.gql(DEADLINE, { id: application.id }, enterprise.id);
  expect(response.errors).toBeUndefined();
  return response.data.node as { responseDeadline: string; responseDeadlineProvisional: boolean };
}

describe('response deadlines and the official holiday schedule', () => {
  it('skips 1 January 2027 although the package has no 2027 data, and marks the deadline provisional', async () => {
    clock.set('2026-12-29T10:00:00+08:00');
    // Tuesday 29 December: working days 30 and 31 December, then 元旦 (fixed) and the weekend, then Monday 4 January.
    expect(await deadlineOfNewApplication()).toEqual({
      responseDeadline: new Date('2027-01-05T00:00:00+08:00').toISOString(),
      responseDeadlineProvisional: true,
    });
    clock.set('2026-12-01T10:00:00+08:00');
    expect((await deadlineOfNewApplication()).responseDeadlineProvisional).toBe(false);
  });

  it('refuses a schedule from anyone but an operator', async () => {
    const { enterprise, institution } = await submittedApplication(app);
    for (const actor of [enterprise.id, institution.id, 'analyst', undefined]) {
      const response = await app.gql(operation('LoadHolidaySchedule'), { input: SCHEDULE_2027 }, actor);
      expect(response.errors?.[0].extensions?.code).toMatch(/^(FORBIDDEN|UNAUTHENTICATED)$/);
      expect(response.data?.loadHolidaySchedule ?? null).toBeNull();
    }
    expect((await app.dataSource.query(`SELECT count(*)::int AS n FROM holiday_schedule_load`))[0].n).toBe(0);
  });

  it('refuses a make-up working day on a weekday', async () => {
    const input = { ...SCHEDULE_2027, workdays: ['2027-02-15'] };
    const response = await app.gql(operation('LoadHolidaySchedule'), { input }, 'operator');
    expect(response.data.loadHolidaySchedule.userErrors).toEqual([
      {
        field: ['input', 'workdays'],
        code: 'INVALID_SCHEDULE',
        message: '2027-02-15 is a weekday: make-up working days fall on weekends',
      },
    ]);
  });

  it('counts deadlines computed after an operator loads a year by its schedule; records who and when', async () => {
    clock.set('2027-02-04T10:00:00+08:00');
    // Before: weekends and fixed days only — Friday 5, Monday 8, Tuesday 9 February.
    expect(await deadlineOfNewApplication()).toEqual({
      responseDeadline: new Date('2027-02-10T00:00:00+08:00').toISOString(),
      responseDeadlineProvisional: true,
    });
    const loaded = await app.gql(operation('LoadHolidaySchedule'), { input: SCHEDULE_2027 }, 'operator');
    expect(loaded.data.loadHolidaySchedule).toMatchObject({
      holidaySchedule: {
        year: 2027,
        workdays: ['2027-02-14'],
        source: '测试用安排',
        loadedAt: '2027-02-04T02:00:00.000Z',
      },
      userErrors: [],
    });
    // After: 5–13 February off, Sunday 14 worked (调休), Monday 15, Tuesday 16.
    expect(await deadlineOfNewApplication()).toEqual({
      responseDeadline: new Date('2027-02-17T00:00:00+08:00').toISOString(),
      responseDeadlineProvisional: false,
    });
    const [audit] = await app.dataSource.query(`SELECT year, loaded_by, loaded_at FROM holiday_schedule_load`);
    expect(audit).toEqual({ year: 2027, loaded_by: 'OPERATOR', loaded_at: new Date('2027-02-04T02:00:00Z') });
    await expect(app.dataSource.query(`UPDATE holiday_schedule_load SET loaded_by = 'SYSTEM'`)).rejects.toThrow(
      'holiday_schedule_load is append-only',
    );

    // Another process (another service over the same database) counts by it too.
    const other = createServices(app.dataSource, undefined, clock).calendar;
    expect((await other.calendar()).isWorkday('2027-02-14')).toBe(true);

    clock.set('2027-11-05T10:00:00+08:00');
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      expect((await app.server.services.calendarSweep()).holidays).toMatchObject({ year: 2028, warning: true });
      await app.server.services.calendarSweep();
      expect(warn.mock.calls.filter(([message]) => /no holiday schedule for 2028/.test(message))).toHaveLength(1);
    } finally {
      warn.mockRestore();
    }
    const coverage = await app.gql(operation('CalendarCoverage'), {}, 'operator');
    expect(coverage.data).toEqual({
      calendarCoverage: { year: 2028, covered: false, daysUntil: 57, warning: true },
      holidaySchedules: [{ year: 2027, source: '测试用安排', loadedAt: '2027-02-04T02:00:00.000Z' }],
    });
  });
});

describe('calendarCoverage, for /readyz and the metric', () => {
  it('warns from 60 days before a year without a schedule begins', () => {
    const at = (instant: string) => calendarCoverage(fixedClock(instant));
    expect(at('2026-11-01T15:59:00Z')).toEqual({ year: 2027, covered: false, daysUntil: 61, warning: false });
    expect(at('2026-11-01T16:00:00Z')).toEqual({ year: 2027, covered: false, daysUntil: 60, warning: true });
    expect(at('2025-12-01T00:00:00Z')).toEqual({ year: 2026, covered: true, daysUntil: 31, warning: false });
    const loaded = new WorkingCalendar([{ year: 2027, holidays: ['2027-01-01'], workdays: [] }]);
    expect(calendarCoverage(fixedClock('2026-12-04T00:00:00Z'), loaded)).toMatchObject({ year: 2027, covered: true });
  });
});

describe('the schedule file of npm run calendar:load', () => {
  it('reads CSV (休/班 or HOLIDAY/WORKDAY) and JSON', () => {
    const csv = 'date,kind,name\n2027-01-01,休,元旦\n2027-02-14,WORKDAY,春节调休\n';
    const expected = { year: 2027, holidays: ['2027-01-01'], workdays: ['2027-02-14'], source: null };
    expect(parseScheduleFile(csv, '2027.csv')).toEqual(expected);
    expect(parseScheduleFile(JSON.stringify(SCHEDULE_2027), '2027.json')).toEqual(SCHEDULE_2027);
    expect(() => parseScheduleFile('date,kind\n2027-01-01,off\n', 'x.csv')).toThrow(
      'Line 2: the kind must be HOLIDAY (休) or WORKDAY (班), not "off"',
    );
  });
});
