/** Hand-built CronJob, Job and Pod JSON for the run-metrics tests. */
import type { KubeObject } from '../../../../src/k8s/types.js';

export const NS = 'team-a';

export interface CronJobInput {
  name?: string;
  uid?: string;
  schedule?: string;
  timeZone?: string;
  suspend?: boolean;
  startingDeadlineSeconds?: number;
  concurrencyPolicy?: 'Allow' | 'Forbid' | 'Replace';
  created?: string;
  generation?: number;
}

export function cronJob(input: CronJobInput = {}): KubeObject {
  const spec: Record<string, unknown> = {
    schedule: input.schedule ?? '0 * * * *',
    concurrencyPolicy: input.concurrencyPolicy ?? 'Allow',
    suspend: input.suspend ?? false,
    jobTemplate: { spec: { template: { spec: { restartPolicy: 'Never', containers: [] } } } },
  };
  if (input.timeZone !== undefined) spec.timeZone = input.timeZone;
  if (input.startingDeadlineSeconds !== undefined) {
    spec.startingDeadlineSeconds = input.startingDeadlineSeconds;
  }
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: {
      name: input.name ?? 'nightly',
      namespace: NS,
      uid: input.uid ?? 'cj-uid',
      generation: input.generation ?? 1,
      creationTimestamp: input.created ?? '2026-01-01T00:00:00Z',
    },
    spec,
  };
}

export interface JobInput {
  /** Scheduled time; used for the name suffix and (unless annotate is false) the annotation. */
  scheduled?: string;
  /** Annotation text as the controller writes it (time-zone offset); defaults to `scheduled`. */
  annotation?: string;
  annotate?: boolean;
  name?: string;
  uid?: string;
  cronJobName?: string;
  cronJobUid?: string;
  created?: string;
  start?: string;
  complete?: string;
  failed?: { at: string; reason?: string };
  /** Interim condition types (SuccessCriteriaMet, FailureTarget) with status True. */
  interim?: string[];
  manual?: boolean;
  owner?: 'controller' | 'non-controller' | 'none';
}

function unixMinutes(time: string): number {
  return Math.floor(Date.parse(time) / 60_000);
}

function ownerReferencesOf(input: JobInput, cronJobName: string): Record<string, unknown>[] {
  if (input.owner === 'none') return [];
  return [
    {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      name: cronJobName,
      uid: input.cronJobUid ?? 'cj-uid',
      controller: input.owner !== 'non-controller',
      blockOwnerDeletion: true,
    },
  ];
}

export function job(input: JobInput): KubeObject {
  const cronJobName = input.cronJobName ?? 'nightly';
  const scheduled = input.scheduled;
  const name =
    input.name ?? `${cronJobName}-${scheduled === undefined ? 'x' : unixMinutes(scheduled)}`;
  const annotations: Record<string, string> = {};
  if (scheduled !== undefined && input.annotate !== false) {
    annotations['batch.kubernetes.io/cronjob-scheduled-timestamp'] = input.annotation ?? scheduled;
  }
  if (input.manual === true) annotations['cronjob.kubernetes.io/instantiate'] = 'manual';
  const ownerReferences = ownerReferencesOf(input, cronJobName);
  const conditions: Record<string, unknown>[] = (input.interim ?? []).map((type) => ({
    type,
    status: 'True',
    lastTransitionTime: input.complete ?? input.failed?.at,
  }));
  const status: Record<string, unknown> = {};
  if (input.start !== undefined) status.startTime = input.start;
  if (input.complete !== undefined) {
    status.completionTime = input.complete;
    conditions.push({ type: 'Complete', status: 'True', lastTransitionTime: input.complete });
  }
  if (input.failed !== undefined) {
    conditions.push({
      type: 'Failed',
      status: 'True',
      reason: input.failed.reason,
      lastTransitionTime: input.failed.at,
    });
  }
  if (conditions.length > 0) status.conditions = conditions;
  if (input.complete === undefined && input.failed === undefined && input.start !== undefined) {
    status.active = 1;
  }
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name,
      namespace: NS,
      uid: input.uid ?? `job-${name}`,
      creationTimestamp: input.created ?? input.start ?? scheduled ?? '2026-01-01T00:00:00Z',
      annotations,
      ownerReferences,
    },
    spec: {},
    status,
  };
}

type ContainerState = 'running' | 'terminated' | 'waiting';

export interface PodInput {
  uid: string;
  jobUid: string;
  containers: Record<string, ContainerState>;
  /** Native sidecars: init containers with restartPolicy Always. */
  nativeSidecars?: Record<string, ContainerState>;
  phase?: string;
}

function stateOf(state: ContainerState): Record<string, unknown> {
  if (state === 'terminated') return { terminated: { exitCode: 0, reason: 'Completed' } };
  if (state === 'waiting') return { waiting: { reason: 'CrashLoopBackOff' } };
  return { running: { startedAt: '2026-01-01T00:00:00Z' } };
}

export function pod(input: PodInput): KubeObject {
  const native = input.nativeSidecars ?? {};
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `pod-${input.uid}`,
      namespace: NS,
      uid: input.uid,
      ownerReferences: [{ kind: 'Job', name: 'j', uid: input.jobUid, controller: true }],
    },
    spec: {
      initContainers: Object.keys(native).map((name) => ({ name, restartPolicy: 'Always' })),
      containers: Object.keys(input.containers).map((name) => ({ name })),
    },
    status: {
      phase: input.phase ?? 'Running',
      initContainerStatuses: Object.entries(native).map(([name, state]) => ({
        name,
        state: stateOf(state),
      })),
      containerStatuses: Object.entries(input.containers).map(([name, state]) => ({
        name,
        state: stateOf(state),
      })),
    },
  };
}

export function at(time: string): Date {
  return new Date(time);
}
