/**
 * The watcher through connection faults during a burst of Job events: CronJobs
 * and 2,000 Jobs (LOAD_JOBS) that start and finish, succeeded or failed, while
 * the API server's watch connections are dropped several times, once with the
 * event history compacted (the resumed watch gets 410 Gone and the informers
 * relist) and once closed cleanly (a watch timeout). At the end
 * cronjob_jobs_total, per CronJob, status and reason, must equal exactly what was
 * created: no run lost, none counted twice, also after a final relist that
 * replays every finished Job and reports deletions made while disconnected.
 */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCHEDULED_TIMESTAMP_ANNOTATION } from '../../src/watcher/runs/objects.js';
import { createJsonLogger } from '../../src/server/log.js';
import { startWatcher, type Watcher } from '../../src/watcher/watch.js';
import { eventually, namespace } from '../kube/support.js';
import { FakeKubeApiServer, type KubeObject } from '../support/fake-kube-apiserver.js';
import { numberFromEnv, sleep, timeoutFor } from './support.js';

const JOBS = numberFromEnv('LOAD_JOBS', 2_000);
const CRONJOBS = 10;
const BATCHES = 40;
/** Spreads the burst over ~4 s so reconnections (backoff from 0.5 s) happen inside it. */
const PAUSE_BETWEEN_BATCHES_MS = 100;
const NAMESPACE = 'burst';

type Fault = 'drop' | 'compact' | 'close cleanly';
/**
 * After which batch each fault strikes. `compact` follows a drop by one batch:
 * the Jobs of that batch finish while the watches are down (reconnecting waits
 * at least 250 ms), then they leave the history, so resuming from the last seen
 * resourceVersion gets 410 Gone and every informer relists.
 */
const FAULTS = new Map<number, Fault>([
  [5, 'drop'],
  [12, 'drop'],
  [19, 'drop'],
  [20, 'compact'],
  [26, 'close cleanly'],
  [31, 'drop'],
  [37, 'drop'],
]);

type Outcome =
  | { status: 'succeeded' }
  | { status: 'failed'; reason: 'BackoffLimitExceeded' | 'DeadlineExceeded' };

/** A fixed mix: most succeed, some fail for one of two reasons. */
function outcomeOf(index: number): Outcome {
  if (index % 5 === 0) return { status: 'failed', reason: 'BackoffLimitExceeded' };
  if (index % 7 === 0) return { status: 'failed', reason: 'DeadlineExceeded' };
  return { status: 'succeeded' };
}

function seriesKey(cronJob: string, status: string, reason: string | undefined): string {
  return `${cronJob}|${status}|${reason ?? ''}`;
}

function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
}

function cronJobNamed(name: string): KubeObject {
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name, namespace: NAMESPACE },
    spec: {
      schedule: '* * * * *',
      jobTemplate: {
        spec: {
          template: {
            spec: { restartPolicy: 'OnFailure', containers: [{ name: 'main', image: 'busybox' }] },
          },
        },
      },
    },
  };
}

/** A Job as the CronJob controller creates it: controller ownerReference and scheduled time. */
function jobOf(owner: KubeObject, index: number, scheduledMs: number): KubeObject {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: `${owner.metadata.name}-run-${index}`,
      namespace: NAMESPACE,
      annotations: { [SCHEDULED_TIMESTAMP_ANNOTATION]: rfc3339(scheduledMs) },
      ownerReferences: [
        {
          apiVersion: 'batch/v1',
          kind: 'CronJob',
          name: owner.metadata.name,
          uid: owner.metadata.uid ?? '',
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec: {
      template: {
        spec: { restartPolicy: 'OnFailure', containers: [{ name: 'main', image: 'busybox' }] },
      },
    },
  };
}

function finished(job: KubeObject, outcome: Outcome, startMs: number): KubeObject {
  const endMs = startMs + 1_000;
  const status =
    outcome.status === 'succeeded'
      ? {
          startTime: rfc3339(startMs),
          completionTime: rfc3339(endMs),
          succeeded: 1,
          conditions: [{ type: 'Complete', status: 'True', lastTransitionTime: rfc3339(endMs) }],
        }
      : {
          startTime: rfc3339(startMs),
          failed: 1,
          conditions: [
            {
              type: 'Failed',
              status: 'True',
              reason: outcome.reason,
              lastTransitionTime: rfc3339(endMs),
            },
          ],
        };
  return { ...job, status };
}

function scrape(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path: '/metrics', agent: false }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => {
        resolve(body);
      });
    })
      .on('error', reject)
      .end();
  });
}

function ready(port: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path: '/readyz', agent: false }, (response) => {
      response.resume();
      resolve(response.statusCode === 200);
    })
      .on('error', reject)
      .end();
  });
}

