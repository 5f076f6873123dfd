import { isPlainObject } from '../../k8s/types.js';
import type { Rule } from '../rule.js';
import {
  appContainers,
  effectiveRestartPolicy,
  hasProbe,
  isProbeTarget,
  requestedProbes,
  type ProbeKind,
} from './shared.js';

/**
 * With restartPolicy Never the kubelet does not restart a container that fails
 * its liveness probe, so the failure ends the pod (and the attempt) instead of
 * restarting one container: injecting one there would turn a slow step into a
 * failed run.
 */
function livenessBlocked(kind: string, restartPolicy: unknown): boolean {
  return kind === 'livenessProbe' && restartPolicy === 'Never';
}

/**
 * Probe fields the API server accepts only on some probe kinds (core validation
 * validateProbe / validateLivenessProbe / validateReadinessProbe). The policy schema
 * takes one template shape for all three, so a template valid in the policy can
 * still be invalid where it is put; injecting it would get the object rejected.
 */
function templateProblem(kind: ProbeKind, template: unknown): string | undefined {
  if (!isPlainObject(template)) return 'the template is not an object';
  if (
    kind !== 'readinessProbe' &&
    template.successThreshold !== undefined &&
    template.successThreshold !== 1
  ) {
    return `the API server requires successThreshold 1 on a ${kind}, the template has ${JSON.stringify(template.successThreshold)}`;
  }
  if (kind === 'readinessProbe' && template.terminationGracePeriodSeconds !== undefined) {
    return 'the API server rejects terminationGracePeriodSeconds on a readinessProbe';
  }
  return undefined;
}

export const probesRequired: Rule = {
  id: 'probes-required',
  section: 'probes',
  title: 'Probes the policy requires',
  description:
    'Fills the probes a policy asks for (startupProbe, livenessProbe, readinessProbe templates) into the app containers that lack them, never into init containers or native sidecars, and reports containers still without them. A livenessProbe is not added to pods with restartPolicy Never, where a liveness failure fails the whole pod.',
  kinds: ['CronJob', 'Job', 'Pod'],
  enabled: (spec) => requestedProbes(spec.probes).length > 0,
  mutate(context) {
    const section = context.policy.spec.probes;
    if (section === undefined) return;
    const restartPolicy = effectiveRestartPolicy(context);
    for (const ref of appContainers(context)) {
      if (!isProbeTarget(section, ref.name)) continue;
      for (const kind of requestedProbes(section)) {
        if (hasProbe(ref.container, kind) || livenessBlocked(kind, restartPolicy)) continue;
        if (templateProblem(kind, section[kind]) !== undefined) continue;
        // A deep copy per container: the template belongs to the compiled policy,
        // which every later evaluation shares.
        context.enforce(
          [...ref.path, kind],
          structuredClone(section[kind]),
          `add the policy's ${kind} to container "${ref.name}"`,
        );
      }
    }
  },
  validate(context) {
    const section = context.policy.spec.probes;
    if (section === undefined) return;
    const restartPolicy = effectiveRestartPolicy(context);
    for (const ref of appContainers(context)) {
      if (!isProbeTarget(section, ref.name)) continue;
      for (const kind of requestedProbes(section)) {
        if (hasProbe(ref.container, kind)) continue;
        const problem = templateProblem(kind, section[kind]);
        if (livenessBlocked(kind, restartPolicy)) {
          context.report({
            path: ref.path,
            message: `container "${ref.name}" has no livenessProbe, which the policy requires; it was not added because with restartPolicy Never a liveness failure would fail the whole pod instead of restarting the container`,
            fix: 'use restartPolicy: OnFailure (the policy then adds the livenessProbe), or exempt this workload from probes-required with a reason',
            container: ref.name,
          });
        } else if (problem !== undefined) {
          context.report({
            path: ref.path,
            message: `container "${ref.name}" has no ${kind}, and the policy's template was not added: ${problem}`,
            fix: `fix ${kind} in policy ${context.policy.name}, or add a valid ${kind} to container "${ref.name}"`,
            container: ref.name,
          });
        } else {
          context.report({
            path: ref.path,
            message: `container "${ref.name}" has no ${kind}, which the policy requires`,
            fix: `add a ${kind} to container "${ref.name}"`,
            container: ref.name,
          });
        }
      }
    }
  },
};
