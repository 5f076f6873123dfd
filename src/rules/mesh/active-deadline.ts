import type { Rule } from '../rule.js';
import { fieldName, hasSidecar, resolveDataplane } from './shared.js';

const RULE_ID = 'mesh-active-deadline';

export const meshActiveDeadline: Rule = {
  id: RULE_ID,
  section: 'mesh',
  title: 'Meshed jobs have a deadline',
  description:
    'Reports meshed Jobs (a sidecar proxy runs beside the job) without spec.activeDeadlineSeconds. When the proxy does not exit (a cluster without native sidecars, a failed quit call), the pod runs forever, ttlSecondsAfterFinished never fires (istio/istio#15873), and with concurrencyPolicy Forbid no later run starts; the deadline is the backstop that ends it.',
  kinds: ['CronJob', 'Job'],
  enabled: (spec) => spec.mesh !== undefined,
  validate(context) {
    const jobSpec = context.paths.jobSpec;
    if (jobSpec === undefined) return;
    const resolution = resolveDataplane(context);
    if (!hasSidecar(context, resolution)) return;
    const path = [...jobSpec, 'activeDeadlineSeconds'];
    const deadline = context.read(path);
    if (deadline !== undefined && deadline !== null) return;
    context.report({
      path: jobSpec,
      message: `the job's pods run ${resolution.dataplane === 'linkerd' ? 'a Linkerd' : 'an Istio'} sidecar (${resolution.because}) and ${fieldName(path)} is not set, so a proxy that does not exit keeps the pod running forever`,
      fix: `set ${fieldName(path)} to the longest a run may take, e.g. 3600 (or job.activeDeadlineSeconds: {default: 3600} in a policy)`,
    });
  },
};
