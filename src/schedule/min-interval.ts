/**
 * The shortest gap between consecutive runs, computed a day at a time rather than
 * run by run, because it is asked for thousands of CronJobs and a minutely
 * schedule has half a million runs a year.
 *
 * On a day with no DST transition within two days, robfig's search amounts to
 * "the schedule's minutes-of-day on every matching date", shifted by one offset,
 * so the day contributes its first run, its last run and a precomputed within-day
 * gap. Around a transition the runs come from robfig's own search (as in
 * nextRuns), so skipped local times, repeated ones and robfig's quirks count.
 */
import {
  MS_PER_DAY,
  MS_PER_HOUR,
  MS_PER_MINUTE,
  civilFromDays,
  weekdayFromDays,
  yearOfWall,
} from './civil.js';
import { dateMatches, daysInMonth, planFor, type SchedulePlan } from './plan.js';
import { ROBFIG_SEARCH_YEARS, robfigNext } from './robfig-next.js';
import { DEFAULT_TIME_ZONE, zoneOffsets, type ZoneOffsets } from './time-zone.js';
import type { MinIntervalOptions, ParsedSchedule } from './types.js';

/** Covers a yearly pattern (and a leap day) from any starting point. */
export const MIN_INTERVAL_HORIZON_DAYS = 366;
/** Field schedules fire on whole minutes, so no gap can be shorter. */
const SHORTEST_POSSIBLE_GAP_MS = MS_PER_MINUTE;
/** Below this distance two instants cannot be more than five calendar years apart. */
const FOUR_YEARS_MS = 4 * 365 * MS_PER_DAY;

/** Receives runs in ascending order and keeps the smallest gap, within the limits. */
class GapTracker {
  minGap = Infinity;
  runsSeen = 0;
  stopped = false;
  readonly #zone: ZoneOffsets;
  readonly #from: number;
  readonly #horizonEnd: number;
  readonly #runLimit: number;
  #previous: number | undefined;

  constructor(zone: ZoneOffsets, from: number, horizonEnd: number, runLimit: number) {
    this.#zone = zone;
    this.#from = from;
    this.#horizonEnd = horizonEnd;
    this.#runLimit = runLimit;
  }

