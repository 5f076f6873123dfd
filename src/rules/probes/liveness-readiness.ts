import type { RuleContext } from '../../engine/context.js';
import type { ContainerRef } from '../../k8s/workload.js';
import type { Rule } from '../rule.js';
import {
  appContainers,
  effectiveRestartPolicy,
  hasProbe,
  isProbeTarget,
  type ProbeKind,
} from './shared.js';

const CHECKED: readonly ('livenessProbe' | 'readinessProbe')[] = [
  'livenessProbe',
  'readinessProbe',
];

function livenessMessage(container: string, restartPolicy: unknown): string {
  if (restartPolicy === 'Never') {
    return `container "${container}" has a livenessProbe; with restartPolicy Never a liveness failure kills the container and fails the pod, and with it this attempt of the run`;
  }
  return `container "${container}" has a livenessProbe; a liveness failure restarts the container, which starts the work over (and in a Job counts toward backoffLimit)`;
}

function readinessMessage(container: string): string {
  return `container "${container}" has a readinessProbe; readiness only decides whether a pod receives Service traffic, which job pods rarely serve`;
}

/**
 * A probe the same policy asks for (probes-required) is the platform team's
 * deliberate choice; warning about it would make the two rules contradict each other.
 */
function requiredByPolicy(context: RuleContext, kind: ProbeKind, ref: ContainerRef): boolean {
  const section = context.policy.spec.probes;
  return section?.[kind] !== undefined && isProbeTarget(section, ref.name);
}

export const probesLivenessReadiness: Rule = {
  id: 'probes-liveness-readiness',
  section: 'probes',
  title: 'Liveness and readiness probes on job containers',
  description:
    'Jobs run to completion, so the probes written for long-running services rarely fit: a liveness failure kills the container (a restart starts the work over and counts toward backoffLimit; with restartPolicy Never it fails the pod), and readiness only gates Service endpoints, which job pods rarely serve. Report them so the author decides; bound hung runs with activeDeadlineSeconds instead.',
  kinds: ['CronJob', 'Job', 'Pod'],
  enabled: (spec) => spec.probes !== undefined && spec.probes.warnLivenessReadiness,
  validate(context) {
    const restartPolicy = effectiveRestartPolicy(context);
    for (const ref of appContainers(context)) {
      for (const kind of CHECKED) {
        if (!hasProbe(ref.container, kind) || requiredByPolicy(context, kind, ref)) continue;
        context.report({
          path: [...ref.path, kind],
          message:
            kind === 'livenessProbe'
              ? livenessMessage(ref.name, restartPolicy)
              : readinessMessage(ref.name),
          fix:
            kind === 'livenessProbe'
              ? `remove livenessProbe from container "${ref.name}" and bound hung runs with activeDeadlineSeconds instead`
              : `remove readinessProbe from container "${ref.name}"`,
          container: ref.name,
        });
      }
    }
  },
};
