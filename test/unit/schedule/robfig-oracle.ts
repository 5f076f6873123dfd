/**
 * A test-only, step-by-step re-enactment of robfig/cron v3 `SpecSchedule.Next`
 * (spec.go) on top of Go's time semantics, using nothing but Intl for the zone.
 * It shares no code with src/schedule, so agreeing with it means nextRuns really
 * reproduces what the CronJob controller computes, DST included.
 *
 * Go semantics reproduced:
 * - `time.Date(y, m, d, h, min, s, 0, loc)` normalises overflowing fields and,
 *   for a wall time that does not exist or exists twice, picks the offset the way
 *   Go's implementation does: offset at (wall read as UTC), then re-checked at the
 *   resulting instant — and no adjustment at all when the first offset is zero.
 * - `t.AddDate(0, m, d)` = Date with the same wall clock; `t.Add(d)` is absolute;
 *   `t.Truncate(d)` is absolute (multiples of d since the zero time, i.e. UTC).
 */

export interface OracleSpec {
  minutes: readonly number[];
  hours: readonly number[];
  daysOfMonth: readonly number[];
  months: readonly number[];
  daysOfWeek: readonly number[];
  dayOfMonthStar: boolean;
  dayOfWeekStar: boolean;
}

interface Wall {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  weekday: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(zone: string): Intl.DateTimeFormat {
  let result = formatters.get(zone);
  if (result === undefined) {
    result = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(zone, result);
  }
  return result;
}

/** The wall clock of an instant in a zone, from Intl. Exported for other tests. */
export function wallClock(instant: number, zone: string): Wall {
  const fields: Record<string, number> = {};
  for (const part of formatter(zone).formatToParts(new Date(instant))) {
    if (part.type !== 'literal') fields[part.type] = Number(part.value);
  }
  const year = fields['year'] ?? 0;
  const month = fields['month'] ?? 1;
  const day = fields['day'] ?? 1;
  const weekday = new Date(Date.UTC(year, month - 1, day)).getUTCDay();
  return {
    year,
    month,
    day,
    hour: (fields['hour'] ?? 0) % 24,
    minute: fields['minute'] ?? 0,
    second: fields['second'] ?? 0,
    weekday,
  };
}

function offsetAt(instant: number, zone: string): number {
  const wall = wallClock(instant, zone);
  const wallMs = Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute, wall.second);
  return wallMs - Math.floor(instant / 1000) * 1000;
}

/** Go's time.Date. */
function goDate(
  zone: string,
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
): number {
  const unix = Date.UTC(year, month - 1, day, hour, minute, second);
  const offset = offsetAt(unix, zone);
  if (offset === 0) return unix;
  // Go: if unix - offset is outside the zone period found, look the offset up again there.
  // Whether inside or outside, the offset at unix - offset is the one Go ends up using.
  return unix - offsetAt(unix - offset, zone);
}

function addDate(zone: string, instant: number, months: number, days: number): number {
  const wall = wallClock(instant, zone);
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

function dayMatches(spec: OracleSpec, wall: Wall): boolean {
  const domMatch = spec.daysOfMonth.includes(wall.day);
  const dowMatch = spec.daysOfWeek.includes(wall.weekday);
  if (spec.dayOfMonthStar || spec.dayOfWeekStar) return domMatch && dowMatch;
  return domMatch || dowMatch;
}

const MINUTE = 60_000;
const HOUR = 3_600_000;

/** robfig's SpecSchedule.Next (seconds field fixed at 0, as ParseStandard sets it). */
export function robfigNext(spec: OracleSpec, zone: string, after: number): number | undefined {
  let t = Math.floor(after / 1000) * 1000 + 1000;
  let added = false;
  const yearLimit = wallClock(t, zone).year + 5;
  wrap: for (;;) {
    if (wallClock(t, zone).year > yearLimit) return undefined;

    while (!spec.months.includes(wallClock(t, zone).month)) {
      if (!added) {
        added = true;
        const wall = wallClock(t, zone);
        t = goDate(zone, wall.year, wall.month, 1, 0, 0, 0);
      }
      t = addDate(zone, t, 1, 0);
      if (wallClock(t, zone).month === 1) continue wrap;
    }

    while (!dayMatches(spec, wallClock(t, zone))) {
      if (!added) {
        added = true;
        const wall = wallClock(t, zone);
        t = goDate(zone, wall.year, wall.month, wall.day, 0, 0, 0);
      }
      t = addDate(zone, t, 0, 1);
      const hour = wallClock(t, zone).hour;
      if (hour !== 0) t += hour > 12 ? (24 - hour) * HOUR : -hour * HOUR;
      if (wallClock(t, zone).day === 1) continue wrap;
    }

    while (!spec.hours.includes(wallClock(t, zone).hour)) {
      if (!added) {
        added = true;
        const wall = wallClock(t, zone);
        t = goDate(zone, wall.year, wall.month, wall.day, wall.hour, 0, 0);
      }
      t += HOUR;
      if (wallClock(t, zone).hour === 0) continue wrap;
    }

    while (!spec.minutes.includes(wallClock(t, zone).minute)) {
      if (!added) {
        added = true;
        t = Math.floor(t / MINUTE) * MINUTE;
      }
      t += MINUTE;
      if (wallClock(t, zone).minute === 0) continue wrap;
    }

    while (wallClock(t, zone).second !== 0) {
      if (!added) {
        added = true;
        t = Math.floor(t / 1000) * 1000;
      }
      t += 1000;
      if (wallClock(t, zone).second === 0) continue wrap;
    }
    return t;
  }
}

export function robfigRuns(spec: OracleSpec, zone: string, from: number, count: number): number[] {
  const runs: number[] = [];
  let after = from;
  while (runs.length < count) {
    const next = robfigNext(spec, zone, after);
    if (next === undefined) break;
    runs.push(next);
    after = next;
  }
  return runs;
}
