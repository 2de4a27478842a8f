import { Field, InputType, Int, ObjectType } from 'type-graphql';
import { DateScalar } from '../common/scalars';
import { PayloadType } from '../common/payload';

@ObjectType({ simpleResolvers: true, description: "一年的放假安排 — a year's official holiday schedule, as loaded." })
export class HolidaySchedule {
  @Field(() => Int)
  year: number;

  @Field(() => [DateScalar], { description: 'Days off (放假), weekends within a holiday included.' })
  holidays: string[];

  @Field(() => [DateScalar], { description: 'Weekend days worked instead (调休上班).' })
  workdays: string[];

  @Field(() => String, { nullable: true, description: 'The State Council notice it comes from.' })
  source: string | null;

  @Field(() => Date, { description: 'When it was loaded; the latest load of a year is in force.' })
  loadedAt: Date;
}

@InputType({
  description: "A year's schedule from the State Council's notice (国务院办公厅关于…部分节假日安排的通知).",
})
export class LoadHolidayScheduleInput {
  @Field(() => Int)
  year: number;

  @Field(() => [DateScalar], { description: 'Days off beyond ordinary weekends, and the weekends within holidays.' })
  holidays: string[];

  @Field(() => [DateScalar], { defaultValue: [], description: 'Make-up working days (调休): weekend days worked.' })
  workdays: string[];

  @Field(() => String, { nullable: true, description: 'The notice, e.g. 国办发明电〔2026〕7号.' })
  source?: string | null;
}

export const LoadHolidaySchedulePayload = PayloadType(
  'LoadHolidaySchedule',
  'holidaySchedule',
  () => HolidaySchedule,
  'The schedule now in force for the year.',
);

@ObjectType({ simpleResolvers: true, description: 'Whether working days are known for the coming year.' })
export class CalendarCoverageReport {
  @Field(() => Int, { description: 'The next calendar year, China time.' })
  year: number;

  @Field(() => Boolean, { description: 'Its schedule is loaded or in the holiday package.' })
  covered: boolean;

  @Field(() => Int, { description: 'Days until 1 January of that year.' })
  daysUntil: number;

  @Field(() => Boolean, { description: 'Not covered and less than 60 days away: load its schedule.' })
  warning: boolean;
}
