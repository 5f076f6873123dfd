import type { RuleContext } from '../../engine/context.js';
import { isPlainObject } from '../../k8s/types.js';
import { pointerToFieldPath, toPointer, type PointerSegment } from '../../util/json-pointer.js';
import type { Rule } from '../rule.js';

const ISTIO_INJECT = 'sidecar.istio.io/inject';

function field(path: readonly PointerSegment[]): string {
  return pointerToFieldPath(toPointer(path));
}

function annotationValue(context: RuleContext, metadata: readonly PointerSegment[]): unknown {
  const annotations = context.read([...metadata, 'annotations']);
  return isPlainObject(annotations) && Object.hasOwn(annotations, ISTIO_INJECT)
    ? annotations[ISTIO_INJECT]
    : undefined;
}

/**
 * Istio's webhook is called only for pods its selectors match, and those
 * selectors read labels: the annotation `sidecar.istio.io/inject: "true"` never
 * gets a pod into the mesh on its own (istio/istio#40512). "false" does work,
 * because istiod reads the annotation once called, but the registry deprecates
 * the annotation in favour of the label. Validate only: moving it is the
 * author's call (the label changes which webhook entry fires).
 */
export const meshInjectAnnotation: Rule = {
  id: 'mesh-inject-annotation',
  section: 'mesh',
  title: 'Istio injection by label, not annotation',
  description:
    'The annotation sidecar.istio.io/inject: "true" cannot opt a pod into the Istio mesh, because the injection webhook selects pods by label only; use the label of the same name. The annotation "false" still opts out but is deprecated in favour of the label.',
  kinds: ['CronJob', 'Job', 'Pod'],
  enabled: (spec) => spec.mesh !== undefined,
  validate(context) {
    const metadata = [...context.paths.podTemplate, 'metadata'];
    const value = annotationValue(context, metadata);
    if (value === undefined) return;
    const path = [...metadata, 'annotations', ISTIO_INJECT];
    const labels = field([...metadata, 'labels']);
    const shown = JSON.stringify(value);
    if (value === 'true') {
      context.report({
        path,
        message: `the annotation ${ISTIO_INJECT}: "true" cannot opt the pod in: Istio's webhook selects pods by label only (istio/istio#40512)`,
        fix: `use the label ${ISTIO_INJECT}: "true" in ${labels} and remove the annotation`,
      });
    } else if (value === 'false') {
      context.report({
        path,
        message: `the annotation ${ISTIO_INJECT}: "false" still opts the pod out, but the annotation form is deprecated`,
        fix: `use the label ${ISTIO_INJECT}: "false" in ${labels} instead of the annotation`,
      });
    } else {
      context.report({
        path,
        message: `the annotation ${ISTIO_INJECT}: ${shown} has no effect: Istio only reads "true" or "false", and only the label can opt a pod in`,
        fix: `remove the annotation and set the label ${ISTIO_INJECT} to "true" or "false" in ${labels}`,
      });
    }
  },
};
