import { mkdtemp } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../src/cli/main.js';
import { createJsonLogger } from '../../src/server/log.js';
import { startWatcher, type Watcher } from '../../src/watcher/watch.js';
import { FakeKubeApiServer, type KubeObject } from '../support/fake-kube-apiserver.js';
import { eventually, namespace } from '../kube/support.js';

let server: FakeKubeApiServer;
let watcher: Watcher | undefined;
const logLines: string[] = [];

beforeAll(async () => {
  server = await FakeKubeApiServer.start();
  server.create(namespace('team'));
});

afterAll(async () => {
  await server.close();
});

afterEach(async () => {
  await watcher?.close();
  watcher = undefined;
});

async function startTestWatcher(now?: () => Date): Promise<Watcher> {
  watcher = await startWatcher({
    kubeConfig: server.kubeConfig(),
    namespaces: [],
    metricsPort: 0,
    host: '127.0.0.1',
    logger: createJsonLogger('debug', (line) => logLines.push(line)),
    tickIntervalMs: 50,
    ...(now === undefined ? {} : { now }),
  });
  return watcher;
}

function get(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const outgoing = request({ host: '127.0.0.1', port, path, agent: false }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => {
        resolve({ status: response.statusCode ?? 0, body });
      });
      response.on('error', reject);
    });
    outgoing.on('error', reject);
    outgoing.end();
  });
}

/** The value of the sample with exactly these labels, or undefined when there is none. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (match?.[1] !== name) continue;
    const found: Record<string, string> = {};
    for (const pair of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) {
      found[pair[1] ?? ''] = pair[2] ?? '';
    }
    if (
      JSON.stringify(Object.entries(found).sort()) === JSON.stringify(Object.entries(labels).sort())
    ) {
      return Number(match[3]);
    }
  }
  return undefined;
}

async function scrape(port: number): Promise<string> {
  const answer = await get(port, '/metrics');
  expect(answer.status).toBe(200);
  return answer.body;
}

function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
}

function cronJob(name: string): KubeObject {
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name, namespace: 'team' },
    spec: {
      schedule: '*/5 * * * *',
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

function jobOf(owner: KubeObject, name: string): KubeObject {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name,
      namespace: 'team',
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

function finished(job: KubeObject, startMs: number, endMs: number): KubeObject {
  return {
    ...job,
    status: {
      startTime: rfc3339(startMs),
      completionTime: rfc3339(endMs),
      succeeded: 1,
      conditions: [{ type: 'Complete', status: 'True', lastTransitionTime: rfc3339(endMs) }],
    },
  };
}

/** The finished Job again with a changed label (a new resourceVersion, so a new event). */
function touched(job: KubeObject, label: string, startMs: number): KubeObject {
  const metadata = { ...job.metadata, labels: { touched: label } };
  delete metadata.resourceVersion;
  return finished({ ...job, metadata }, startMs, startMs + 30_000);
}

function podOf(job: KubeObject): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `${job.metadata.name}-abcde`,
      namespace: 'team',
      labels: { 'controller-uid': String(job.metadata.uid), 'job-name': job.metadata.name },
      ownerReferences: [
        {
          apiVersion: 'batch/v1',
          kind: 'Job',
          name: job.metadata.name,
          uid: job.metadata.uid ?? '',
          controller: true,
        },
      ],
    },
    spec: { containers: [{ name: 'main', image: 'busybox' }] },
  };
}

const REPORT = { namespace: 'team', cronjob: 'report' };