/** Every cronjob_jobs_total series of the namespace, keyed by seriesKey. */
function jobCounts(metrics: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const line of metrics.split('\n')) {
    if (!line.startsWith('cronjob_jobs_total{')) continue;
    const labels = Object.fromEntries(
      [...line.matchAll(/(\w+)="([^"]*)"/g)].map((match) => [match[1], match[2]]),
    ) as Record<string, string | undefined>;
    if (labels.namespace !== NAMESPACE) continue;
    const key = seriesKey(labels.cronjob ?? '', labels.status ?? '', labels.reason);
    counts.set(key, Number(line.slice(line.lastIndexOf(' ') + 1)));
  }
  return counts;
}

function sorted(counts: Map<string, number>): [string, number][] {
  return [...counts].sort(([a], [b]) => a.localeCompare(b));
}

describe('watcher through connection faults during a Job burst', () => {
  let api: FakeKubeApiServer;
  let watcher: Watcher | undefined;
  let warnings = 0;

  beforeAll(async () => {
    api = await FakeKubeApiServer.start();
    api.create(namespace(NAMESPACE));
  });

  afterAll(async () => {
    await watcher?.close();
    await api.close();
  });

  it(
    `counts each of ${JOBS} finished Jobs exactly once`,
    async () => {
      watcher = await startWatcher({
        kubeConfig: api.kubeConfig(),
        namespaces: [],
        metricsPort: 0,
        host: '127.0.0.1',
        logger: createJsonLogger('warn', () => {
          warnings += 1;
        }),
        tickIntervalMs: 1_000,
      });
      const port = watcher.metricsPort;
      await eventually(() => ready(port));

      const owners = Array.from({ length: CRONJOBS }, (_, index) =>
        api.create(cronJobNamed(`burst-${index}`)),
      );
      const expected = new Map<string, number>();
      let created = 0;
      /** Creates the next Job, finishes it at once, and expects it to be counted. */
      const runJob = (): KubeObject => {
        const index = created;
        const owner = owners[index % CRONJOBS]!;
        const startMs = Date.now();
        const outcome = outcomeOf(index);
        const job = api.update(
          finished(api.create(jobOf(owner, index, startMs - 1_000)), outcome, startMs),
        );
        const key = seriesKey(
          owner.metadata.name,
          outcome.status,
          outcome.status === 'failed' ? outcome.reason : undefined,
        );
        expected.set(key, (expected.get(key) ?? 0) + 1);
        created += 1;
        return job;
      };
      const jobLists = () =>
        api.requests.filter(
          (entry) => entry.path === '/apis/batch/v1/jobs' && entry.query.watch === undefined,
        ).length;
      const converged = async (): Promise<void> => {
        const want = sorted(expected);
        await eventually(
          async () => {
            expect(sorted(jobCounts(await scrape(port)))).toEqual(want);
          },
          { timeoutMs: 60_000, intervalMs: 200 },
        );
      };

      const jobsPerBatch = Math.ceil(JOBS / BATCHES);
      const jobs: KubeObject[] = [];
      for (let batch = 0; batch < BATCHES; batch += 1) {
        for (let inBatch = 0; inBatch < jobsPerBatch && created < JOBS; inBatch += 1) {
          jobs.push(runJob());
        }
        const fault = FAULTS.get(batch);
        if (fault === 'drop') api.dropWatches();
        if (fault === 'compact') api.compact();
        if (fault === 'close cleanly') api.closeWatchesCleanly();
        await sleep(PAUSE_BETWEEN_BATCHES_MS);
      }
      expect(created).toBe(JOBS);
      await converged();
      // The compaction forced a relist of the Jobs (the initial list is the first).
      expect(jobLists()).toBeGreaterThanOrEqual(2);

      // History cleanup while disconnected: a quarter of the Jobs are deleted, the
      // history is compacted, so the informers relist: every remaining finished Job
      // is delivered again and the deleted ones arrive as deletions of their last
      // known state. One more Job finishes meanwhile; once it is counted, the whole
      // relist has been handled (a list is applied in one go).
      const listsBefore = jobLists();
      api.dropWatches();
      for (const job of jobs.filter((_, index) => index % 4 === 0)) {
        api.delete({
          apiVersion: 'batch/v1',
          kind: 'Job',
          name: job.metadata.name,
          namespace: NAMESPACE,
        });
      }
      runJob();
      api.compact();
      await converged();
      expect(jobLists()).toBeGreaterThan(listsBefore);
      // Nothing arrives late to be counted a second time.
      await sleep(1_000);
      expect(sorted(jobCounts(await scrape(port)))).toEqual(sorted(expected));
      const total = [...expected.values()].reduce((sum, count) => sum + count, 0);
      console.log(
        `[load] watcher: ${total} Jobs counted exactly once through ${FAULTS.size} faults and ${jobLists()} Job lists; ${warnings} warnings logged`,
      );
    },
    timeoutFor(30),
  );
});
