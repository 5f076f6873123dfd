import type { PointerSegment } from '../util/json-pointer.js';
import { isPlainObject, type KubeObject, type WorkloadKind } from './types.js';

/**
 * Where the parts of a workload live. A CronJob nests a Job template which nests a
 * pod template; a Job has the pod template directly; a Pod is its own template.
 * Every rule reads and writes through these paths, so no rule ever spells
 * `spec.jobTemplate.spec.template` itself (the class of bug behind kyverno#1480).
 */
export interface WorkloadPaths {
  kind: WorkloadKind;
  /** The Job spec (CronJob: spec.jobTemplate.spec; Job: spec). Undefined for Pods. */
  jobSpec: readonly PointerSegment[] | undefined;
  /** The pod template: an object with `metadata` and `spec` (a Pod is its own template). */
  podTemplate: readonly PointerSegment[];
  podSpec: readonly PointerSegment[];
}

const CRONJOB_PATHS: WorkloadPaths = {
  kind: 'CronJob',
  jobSpec: ['spec', 'jobTemplate', 'spec'],
  podTemplate: ['spec', 'jobTemplate', 'spec', 'template'],
  podSpec: ['spec', 'jobTemplate', 'spec', 'template', 'spec'],
};
const JOB_PATHS: WorkloadPaths = {
  kind: 'Job',
  jobSpec: ['spec'],
  podTemplate: ['spec', 'template'],
  podSpec: ['spec', 'template', 'spec'],
};
const POD_PATHS: WorkloadPaths = {
  kind: 'Pod',
  jobSpec: undefined,
  podTemplate: [],
  podSpec: ['spec'],
};

/** API groups whose CronJob is the Kubernetes one (v1beta1 and v2alpha1 are removed but still seen in Git). */
const BATCH_VERSIONS = new Set(['batch/v1', 'batch/v1beta1', 'batch/v2alpha1']);

export type WorkloadClassification = { workload: WorkloadPaths } | { skip: string; kind: string };

/**
 * Decides whether an object is a workload the engine evaluates. Custom resources
 * that happen to be called `CronJob` (kubebuilder's tutorial CRD, for one) are skipped
 * by API group, not mistaken for batch CronJobs.
 */
export function classifyWorkload(object: KubeObject): WorkloadClassification {
  const kind = typeof object.kind === 'string' ? object.kind : '';
  const apiVersion = typeof object.apiVersion === 'string' ? object.apiVersion : '';
  if (kind === '') return { skip: 'object has no kind', kind: '(no kind)' };
  if (kind === 'CronJob' || kind === 'Job') {
    if (apiVersion === '') return { skip: `${kind} has no apiVersion`, kind };
    if (!BATCH_VERSIONS.has(apiVersion)) {
      return {
        skip: `${apiVersion} ${kind} is not the Kubernetes batch ${kind}`,
        kind: `${kind} (${apiVersion})`,
      };
    }
    return { workload: kind === 'CronJob' ? CRONJOB_PATHS : JOB_PATHS };
  }
  if (kind === 'Pod') {
    if (apiVersion !== 'v1')
      return { skip: `${apiVersion || '(no apiVersion)'} Pod is not a core/v1 Pod`, kind };
    return { workload: POD_PATHS };
  }
  return { skip: `kind ${kind} is not evaluated`, kind };
}

export function workloadPathsFor(kind: WorkloadKind): WorkloadPaths {
  return kind === 'CronJob' ? CRONJOB_PATHS : kind === 'Job' ? JOB_PATHS : POD_PATHS;
}

export interface ContainerRef {
  /** `containers` or `initContainers` (ephemeral containers cannot be set at create time and are not mutated). */
  list: 'containers' | 'initContainers';
  index: number;
  name: string;
  path: readonly PointerSegment[];
  container: Record<string, unknown>;
  /** Native sidecars (init containers with restartPolicy Always) keep running beside the job. */
  isSidecar: boolean;
}

/** The containers of a pod spec that are objects; anything malformed is left to schema checks. */
export function listContainers(
  root: unknown,
  podSpecPath: readonly PointerSegment[],
): ContainerRef[] {
  const podSpec = readPath(root, podSpecPath);
  if (!isPlainObject(podSpec)) return [];
  const refs: ContainerRef[] = [];
  for (const list of ['initContainers', 'containers'] as const) {
    const items = podSpec[list];
    if (!Array.isArray(items)) continue;
    items.forEach((container: unknown, index) => {
      if (!isPlainObject(container)) return;
      const name = typeof container.name === 'string' ? container.name : `#${index}`;
      refs.push({
        list,
        index,
        name,
        path: [...podSpecPath, list, index],
        container,
        isSidecar: list === 'initContainers' && container.restartPolicy === 'Always',
      });
    });
  }
  return refs;
}

export function readPath(root: unknown, path: readonly PointerSegment[]): unknown {
  let current = root;
  for (const segment of path) {
    if (Array.isArray(current) && typeof segment === 'number') current = current[segment];
    else if (isPlainObject(current) && Object.prototype.hasOwnProperty.call(current, segment)) {
      current = current[String(segment)];
    } else return undefined;
  }
  return current;
}
