import { neverFires } from '../../schedule/index.js';
import type { Rule } from '../rule.js';
import {
  analysisZone,
  describeWindows,
  exampleScheduleInWindow,
  firstRunOutsideWindows,
  quoteSchedule,
  readValidSchedule,
  windowsCoverWholeWeek,
  zoneNote,
} from './analysis.js';

export const scheduleRunWindow: Rule = {
  id: 'schedule-run-window',
  section: 'schedule',
  title: 'Runs inside allowed windows',
  description:
    "Every run over one year from 2024-01-01 must start inside one of the policy's windows (days, start inclusive, end exclusive, across midnight when end is before start), on the wall clock of the CronJob's time zone. @every schedules count from the CronJob's creation, so their runs cannot be placed in windows unless the windows cover the whole week.",
  kinds: ['CronJob'],
  enabled: (spec) => spec.schedule?.windows !== undefined,
  validate(context) {
    const windows = context.policy.spec.schedule?.windows;
    if (windows === undefined) return;
    const valid = readValidSchedule(context);
    if (valid === undefined || neverFires(valid.resolved.schedule)) return;
    const zone = analysisZone(context, valid.resolved.prefixZone);
    if (!zone.ok) return;
    const schedule = valid.resolved.schedule;
    const example = exampleScheduleInWindow(windows);
    const fix = `start the runs inside an allowed window${example === undefined ? '' : `, e.g. schedule: "${example}"`}`;
    if (schedule.kind === 'every') {
      if (windowsCoverWholeWeek(windows)) return;
      context.report({
        path: ['spec', 'schedule'],
        message: `schedule ${quoteSchedule(valid.text)} counts from when the CronJob was created or last ran, so its runs drift across the clock and cannot be kept inside the allowed windows ${describeWindows(windows)}`,
        fix,
      });
      return;
    }
    const outside = firstRunOutsideWindows(schedule, zone.timeZone, windows);
    if (outside === undefined) return;
    context.report({
      path: ['spec', 'schedule'],
      message: `schedule ${quoteSchedule(valid.text)} runs at ${outside.clock} (${zoneNote(zone)}) on ${outside.weekday}, outside the allowed windows ${describeWindows(windows)}`,
      fix,
    });
  },
};