describe('startWatcher', () => {
  it('serves run metrics from watched CronJobs, Jobs and Pods, counting each Job once', async () => {
    const { metricsPort: port } = await startTestWatcher();
    await eventually(async () => (await get(port, '/readyz')).status === 200);
    expect((await get(port, '/healthz')).status).toBe(200);

    const owner = server.create(cronJob('report'));
    const job = server.create(jobOf(owner, 'report-29000000'));
    server.create(podOf(job));
    await eventually(async () => {
      const text = await scrape(port);
      expect(sample(text, 'cronjob_active_jobs', REPORT)).toBe(1);
    });

    const startMs = Date.now() + 1000;
    server.update(finished(job, startMs, startMs + 30_000));
    const text = await eventually(async () => {
      const body = await scrape(port);
      expect(sample(body, 'cronjob_jobs_total', { ...REPORT, status: 'succeeded' })).toBe(1);
      return body;
    });
    expect(sample(text, 'cronjob_active_jobs', REPORT)).toBe(0);
    expect(sample(text, 'cronjob_next_schedule_timestamp_seconds', REPORT)).toBeGreaterThan(
      startMs / 1000 - 600,
    );
    expect(sample(text, 'cronjob_job_duration_seconds_count', REPORT)).toBe(1);
    expect(sample(text, 'cronjob_job_duration_seconds_sum', REPORT)).toBe(30);
    // The registry carries process metrics too.
    expect(text).toContain('process_cpu_user_seconds_total');

    // A dropped connection (the watch resumes from its resourceVersion), then a
    // relist after 410 Gone (the Job arrives again from the typed list, with Date
    // fields): the finished Job is delivered again each time and counted once.
    server.dropWatches();
    server.update(touched(job, 'once', startMs));
    await eventually(() => server.openWatchCount() === 3);
    server.dropWatches();
    server.update(touched(job, 'twice', startMs));
    server.compact();
    await eventually(() => server.openWatchCount() === 3);
    // The resumed watch got 410 Gone, so the Jobs were listed a second time.
    await eventually(() => {
      const jobLists = server.requests.filter(
        (entry) => entry.path === '/apis/batch/v1/jobs' && entry.query.watch === undefined,
      );
      expect(jobLists).toHaveLength(2);
    });
    // Only the pods of Jobs are watched.
    const podWatches = server.requests.filter(
      (entry) => entry.path === '/api/v1/pods' && entry.query.watch === 'true',
    );
    expect(podWatches.every((entry) => entry.query.labelSelector === 'controller-uid')).toBe(true);
    const second = server.create(jobOf(owner, 'report-29000005'));
    await eventually(async () => {
      const body = await scrape(port);
      expect(sample(body, 'cronjob_active_jobs', REPORT)).toBe(1);
      expect(sample(body, 'cronjob_jobs_total', { ...REPORT, status: 'succeeded' })).toBe(1);
      expect(sample(body, 'cronjob_job_duration_seconds_count', REPORT)).toBe(1);
    });

    server.delete({
      apiVersion: 'batch/v1',
      kind: 'Job',
      name: second.metadata.name,
      namespace: 'team',
    });
    server.delete({ apiVersion: 'batch/v1', kind: 'CronJob', name: 'report', namespace: 'team' });
    await eventually(async () => {
      const body = await scrape(port);
      expect(body).not.toMatch(/cronjob="report"/);
    });
  });

  it('counts a finished Job it only saw in the initial list (typed list objects)', async () => {
    const owner = server.create(cronJob('nightly'));
    const startMs = Date.now() - 60_000;
    const job = server.create(jobOf(owner, 'nightly-29000000'));
    server.update(finished(job, startMs, startMs + 5_000));
    // Started "before" the Job so it counts it: this checks the list path, where
    // client-node turns timestamps into Date objects.
    const { metricsPort: port } = await startTestWatcher(() => new Date(startMs - 60_000));
    await eventually(async () => {
      const body = await scrape(port);
      const labels = { namespace: 'team', cronjob: 'nightly' };
      expect(sample(body, 'cronjob_jobs_total', { ...labels, status: 'succeeded' })).toBe(1);
      expect(sample(body, 'cronjob_job_duration_seconds_sum', labels)).toBe(5);
    });
  });

  it('refuses a metrics port that is already in use, before watching anything', async () => {
    const { metricsPort } = await startTestWatcher();
    await expect(
      startWatcher({
        kubeConfig: server.kubeConfig(),
        namespaces: ['team'],
        metricsPort,
        host: '127.0.0.1',
        logger: createJsonLogger('debug', (line) => logLines.push(line)),
        tickIntervalMs: 50,
      }),
    ).rejects.toThrow(`cannot listen on 127.0.0.1:${String(metricsPort)}: EADDRINUSE`);
    // The refused watcher was scoped to one namespace: none of its requests may appear.
    expect(server.requests.filter((entry) => entry.path.includes('/namespaces/team/'))).toEqual([]);
  });

  it('is not ready while the API server is unreachable, and healthy all the same', async () => {
    server.setAvailable(false);
    try {
      const { metricsPort: port } = await startTestWatcher();
      expect((await get(port, '/readyz')).status).toBe(503);
      expect((await get(port, '/healthz')).status).toBe(200);
      server.setAvailable(true);
      await eventually(async () => (await get(port, '/readyz')).status === 200);
    } finally {
      server.setAvailable(true);
    }
  });
});

