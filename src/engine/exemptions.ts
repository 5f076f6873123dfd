import type { KubeObject } from '../k8s/types.js';
import { isPlainObject } from '../k8s/types.js';
import { readPath, type WorkloadPaths } from '../k8s/workload.js';
import type { Policy } from '../policy/types.js';
import { globMatch } from '../util/glob.js';
import { toPointer, type PointerSegment } from '../util/json-pointer.js';

/** `ignore-check.cronguard.dev/<rule-id>: "<reason>"` on the object or its pod template. */
export const EXEMPTION_ANNOTATION_PREFIX = 'ignore-check.cronguard.dev/';

export interface AnnotationExemption {
  ruleId: string;
  /** Empty when the exemption covers the whole object. */
  containers: string[];
  reason: string;
  /** Pointer of the annotation, for findings about it. */
  path: string;
  /** Set when the annotation is malformed; such an annotation exempts nothing. */
  problem?: string;
}

/**
 * Reads exemption annotations. The value is the reason, optionally scoped to
 * containers: `container=istio-proxy,vendor; reason text` (peers only offer
 * whole-object suppression, which users asked to narrow: kube-linter#445).
 */
export function readAnnotationExemptions(
  object: KubeObject,
  paths: WorkloadPaths,
): AnnotationExemption[] {
  const found: AnnotationExemption[] = [];
  for (const annotationsPath of annotationPlaces(paths)) {
    const annotations = readPath(object, annotationsPath);
    if (!isPlainObject(annotations)) continue;
    for (const name of Object.keys(annotations)) {
      if (!name.startsWith(EXEMPTION_ANNOTATION_PREFIX)) continue;
      const ruleId = name.slice(EXEMPTION_ANNOTATION_PREFIX.length);
      const path = toPointer([...annotationsPath, name]);
      found.push(parseExemptionValue(ruleId, annotations[name], path));
    }
  }
  return found;
}

/** The object's and its pod template's annotations, per kind (fixed, so built once). */
const annotationPlacesOf = new WeakMap<WorkloadPaths, ReadonlyArray<readonly PointerSegment[]>>();

function annotationPlaces(paths: WorkloadPaths): ReadonlyArray<readonly PointerSegment[]> {
  let places = annotationPlacesOf.get(paths);
  if (places === undefined) {
    const object: PointerSegment[] = ['metadata', 'annotations'];
    const template: PointerSegment[] = [...paths.podTemplate, 'metadata', 'annotations'];
    // A Pod is its own template.
    places = paths.podTemplate.length === 0 ? [object] : [object, template];
    annotationPlacesOf.set(paths, places);
  }
  return places;
}

function parseExemptionValue(ruleId: string, value: unknown, path: string): AnnotationExemption {
  if (typeof value !== 'string') {
    return {
      ruleId,
      containers: [],
      reason: '',
      path,
      problem: 'the annotation value must be a string reason',
    };
  }
  let reason = value.trim();
  let containers: string[] = [];
  const scoped = /^containers?=([^;]*);(.*)$/s.exec(reason);
  if (scoped !== null) {
    containers = (scoped[1] ?? '')
      .split(',')
      .map((name) => name.trim())
      .filter((name) => name !== '');
    reason = (scoped[2] ?? '').trim();
    if (containers.length === 0) {
      return { ruleId, containers, reason, path, problem: 'container= names no container' };
    }
  }
  if (reason === '') {
    return { ruleId, containers, reason, path, problem: 'a reason is required' };
  }
  return { ruleId, containers, reason, path };
}

const NOT_EXEMPT: ExemptionDecision = Object.freeze({ exempt: false });

export interface ExemptionDecision {
  exempt: boolean;
  source?: 'annotation' | 'policy';
  reason?: string;
}

/**
 * Exemptions in force for one policy on one object. Annotation exemptions are
 * refused for rules the policy lists as `nonExemptible`; exemptions written in the
 * policy itself are the platform team's own and always apply.
 */
export class ExemptionSet {
  constructor(
    private readonly policy: Policy,
    private readonly annotations: readonly AnnotationExemption[],
    private readonly namespace: string,
    private readonly name: string,
  ) {}

  /** Whether `ruleId` is exempt for the whole object (container undefined) or for one container. */
  decide(ruleId: string, container?: string): ExemptionDecision {
    if (this.policy.spec.exemptions.length === 0 && this.annotations.length === 0)
      return NOT_EXEMPT;
    for (const exemption of this.policy.spec.exemptions) {
      if (!exemption.rules.includes('*') && !exemption.rules.includes(ruleId)) continue;
      if (exemption.namespaces && !exemption.namespaces.some((g) => globMatch(g, this.namespace)))
        continue;
      if (exemption.names && !exemption.names.some((g) => globMatch(g, this.name))) continue;
      if (exemption.containers) {
        if (container === undefined || !exemption.containers.some((g) => globMatch(g, container)))
          continue;
      }
      return { exempt: true, source: 'policy', reason: exemption.reason };
    }
    if (this.policy.spec.nonExemptible.includes(ruleId)) return { exempt: false };
    for (const exemption of this.annotations) {
      if (exemption.problem !== undefined || exemption.ruleId !== ruleId) continue;
      if (exemption.containers.length > 0) {
        if (container === undefined || !exemption.containers.includes(container)) continue;
      }
      return { exempt: true, source: 'annotation', reason: exemption.reason };
    }
    return { exempt: false };
  }
}
