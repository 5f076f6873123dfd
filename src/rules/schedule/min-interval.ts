import { formatDuration } from '../../policy/duration.js';
import { neverFires } from '../../schedule/index.js';
import type { Rule } from '../rule.js';
import {
  analyseSchedule,
  analysisZone,
  quoteSchedule,
  readValidSchedule,
  zoneNote,
  type AnalysisZone,
  type ScheduleAnalysis,
} from './analysis.js';

/**
 * The controller names each Job `<cronjob>-<scheduled time in Unix minutes>`, so
 * two runs in the same minute get the same name and the second is refused as
 * already existing. Documented nowhere as a limit: an inference from the naming.
 */
const JOB_NAME_RESOLUTION_SECONDS = 60;

/** A schedule with a fixed cadence of at least `seconds`, when one is easy to write. */
function exampleSchedule(seconds: number): string | undefined {
  if (seconds <= 60) return '* * * * *';
  if (seconds % 60 === 0 && 60 % (seconds / 60) === 0) return `*/${seconds / 60} * * * *`;
  if (seconds % 3600 === 0 && 24 % (seconds / 3600) === 0) {
    return seconds === 86_400 ? '0 0 * * *' : `0 */${seconds / 3600} * * *`;
  }
  return undefined;
}

interface IntervalFinding {
  message: string;
  fix: string;
}

/** The finding for a schedule whose shortest gap is `analysis.minIntervalSeconds`, if it is too short. */
function intervalFinding(
  text: string,
  analysis: ScheduleAnalysis,
  zone: Extract<AnalysisZone, { ok: true }>,
  policyMinimum: number | undefined,
): IntervalFinding | undefined {
  const interval = analysis.minIntervalSeconds;
  if (interval === undefined) return undefined;
  const belowPolicy = policyMinimum !== undefined && interval < policyMinimum;
  const subMinute = interval < JOB_NAME_RESOLUTION_SECONDS;
  if (!belowPolicy && !subMinute) return undefined;
  const cadence = analysis.uniform
    ? `runs every ${formatDuration(interval)}`
    : `has runs only ${formatDuration(interval)} apart`;
  // @every counts in absolute time, and a zone written as UTC needs no caveat.
  const zoneMatters =
    analysis.schedule.kind === 'fields' && !(zone.source === 'spec' && zone.timeZone === 'UTC');
  const where = zoneMatters ? ` (in ${zoneNote(zone)})` : '';
  const reasons: string[] = [];
  if (belowPolicy)
    reasons.push(`the policy's minimum interval is ${formatDuration(policyMinimum)}`);
  if (subMinute) {
    reasons.push(
      'the controller names each Job after its scheduled minute, so runs less than 1m apart share a name and at most one Job per minute starts (inferred from the Job naming)',
    );
  }
  const required = Math.max(policyMinimum ?? 0, subMinute ? JOB_NAME_RESOLUTION_SECONDS : 0);
  const example = exampleSchedule(required);
  return {
    message: `schedule ${quoteSchedule(text)} ${cadence}${where}; ${reasons.join('; ')}`,
    fix: `space the runs at least ${formatDuration(required)} apart${example === undefined ? '' : `, e.g. schedule: "${example}"`}`,
  };
}

export const scheduleMinInterval: Rule = {
  id: 'schedule-min-interval',
  section: 'schedule',
  title: 'Minimum interval between runs',
  description:
    "The smallest gap between two consecutive runs, over one year from 2024-01-01 in the CronJob's time zone (daylight-saving changes included), must not be below the policy's minimum. Runs less than a minute apart (only @every can do that) are always reported: the controller names Jobs by the minute, so such runs collide.",
  kinds: ['CronJob'],
  enabled: (spec) => spec.schedule !== undefined,
  validate(context) {
    const valid = readValidSchedule(context);
    if (valid === undefined || neverFires(valid.resolved.schedule)) return;
    const policyMinimum = context.policy.spec.schedule?.minIntervalSeconds;
    // Field schedules fire on whole minutes, so no gap is below 1m: nothing to compute.
    if (
      valid.resolved.schedule.kind === 'fields' &&
      (policyMinimum ?? 0) <= JOB_NAME_RESOLUTION_SECONDS
    )
      return;
    const zone = analysisZone(context, valid.resolved.prefixZone);
    if (!zone.ok) return;
    const analysis = analyseSchedule(valid.resolved.schedule, zone.timeZone);
    const finding = intervalFinding(valid.text, analysis, zone, policyMinimum);
    if (finding !== undefined) context.report({ path: ['spec', 'schedule'], ...finding });
  },
};
