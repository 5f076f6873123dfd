/**
 * Derived, cached facts about a parsed field schedule that iteration needs:
 * field masks, robfig's day rule and the runs of one day. Kept apart from
 * parsing so parse results stay plain data.
 */
import type { FieldSchedule, ParsedSchedule } from './types.js';

/** Days each month can have; February counts 29 because leap years exist. */
const MAX_DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

export interface SchedulePlan {
  /** Minutes after midnight of every run in a day, ascending. */
  readonly runMinutesOfDay: readonly number[];
  /** Smallest gap between two runs on the same day, in minutes; Infinity with one run a day. */
  readonly minGapWithinDayMinutes: number;
  /** robfig: if either day field carries the star bit, both must match; otherwise either. */
  readonly requireBothDayFields: boolean;
  readonly minuteAllowed: readonly boolean[];
  readonly hourAllowed: readonly boolean[];
  readonly monthAllowed: readonly boolean[];
  readonly dayOfMonthAllowed: readonly boolean[];
  readonly dayOfWeekAllowed: readonly boolean[];
  readonly neverFires: boolean;
}

function mask(values: readonly number[], size: number): boolean[] {
  const allowed = new Array<boolean>(size).fill(false);
  for (const value of values) allowed[value] = true;
  return allowed;
}

function coversRange(values: readonly number[], min: number, max: number): boolean {
  return values.length === max - min + 1;
}

/** Pure reasoning on the sets (zone-independent): is there any date this schedule matches? */
function computeNeverFires(schedule: FieldSchedule): boolean {
  if (
    schedule.minutes.length === 0 ||
    schedule.hours.length === 0 ||
    schedule.months.length === 0
  ) {
    return true;
  }
  // Some allowed day-of-month exists in some allowed month (Feb 29 counts: leap years come).
  const dayOfMonthCanOccur = schedule.months.some((month) =>
    schedule.daysOfMonth.some((day) => day <= (MAX_DAYS_IN_MONTH[month - 1] ?? 0)),
  );
  // Every month contains every weekday, so an allowed weekday always occurs.
  const dayOfWeekCanOccur = schedule.daysOfWeek.length > 0;
  const requireBoth = schedule.dayOfMonthStar || schedule.dayOfWeekStar;
  // With AND one of the two fields is "*" (every value), so the other alone decides;
  // the two conditions are therefore independent and a conjunction suffices.
  return requireBoth
    ? !(dayOfMonthCanOccur && dayOfWeekCanOccur)
    : !(dayOfMonthCanOccur || dayOfWeekCanOccur);
}

function listOrStar(values: readonly number[], min: number, max: number): string {
  return coversRange(values, min, max) ? '*' : values.join(',');
}

/**
 * cron-parser ORs day-of-month and day-of-week unless one of them is written
 * literally as `*` or `?`; robfig decides by its star bit instead (`*\/1` and
 * `*,5` keep it, `*\/2` loses it, `1-31` never has it). Rather than trusting the
 * original text, we write the day fields so both libraries mean the same thing:
 * a field that does not restrict the outcome becomes `*`, the rest explicit lists.
 */
function cronParserDayFields(schedule: FieldSchedule): [string, string] {
  const dayOfMonthList = schedule.daysOfMonth.join(',');
  const dayOfWeekList = schedule.daysOfWeek.join(',');
  const dayOfMonthEveryDay = coversRange(schedule.daysOfMonth, 1, 31);
  const dayOfWeekEveryDay = coversRange(schedule.daysOfWeek, 0, 6);
  if (schedule.dayOfMonthStar || schedule.dayOfWeekStar) {
    // AND, and the starred field is complete: only the other one restricts.
    if (dayOfWeekEveryDay) return [dayOfMonthEveryDay ? '*' : dayOfMonthList, '*'];
    return ['*', dayOfWeekList];
  }
  // OR: a complete field (or an empty one) leaves the decision to the other.
  if (dayOfMonthEveryDay || dayOfWeekEveryDay) return ['*', '*'];
  if (schedule.daysOfMonth.length === 0) return ['*', dayOfWeekList];
  if (schedule.daysOfWeek.length === 0) return [dayOfMonthList, '*'];
  return [dayOfMonthList, dayOfWeekList];
}

