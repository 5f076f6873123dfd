import { validateTimeZone } from '../../schedule/index.js';
import { isPlainObject } from '../../k8s/types.js';
import { readPath } from '../../k8s/workload.js';
import { globMatch } from '../../util/glob.js';
import type { Rule } from '../rule.js';

const TIME_ZONE_PATH = ['spec', 'timeZone'];

function showValue(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

export const scheduleTimezone: Rule = {
  id: 'schedule-timezone',
  section: 'schedule',
  title: 'CronJob time zone',
  description:
    "spec.timeZone must be a zone the API server accepts (an IANA name that loads, not Local). Without it the schedule runs in the kube-controller-manager's local zone, which the CronJob's author cannot see; a policy can require a zone, restrict it to a list, or fill in a default.",
  kinds: ['CronJob'],
  enabled: () => true,
  mutate(context) {
    const policyDefault = context.policy.spec.schedule?.timeZone?.default;
    if (policyDefault === undefined || !isPlainObject(context.read(['spec']))) return;
    const current = context.read(TIME_ZONE_PATH);
    // null is how a client says "unset"; the API server decodes it to no zone.
    if (current !== undefined && current !== null) return;
    // A legacy TZ= prefix together with spec.timeZone is rejected by the API server.
    const schedule = context.read(['spec', 'schedule']);
    if (typeof schedule === 'string' && schedule.includes('TZ')) return;
    context.enforce(
      TIME_ZONE_PATH,
      policyDefault,
      `set spec.timeZone to ${policyDefault} (policy default)`,
    );
  },
  validate(context) {
    const section = context.policy.spec.schedule?.timeZone;
    const value = context.read(TIME_ZONE_PATH);
    if (value === undefined || value === null) {
      if (section?.required === true) {
        const example =
          section.default ?? section.allowed?.find((glob) => !/[*?]/.test(glob)) ?? 'UTC';
        context.report({
          path: ['spec'],
          message:
            "spec.timeZone is not set, so the schedule runs in the kube-controller-manager's local time zone",
          fix: `set spec.timeZone, e.g. timeZone: ${JSON.stringify(example)}`,
        });
      }
      return;
    }
    if (typeof value !== 'string') {
      context.report({
        path: TIME_ZONE_PATH,
        message: `spec.timeZone must be a string, got ${showValue(value)}`,
        fix: 'write spec.timeZone as an IANA zone name in quotes, e.g. timeZone: "Europe/Berlin"',
      });
      return;
    }
    // The API server validates the zone on create, and on update only when it changed.
    const unchangedOnUpdate =
      context.operation === 'UPDATE' &&
      context.oldObject !== undefined &&
      readPath(context.oldObject, TIME_ZONE_PATH) === value;
    if (!unchangedOnUpdate) {
      const validity = validateTimeZone(value);
      if (!validity.ok) {
        context.report({
          path: TIME_ZONE_PATH,
          message: `spec.timeZone ${showValue(value)} is invalid: ${validity.error}`,
          fix: validity.fix,
        });
        return;
      }
    }
    const allowed = section?.allowed;
    if (allowed !== undefined && !allowed.some((glob) => globMatch(glob, value))) {
      context.report({
        path: TIME_ZONE_PATH,
        message: `spec.timeZone ${showValue(value)} is not allowed; allowed: ${allowed.join(', ')}`,
        fix: `set spec.timeZone to a zone matching ${allowed.join(' or ')}`,
      });
    }
  },
};
