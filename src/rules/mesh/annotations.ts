import type { RuleContext } from '../../engine/context.js';
import { isPlainObject } from '../../k8s/types.js';
import {
  hasIstioPrefix,
  ISTIO_LABELS,
  lookupIstioAnnotation,
  lookupIstioLabel,
  suggestIstioAnnotation,
} from '../../mesh/istio/annotations.js';
import { validateIstioAnnotationValue } from '../../mesh/istio/validate.js';
import {
  hasLinkerdPrefix,
  lookupLinkerdAnnotation,
  suggestLinkerdAnnotation,
} from '../../mesh/linkerd/annotations.js';
import { validateLinkerdAnnotationValue } from '../../mesh/linkerd/validate.js';
import { suggestKey } from '../../mesh/names.js';
import { pointerToFieldPath, toPointer, type PointerSegment } from '../../util/json-pointer.js';
import type { Rule } from '../rule.js';

/** Reported by mesh-inject-annotation, which knows why the annotation form misleads. */
const ISTIO_INJECT = 'sidecar.istio.io/inject';
const LINKERD_INJECT = 'linkerd.io/inject';

type MetadataField = 'annotations' | 'labels';

function field(path: readonly PointerSegment[]): string {
  return pointerToFieldPath(toPointer(path));
}

function entries(context: RuleContext, path: readonly PointerSegment[]): [string, unknown][] {
  const map = context.read(path);
  return isPlainObject(map) ? Object.entries(map) : [];
}

/** Whether a key is one the meshes read from a pod (so it means something only there). */
function isMeshKey(key: string): boolean {
  return (
    hasIstioPrefix(key) ||
    hasLinkerdPrefix(key) ||
    key === LINKERD_INJECT ||
    lookupIstioLabel(key) !== undefined
  );
}

/** The "; use …" part of a validator message, as the fix. */
function fixFromMessage(path: readonly PointerSegment[], message: string): string {
  const use = /; use (.*)$/.exec(message);
  return use === null
    ? `correct the value of ${field(path)}`
    : `set ${field(path)} to ${use[1] ?? 'a valid value'}`;
}

function checkAnnotation(
  context: RuleContext,
  key: string,
  value: unknown,
  path: readonly PointerSegment[],
): void {
  if (key === ISTIO_INJECT) return;
  const istio = lookupIstioAnnotation(key);
  const linkerd = lookupLinkerdAnnotation(key);
  const known = istio ?? linkerd;
  if (known === undefined) {
    if (lookupIstioLabel(key) !== undefined) {
      context.report({
        path,
        message: `${key} is a label; Istio's webhook selects pods by labels, so as an annotation it has no effect`,
        fix: `move ${key} from ${field(path.slice(0, -1))} to ${field([...path.slice(0, -2), 'labels'])}`,
      });
      return;
    }
    reportUnknown(context, key, path, 'annotation');
    return;
  }
  if (known.deprecated) {
    context.report({
      path,
      message: `${key} is deprecated`,
      fix:
        known.replacement === undefined
          ? `remove ${key}`
          : `use ${known.replacement} instead of ${key}`,
    });
  }
  // Non-string values are rejected by the API server's schema already.
  if (typeof value !== 'string') return;
  const problem =
    istio !== undefined
      ? validateIstioAnnotationValue(key, value)
      : validateLinkerdAnnotationValue(key, value);
  if (problem !== undefined)
    context.report({ path, message: problem, fix: fixFromMessage(path, problem) });
}

function reportUnknown(
  context: RuleContext,
  key: string,
  path: readonly PointerSegment[],
  kind: 'annotation' | 'label',
): void {
  const istio = hasIstioPrefix(key);
  if (!istio && !hasLinkerdPrefix(key)) return;
  const mesh = istio ? 'Istio' : 'Linkerd';
  const suggestion = istio ? suggestIstioAnnotation(key) : suggestLinkerdAnnotation(key);
  context.report({
    path,
    message: `unknown ${mesh} ${kind} ${key}; ${mesh} ignores it`,
    fix:
      suggestion === undefined
        ? `remove ${key} or correct its name (see the ${mesh} annotation reference)`
        : `rename ${key} to ${suggestion}`,
  });
}

function checkLabel(
  context: RuleContext,
  key: string,
  value: unknown,
  path: readonly PointerSegment[],
): void {
  const label = lookupIstioLabel(key);
  if (label !== undefined) {
    if (typeof value !== 'string') return;
    const problem = validateIstioAnnotationValue(key, value);
    if (problem !== undefined)
      context.report({ path, message: problem, fix: fixFromMessage(path, problem) });
    return;
  }
  const annotation = lookupIstioAnnotation(key) ?? lookupLinkerdAnnotation(key);
  if (annotation !== undefined) {
    context.report({
      path,
      message: `${key} is an annotation; the mesh reads it from annotations, so as a label it has no effect`,
      fix: `move ${key} from ${field(path.slice(0, -1))} to ${field([...path.slice(0, -2), 'annotations'])}`,
    });
    return;
  }
  if (hasIstioPrefix(key) || hasLinkerdPrefix(key)) {
    const known = hasIstioPrefix(key)
      ? suggestKey(key, ISTIO_LABELS.keys())
      : suggestLinkerdAnnotation(key);
    context.report({
      path,
      message: `unknown ${hasIstioPrefix(key) ? 'Istio' : 'Linkerd'} label ${key}; it has no effect`,
      fix: known === undefined ? `remove ${key}` : `rename ${key} to ${known}`,
    });
  }
}

/** Metadata of the CronJob, its Job template, or the Job: mesh keys there reach no pod. */
function ownerMetadataPaths(context: RuleContext): PointerSegment[][] {
  if (context.paths.kind === 'Pod') return [];
  const paths: PointerSegment[][] = [['metadata']];
  if (context.paths.kind === 'CronJob') paths.push(['spec', 'jobTemplate', 'metadata']);
  return paths;
}

function checkOwnerMetadata(context: RuleContext): void {
  const templateMetadata = [...context.paths.podTemplate, 'metadata'];
  for (const metadata of ownerMetadataPaths(context)) {
    for (const kind of ['annotations', 'labels'] as const satisfies readonly MetadataField[]) {
      for (const [key] of entries(context, [...metadata, kind])) {
        if (!isMeshKey(key)) continue;
        const path = [...metadata, kind, key];
        context.report({
          path,
          message: `${key} on ${field(metadata)} has no effect: the mesh injector only sees the pod`,
          fix: `move ${key} from ${field([...metadata, kind])} to ${field([...templateMetadata, kind])}`,
        });
      }
    }
  }
}

export const meshAnnotations: Rule = {
  id: 'mesh-annotations',
  section: 'mesh',
  title: 'Mesh annotations and labels',
  description:
    "Checks the Istio and Linkerd annotations and labels of the pod template: unknown names (with the likely intended one), deprecated ones, values the mesh rejects or ignores, and mesh keys put on the CronJob's or Job's own metadata, where the injector never sees them. An invalid Istio value makes the injector refuse every pod, so the Job only records FailedCreate.",
  kinds: ['CronJob', 'Job', 'Pod'],
  enabled: (spec) => spec.mesh !== undefined,
  validate(context) {
    const metadata = [...context.paths.podTemplate, 'metadata'];
    for (const [key, value] of entries(context, [...metadata, 'annotations']))
      checkAnnotation(context, key, value, [...metadata, 'annotations', key]);
    for (const [key, value] of entries(context, [...metadata, 'labels']))
      checkLabel(context, key, value, [...metadata, 'labels', key]);
    checkOwnerMetadata(context);
  },
};
