/**
 * Watcher benchmark: the first reconcile of `cronguard watch` against a cluster
 * of 10,000 CronJobs and 50,000 Jobs (bench/cluster.ts), served by the test
 * suite's FakeKubeApiServer in this process. Targets: done in < 10 s, peak
 * resident memory < 300 MB.
 *
 * The watcher runs as a child process (`node dist/src/cli/bin.js watch`, exactly
 * as deployed), so its memory is its own: the peak is the kernel's high-water
 * mark, VmHWM in /proc/<pid>/status, read the moment the reconcile is seen done.
 * Time runs from spawn (Node start-up and module loading included, as after a
 * pod restart) until the reconcile is seen done. Note that the API server's work
 * (serializing 60,000 objects) happens in this process and counts too, as a real
 * API server's would.
 *
 * "Done" is the first full sync: informers listed, then the first mesh
 * reconcile and policy audit idle (with the built-in policies, mesh objects and
 * PolicyReports on, the defaults). The watcher says so twice: the gauge
 * `cronguard_watcher_initial_sync_seconds` turns positive, and it logs "first full
 * sync done". /readyz is polled often (it is cheap) until it answers 200; then
 * the log line is awaited (no polling delay) while /metrics is polled every
 * METRICS_POLL_MS for the gauge, whichever comes first; the signal is printed.
 * /metrics is polled slowly because every scrape builds a series per CronJob and
 * frequent scrapes would slow what is measured. The gauge's own value (measured
 * inside the child, from its start rather than from spawn) is printed too. A
 * watcher without the gauge (older builds) is done at /readyz 200.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { FakeKubeApiServer } from '../test/support/fake-kube-apiserver.js';
import { DESTINATIONS_ANNOTATION, seedCluster, type ClusterShape } from './cluster.js';
import type { Figures, Print } from './figures.js';
import { processMemory } from './proc.js';

const QUICK = process.env.BENCH_QUICK === '1';
/** BENCH_QUICK lists a tenth of the cluster; its figures are not comparable to the targets. */
const SHAPE: ClusterShape = QUICK
  ? { cronJobs: 1_000, namespaces: 100, jobsPerCronJob: 5 }
  : { cronJobs: 10_000, namespaces: 100, jobsPerCronJob: 5 };
const DONE_GAUGE = 'cronguard_watcher_initial_sync_seconds';
const READYZ_POLL_MS = 25;
const METRICS_POLL_MS = 500;
const GIVE_UP_MS = 600_000;

interface Answer {
  status: number;
  body: string;
}

function get(port: number, path: string): Promise<Answer> {
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

/** Unlabelled sample value, or undefined when the metric is not exposed at all. */
function unlabelledValue(metrics: string, name: string): number | undefined {
  const line = metrics.split('\n').find((candidate) => candidate.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}

function seriesOf(metrics: string, name: string): { count: number; sum: number } {
  let count = 0;
  let sum = 0;
  for (const line of metrics.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    count++;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return { count, sum };
}

interface WatcherChild {
  process: ChildProcess;
  /** Resolves with the metrics port from the "cronguard watcher serving" log line. */
  port: Promise<number>;
  /** Resolves, with performance.now(), when the child logs its first full sync. */
  firstSyncLogged: Promise<number>;
  /** `count` of each "<Kind> informer synced" log line, by kind. */
  synced: Map<string, number>;
  stderr: string[];
}

/** The environment without CRONGUARD_* settings, so the bench measures the defaults. */
function defaultsEnvironment(): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith('CRONGUARD_')),
  );
}

