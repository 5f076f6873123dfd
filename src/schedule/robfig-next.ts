/**
 * robfig/cron v3 `SpecSchedule.Next`, step by step, on an emulation of Go's
 * `time` package. Reimplemented (not translated) from the behaviour of spec.go:
 * walk the month, day, hour, minute and second fields, incrementing the time
 * until each matches and wrapping back to the month check when a field rolls over.
 *
 * Following robfig step by step, rather than computing "every instant whose wall
 * clock matches", is what makes DST exact, quirks included:
 * - a skipped local time does not fire and a repeated one fires twice (the hours
 *   are walked as absolute hours);
 * - where DST starts at midnight (America/Santiago, America/Havana, Asia/Beirut…)
 *   the hour walk can cross into the next day without re-checking the day, so
 *   `0 1 * * 6` in Santiago also fires on the Sunday the clocks change;
 * - with a 30-minute shift (Australia/Lord_Howe) the hour walk is left off the
 *   hour after the change, so `0 2 * * *` is skipped on the day of the change.
 *
 * Go semantics emulated: `time.Date` normalises overflowing fields and resolves
 * a missing or doubled wall time the way Go's implementation does (offset at the
 * wall time read as UTC, re-checked at the resulting instant; no adjustment when
 * that first offset is zero); `AddDate` keeps the wall clock; `Add` and
 * `Truncate` work on absolute time.
 */
import { MS_PER_DAY, MS_PER_HOUR, MS_PER_MINUTE, civilFromDays, weekdayFromDays } from './civil.js';
import type { SchedulePlan } from './plan.js';
import type { ZoneOffsets } from './time-zone.js';

const MS_PER_SECOND = 1000;
/** robfig's SpecSchedule.Next returns "no time" once the search passes start + 5 years. */
export const ROBFIG_SEARCH_YEARS = 5;

interface WallFields {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  weekday: number;
}

/** Go's view of an instant in a location: `t.Year()`, `t.Month()`, … */
function wallFields(zone: ZoneOffsets, instant: number): WallFields {
  const wall = instant + zone.offsetAt(instant);
  const days = Math.floor(wall / MS_PER_DAY);
  const { year, month, day } = civilFromDays(days);
  const msOfDay = wall - days * MS_PER_DAY;
  return {
    year,
    month,
    day,
    hour: Math.floor(msOfDay / MS_PER_HOUR),
    minute: Math.floor((msOfDay % MS_PER_HOUR) / MS_PER_MINUTE),
    second: Math.floor((msOfDay % MS_PER_MINUTE) / MS_PER_SECOND),
    weekday: weekdayFromDays(days),
  };
}

/** Go's `time.Date(year, month, day, hour, min, sec, 0, loc)`. */
function goDate(
  zone: ZoneOffsets,
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
): number {
  const wallAsUtc = Date.UTC(year, month - 1, day, hour, minute, second);
  const guess = zone.offsetAt(wallAsUtc);
  if (guess === 0) return wallAsUtc;
  // Go re-reads the offset at the candidate instant when it falls outside the
  // zone period it first found; inside that period the offset is the same anyway.
  return wallAsUtc - zone.offsetAt(wallAsUtc - guess);
}

/** Go's `t.AddDate(0, months, days)`: same wall clock, other date. */
function addDate(zone: ZoneOffsets, instant: number, months: number, days: number): number {
  const wall = wallFields(zone, instant);
  return goDate(
    zone,
    wall.year,
    wall.month + months,
    wall.day + days,
    wall.hour,
    wall.minute,
    wall.second,
  );
}

function dayMatches(plan: SchedulePlan, wall: WallFields): boolean {
  const dayOfMonthMatch = plan.dayOfMonthAllowed[wall.day] === true;
  const dayOfWeekMatch = plan.dayOfWeekAllowed[wall.weekday] === true;
  return plan.requireBothDayFields
    ? dayOfMonthMatch && dayOfWeekMatch
    : dayOfMonthMatch || dayOfWeekMatch;
}

/** Mutable search state shared by the field walks. */
interface Search {
  time: number;
  /** robfig's `added`: the first increment truncates the lower fields. */
  added: boolean;
}

type Walk = 'matched' | 'wrapped';

function walkMonths(plan: SchedulePlan, zone: ZoneOffsets, search: Search): Walk {
  for (let wall = wallFields(zone, search.time); plan.monthAllowed[wall.month] !== true;) {
    if (!search.added) {
      search.added = true;
      search.time = goDate(zone, wall.year, wall.month, 1, 0, 0, 0);
    }
    search.time = addDate(zone, search.time, 1, 0);
    wall = wallFields(zone, search.time);
    if (wall.month === 1) return 'wrapped';
  }
  return 'matched';
}

