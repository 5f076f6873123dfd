/**
 * Everything `cronguard schedule EXPR [--tz ZONE] [-n N]` prints: validity with a
 * fix, a description, the next runs in the zone, the shortest interval, and
 * warnings about behaviour that is legal but surprising.
 */
import { describeSchedule, describeSeconds } from './describe.js';
import { MIN_INTERVAL_HORIZON_DAYS, minInterval } from './min-interval.js';
import { nextRuns } from './next-runs.js';
import { parseSchedule } from './parse.js';
import { robfigNext } from './robfig-next.js';
import { dateMatches, planFor, type SchedulePlan } from './plan.js';
import { MS_PER_DAY, MS_PER_MINUTE, civilFromDays, weekdayFromDays } from './civil.js';
import {
  DEFAULT_TIME_ZONE,
  formatInTimeZone,
  validateTimeZone,
  zoneOffsets,
  type ZoneOffsets,
} from './time-zone.js';
import type {
  ExplainOptions,
  FieldSchedule,
  ParsedSchedule,
  ScheduleExplanation,
} from './types.js';

function neverFiresReason(schedule: FieldSchedule): string {
  if (schedule.minutes.length === 0) return 'the minute field matches no value';
  if (schedule.hours.length === 0) return 'the hour field matches no value';
  if (schedule.months.length === 0) return 'the month field matches no value';
  if (schedule.daysOfMonth.length === 0 || schedule.daysOfWeek.length === 0) {
    return 'a day field matches no value';
  }
  return `no allowed month has day-of-month ${schedule.daysOfMonth.join(', ')}`;
}

function neverFiresWarning(schedule: FieldSchedule): string {
  return (
    `never fires: ${neverFiresReason(schedule)}. The API server accepts it, ` +
    'but the CronJob controller never creates a Job and reports InvalidSchedule'
  );
}

function clockOf(wall: number): string {
  return new Date(wall).toISOString().slice(11, 16);
}

function dateOf(wall: number): string {
  return new Date(wall).toISOString().slice(0, 10);
}

/** "the 02:30 run", "the 02:15, 02:30, 02:45 and 3 more runs". */
function runsAt(walls: readonly number[]): string {
  const labels = walls.slice(0, 3).map(clockOf).join(', ');
  const more = walls.length > 3 ? ` and ${walls.length - 3} more` : '';
  return `the ${labels}${more} run${walls.length === 1 ? '' : 's'}`;
}

interface TransitionEffects {
  /** Wall-clock times (ms read as UTC) the schedule names but robfig does not run. */
  skipped: number[];
  /** Named times robfig runs twice. */
  twice: number[];
  /** Times robfig runs although the schedule does not name them (its search quirks). */
  extra: number[];
}

/**
 * Compares, over the day before, of and after a transition, the local times the
 * schedule names with the runs robfig actually produces.
 */
function transitionEffects(
  plan: SchedulePlan,
  zone: ZoneOffsets,
  transition: number,
): TransitionEffects {
  const offsetBefore = zone.offsetAt(transition - 1);
  const offsetAfter = zone.offsetAt(transition);
  const firstDay = Math.floor((transition + offsetBefore) / MS_PER_DAY) - 1;
  const endWall = (firstDay + 3) * MS_PER_DAY;
  const named = new Set<number>();
  for (let day = firstDay; day < firstDay + 3; day++) {
    const date = civilFromDays(day);
    if (!dateMatches(plan, date.month, date.day, weekdayFromDays(day))) continue;
    for (const minuteOfDay of plan.runMinutesOfDay)
      named.add(day * MS_PER_DAY + minuteOfDay * MS_PER_MINUTE);
  }
  const runCounts = new Map<number, number>();
  for (let after = firstDay * MS_PER_DAY - offsetBefore - 1; ;) {
    const run = robfigNext(plan, zone, after);
    if (run === undefined || run >= endWall - offsetAfter) break;
    const wall = zone.wallAt(run);
    runCounts.set(wall, (runCounts.get(wall) ?? 0) + 1);
    after = run;
  }
  const byTime = (left: number, right: number): number => left - right;
  return {
    skipped: [...named].filter((wall) => !runCounts.has(wall)).sort(byTime),
    twice: [...runCounts]
      .filter(([wall, count]) => count > 1 && named.has(wall))
      .map(([wall]) => wall)
      .sort(byTime),
    extra: [...runCounts.keys()].filter((wall) => !named.has(wall)).sort(byTime),
  };
}

/**
 * What DST transitions in the next year do to this schedule, from robfig's own
 * runs: skipped local times, repeated ones, and the quirks of its search (e.g. in
 * zones whose clocks change at midnight). Schedules that run every hour are left
 * out: their absolute cadence does not change, only the local clock does.
 */