function spawnWatcher(binPath: string, kubeconfig: string): WatcherChild {
  // BENCH_CPU_PROF=<dir> profiles the watcher too (as it does the webhook child).
  const profileDir = process.env.BENCH_CPU_PROF;
  const profileArgs = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
  const child = spawn(
    process.execPath,
    [
      ...profileArgs,
      binPath,
      'watch',
      '--kubeconfig',
      kubeconfig,
      '--metrics-port',
      '0',
      '--host',
      '127.0.0.1',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], env: defaultsEnvironment() },
  );
  const synced = new Map<string, number>();
  const stderr: string[] = [];
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => stderr.push(chunk));
  let portFound: (port: number) => void = () => undefined;
  let firstSync: (at: number) => void = () => undefined;
  const port = new Promise<number>((resolve, reject) => {
    portFound = resolve;
    child.once('exit', (code) => {
      reject(new Error(`watcher exited (${code}) before serving: ${stderr.join('')}`));
    });
  });
  const firstSyncLogged = new Promise<number>((resolve) => (firstSync = resolve));
  createInterface({ input: child.stdout }).on('line', (line) => {
    let entry: { msg?: string; metrics?: string; count?: number };
    try {
      entry = JSON.parse(line) as typeof entry;
    } catch {
      return;
    }
    if (entry.msg === 'first full sync done') firstSync(performance.now());
    const kind = /^(\w+) informer synced$/.exec(entry.msg ?? '')?.[1];
    if (kind !== undefined) synced.set(kind, (synced.get(kind) ?? 0) + (entry.count ?? 0));
    const served = /:(\d+)\/metrics$/.exec(entry.metrics ?? '')?.[1];
    if (served !== undefined) portFound(Number(served));
  });
  return { process: child, port, firstSyncLogged, synced, stderr };
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      resolve();
      return;
    }
    child.once('exit', () => {
      resolve();
    });
    child.kill('SIGTERM');
  });
}

interface FirstReconcile {
  signal: string;
  readyMs: number;
  doneMs: number;
  gaugeSeconds: number | undefined;
  peakRssBytes: number;
}

async function waitForFirstReconcile(
  watcher: WatcherChild,
  startedAt: number,
): Promise<FirstReconcile> {
  const port = await watcher.port;
  const deadline = startedAt + GIVE_UP_MS;
  const check = (): void => {
    if (performance.now() > deadline)
      throw new Error(`the watcher did not finish its first reconcile in ${GIVE_UP_MS} ms`);
    if (watcher.process.exitCode !== null)
      throw new Error(`the watcher exited: ${watcher.stderr.join('')}`);
  };
  while ((await get(port, '/readyz')).status !== 200) {
    check();
    await sleep(READYZ_POLL_MS);
  }
  const readyMs = performance.now() - startedAt;
  const pid = watcher.process.pid;
  if (!(await get(port, '/metrics')).body.includes(`# TYPE ${DONE_GAUGE} `)) {
    return {
      signal: `/readyz 200 (this watcher does not expose ${DONE_GAUGE})`,
      readyMs,
      doneMs: readyMs,
      gaugeSeconds: undefined,
      peakRssBytes: processMemory(pid).peakRssBytes,
    };
  }
  let logged: number | undefined;
  void watcher.firstSyncLogged.then((at) => (logged = at));
  let signal = `${DONE_GAUGE} > 0 (/metrics polled every ${METRICS_POLL_MS} ms)`;
  let doneAt: number | undefined;
  while (doneAt === undefined) {
    check();
    // An unset unlabelled gauge reads 0 (prom-client) or is absent: not done either way.
    const value = unlabelledValue((await get(port, '/metrics')).body, DONE_GAUGE) ?? 0;
    if (logged !== undefined) {
      signal = 'log line "first full sync done" (it came before the polled gauge)';
      doneAt = logged;
    } else if (value > 0) doneAt = performance.now();
    else await Promise.race([sleep(METRICS_POLL_MS), watcher.firstSyncLogged]);
  }
  const peakRssBytes = processMemory(pid).peakRssBytes;
  return {
    signal,
    readyMs,
    doneMs: doneAt - startedAt,
    gaugeSeconds: unlabelledValue((await get(port, '/metrics')).body, DONE_GAUGE),
    peakRssBytes,
  };
}

