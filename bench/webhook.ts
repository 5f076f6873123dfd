/**
 * Webhook throughput: cronguard's `/mutate` (built-in policies) against a bare
 * Node.js HTTPS server that parses the body and answers a fixed allow, on the
 * same ~2 KB CronJob CREATE AdmissionReview, in one run, at full load (autocannon,
 * MAX_CONNECTIONS connections). Latency at fixed rates is bench/latency.ts.
 * Both servers are child processes (bench/webhook-server.ts) so the load
 * generator, in this process, does not share their event loop; they are loaded
 * one at a time.
 *
 * BENCH_QUICK=1 shortens every phase; BENCH_CPU_PROF=<dir> starts the cronguard
 * child with `--cpu-prof` and writes its profile there.
 *
 * TLS: the servers use a certificate from a CA made here. autocannon gets that CA
 * and the service name as SNI, but it forces `rejectUnauthorized: false` in
 * tls.connect, so the chain is verified by one sanity request (Node https,
 * trusting only the bench CA) before the load, not on every load connection.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, closeSync, readFileSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { generateDevelopmentCertificates } from '../src/server/tls.js';
import type { Print } from './figures.js';
import { processMemory } from './proc.js';
import type { LauncherReady } from './webhook-server.js';

export const SERVICE_HOST = 'cronguard.cronguard-system.svc';
const QUICK = process.env.BENCH_QUICK === '1';
const WARMUP_S = QUICK ? 1 : 3;
const MAX_S = QUICK ? 3 : 10;
const MAX_CONNECTIONS = 32;
const UID = '705ab4f5-6393-11e8-b7cc-42010a800002';

/**
 * A CronJob made with `kubectl create cronjob nightly --image=busybox
 * --schedule='*\/5 * * * *'` (plus two labels), as the API server passes it to a
 * mutating webhook on CREATE: defaults applied, managedFields filled in. The
 * built-in policies mutate it (no resources, no securityContext, ...).
 */
export function benchReview(): Record<string, unknown> {
  const cronJob = {
    kind: 'CronJob',
    apiVersion: 'batch/v1',
    metadata: {
      name: 'nightly',
      namespace: 'team-a',
      creationTimestamp: null,
      labels: { app: 'nightly', team: 'a' },
      managedFields: [
        {
          manager: 'kubectl-create',
          operation: 'Update',
          apiVersion: 'batch/v1',
          time: '2025-01-15T08:30:00Z',
          fieldsType: 'FieldsV1',
          fieldsV1: {
            'f:metadata': {
              'f:annotations': {
                '.': {},
                'f:kubectl.kubernetes.io/last-applied-configuration': {},
              },
              'f:labels': { '.': {}, 'f:app': {}, 'f:team': {} },
            },
            'f:spec': {
              'f:concurrencyPolicy': {},
              'f:failedJobsHistoryLimit': {},
              'f:jobTemplate': {
                'f:metadata': { 'f:name': {} },
                'f:spec': {
                  'f:template': {
                    'f:spec': {
                      'f:containers': {
                        'k:{"name":"nightly"}': {
                          '.': {},
                          'f:image': {},
                          'f:imagePullPolicy': {},
                          'f:name': {},
                          'f:resources': {},
                          'f:terminationMessagePath': {},
                          'f:terminationMessagePolicy': {},
                        },
                      },
                      'f:dnsPolicy': {},
                      'f:restartPolicy': {},
                      'f:schedulerName': {},
                      'f:securityContext': {},
                      'f:terminationGracePeriodSeconds': {},
                    },
                  },
                },
              },
              'f:schedule': {},
              'f:successfulJobsHistoryLimit': {},
              'f:suspend': {},
            },
          },
        },
      ],
    },
    spec: {
      schedule: '*/5 * * * *',
      concurrencyPolicy: 'Allow',
      suspend: false,
      jobTemplate: {
        metadata: { name: 'nightly', creationTimestamp: null },
        spec: {
          template: {
            metadata: { creationTimestamp: null },
            spec: {
              containers: [
                {
                  name: 'nightly',
                  image: 'busybox',
                  resources: {},
                  terminationMessagePath: '/dev/termination-log',
                  terminationMessagePolicy: 'File',
                  imagePullPolicy: 'Always',
                },
              ],
              restartPolicy: 'OnFailure',
              terminationGracePeriodSeconds: 30,
              dnsPolicy: 'ClusterFirst',
              securityContext: {},
              schedulerName: 'default-scheduler',
            },
          },
        },
      },
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 1,
    },
    status: {},
  };
  return {
    kind: 'AdmissionReview',
    apiVersion: 'admission.k8s.io/v1',
    request: {
      uid: UID,
      kind: { group: 'batch', version: 'v1', kind: 'CronJob' },
      resource: { group: 'batch', version: 'v1', resource: 'cronjobs' },
      requestKind: { group: 'batch', version: 'v1', kind: 'CronJob' },
      requestResource: { group: 'batch', version: 'v1', resource: 'cronjobs' },
      name: 'nightly',
      namespace: 'team-a',
      operation: 'CREATE',
      userInfo: {
        username: 'kubernetes-admin',
        groups: ['kubeadm:cluster-admins', 'system:authenticated'],
      },
      object: cronJob,
      oldObject: null,
      dryRun: false,
      options: { kind: 'CreateOptions', apiVersion: 'meta.k8s.io/v1', fieldManager: 'kubectl' },
    },
  };
}

