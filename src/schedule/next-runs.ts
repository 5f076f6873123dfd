/**
 * Upcoming run times, exactly as the CronJob controller computes them with
 * robfig/cron v3:
 *
 * - Field schedules follow robfig's `SpecSchedule.Next` step by step (see
 *   robfig-next.ts), so DST behaves as in the controller: skipped local times do
 *   not fire, repeated ones fire twice. cron-parser is not used for this: it moves
 *   skipped runs to the next hour and fires a repeated hour once, and it costs
 *   0.1-0.4 ms per run where this costs about a microsecond.
 * - robfig gives up when nothing matches within five years of the search start;
 *   so do we, which only matters for `0 0 29 2 *` across 2100.
 * - `@every d` is robfig's ConstantDelaySchedule: next = t truncated to the
 *   second + d, in absolute time (DST does not apply). The controller's `t` is the
 *   last scheduled time (or the CronJob's creation time), so pass that as `from`
 *   to reproduce it.
 */
import { planFor } from './plan.js';
import { robfigNext } from './robfig-next.js';
import { DEFAULT_TIME_ZONE, zoneOffsets } from './time-zone.js';
import type { NextRunsOptions, ParsedSchedule } from './types.js';

const MS_PER_SECOND = 1000;

/**
 * The next `count` run times strictly after `from`, evaluated in `timeZone`
 * (default UTC; the controller uses its own local zone when spec.timeZone is unset).
 * Fewer are returned when the schedule stops firing. Throws RangeError for a zone
 * Intl does not know; check it with validateTimeZone first.
 */
export function nextRuns(schedule: ParsedSchedule, options: NextRunsOptions): Date[] {
  const { from, count } = options;
  const runs: Date[] = [];
  if (schedule.kind === 'every') {
    const intervalMs = schedule.intervalSeconds * MS_PER_SECOND;
    const start = Math.floor(from.getTime() / MS_PER_SECOND) * MS_PER_SECOND;
    for (let index = 1; index <= count; index++) runs.push(new Date(start + index * intervalMs));
    return runs;
  }
  const plan = planFor(schedule);
  if (plan.neverFires) return runs;
  const zone = zoneOffsets(options.timeZone ?? DEFAULT_TIME_ZONE);
  let after = from.getTime();
  while (runs.length < count) {
    const next = robfigNext(plan, zone, after);
    if (next === undefined) break;
    runs.push(new Date(next));
    after = next;
  }
  return runs;
}
