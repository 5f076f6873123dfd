/**
 * A realistic cluster for the watcher benchmark, written straight into a
 * FakeKubeApiServer through its create()/update() controls (no HTTP: seeding
 * 60,000 objects over the API would take longer than what is measured).
 *
 * Shape: CronJobs spread over `namespaces` namespaces (a fifth of them labelled
 * for Istio injection), each with `jobsPerCronJob` Jobs as the CronJob controller
 * leaves them: named `<cronjob>-<unix minutes>`, annotated with the scheduled
 * time, owned by the CronJob, labelled with their own uid, full pod template,
 * and a status from the Job controller. The newest Job of every fifth CronJob
 * is still running, every tenth older Job failed, the rest completed. One CronJob
 * in twenty carries `cronguard.dev/destinations`, so a mesh reconcile has work.
 * Everything is deterministic: the same shape gives the same objects, only the
 * timestamps follow `now`.
 */
import type { FakeKubeApiServer, KubeObject } from '../test/support/fake-kube-apiserver.js';

export interface ClusterShape {
  cronJobs: number;
  namespaces: number;
  jobsPerCronJob: number;
}

export interface SeededCluster {
  namespaces: number;
  cronJobs: number;
  jobs: number;
  activeJobs: number;
  failedJobs: number;
  cronJobsWithDestinations: number;
}

const MINUTE_MS = 60_000;
/** Fixed-interval schedules (in UTC), so the last runs are easy to place exactly. */
const SCHEDULES: readonly { schedule: string; everyMinutes: number }[] = [
  { schedule: '*/5 * * * *', everyMinutes: 5 },
  { schedule: '*/15 * * * *', everyMinutes: 15 },
  { schedule: '0 * * * *', everyMinutes: 60 },
  { schedule: '0 */6 * * *', everyMinutes: 360 },
  { schedule: '0 0 * * *', everyMinutes: 1440 },
];
const IMAGES = [
  'registry.example.com/batch/report:1.4.2',
  'registry.example.com/etl/loader:3.1.0',
  'ghcr.io/org/cleanup:2.0.1',
  'registry.example.com/billing/invoices:7.2.3',
];
export const DESTINATIONS_ANNOTATION = 'cronguard.dev/destinations';
const SCHEDULED_TIMESTAMP_ANNOTATION = 'batch.kubernetes.io/cronjob-scheduled-timestamp';

function pick<T>(list: readonly T[], index: number): T {
  return list[index % list.length]!;
}

function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
}

function namespaceName(index: number): string {
  return `batch-${String(index).padStart(3, '0')}`;
}

function podTemplate(index: number, labels: Record<string, string>): Record<string, unknown> {
  return {
    metadata: { labels },
    spec: {
      restartPolicy: 'OnFailure',
      serviceAccountName: 'batch',
      securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
      containers: [
        {
          name: 'main',
          image: pick(IMAGES, index),
          args: ['--batch', String(index), '--verbose'],
          env: [
            { name: 'TARGET', value: `s3://bucket/${index}` },
            { name: 'LOG_FORMAT', value: 'json' },
          ],
          resources: {
            requests: { cpu: `${100 + (index % 5) * 50}m`, memory: `${128 * (1 + (index % 4))}Mi` },
            limits: { memory: `${512 * (1 + (index % 3))}Mi` },
          },
          securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
        },
      ],
    },
  };
}

function cronJob(index: number, namespace: string): KubeObject {
  const name = `job-${index}`;
  const { schedule } = pick(SCHEDULES, index);
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: {
      name,
      namespace,
      labels: { app: name, team: namespace },
      ...(index % 20 === 0
        ? { annotations: { [DESTINATIONS_ANNOTATION]: 'ledger, payments.prod' } }
        : {}),
    },
    spec: {
      schedule,
      timeZone: 'UTC',
      concurrencyPolicy: index % 2 === 0 ? 'Forbid' : 'Allow',
      // A few paused CronJobs, as every real cluster has.
      suspend: index % 50 === 49,
      startingDeadlineSeconds: 300,
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 1,
      jobTemplate: {
        spec: {
          backoffLimit: 3,
          activeDeadlineSeconds: 21_600,
          ttlSecondsAfterFinished: 86_400,
          template: podTemplate(index, { app: name }),
        },
      },
    },
  };
}

interface JobRun {
  scheduledMs: number;
  state: 'active' | 'succeeded' | 'failed';
}

function jobStatus(run: JobRun): Record<string, unknown> {
  const startMs = run.scheduledMs + 2_000;
  if (run.state === 'active') {
    return { startTime: rfc3339(startMs), active: 1, ready: 1, terminating: 0 };
  }
  const endMs = startMs + 45_000;
  if (run.state === 'failed') {
    const condition = (type: string) => ({
      type,
      status: 'True',
      reason: 'BackoffLimitExceeded',
      message: 'Job has reached the specified backoff limit',
      lastProbeTime: rfc3339(endMs),
      lastTransitionTime: rfc3339(endMs),
    });
    return {
      startTime: rfc3339(startMs),
      failed: 4,
      ready: 0,
      terminating: 0,
      uncountedTerminatedPods: {},
      conditions: [condition('FailureTarget'), condition('Failed')],
    };
  }
  const condition = (type: string) => ({
    type,
    status: 'True',
    reason: type === 'Complete' ? '' : 'CompletionsReached',
    message: type === 'Complete' ? '' : 'Reached expected number of succeeded pods',
    lastProbeTime: rfc3339(endMs),
    lastTransitionTime: rfc3339(endMs),
  });
  return {
    startTime: rfc3339(startMs),
    completionTime: rfc3339(endMs),
    succeeded: 1,
    ready: 0,
    terminating: 0,
    uncountedTerminatedPods: {},
    conditions: [condition('SuccessCriteriaMet'), condition('Complete')],
  };
}

