import { POD_SPEC_DEFAULTS } from '../../k8s/api-defaults.js';
import { pointerToFieldPath, toPointer } from '../../util/json-pointer.js';
import type { Rule } from '../rule.js';
import { mutateSetting } from '../setting.js';

const VALID = ['OnFailure', 'Never'];

/**
 * A Job's pods must have restartPolicy OnFailure or Never. The pod default is
 * Always, which the API server rejects for Jobs; because defaulting runs before
 * admission, an omitted value arrives as Always, so a policy default can repair it.
 */
export const jobRestartPolicy: Rule = {
  id: 'job-restart-policy',
  section: 'job',
  title: 'Pod restartPolicy for jobs',
  description:
    'Job pods must use restartPolicy OnFailure or Never; the pod default (Always) is rejected by the API server. A policy default fills it in when it is missing.',
  kinds: ['CronJob', 'Job'],
  enabled: () => true,
  mutate(context) {
    mutateSetting(context, context.policy.spec.job?.restartPolicy, {
      path: [...context.paths.podSpec, 'restartPolicy'],
      apiDefault: POD_SPEC_DEFAULTS.restartPolicy,
      type: 'string',
    });
  },
  validate(context) {
    const path = [...context.paths.podSpec, 'restartPolicy'];
    const written = context.read(path);
    const effective = written ?? POD_SPEC_DEFAULTS.restartPolicy;
    const setting = context.policy.spec.job?.restartPolicy;
    const allowed = setting?.allowed ?? VALID;
    if (typeof effective !== 'string' || !VALID.includes(effective)) {
      context.report({
        path,
        // One message whether the field was omitted (lint) or defaulted to Always
        // (admission), so both report the same finding.
        message:
          effective === POD_SPEC_DEFAULTS.restartPolicy
            ? 'restartPolicy is Always (the pod default when unset); Jobs allow only OnFailure or Never'
            : `restartPolicy is ${JSON.stringify(written)}; Jobs allow only OnFailure or Never`,
        fix: `set ${pointerToFieldPath(toPointer(path))}: ${setting?.value ?? 'OnFailure'}`,
      });
      return;
    }
    if (!(allowed as readonly string[]).includes(effective)) {
      context.report({
        path,
        message: `restartPolicy is ${effective}; allowed: ${allowed.join(', ')}`,
        fix: `set restartPolicy to ${allowed.join(' or ')}`,
      });
    } else if (
      setting?.mode === 'validate' &&
      setting.value !== undefined &&
      effective !== setting.value
    ) {
      context.report({
        path,
        message: `restartPolicy is ${effective}; the policy requires ${setting.value}`,
        fix: `set restartPolicy: ${setting.value}`,
      });
    }
  },
};