/**
 * A 6-field expression (seconds first) that cron-parser evaluates with robfig's
 * field and day-of-month/day-of-week semantics, for code that iterates with
 * cron-parser. Wall clock only: cron-parser's DST handling still differs (it moves
 * skipped runs to the next hour and runs repeated hours once), so evaluate it in
 * UTC or use nextRuns. Undefined for `@every` and schedules that never fire.
 */
export function toCronParserExpression(schedule: ParsedSchedule): string | undefined {
  if (schedule.kind !== 'fields' || planFor(schedule).neverFires) return undefined;
  const [dayOfMonth, dayOfWeek] = cronParserDayFields(schedule);
  return [
    '0',
    listOrStar(schedule.minutes, 0, 59),
    listOrStar(schedule.hours, 0, 23),
    dayOfMonth,
    listOrStar(schedule.months, 1, 12),
    dayOfWeek,
  ].join(' ');
}

function buildPlan(schedule: FieldSchedule): SchedulePlan {
  const runMinutesOfDay = schedule.hours.flatMap((hour) =>
    schedule.minutes.map((minute) => hour * 60 + minute),
  );
  let minGapWithinDayMinutes = Infinity;
  for (let index = 1; index < runMinutesOfDay.length; index++) {
    const gap = (runMinutesOfDay[index] ?? 0) - (runMinutesOfDay[index - 1] ?? 0);
    if (gap < minGapWithinDayMinutes) minGapWithinDayMinutes = gap;
  }
  const neverFires = computeNeverFires(schedule);
  return {
    runMinutesOfDay,
    minGapWithinDayMinutes,
    requireBothDayFields: schedule.dayOfMonthStar || schedule.dayOfWeekStar,
    minuteAllowed: mask(schedule.minutes, 60),
    hourAllowed: mask(schedule.hours, 24),
    monthAllowed: mask(schedule.months, 13),
    dayOfMonthAllowed: mask(schedule.daysOfMonth, 32),
    dayOfWeekAllowed: mask(schedule.daysOfWeek, 7),
    neverFires,
  };
}

const plans = new WeakMap<FieldSchedule, SchedulePlan>();

export function planFor(schedule: FieldSchedule): SchedulePlan {
  let plan = plans.get(schedule);
  if (plan === undefined) {
    plan = buildPlan(schedule);
    plans.set(schedule, plan);
  }
  return plan;
}

/** robfig's `dayMatches` plus the month check, for a civil date. */
export function dateMatches(
  plan: SchedulePlan,
  month: number,
  dayOfMonth: number,
  weekday: number,
): boolean {
  if (plan.monthAllowed[month] !== true) return false;
  const dayOfMonthMatch = plan.dayOfMonthAllowed[dayOfMonth] === true;
  const dayOfWeekMatch = plan.dayOfWeekAllowed[weekday] === true;
  return plan.requireBothDayFields
    ? dayOfMonthMatch && dayOfWeekMatch
    : dayOfMonthMatch || dayOfWeekMatch;
}

/**
 * True when a syntactically valid schedule can never fire, e.g. `0 0 30 2 *` or
 * `0 0 31 4,6,9,11 *`. `0 0 29 2 *` fires (leap years) and `0 0 30 2 1` fires on
 * Mondays in February (both day fields restricted, so OR). Reasoning on the sets,
 * independent of the time zone. `@every` always fires.
 */
export function neverFires(schedule: ParsedSchedule): boolean {
  return schedule.kind === 'fields' && planFor(schedule).neverFires;
}

/** Days in a month of a given (proleptic Gregorian) year. */
export function daysInMonth(year: number, month: number): number {
  if (month !== 2) return MAX_DAYS_IN_MONTH[month - 1] ?? 31;
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return leap ? 29 : 28;
}
