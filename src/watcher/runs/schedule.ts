/**
 * A CronJob's schedule as the controller evaluates it (KK cronjob utils.go
 * `formatSchedule` + robfig/cron): a `TZ=`/`CRON_TZ=` prefix in the schedule wins
 * (the controller warns UnsupportedSchedule but still runs it), else spec.timeZone,
 * else the controller's local zone (a tracker option; UTC on most clusters).
 * An unknown spec.timeZone means no runs at all (event UnknownTimeZone).
 */
import { isPlainObject, type KubeObject } from '../../k8s/types.js';
import { parseSchedule, planFor, validateTimeZone, zoneOffsets } from '../../schedule/index.js';
import { robfigNext } from '../../schedule/robfig-next.js';
import type { ParsedSchedule } from '../../schedule/index.js';

const MS_PER_SECOND = 1000;

export interface CronJobSchedule {
  readonly schedule: ParsedSchedule;
  readonly timeZone: string;
  /**
   * `@every d` runs on the grid anchor + k·d: the controller starts from the
   * CronJob's creation time (truncated to the second) and adds d per run.
   */
  readonly anchorMs: number;
}

/** robfig's prefix: `TZ=<zone> ` or `CRON_TZ=<zone> ` before the fields. */
function splitZonePrefix(expression: string): { zone?: string; rest: string } | undefined {
  if (!expression.startsWith('TZ=') && !expression.startsWith('CRON_TZ=')) {
    return { rest: expression };
  }
  const space = expression.indexOf(' ');
  if (space < 0) return undefined;
  const zone = expression.slice(expression.indexOf('=') + 1, space);
  return { zone, rest: expression.slice(space).trim() };
}

/** The schedule the controller would run, or undefined when it would run nothing. */
export function resolveSchedule(
  cronJob: KubeObject,
  defaultTimeZone: string,
  creationMs: number,
): CronJobSchedule | undefined {
  const spec = isPlainObject(cronJob.spec) ? cronJob.spec : {};
  const expression = spec.schedule;
  if (typeof expression !== 'string') return undefined;
  const split = splitZonePrefix(expression.trim());
  if (split === undefined) return undefined;
  let timeZone = split.zone;
  if (timeZone === undefined) {
    const specZone = spec.timeZone;
    timeZone = typeof specZone === 'string' ? specZone : defaultTimeZone;
  }
  if (!validateTimeZone(timeZone).ok) return undefined;
  const parsed = parseSchedule(split.rest);
  if (!parsed.ok) return undefined;
  if (parsed.schedule.kind === 'fields' && planFor(parsed.schedule).neverFires) return undefined;
  const anchorMs = Math.floor(creationMs / MS_PER_SECOND) * MS_PER_SECOND;
  return { schedule: parsed.schedule, timeZone, anchorMs };
}

/** The first run strictly after `afterMs`, or undefined when none within robfig's 5-year search. */
export function nextRunAfter(resolved: CronJobSchedule, afterMs: number): number | undefined {
  const { schedule } = resolved;
  if (schedule.kind === 'every') {
    const intervalMs = schedule.intervalSeconds * MS_PER_SECOND;
    if (afterMs < resolved.anchorMs) return resolved.anchorMs + intervalMs;
    const index = Math.floor((afterMs - resolved.anchorMs) / intervalMs) + 1;
    return resolved.anchorMs + index * intervalMs;
  }
  return robfigNext(planFor(schedule), zoneOffsets(resolved.timeZone), afterMs);
}

export interface WindowRuns {
  /** The last (at most `limit`) runs in the window, ascending. */
  runs: number[];
  /** True when earlier runs of the window were left out. */
  truncated: boolean;
}

/**
 * The runs in (fromMs, toMs], keeping the most recent `limit` (the controller
 * likewise only acts on the most recent of many missed runs). Work is bounded:
 * at most 10·limit schedule steps, then one restart near the end of the window
 * estimated from the gaps seen so far; if that also overruns, nothing is returned.
 */
export function runsInWindow(
  resolved: CronJobSchedule,
  fromMs: number,
  toMs: number,
  limit: number,
): WindowRuns {
  if (toMs <= fromMs || limit <= 0) return { runs: [], truncated: false };
  const { schedule } = resolved;
  if (schedule.kind === 'every') {
    const intervalMs = schedule.intervalSeconds * MS_PER_SECOND;
    const first = Math.max(1, Math.floor((fromMs - resolved.anchorMs) / intervalMs) + 1);
    const last = Math.floor((toMs - resolved.anchorMs) / intervalMs);
    if (last < first) return { runs: [], truncated: false };
    const start = Math.max(first, last - limit + 1);
    const runs: number[] = [];
    for (let index = start; index <= last; index++)
      runs.push(resolved.anchorMs + index * intervalMs);
    return { runs, truncated: start > first };
  }
  const budget = limit * 10;
  const firstPass = collect(resolved, fromMs, toMs, limit, budget);
  if (firstPass.complete) return { runs: firstPass.runs, truncated: firstPass.seen > limit };
  const averageGap = (firstPass.cursor - fromMs) / budget;
  const restartFrom = Math.max(firstPass.cursor, toMs - averageGap * limit * 2);
  const secondPass = collect(resolved, restartFrom, toMs, limit, budget);
  return { runs: secondPass.complete ? secondPass.runs : [], truncated: true };
}

interface Collected {
  runs: number[];
  seen: number;
  cursor: number;
  complete: boolean;
}

function collect(
  resolved: CronJobSchedule,
  fromMs: number,
  toMs: number,
  limit: number,
  budget: number,
): Collected {
  const runs: number[] = [];
  let cursor = fromMs;
  for (let seen = 0; seen < budget; seen++) {
    const next = nextRunAfter(resolved, cursor);
    if (next === undefined || next > toMs) return { runs, seen, cursor, complete: true };
    runs.push(next);
    if (runs.length > limit) runs.shift();
    cursor = next;
  }
  return { runs, seen: budget, cursor, complete: false };
}
