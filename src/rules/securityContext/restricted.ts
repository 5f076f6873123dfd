import { checkRestricted } from '../../k8s/pod-security.js';
import { parsePointer } from '../../util/json-pointer.js';
import type { Rule } from '../rule.js';

/**
 * Pod Security admission only warns about CronJob and Job templates; it enforces on
 * the Pods, which the Job controller then fails to create (FailedCreate) long after
 * the manifest was applied. This rule checks the template at apply time instead, on
 * the object as the other rules left it, so a policy in default mode denies only what
 * it could not fill in (hostPID, privileged, hostPath volumes, ...).
 */
export const securityContextRestricted: Rule = {
  id: 'security-context-restricted',
  section: 'securityContext',
  title: 'Pod Security "restricted" profile',
  description:
    'Checks the pod template against the Pod Security Standards "restricted" profile (baseline checks included) after the policy has filled in what it can, and reports every remaining violation. Pod Security admission only warns for CronJobs and Jobs and then refuses their Pods; this catches it when the manifest is applied.',
  kinds: ['CronJob', 'Job', 'Pod'],
  enabled: (spec) => spec.securityContext?.validateProfile ?? false,
  validate(context) {
    const podSpec = context.read(context.paths.podSpec);
    if (podSpec === undefined) return;
    const metadataPath = [...context.paths.podTemplate, 'metadata'];
    const violations = checkRestricted(podSpec, context.paths.podSpec, {
      podMetadata: context.read(metadataPath),
      podMetadataPointer: metadataPath,
    });
    for (const violation of violations) {
      context.report({
        path: parsePointer(violation.path),
        message: violation.message,
        fix: violation.fix,
        ...(violation.container === undefined ? {} : { container: violation.container }),
      });
    }
  },
};