export async function watcherBenchmark(
  print: Print,
  binPath: string,
  figures: Figures,
): Promise<void> {
  const server = await FakeKubeApiServer.start();
  let watcher: WatcherChild | undefined;
  try {
    const seedStart = performance.now();
    const seeded = seedCluster(server, SHAPE, new Date());
    const seedMs = performance.now() - seedStart;
    const kubeconfig = await server.writeKubeconfig();
    print('watcher.namespaces', seeded.namespaces, 'namespaces', 0);
    print('watcher.cronjobs', seeded.cronJobs, 'cronjobs', 0);
    print('watcher.jobs', seeded.jobs, 'jobs', 0);
    print('watcher.active_jobs', seeded.activeJobs, 'jobs', 0);
    print('watcher.cronjobs_with_destinations', seeded.cronJobsWithDestinations, 'cronjobs', 0);
    print('watcher.seed_time', seedMs / 1000, 's', 1);
    // Seeding garbage must not be collected while the API server answers the lists.
    globalThis.gc?.();

    const startedAt = performance.now();
    watcher = spawnWatcher(binPath, kubeconfig);
    const result = await waitForFirstReconcile(watcher, startedAt);
    figures.note('watcher', `done signal: ${result.signal}`);
    figures.note(
      'watcher',
      `cluster: ${seeded.cronJobs} CronJobs in ${seeded.namespaces} namespaces, ${seeded.jobs} Jobs (${seeded.activeJobs} active, ${seeded.failedJobs} failed), ${seeded.cronJobsWithDestinations} CronJobs with ${DESTINATIONS_ANNOTATION}; watcher with its defaults (built-in policies, mesh objects and PolicyReports on)`,
    );
    print('watcher.first_reconcile_time', result.doneMs / 1000, 's', 2);
    print('watcher.readyz_time', result.readyMs / 1000, 's', 2);
    if (result.gaugeSeconds !== undefined)
      print('watcher.initial_sync_gauge', result.gaugeSeconds, 's', 2);
    // In MB (10^6), the unit of the 300 MB target.
    print('watcher.peak_rss', result.peakRssBytes / 1e6, 'MB', 0);
    print('watcher.peak_rss_target_ratio', result.peakRssBytes / 300e6, 'x');
    print('watcher.first_reconcile_target_ratio', result.doneMs / 10_000, 'x');

    // Proof it loaded everything: the informers' own counts, and a series per CronJob.
    print('watcher.cronjobs_synced', watcher.synced.get('CronJob') ?? NaN, 'cronjobs', 0);
    print('watcher.jobs_synced', watcher.synced.get('Job') ?? NaN, 'jobs', 0);
    const port = await watcher.port;
    const active = seriesOf((await get(port, '/metrics')).body, 'cronjob_active_jobs');
    print('watcher.active_jobs_series', active.count, 'series', 0);
    print('watcher.active_jobs_gauge_sum', active.sum, 'jobs', 0);
    const afterScrape = processMemory(watcher.process.pid).rssBytes;
    print('watcher.rss_after_first_scrape', afterScrape / 1e6, 'MB', 0);
    // What the writers produced by the end of the first sync, read from the fake API server.
    const written = (apiVersion: string, kind: string): number => {
      try {
        return server.list(apiVersion, kind).length;
      } catch {
        return NaN;
      }
    };
    print(
      'watcher.policy_reports_written',
      written('wgpolicyk8s.io/v1alpha2', 'PolicyReport'),
      'reports',
      0,
    );
    print(
      'watcher.virtual_services_written',
      written('networking.istio.io/v1', 'VirtualService'),
      'objects',
      0,
    );
    print(
      'watcher.destination_rules_written',
      written('networking.istio.io/v1', 'DestinationRule'),
      'objects',
      0,
    );
  } finally {
    if (watcher !== undefined) await stop(watcher.process);
    await server.close();
  }
}