function walkDays(plan: SchedulePlan, zone: ZoneOffsets, search: Search): Walk {
  for (let wall = wallFields(zone, search.time); !dayMatches(plan, wall);) {
    if (!search.added) {
      search.added = true;
      search.time = goDate(zone, wall.year, wall.month, wall.day, 0, 0, 0);
    }
    search.time = addDate(zone, search.time, 0, 1);
    // robfig's fix for zones where midnight does not exist: move back to hour 0.
    const hour = wallFields(zone, search.time).hour;
    if (hour !== 0) search.time += (hour > 12 ? 24 - hour : -hour) * MS_PER_HOUR;
    wall = wallFields(zone, search.time);
    if (wall.day === 1) return 'wrapped';
  }
  return 'matched';
}

/**
 * robfig steps one unit at a time; jumping straight to the unit where the loop
 * would stop gives the same result as long as no transition lies in between (the
 * wall clock then advances in step with absolute time). With one in between we
 * step, exactly as robfig does, because a shift of 30 minutes (Lord Howe) or a
 * missing hour changes which wall values are seen.
 */
function canJump(zone: ZoneOffsets, from: number, to: number): boolean {
  return zone.nextTransition(from, to) === undefined;
}

/** Units to advance from `current` until an allowed value or a wrap to 0, whichever comes first. */
function unitsToNextStop(allowed: readonly boolean[], current: number, size: number): number {
  for (let value = current + 1; value < size; value++) {
    if (allowed[value] === true) return value - current;
  }
  return size - current;
}

function walkHours(plan: SchedulePlan, zone: ZoneOffsets, search: Search): Walk {
  for (let wall = wallFields(zone, search.time); plan.hourAllowed[wall.hour] !== true;) {
    if (!search.added) {
      search.added = true;
      search.time = goDate(zone, wall.year, wall.month, wall.day, wall.hour, 0, 0);
    }
    const target = search.time + unitsToNextStop(plan.hourAllowed, wall.hour, 24) * MS_PER_HOUR;
    search.time = canJump(zone, search.time, target) ? target : search.time + MS_PER_HOUR;
    wall = wallFields(zone, search.time);
    if (wall.hour === 0) return 'wrapped';
  }
  return 'matched';
}

function walkMinutes(plan: SchedulePlan, zone: ZoneOffsets, search: Search): Walk {
  for (let wall = wallFields(zone, search.time); plan.minuteAllowed[wall.minute] !== true;) {
    if (!search.added) {
      search.added = true;
      search.time = Math.floor(search.time / MS_PER_MINUTE) * MS_PER_MINUTE;
    }
    const target =
      search.time + unitsToNextStop(plan.minuteAllowed, wall.minute, 60) * MS_PER_MINUTE;
    search.time = canJump(zone, search.time, target) ? target : search.time + MS_PER_MINUTE;
    wall = wallFields(zone, search.time);
    if (wall.minute === 0) return 'wrapped';
  }
  return 'matched';
}

/** ParseStandard fixes the seconds field at 0. */
function walkSeconds(zone: ZoneOffsets, search: Search): Walk {
  for (let wall = wallFields(zone, search.time); wall.second !== 0;) {
    if (!search.added) {
      search.added = true;
      search.time = Math.floor(search.time / MS_PER_SECOND) * MS_PER_SECOND;
    }
    const target = search.time + (60 - wall.second) * MS_PER_SECOND;
    search.time = canJump(zone, search.time, target) ? target : search.time + MS_PER_SECOND;
    wall = wallFields(zone, search.time);
    if (wall.second === 0) return 'wrapped';
  }
  return 'matched';
}

/**
 * robfig's Next(t): the next activation strictly after `after` (ms), or undefined
 * when nothing matches before the search passes five years. The caller must not
 * pass a schedule that never fires (it would walk the full five years).
 */
export function robfigNext(
  plan: SchedulePlan,
  zone: ZoneOffsets,
  after: number,
): number | undefined {
  // Start at the next whole second.
  const search: Search = {
    time: Math.floor(after / MS_PER_SECOND) * MS_PER_SECOND + MS_PER_SECOND,
    added: false,
  };
  const yearLimit = wallFields(zone, search.time).year + ROBFIG_SEARCH_YEARS;
  for (;;) {
    if (wallFields(zone, search.time).year > yearLimit) return undefined;
    if (walkMonths(plan, zone, search) === 'wrapped') continue;
    if (walkDays(plan, zone, search) === 'wrapped') continue;
    if (walkHours(plan, zone, search) === 'wrapped') continue;
    if (walkMinutes(plan, zone, search) === 'wrapped') continue;
    if (walkSeconds(zone, search) === 'wrapped') continue;
    return search.time;
  }
}
