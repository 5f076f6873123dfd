/**
 * Readers for the parts of CronJob, Job and Pod JSON the run metrics need.
 * Objects come from the API server but are typed loosely (KubeObject), so every
 * field is checked at run time and a malformed field reads as absent.
 */
import { isPlainObject, type KubeObject } from '../../k8s/types.js';
import { FAILURE_REASONS, type FailureReason, type JobOutcome } from './definitions.js';

/** The controller's annotation (GA in 1.32), RFC 3339 in the CronJob's time zone. */
export const SCHEDULED_TIMESTAMP_ANNOTATION = 'batch.kubernetes.io/cronjob-scheduled-timestamp';
/** Set by `kubectl create job --from=cronjob/…`; such Jobs have no scheduled time. */
export const MANUAL_INSTANTIATE_ANNOTATION = 'cronjob.kubernetes.io/instantiate';

const MS_PER_MINUTE = 60_000;
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/** Milliseconds since the epoch of an RFC 3339 timestamp, or undefined. */
export function timestampMs(value: unknown): number | undefined {
  if (typeof value !== 'string' || !RFC3339.test(value)) return undefined;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? ms : undefined;
}

function field(value: unknown, key: string): unknown {
  return isPlainObject(value) ? value[key] : undefined;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

export interface ObjectIdentity {
  namespace: string;
  name: string;
  uid: string;
}

/** Namespace, name and uid, or undefined when any is missing (such an object cannot be tracked). */
export function identity(object: KubeObject): ObjectIdentity | undefined {
  const metadata = object.metadata;
  const namespace = text(metadata?.namespace);
  const name = text(metadata?.name);
  const uid = text(metadata?.uid);
  if (namespace === undefined || name === undefined || uid === undefined) return undefined;
  return { namespace, name, uid };
}

export function creationMs(object: KubeObject): number | undefined {
  return timestampMs(object.metadata?.creationTimestamp);
}

export function annotation(object: KubeObject, key: string): string | undefined {
  const annotations = object.metadata?.annotations;
  if (!isPlainObject(annotations)) return undefined;
  return text(annotations[key]);
}

/** The controller owner of the given kind (`controller: true`); other owners do not count. */
export function controllerOwner(
  object: KubeObject,
  kind: string,
): { uid: string; name: string } | undefined {
  const references = object.metadata?.ownerReferences;
  if (!Array.isArray(references)) return undefined;
  for (const reference of references as unknown[]) {
    if (field(reference, 'kind') !== kind || field(reference, 'controller') !== true) continue;
    const uid = text(field(reference, 'uid'));
    const name = text(field(reference, 'name'));
    if (uid !== undefined && name !== undefined) return { uid, name };
  }
  return undefined;
}

export interface JobFinish {
  outcome: JobOutcome;
  reason?: FailureReason;
  /**
   * When it finished: status.completionTime (set on success only), else the
   * terminal condition's lastTransitionTime; undefined when neither is readable.
   */
  finishedMs?: number;
}

function knownReason(reason: unknown): FailureReason {
  return FAILURE_REASONS.find((known) => known === reason) ?? 'other';
}

/**
 * The terminal state of a Job: a `Complete` or `Failed` condition with status
 * "True". The interim conditions SuccessCriteriaMet and FailureTarget (1.31+) are
 * not terminal: pods may still be terminating, so they are not counted yet.
 */
export function jobFinish(job: KubeObject): JobFinish | undefined {
  const status = job.status;
  const conditions = field(status, 'conditions');
  if (!Array.isArray(conditions)) return undefined;
  for (const condition of conditions as unknown[]) {
    if (field(condition, 'status') !== 'True') continue;
    const type = field(condition, 'type');
    if (type !== 'Complete' && type !== 'Failed') continue;
    const transitionMs = timestampMs(field(condition, 'lastTransitionTime'));
    if (type === 'Complete') {
      const finishedMs = timestampMs(field(status, 'completionTime')) ?? transitionMs;
      return finishedMs === undefined
        ? { outcome: 'succeeded' }
        : { outcome: 'succeeded', finishedMs };
    }
    const reason = knownReason(field(condition, 'reason'));
    return transitionMs === undefined
      ? { outcome: 'failed', reason }
      : { outcome: 'failed', reason, finishedMs: transitionMs };
  }
  return undefined;
}

export function jobStartMs(job: KubeObject): number | undefined {
  return timestampMs(field(job.status, 'startTime'));
}

/**
 * The scheduled time of a CronJob's Job: the controller's annotation, else the
 * minute suffix of the name (`<cronjob>-<unix minutes>`, the controller's naming).
 * Manual Jobs (kubectl create job --from) have neither meaning and return undefined,
 * even when their name happens to end in digits.
 */
export function scheduledTimeMs(job: KubeObject, cronJobName: string): number | undefined {
  if (annotation(job, MANUAL_INSTANTIATE_ANNOTATION) === 'manual') return undefined;
  const annotated = timestampMs(annotation(job, SCHEDULED_TIMESTAMP_ANNOTATION));
  if (annotated !== undefined) return annotated;
  const name = job.metadata?.name;
  if (typeof name !== 'string' || !name.startsWith(`${cronJobName}-`)) return undefined;
  const suffix = name.slice(cronJobName.length + 1);
  if (!/^\d{1,12}$/.test(suffix)) return undefined;
  return Number(suffix) * MS_PER_MINUTE;
}

/** The Job a pod belongs to: its controller ownerReference, else the Job controller's label. */
export function podJobUid(pod: KubeObject): string | undefined {
  const owner = controllerOwner(pod, 'Job');
  if (owner !== undefined) return owner.uid;
  const labels = pod.metadata?.labels;
  if (!isPlainObject(labels)) return undefined;
  return text(labels['batch.kubernetes.io/controller-uid']) ?? text(labels['controller-uid']);
}

export const DEFAULT_PROXY_CONTAINER_NAMES: readonly string[] = ['istio-proxy', 'linkerd-proxy'];

function containerState(statuses: unknown, name: string): 'terminated' | 'live' | 'unknown' {
  if (!Array.isArray(statuses)) return 'unknown';
  const status = (statuses as unknown[]).find((entry) => field(entry, 'name') === name);
  const state = field(status, 'state');
  if (!isPlainObject(state)) return 'unknown';
  if (isPlainObject(state.terminated)) return 'terminated';
  return isPlainObject(state.running) || isPlainObject(state.waiting) ? 'live' : 'unknown';
}

/**
 * A pod the proxy keeps alive: every app container has terminated while a proxy
 * in `spec.containers` (a classic sidecar) is still running or waiting to restart.
 * Native sidecars are init containers with restartPolicy Always; the kubelet stops
 * them when the app containers end, so they never match (they are not in
 * spec.containers). Pods already being deleted are on their way out and not counted.
 */
export function isSidecarBlocked(pod: KubeObject, proxyNames: ReadonlySet<string>): boolean {
  if (pod.metadata?.deletionTimestamp !== undefined) return false;
  const phase = field(pod.status, 'phase');
  if (phase === 'Succeeded' || phase === 'Failed') return false;
  const containers = field(pod.spec, 'containers');
  if (!Array.isArray(containers)) return false;
  const statuses = field(pod.status, 'containerStatuses');
  let apps = 0;
  let liveProxy = false;
  for (const container of containers as unknown[]) {
    const name = text(field(container, 'name'));
    if (name === undefined) continue;
    const state = containerState(statuses, name);
    if (proxyNames.has(name)) {
      liveProxy ||= state === 'live';
      continue;
    }
    apps++;
    if (state !== 'terminated') return false;
  }
  return apps > 0 && liveProxy;
}