describe('cronguard watch', () => {
  function io(env: Record<string, string>, stopped: Promise<string>) {
    const out = { stdout: '', stderr: '' };
    return {
      out,
      io: {
        stdout: (text: string) => (out.stdout += text),
        stderr: (text: string) => (out.stderr += text),
        readStdin: () => Promise.resolve(''),
        writeFile: () => Promise.resolve(),
        isTTY: false,
        env,
        now: () => new Date(),
        stopRequested: () => stopped,
      },
    };
  }

  it('exits 2 with a clear message when there are no cluster credentials', async () => {
    const home = await mkdtemp(join(tmpdir(), 'cronguard-watch-home-'));
    const { io: cliIo, out } = io({ HOME: home }, new Promise(() => undefined));
    expect(await run(['watch'], cliIo)).toBe(2);
    expect(out.stderr).toContain('watch needs cluster credentials and found none');
    expect(out.stderr).toContain(join(home, '.kube', 'config'));
  });

  it('serves with --kubeconfig, leads with --leader-elect, and releases the Lease when asked to stop', async () => {
    const kubeconfig = await server.writeKubeconfig();
    let stop: (reason: string) => void = () => undefined;
    const stopped = new Promise<string>((resolve) => (stop = resolve));
    const { io: cliIo, out } = io({}, stopped);
    const exited = run(
      [
        'watch',
        '--kubeconfig',
        kubeconfig,
        '--metrics-port',
        '0',
        '--host',
        '127.0.0.1',
        '--leader-elect',
        '--lease-namespace',
        'team',
      ],
      cliIo,
    );
    const port = await eventually(() => {
      const match = /"metrics":"http:\/\/127\.0\.0\.1:(\d+)\/metrics"/.exec(out.stdout);
      expect(match).not.toBeNull();
      return Number(match?.[1]);
    });
    expect(out.stdout).toContain('"leaderElection":"team/cronguard-watcher as ');
    await eventually(async () => (await get(port, '/readyz')).status === 200);
    await eventually(async () => {
      expect(sample(await scrape(port), 'cronguard_watcher_leader', {})).toBe(1);
    });
    const lease = server.get({
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      namespace: 'team',
      name: 'cronguard-watcher',
    });
    expect(lease?.spec).toMatchObject({ holderIdentity: expect.stringMatching(/.+/) as unknown });
    stop('test done');
    expect(await exited).toBe(0);
    expect(out.stdout).toContain('"msg":"stopped"');
    // Released on the way out, so another replica takes over at once.
    const released = server.get({
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      namespace: 'team',
      name: 'cronguard-watcher',
    });
    expect((released?.spec as { holderIdentity?: string } | undefined)?.holderIdentity ?? '').toBe(
      '',
    );
  });
});

describe('cronguard serve --watch', () => {
  it('runs the webhook and the watcher in one process and stops both', async () => {
    const kubeconfig = await server.writeKubeconfig();
    server.clearRequests();
    const devCertDir = await mkdtemp(join(tmpdir(), 'cronguard-serve-watch-'));
    let stop: (reason: string) => void = () => undefined;
    const stopped = new Promise<string>((resolve) => (stop = resolve));
    const out = { stdout: '', stderr: '' };
    const exited = run(
      [
        'serve',
        '--watch',
        '--kubeconfig',
        kubeconfig,
        '--port',
        '0',
        '--metrics-port',
        '0',
        '--watch-metrics-port',
        '0',
        '--host',
        '127.0.0.1',
        '--dev-cert-dir',
        devCertDir,
      ],
      {
        stdout: (text: string) => (out.stdout += text),
        stderr: (text: string) => (out.stderr += text),
        readStdin: () => Promise.resolve(''),
        writeFile: () => Promise.resolve(),
        isTTY: false,
        env: {},
        now: () => new Date(),
        stopRequested: () => stopped,
      },
    );
    const port = await eventually(() => {
      const match =
        /"msg":"companion watcher running in this process","metrics":"http:\/\/127\.0\.0\.1:(\d+)\/metrics"/.exec(
          out.stdout,
        );
      expect(match, out.stdout + out.stderr).not.toBeNull();
      return Number(match?.[1]);
    });
    await eventually(async () => (await get(port, '/readyz')).status === 200);
    expect(out.stdout).toContain('"msg":"cronguard webhook serving"');
    // One Namespace list for the process: the watcher uses the webhook's label cache.
    const namespaceLists = server.requests.filter(
      (request) => request.path === '/api/v1/namespaces' && request.query.watch !== 'true',
    );
    expect(namespaceLists).toHaveLength(1);
    stop('test done');
    expect(await exited).toBe(0);
    expect(out.stdout).toContain('"msg":"stopped"');
  });
});