function daylightSavingWarnings(
  plan: SchedulePlan,
  schedule: FieldSchedule,
  zone: ZoneOffsets,
  from: number,
): string[] {
  if (schedule.hours.length === 24) return [];
  const horizonEnd = from + MIN_INTERVAL_HORIZON_DAYS * MS_PER_DAY;
  const warnings: string[] = [];
  for (let cursor = from; ;) {
    const transition = zone.nextTransition(cursor, horizonEnd);
    if (transition === undefined) break;
    cursor = transition;
    const offsetBefore = zone.offsetAt(transition - 1);
    const offsetAfter = zone.offsetAt(transition);
    // The local times that do not exist (spring forward) or happen twice (fall back).
    const windowStart = transition + Math.min(offsetBefore, offsetAfter);
    const windowEnd = transition + Math.max(offsetBefore, offsetAfter);
    const inWindow = (walls: number[]): boolean =>
      walls.every((wall) => wall >= windowStart && wall < windowEnd);
    const window = `${clockOf(windowStart)}-${clockOf(windowEnd - MS_PER_MINUTE)}`;
    const quirk = "a quirk of robfig/cron's search across the change, which the controller uses";
    const prefix = `DST in ${zone.timeZone} on ${dateOf(windowStart)}`;
    const { skipped, twice, extra } = transitionEffects(plan, zone, transition);
    if (skipped.length > 0) {
      const reason = inWindow(skipped) ? `local times ${window} do not exist` : quirk;
      warnings.push(
        `${prefix}: ${runsAt(skipped)} ${skipped.length === 1 ? 'is' : 'are'} skipped (${reason})`,
      );
    }
    if (twice.length > 0) {
      const reason = inWindow(twice) ? `local times ${window} happen twice` : quirk;
      warnings.push(
        `${prefix}: ${runsAt(twice)} ${twice.length === 1 ? 'happens' : 'happen'} twice (${reason})`,
      );
    }
    if (extra.length > 0) {
      warnings.push(
        `${prefix}: robfig/cron also runs at ${extra.map((wall) => `${dateOf(wall)} ${clockOf(wall)}`).join(', ')}, which the schedule does not name (${quirk})`,
      );
    }
  }
  return warnings;
}

function everyWarnings(schedule: ParsedSchedule & { kind: 'every' }): string[] {
  const warnings = [
    '@every is accepted by the API server and the CronJob controller but is not documented by Kubernetes ' +
      '(the docs list @yearly, @annually, @monthly, @weekly, @daily, @midnight and @hourly); ' +
      'runs are counted from the last scheduled time (or the CronJob creation time), not aligned to the clock',
  ];
  if (schedule.intervalSeconds < 60) {
    warnings.push(
      `runs every ${describeSeconds(schedule.intervalSeconds)}, below one minute: the controller names each Job ` +
        '<cronjob>-<scheduled time in Unix minutes>, so runs in the same minute get the same Job name and ' +
        'at most one Job per minute can be created (inferred from the naming rule)',
    );
  }
  return warnings;
}

function invalid(
  timeZone: string,
  error: string,
  fix: string,
  description = '',
): ScheduleExplanation {
  return { valid: false, error, fix, description, timeZone, nextRuns: [], warnings: [] };
}

export function explainSchedule(expression: string, options: ExplainOptions): ScheduleExplanation {
  const timeZone = options.timeZone ?? DEFAULT_TIME_ZONE;
  const parsed = parseSchedule(expression);
  if (!parsed.ok) return invalid(timeZone, parsed.error, parsed.fix);
  const { schedule } = parsed;
  const description = describeSchedule(schedule);
  if (options.timeZone !== undefined) {
    const zoneCheck = validateTimeZone(options.timeZone);
    if (!zoneCheck.ok) {
      return invalid(
        timeZone,
        `timeZone ${JSON.stringify(options.timeZone)}: ${zoneCheck.error}`,
        zoneCheck.fix,
        description,
      );
    }
  }

  const from = options.now;
  const warnings = [...schedule.notes];
  if (schedule.kind === 'every') {
    warnings.push(...everyWarnings(schedule));
  } else if (planFor(schedule).neverFires) {
    warnings.push(neverFiresWarning(schedule));
  } else {
    warnings.push(
      ...daylightSavingWarnings(planFor(schedule), schedule, zoneOffsets(timeZone), from.getTime()),
    );
  }
  if (options.timeZone === undefined && schedule.kind === 'fields') {
    warnings.push(
      'no time zone given: without spec.timeZone the kube-controller-manager uses its own local time zone ' +
        `(shown here as ${DEFAULT_TIME_ZONE}, the usual setting); set spec.timeZone to make it explicit`,
    );
  }

  const runs = nextRuns(schedule, { from, timeZone, count: options.count });
  const shortest = minInterval(schedule, { from, timeZone });
  const explanation: ScheduleExplanation = {
    valid: true,
    description,
    timeZone,
    nextRuns: runs.map((run) => formatInTimeZone(run, timeZone)),
    warnings,
  };
  if (shortest !== undefined) explanation.minIntervalSeconds = shortest;
  return explanation;
}