export interface Child {
  process: ChildProcess;
  ready: LauncherReady;
  /** Where the child's stdout (cronguard's JSON log) goes. */
  logFile: string;
}

function startChild(kind: 'cronguard' | 'bare', dir: string, execArgv: string[]): Promise<Child> {
  const launcher = join(dirname(fileURLToPath(import.meta.url)), 'webhook-server.js');
  // Logs go to a file, as a container runtime would collect them; stdout is not
  // drained by this (load-generating) process.
  const logFile = join(dir, `${kind}.log`);
  const log = openSync(logFile, 'w');
  const child = fork(launcher, [kind, join(dir, 'cert.pem'), join(dir, 'key.pem')], {
    execArgv,
    stdio: ['ignore', log, 'inherit', 'ipc'],
  });
  closeSync(log);
  return new Promise((resolve, reject) => {
    child.once('message', (ready) => {
      resolve({ process: child, ready: ready as LauncherReady, logFile });
    });
    child.once('exit', (code) => {
      reject(new Error(`${kind} bench server exited early (${code})`));
    });
  });
}

function stopChild(child: Child): Promise<void> {
  return new Promise((resolve) => {
    if (child.process.exitCode !== null) {
      resolve();
      return;
    }
    child.process.once('exit', () => {
      resolve();
    });
    child.process.kill('SIGTERM');
  });
}

/** One request as the API server makes it: SNI, only the bench CA trusted. */
function sanityCall(port: number, body: string, ca: string): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const request = httpsRequest(
      {
        host: '127.0.0.1',
        port,
        path: '/mutate?timeout=10s',
        method: 'POST',
        servername: SERVICE_HOST,
        ca,
        agent: false,
        headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          if (response.statusCode !== 200) {
            reject(new Error(`sanity request answered ${response.statusCode}: ${text}`));
            return;
          }
          resolve(JSON.parse(text) as Record<string, unknown>);
        });
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

interface LoadResult {
  result: autocannon.Result;
  /** Response times in ms at full precision (autocannon's histogram keeps whole ms). */
  samples: number[];
}

function load(
  port: number,
  body: string,
  ca: string,
  options: { seconds: number; connections: number; overallRate?: number },
): Promise<LoadResult> {
  const samples: number[] = [];
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: `https://127.0.0.1:${port}/mutate?timeout=10s`,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
        connections: options.connections,
        duration: options.seconds,
        overallRate: options.overallRate,
        servername: SERVICE_HOST,
        tlsOptions: { ca },
      },
      (error: unknown, result) => {
        if (error) reject(error instanceof Error ? error : new Error(JSON.stringify(error)));
        else resolve({ result, samples });
      },
    );
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      if (statusCode >= 200 && statusCode < 300) samples.push(responseTime);
    });
  });
}

function throughput(run: LoadResult): number {
  return run.result.requests.total / run.result.duration;
}

/** Connection errors and timeouts, and non-2xx answers, over all measured runs. */
function failures(runs: readonly LoadResult[]): { errors: number; non2xx: number } {
  let errors = 0;
  let non2xx = 0;
  for (const { result } of runs) {
    errors += result.errors + result.timeouts;
    non2xx += result.non2xx;
  }
  return { errors, non2xx };
}

export interface BenchServers {
  /** The AdmissionReview every request sends, as JSON text. */
  body: string;
  /** The bench CA, the only one the load generators trust. */
  ca: string;
  webhook: Child;
  bare: Child;
  /** Stops both servers. */
  close(): Promise<void>;
}