  /**
   * robfig searches at most until the end of the fifth year after its start (the
   * previous run, or `from`), so a later run is never reached. Years are only
   * computed when the distance could matter.
   */
  isBeyondRobfigReach(instant: number): boolean {
    const start = (this.#previous ?? this.#from) + 1000;
    if (instant - start < FOUR_YEARS_MS) return false;
    return (
      yearOfWall(this.#zone.wallAt(instant)) >
      yearOfWall(this.#zone.wallAt(start)) + ROBFIG_SEARCH_YEARS
    );
  }

  /** The last run fed. */
  get previous(): number | undefined {
    return this.#previous;
  }

  /** Whether a whole day of `runs` runs ending at `last` may be summarised. */
  fitsWhole(runs: number, last: number): boolean {
    return this.runsSeen + runs <= this.#runLimit && last <= this.#horizonEnd;
  }

  add(instant: number): void {
    if (this.stopped || instant <= this.#from) return;
    if ((instant > this.#horizonEnd && this.runsSeen >= 2) || this.isBeyondRobfigReach(instant)) {
      this.stopped = true;
      return;
    }
    if (this.#previous !== undefined) this.minGap = Math.min(this.minGap, instant - this.#previous);
    this.#previous = instant;
    this.runsSeen++;
    if (this.runsSeen >= this.#runLimit) this.stopped = true;
  }

  /** A whole day mapped through one offset: its first and last run and its inner gap. */
  addWholeDay(first: number, last: number, runs: number, gapWithinDayMs: number): void {
    this.add(first);
    if (this.stopped || runs < 2) return;
    this.minGap = Math.min(this.minGap, gapWithinDayMs);
    this.runsSeen += runs - 1;
    this.#previous = last;
    if (this.runsSeen >= this.#runLimit) this.stopped = true;
  }
}

/**
 * Smallest gap in seconds between consecutive runs after `from` in `timeZone`
 * (default UTC). Looks at every run in the next 366 days — continuing until at
 * least two runs are seen, for schedules such as `0 0 29 2 *` — or at the first
 * `runs` runs when that comes first. DST is included: `30 2 * * *` in
 * Europe/Berlin runs twice, an hour apart, on the October change. Undefined when
 * the schedule never fires (or fires only once within robfig's five-year reach).
 * `@every` returns its interval.
 */
export function minInterval(
  schedule: ParsedSchedule,
  options: MinIntervalOptions,
): number | undefined {
  if (schedule.kind === 'every') return schedule.intervalSeconds;
  const plan = planFor(schedule);
  if (plan.neverFires) return undefined;
  const zone = zoneOffsets(options.timeZone ?? DEFAULT_TIME_ZONE);
  const from = options.from.getTime();
  const horizonEnd = from + MIN_INTERVAL_HORIZON_DAYS * MS_PER_DAY;
  const tracker = new GapTracker(zone, from, horizonEnd, options.runs ?? Infinity);
  new RunScan(plan, zone, tracker, horizonEnd).run(from);
  return tracker.minGap === Infinity ? undefined : tracker.minGap / 1000;
}

/**
 * How far from a transition robfig's search must be followed step by step. A
 * search that starts at a run only visits later times, so it can be affected by
 * a transition only when it passes one, or when it asks Go's time.Date about a
 * wall time that the transition made missing or ambiguous (within the shift of
 * at most two hours). Elsewhere robfig returns "the next matching wall-clock time".
 */
const TRANSITION_MARGIN_MS = 3 * MS_PER_HOUR;
/** How far ahead one look-up for the next transition reaches. */
const TRANSITION_LOOKAHEAD_MS = 400 * MS_PER_DAY;

/** Feeds the runs after `from` to a tracker, in order, until it has seen enough. */
class RunScan {
  readonly #plan: SchedulePlan;
  readonly #zone: ZoneOffsets;
  readonly #tracker: GapTracker;
  readonly #horizonEnd: number;
  readonly #runsPerDay: number;
  readonly #firstMinute: number;
  readonly #lastMinute: number;
  readonly #gapWithinDayMs: number;
  readonly #stopAtGap: number;

  constructor(plan: SchedulePlan, zone: ZoneOffsets, tracker: GapTracker, horizonEnd: number) {
    this.#plan = plan;
    this.#zone = zone;
    this.#tracker = tracker;
    this.#horizonEnd = horizonEnd;
    this.#runsPerDay = plan.runMinutesOfDay.length;
    this.#firstMinute = plan.runMinutesOfDay[0] ?? 0;
    this.#lastMinute = plan.runMinutesOfDay[this.#runsPerDay - 1] ?? 0;
    this.#gapWithinDayMs = plan.minGapWithinDayMinutes * MS_PER_MINUTE;
    this.#stopAtGap = smallestReachableGap(plan, zone, horizonEnd);
  }

  run(from: number): void {
    // The first search starts at `from`, not at a run, and may look back to the
    // start of its day or month, so it is always robfig's own.
    const first = robfigNext(this.#plan, this.#zone, from);
    if (first === undefined) return;
    this.#tracker.add(first);
    let cursor = first;
    while (!this.#finished(cursor)) {
      const lookahead = Math.max(cursor, this.#horizonEnd) + TRANSITION_LOOKAHEAD_MS;
      const transition = this.#zone.nextTransition(cursor, lookahead);
      const until = transition === undefined ? lookahead : transition - TRANSITION_MARGIN_MS;
      if (until > cursor) this.#wallClockRuns(cursor, until);
      cursor = Math.max(cursor, until);
      if (transition !== undefined && !this.#finished(cursor))
        cursor = this.#followRobfigAcross(transition);
    }
  }

  #finished(instant: number): boolean {
    const tracker = this.#tracker;
    return (
      tracker.stopped ||
      tracker.minGap <= this.#stopAtGap ||
      (tracker.runsSeen >= 2 && instant > this.#horizonEnd) ||
      tracker.isBeyondRobfigReach(instant)
    );
  }

  /** Runs in (after, until], where the zone has one offset: wall-clock matches, a day at a time. */
  #wallClockRuns(after: number, until: number): void {
    const plan = this.#plan;
    const tracker = this.#tracker;
    const offset = this.#zone.offsetAt(after + 1);
    const lastDay = Math.floor((until + offset) / MS_PER_DAY);
    for (let day = Math.floor((after + offset) / MS_PER_DAY); day <= lastDay; day++) {
      const dayWall = day * MS_PER_DAY;
      if (this.#finished(dayWall - offset)) return;
      const date = civilFromDays(day);
      if (plan.monthAllowed[date.month] !== true) {
        day += daysInMonth(date.year, date.month) - date.day;
        continue;
      }
      if (!dateMatches(plan, date.month, date.day, weekdayFromDays(day))) continue;
      const first = dayWall + this.#firstMinute * MS_PER_MINUTE - offset;
      const last = dayWall + this.#lastMinute * MS_PER_MINUTE - offset;
      if (first > after && last <= until && tracker.fitsWhole(this.#runsPerDay, last)) {
        tracker.addWholeDay(first, last, this.#runsPerDay, this.#gapWithinDayMs);
        continue;
      }
      for (const minuteOfDay of plan.runMinutesOfDay) {
        const instant = dayWall + minuteOfDay * MS_PER_MINUTE - offset;
        if (instant > after && instant <= until) tracker.add(instant);
      }
    }
  }

  /**
   * Follows robfig's search from the last run before the transition until a run
   * lies well past it (and past any other transition). Returns the new cursor.
   */
  #followRobfigAcross(transition: number): number {
    const tracker = this.#tracker;
    const zone = this.#zone;
    let run = tracker.previous ?? transition;
    while (!tracker.stopped) {
      const next = robfigNext(this.#plan, zone, run);
      if (next === undefined) {
        tracker.stopped = true;
        break;
      }
      tracker.add(next);
      run = next;
      if (run > transition && zone.nextTransition(run - TRANSITION_MARGIN_MS, run) === undefined)
        break;
    }
    return run;
  }
}

/**
 * The smallest gap the scan could still find. Without DST in the window, gaps are
 * wall-clock gaps, so none can beat the within-day gap or the overnight gap
 * between two matching days; with DST a repeated hour can bring runs a minute apart.
 */
function smallestReachableGap(plan: SchedulePlan, zone: ZoneOffsets, horizonEnd: number): number {
  if (
    zone.nextTransition(
      horizonEnd - (MIN_INTERVAL_HORIZON_DAYS + 3) * MS_PER_DAY,
      horizonEnd + 3 * MS_PER_DAY,
    ) !== undefined
  ) {
    return SHORTEST_POSSIBLE_GAP_MS;
  }
  const first = plan.runMinutesOfDay[0] ?? 0;
  const last = plan.runMinutesOfDay[plan.runMinutesOfDay.length - 1] ?? 0;
  const overnightMinutes = 1440 - last + first;
  return Math.min(plan.minGapWithinDayMinutes, overnightMinutes) * MS_PER_MINUTE;
}
