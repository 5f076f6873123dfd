import { isPlainObject } from './types.js';

/**
 * Values the API server fills in before admission webhooks run (it decodes the
 * request body with defaulting). A webhook therefore cannot tell an omitted
 * `concurrencyPolicy` from an explicit `Allow`. To make `cronguard lint` (which sees
 * the author's file) and admission (which sees the defaulted object) agree, a
 * `default` setting treats "missing" and "equal to the Kubernetes default" alike.
 *
 * Source: kubernetes/kubernetes pkg/apis/batch/v1/defaults.go and
 * pkg/apis/core/v1/defaults.go.
 */
export const CRONJOB_SPEC_DEFAULTS = {
  concurrencyPolicy: 'Allow',
  suspend: false,
  successfulJobsHistoryLimit: 3,
  failedJobsHistoryLimit: 1,
} as const;

export const JOB_SPEC_DEFAULTS = {
  backoffLimit: 6,
} as const;

export const POD_SPEC_DEFAULTS = {
  restartPolicy: 'Always',
} as const;

/** Kubernetes defaults `imagePullPolicy` from the image tag (core/v1 SetDefaults_Container). */
export function defaultImagePullPolicy(image: unknown): 'Always' | 'IfNotPresent' | undefined {
  if (typeof image !== 'string') return undefined;
  if (image.includes('@')) return 'IfNotPresent';
  const lastSlash = image.lastIndexOf('/');
  const lastColon = image.lastIndexOf(':');
  const tag = lastColon > lastSlash ? image.slice(lastColon + 1) : '';
  return tag === '' || tag === 'latest' ? 'Always' : 'IfNotPresent';
}

/**
 * Applies the subset of API-server defaulting that policy rules can observe, in
 * place. Used by tests to simulate what admission receives, and by nothing in the
 * product path (the engine must never add defaults the author did not ask for).
 */
export function applyApiServerDefaults(object: Record<string, unknown>): void {
  const spec = object.spec;
  if (!isPlainObject(spec)) return;
  if (object.kind === 'CronJob') {
    fill(spec, CRONJOB_SPEC_DEFAULTS);
    const jobTemplate = spec.jobTemplate;
    if (isPlainObject(jobTemplate) && isPlainObject(jobTemplate.spec))
      defaultJobSpec(jobTemplate.spec);
  } else if (object.kind === 'Job') {
    defaultJobSpec(spec);
  } else if (object.kind === 'Pod') {
    defaultPodSpec(spec);
    defaultRequestsFromLimits(spec);
  }
}

function defaultJobSpec(jobSpec: Record<string, unknown>): void {
  fill(jobSpec, JOB_SPEC_DEFAULTS);
  const template = jobSpec.template;
  if (!isPlainObject(template) || !isPlainObject(template.spec)) return;
  defaultPodSpec(template.spec);
}

/**
 * SetDefaults_Pod (core/v1 defaults.go): a container request that is missing next to
 * a limit is set to the limit. Only for Pods, "not a v1.PodTemplate", so CronJob and
 * Job templates keep the missing request until the Job controller creates the Pods.
 */
function defaultRequestsFromLimits(podSpec: Record<string, unknown>): void {
  for (const list of ['initContainers', 'containers']) {
    const containers = podSpec[list];
    if (!Array.isArray(containers)) continue;
    for (const container of containers) {
      if (!isPlainObject(container) || !isPlainObject(container.resources)) continue;
      const { limits } = container.resources;
      // An empty map is dropped when the object is re-encoded, so it defaults nothing.
      if (!isPlainObject(limits) || Object.keys(limits).length === 0) continue;
      if (!isPlainObject(container.resources.requests)) container.resources.requests = {};
      const requests = container.resources.requests as Record<string, unknown>;
      for (const [resource, limit] of Object.entries(limits)) {
        if (requests[resource] === undefined) requests[resource] = limit;
      }
    }
  }
}

function defaultPodSpec(podSpec: Record<string, unknown>): void {
  fill(podSpec, POD_SPEC_DEFAULTS);
  for (const list of ['initContainers', 'containers']) {
    const containers = podSpec[list];
    if (!Array.isArray(containers)) continue;
    for (const container of containers) {
      if (!isPlainObject(container) || container.imagePullPolicy !== undefined) continue;
      const policy = defaultImagePullPolicy(container.image);
      if (policy !== undefined) container.imagePullPolicy = policy;
    }
  }
}

function fill(target: Record<string, unknown>, defaults: Readonly<Record<string, unknown>>): void {
  for (const [key, value] of Object.entries(defaults)) {
    if (target[key] === undefined) target[key] = value;
  }
}
