import type { Rule } from '../rule.js';
import {
  allowsTimeZoneInSchedule,
  boundedLine,
  quoteSchedule,
  readScheduleField,
  resolveSchedule,
} from './analysis.js';

const EXAMPLE = '"0 3 * * *" (03:00 every day)';

function showValue(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

export const scheduleSyntax: Rule = {
  id: 'schedule-syntax',
  section: 'schedule',
  title: 'CronJob schedule syntax',
  description:
    'spec.schedule must parse as the API server parses it: robfig/cron v3 ParseStandard (five fields or a descriptor such as @daily or @every 1h, no seconds field, day-of-week 0-6), and must not contain TZ= or CRON_TZ= (use spec.timeZone). On update, a schedule may keep a TZ prefix only if the stored one already had it, and then spec.timeZone must stay unset (kubernetes#116252).',
  kinds: ['CronJob'],
  enabled: () => true,
  validate(context) {
    const field = readScheduleField(context);
    if (field.state === 'missing') {
      context.report({
        path: ['spec'],
        message: 'spec.schedule is not set; a CronJob requires a schedule',
        fix: `set spec.schedule, e.g. ${EXAMPLE}`,
      });
      return;
    }
    const path = ['spec', 'schedule'];
    if (field.state === 'not-a-string') {
      context.report({
        path,
        message: `spec.schedule must be a string, got ${showValue(field.value)}`,
        fix: `quote the schedule, e.g. schedule: ${EXAMPLE}`,
      });
      return;
    }
    if (field.text === '') {
      context.report({
        path,
        message: 'spec.schedule is empty; a CronJob requires a schedule',
        fix: `set spec.schedule, e.g. ${EXAMPLE}`,
      });
      return;
    }
    const allowTimeZonePrefix = allowsTimeZoneInSchedule(context);
    const resolved = resolveSchedule(field.text, allowTimeZonePrefix);
    if (!resolved.ok) {
      context.report({
        path,
        message: `schedule ${quoteSchedule(field.text)} is invalid: ${boundedLine(resolved.error)}`,
        fix: boundedLine(resolved.fix),
      });
      return;
    }
    const timeZone = context.read(['spec', 'timeZone']);
    if (
      allowTimeZonePrefix &&
      field.text.includes('TZ') &&
      timeZone !== undefined &&
      timeZone !== null
    ) {
      context.report({
        path,
        message: `schedule ${quoteSchedule(field.text)} keeps its TZ prefix while spec.timeZone is set; the API server rejects TZ or CRON_TZ in the schedule together with spec.timeZone`,
        fix: 'remove the TZ=/CRON_TZ= prefix from spec.schedule and keep the zone in spec.timeZone',
      });
    }
  },
};
