import type { RuleContext } from '../../engine/context.js';
import { validateIstioAnnotationValue } from '../../mesh/istio/validate.js';
import { validateLinkerdAnnotationValue } from '../../mesh/linkerd/validate.js';
import { CRONJOB_POD_LABEL } from '../../mesh/types.js';
import type { Rule } from '../rule.js';
import {
  annotationPath,
  DATAPLANE_MODE_LABEL,
  fieldName,
  ISTIO_INJECT_LABEL,
  ISTIO_REV_LABEL,
  labelPath,
  labelValueProblem,
  LINKERD_INJECT_ANNOTATION,
  meshOf,
  reportPlanned,
  resolveDataplane,
  templateLabel,
  writePlanned,
  type MeshResolution,
  type PlannedValue,
} from './shared.js';

const RULE_ID = 'mesh-injection';

function labelPlanned(
  context: RuleContext,
  key: string,
  value: string,
  why: string,
  check: (value: string) => string | undefined = () => undefined,
): PlannedValue {
  return {
    path: labelPath(context, key),
    value,
    why,
    problem: labelValueProblem(value) ?? check(value),
  };
}

/** The labels and annotations that put the pods in the mesh (or keep them out), per data plane. */
function plannedValues(context: RuleContext, resolution: MeshResolution): PlannedValue[] {
  const mesh = meshOf(context);
  const planned: PlannedValue[] = [];
  const why = `mesh.inject is ${String(mesh.inject)}; ${resolution.because}`;
  if (mesh.inject !== undefined) {
    if (resolution.dataplane === 'istio') {
      // The label, not the annotation: only the label can opt a pod in (istio/istio#40512).
      planned.push(
        labelPlanned(context, ISTIO_INJECT_LABEL, String(mesh.inject), why, (value) =>
          validateIstioAnnotationValue(ISTIO_INJECT_LABEL, value),
        ),
      );
      const revision = mesh.istio?.revision;
      if (mesh.inject && revision !== undefined)
        planned.push(labelPlanned(context, ISTIO_REV_LABEL, revision, 'mesh.istio.revision'));
    } else if (resolution.dataplane === 'ambient' && !mesh.inject) {
      // Ambient pods are in the mesh without any container; this label takes one out.
      planned.push(labelPlanned(context, DATAPLANE_MODE_LABEL, 'none', why));
    } else if (resolution.dataplane === 'linkerd') {
      const value = mesh.inject ? 'enabled' : 'disabled';
      planned.push({
        path: annotationPath(context, LINKERD_INJECT_ANNOTATION),
        value,
        why,
        problem: validateLinkerdAnnotationValue(LINKERD_INJECT_ANNOTATION, value),
      });
    }
  }
  const name = context.object.metadata?.name;
  if (mesh.traffic !== undefined && context.paths.kind === 'CronJob' && typeof name === 'string') {
    planned.push(
      labelPlanned(
        context,
        CRONJOB_POD_LABEL,
        name,
        'so the generated VirtualService routes select these pods by sourceLabels',
      ),
    );
  }
  return planned;
}

/** Whether any destination asks for what only a waypoint gives ambient pods. */
function needsWaypoint(context: RuleContext): boolean {
  return (meshOf(context).traffic ?? []).some(
    (destination) => destination.timeout !== undefined || destination.retries !== undefined,
  );
}

export const meshInjection: Rule = {
  id: RULE_ID,
  section: 'mesh',
  title: 'Mesh injection of job pods',
  description:
    "Puts the job's pods in the service mesh or keeps them out, as mesh.inject says: the pod-template label sidecar.istio.io/inject (the only per-pod opt-in Istio honours) and istio.io/rev for a pinned revision, or Linkerd's linkerd.io/inject annotation. The mesh comes from mesh.provider, or with auto from the namespace labels and the pod template. Ambient pods get no sidecar settings. With traffic destinations, CronJob pod templates get the cronguard.dev/cronjob label the generated routes select.",
  kinds: ['CronJob', 'Job'],
  enabled: (spec) => spec.mesh !== undefined,
  mutate(context) {
    const resolution = resolveDataplane(context);
    for (const planned of plannedValues(context, resolution)) writePlanned(context, planned);
  },
  validate(context) {
    const mesh = meshOf(context);
    const resolution = resolveDataplane(context);
    for (const planned of plannedValues(context, resolution)) reportPlanned(context, planned);
    const labels = labelPath(context, ISTIO_INJECT_LABEL).slice(0, -1);
    if (mesh.inject === true && resolution.dataplane === undefined) {
      context.report({
        path: labels,
        message: `mesh.inject is true, but the mesh is unknown (${resolution.because}), so nothing was set`,
        fix: 'set mesh.provider to istio or linkerd, or give the namespace labels (--namespace-labels, or a Namespace object in the input)',
      });
    }
    const name = context.object.metadata?.name;
    const podLabel = labelPath(context, CRONJOB_POD_LABEL);
    const current = context.read(podLabel);
    if (
      mesh.traffic !== undefined &&
      context.paths.kind === 'CronJob' &&
      typeof name === 'string' &&
      current !== undefined &&
      current !== name &&
      mesh.apply !== 'validate'
    ) {
      context.report({
        path: podLabel,
        message: `${fieldName(podLabel)} is ${JSON.stringify(current)}, not the CronJob's name, so the generated routes will not select these pods`,
        fix: `remove the label (cronguard sets it) or set it to ${JSON.stringify(name)}`,
      });
    }
    if (
      resolution.dataplane === 'ambient' &&
      templateLabel(context, DATAPLANE_MODE_LABEL) !== 'none' &&
      needsWaypoint(context)
    ) {
      context.report({
        path: labels,
        message: `the pods run in Istio ambient mode (${resolution.because}): the policy's timeouts and retries are L7 settings that apply only through a waypoint proxy for the destination`,
        fix: 'deploy a waypoint for the destination services (istioctl waypoint apply), or use a sidecar for these jobs',
      });
    }
  },
};