function job(owner: KubeObject, index: number, run: JobRun): KubeObject {
  const cronJobName = owner.metadata.name;
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: `${cronJobName}-${Math.floor(run.scheduledMs / MINUTE_MS)}`,
      namespace: owner.metadata.namespace!,
      annotations: { [SCHEDULED_TIMESTAMP_ANNOTATION]: rfc3339(run.scheduledMs) },
      ownerReferences: [
        {
          apiVersion: 'batch/v1',
          kind: 'CronJob',
          name: cronJobName,
          uid: String(owner.metadata.uid),
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec: {
      parallelism: 1,
      completions: 1,
      completionMode: 'NonIndexed',
      backoffLimit: 3,
      activeDeadlineSeconds: 21_600,
      ttlSecondsAfterFinished: 86_400,
      suspend: false,
      podReplacementPolicy: 'TerminatingOrFailed',
      template: podTemplate(index, { app: cronJobName }),
    },
  };
}

/**
 * The controller sets the uid labels (and the selector) from the Job's own uid,
 * which exists only once the API server created the Job; so they go in with the
 * status, in the update after create().
 */
function withControllerFields(created: KubeObject, run: JobRun): KubeObject {
  const uid = String(created.metadata.uid);
  const name = created.metadata.name;
  const controllerLabels = {
    'batch.kubernetes.io/controller-uid': uid,
    'batch.kubernetes.io/job-name': name,
    'controller-uid': uid,
    'job-name': name,
  };
  const spec = created.spec as { template: { metadata?: { labels?: Record<string, string> } } };
  return {
    ...created,
    metadata: { ...created.metadata, labels: { ...created.metadata.labels, ...controllerLabels } },
    spec: {
      ...spec,
      selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': uid } },
      template: {
        ...spec.template,
        metadata: {
          ...spec.template.metadata,
          labels: { ...spec.template.metadata?.labels, ...controllerLabels },
        },
      },
    },
    status: jobStatus(run),
  };
}

export function seedCluster(
  server: FakeKubeApiServer,
  shape: ClusterShape,
  now: Date,
): SeededCluster {
  for (let index = 0; index < shape.namespaces; index++) {
    const name = namespaceName(index);
    server.create({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name, labels: index % 5 === 0 ? { 'istio-injection': 'enabled' } : {} },
    });
  }
  const seeded: SeededCluster = {
    namespaces: shape.namespaces,
    cronJobs: 0,
    jobs: 0,
    activeJobs: 0,
    failedJobs: 0,
    cronJobsWithDestinations: 0,
  };
  for (let index = 0; index < shape.cronJobs; index++) {
    const owner = server.create(cronJob(index, namespaceName(index % shape.namespaces)));
    seeded.cronJobs++;
    if (index % 20 === 0) seeded.cronJobsWithDestinations++;
    const everyMs = pick(SCHEDULES, index).everyMinutes * MINUTE_MS;
    const lastRunMs = Math.floor(now.getTime() / everyMs) * everyMs;
    const activeRefs: Record<string, unknown>[] = [];
    for (let age = 0; age < shape.jobsPerCronJob; age++) {
      const state: JobRun['state'] =
        age === 0 && index % 5 === 0
          ? 'active'
          : age > 0 && (index + age) % 10 === 0
            ? 'failed'
            : 'succeeded';
      const run: JobRun = { scheduledMs: lastRunMs - age * everyMs, state };
      const created = server.create(job(owner, index, run));
      server.update(withControllerFields(created, run));
      seeded.jobs++;
      if (state === 'active') {
        seeded.activeJobs++;
        activeRefs.push({
          apiVersion: 'batch/v1',
          kind: 'Job',
          name: created.metadata.name,
          namespace: created.metadata.namespace,
          uid: created.metadata.uid,
        });
      }
      if (state === 'failed') seeded.failedJobs++;
    }
    server.update({
      ...owner,
      status: {
        ...(activeRefs.length > 0 ? { active: activeRefs } : {}),
        lastScheduleTime: rfc3339(lastRunMs),
        lastSuccessfulTime: rfc3339(lastRunMs - (activeRefs.length > 0 ? everyMs : 0) + 47_000),
      },
    });
    // The watch history of the seeding is never read (the watcher lists first),
    // and kept it would hold two more copies of every object: seeding slows to a
    // crawl in garbage collection.
    if (index % 500 === 499) server.compact();
  }
  server.compact();
  return seeded;
}