/**
 * Starts cronguard and the bare server as children, with a fresh CA and serving
 * certificate, and checks with one verified request each that they answer the
 * bench review as expected (cronguard must mutate it: the load measures the
 * mutating path, not an early allow).
 */
export async function startBenchServers(print?: Print): Promise<BenchServers> {
  const dir = mkdtempSync(join(tmpdir(), 'cronguard-bench-webhook-'));
  const certificates = generateDevelopmentCertificates({
    service: 'cronguard',
    namespace: 'cronguard-system',
  });
  writeFileSync(join(dir, 'cert.pem'), certificates.cert);
  writeFileSync(join(dir, 'key.pem'), certificates.key);
  const ca = certificates.caCert;
  const body = JSON.stringify(benchReview());

  const profileDir = process.env.BENCH_CPU_PROF;
  const profileArgs = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
  const [webhook, bare] = await Promise.all([
    startChild('cronguard', dir, profileArgs),
    startChild('bare', dir, []),
  ]);
  const close = () => Promise.all([stopChild(webhook), stopChild(bare)]).then(() => undefined);
  try {
    const webhookAnswer = await sanityCall(webhook.ready.port, body, ca);
    const bareAnswer = await sanityCall(bare.ready.port, body, ca);
    const response = webhookAnswer.response as { uid?: string; allowed?: boolean; patch?: string };
    const bareResponse = bareAnswer.response as { uid?: string };
    if (response.uid !== UID || response.allowed !== true || response.patch === undefined)
      throw new Error(`webhook did not mutate the bench review: ${JSON.stringify(webhookAnswer)}`);
    if (bareResponse.uid !== UID) throw new Error('bare server answered the wrong uid');
    const patch = JSON.parse(Buffer.from(response.patch, 'base64').toString('utf8')) as unknown[];
    print?.('webhook.review_size', Buffer.byteLength(body), 'bytes', 0);
    print?.('webhook.patch_operations', patch.length, 'ops', 0);
  } catch (error) {
    await close();
    throw error;
  }
  return { body, ca, webhook, bare, close };
}

/** Lines of JSON log cronguard wrote so far (its stdout goes to a file, as in a container). */
export function webhookLogLines(servers: BenchServers): number {
  return readFileSync(servers.webhook.logFile, 'utf8').split('\n').length - 1;
}

export async function webhookBenchmark(print: Print): Promise<void> {
  const servers = await startBenchServers(print);
  const { body, ca, webhook, bare } = servers;
  try {
    // Warm both (JIT, TLS session setup) before anything is measured.
    for (const child of [bare, webhook])
      await load(child.ready.port, body, ca, { seconds: WARMUP_S, connections: MAX_CONNECTIONS });

    const bareMax = await load(bare.ready.port, body, ca, {
      seconds: MAX_S,
      connections: MAX_CONNECTIONS,
    });
    const webhookMax = await load(webhook.ready.port, body, ca, {
      seconds: MAX_S,
      connections: MAX_CONNECTIONS,
    });
    const webhookMemory = processMemory(webhook.process.pid);
    const bareMemory = processMemory(bare.process.pid);

    print('webhook.max_throughput', throughput(webhookMax), 'req/s', 0);
    print('bare.max_throughput', throughput(bareMax), 'req/s', 0);
    print('webhook.throughput_ratio', throughput(webhookMax) / throughput(bareMax), 'x');
    print('webhook.rss_after_load', webhookMemory.rssBytes / 2 ** 20, 'MiB', 1);
    print('webhook.peak_rss', webhookMemory.peakRssBytes / 2 ** 20, 'MiB', 1);
    print('bare.rss_after_load', bareMemory.rssBytes / 2 ** 20, 'MiB', 1);
    print('webhook.rss_ratio_to_bare', webhookMemory.rssBytes / bareMemory.rssBytes, 'x');
    const webhookFailures = failures([webhookMax]);
    const bareFailures = failures([bareMax]);
    print('webhook.errors', webhookFailures.errors, 'requests', 0);
    print('webhook.non2xx', webhookFailures.non2xx, 'requests', 0);
    print('bare.errors', bareFailures.errors, 'requests', 0);
    print('bare.non2xx', bareFailures.non2xx, 'requests', 0);
    print('webhook.log_lines', webhookLogLines(servers), 'lines', 0);
  } finally {
    await servers.close();
  }
}
