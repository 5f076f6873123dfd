import type { Rule } from '../rule.js';
import { explainNeverFires, quoteSchedule, readValidSchedule } from './analysis.js';

export const scheduleNeverFires: Rule = {
  id: 'schedule-never-fires',
  section: 'schedule',
  title: 'Schedules that never fire',
  description:
    'A schedule can be valid and still name no date that exists, such as "0 0 30 2 *" (February 30). The API server accepts it; the CronJob controller then emits an InvalidSchedule event and never starts a Job. "0 0 29 2 *" fires in leap years and "0 0 30 2 1" fires on Mondays in February (both day fields restricted, so either may match), so neither is reported.',
  kinds: ['CronJob'],
  enabled: () => true,
  validate(context) {
    const valid = readValidSchedule(context);
    if (valid === undefined) return;
    const explanation = explainNeverFires(valid.resolved.schedule);
    if (explanation === undefined) return;
    context.report({
      path: ['spec', 'schedule'],
      message: `schedule ${quoteSchedule(valid.text)} never fires: ${explanation.reason}; the CronJob controller reports InvalidSchedule and never starts a Job`,
      fix: explanation.fix,
    });
  },
};
