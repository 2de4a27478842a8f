import { Arg, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import { RequestContext } from '../common/context';
import { ForbiddenError } from '../common/errors';
import { toPayload } from '../common/payload';
import {
  CalendarCoverageReport,
  HolidaySchedule,
  LoadHolidayScheduleInput,
  LoadHolidaySchedulePayload,
} from './calendar.types';

@Resolver(() => HolidaySchedule)
export class CalendarResolver {
  @Mutation(() => LoadHolidaySchedulePayload, {
    description:
      "载入放假安排 — an operator loads a year's official schedule; it takes precedence over the built-in data.",
  })
  loadHolidaySchedule(
    @Arg('input', () => LoadHolidayScheduleInput) input: LoadHolidayScheduleInput,
    @Ctx() ctx: RequestContext,
  ) {
    return toPayload('holidaySchedule', () => ctx.services.calendar.load(ctx.actor, input));
  }

  @Query(() => [HolidaySchedule], { description: 'The loaded holiday schedules in force, by year (operators).' })
  holidaySchedules(@Ctx() ctx: RequestContext) {
    if (ctx.actor.kind !== 'OPERATOR') throw new ForbiddenError('Only platform operators see the holiday schedules');
    return ctx.services.calendar.current();
  }

  @Query(() => CalendarCoverageReport, { description: 'Whether the coming year has its holiday schedule (operators).' })
  calendarCoverage(@Ctx() ctx: RequestContext) {
    if (ctx.actor.kind !== 'OPERATOR') throw new ForbiddenError('Only platform operators see the calendar coverage');
    return ctx.services.calendar.coverage();
  }
}
