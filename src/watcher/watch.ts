import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  BatchV1Api,
  CoreV1Api,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
} from '@kubernetes/client-node';
import { UserError } from '../errors.js';
import type { KubeObject } from '../k8s/types.js';
import { createResilientInformer, type ResilientInformer } from '../kube/informer.js';
import type { Logger } from '../server/log.js';
import { WatcherMetrics } from './metrics.js';
import { RunTracker } from './runs/index.js';

export interface WatcherOptions {
  kubeConfig: KubeConfig;
  /** Namespaces to watch; empty means all (one cluster-wide informer per kind). */
  namespaces: readonly string[];
  metricsPort: number;
  host: string;
  logger: Logger;
  /** How often missed schedules are judged (RunTracker.tick). */
  tickIntervalMs: number;
  /** The clock; tests may pin it. */
  now?: () => Date;
}

export interface Watcher {
  /** The port actually bound (useful with metricsPort 0). */
  readonly metricsPort: number;
  readonly metrics: WatcherMetrics;
  /** Stops the informers, the tick and the HTTP server. */
  close(): Promise<void>;
}

/**
 * The Job controller's legacy label, still set on every Job pod in all versions
 * (batch.kubernetes.io/controller-uid exists only since 1.27): only pods of Jobs
 * matter to the tracker, so the pod watch is limited to those.
 */
const JOB_POD_SELECTOR = 'controller-uid';

type Lister = (namespace: string | undefined) => Promise<KubernetesListObject<KubernetesObject>>;

interface Resource {
  kind: 'CronJob' | 'Job' | 'Pod';
  /** Collection path for a namespace, or across all of them. */
  path: (namespace: string | undefined) => string;
  list: Lister;
  labelSelector?: string;
  transform: (object: KubeObject) => KubeObject;
}

/**
 * Starts the run-metrics watcher: informers on CronJobs, Jobs and Job pods feed a
 * RunTracker, a timer ticks it, and a plain-HTTP server serves /metrics, /healthz
 * (the process is up) and /readyz (every informer has loaded its first list).
 * Writes nothing to the cluster: it needs list+watch on cronjobs, jobs and pods only.
 */
export async function startWatcher(options: WatcherOptions): Promise<Watcher> {
  const now = options.now ?? (() => new Date());
  const { logger } = options;
  // The gauges are read at scrape time only, after the tracker below exists.
  const metrics: WatcherMetrics = new WatcherMetrics(() => tracker.gauges(now()));
  const tracker: RunTracker = new RunTracker({ startedAt: now(), sink: metrics });

  let informers: ResilientInformer<KubernetesObject>[] = [];
  const server = createHealthAndMetricsServer(
    metrics,
    () => informers.length > 0 && informers.every((informer) => informer.synced()),
  );
  // Listen first: a port already in use must fail before anything watches.
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'EADDRINUSE' || error.code === 'EACCES'
          ? new UserError(`cannot listen on ${options.host}:${options.metricsPort}: ${error.code}`)
          : error,
      );
    });
    server.listen(options.metricsPort, options.host, () => {
      server.removeAllListeners('error');
      resolve();
    });
  });
  informers = resourcesOf(options.kubeConfig).flatMap((resource) =>
    (options.namespaces.length === 0 ? [undefined] : options.namespaces).map((namespace) =>
      startInformer(options.kubeConfig, resource, namespace, tracker, now, logger),
    ),
  );
  const ticker = setInterval(() => {
    tracker.tick(now());
  }, options.tickIntervalMs);
  ticker.unref();
  const metricsPort = (server.address() as AddressInfo).port;

  return {
    metricsPort,
    metrics,
    async close() {
      clearInterval(ticker);
      await Promise.all(informers.map((informer) => informer.stop()));
      await new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
        server.closeAllConnections();
      });
    },
  };
}

function resourcesOf(kubeConfig: KubeConfig): Resource[] {
  const batch = kubeConfig.makeApiClient(BatchV1Api);
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const scoped = (group: string, plural: string) => (namespace: string | undefined) =>
    namespace === undefined
      ? `${group}/${plural}`
      : `${group}/namespaces/${encodeURIComponent(namespace)}/${plural}`;
  return [
    {
      kind: 'CronJob',
      path: scoped('/apis/batch/v1', 'cronjobs'),
      list: (namespace) =>
        namespace === undefined
          ? batch.listCronJobForAllNamespaces()
          : batch.listNamespacedCronJob({ namespace }),
      transform: withoutManagedFields,
    },
    {
      kind: 'Job',
      path: scoped('/apis/batch/v1', 'jobs'),
      list: (namespace) =>
        namespace === undefined
          ? batch.listJobForAllNamespaces()
          : batch.listNamespacedJob({ namespace }),
      // A Job's pod template can be large and the tracker reads metadata and status only.
      transform: (job) => ({ ...withoutManagedFields(job), spec: {} }),
    },
    {
      kind: 'Pod',
      path: scoped('/api/v1', 'pods'),
      list: (namespace) =>
        namespace === undefined
          ? core.listPodForAllNamespaces({ labelSelector: JOB_POD_SELECTOR })
          : core.listNamespacedPod({ namespace, labelSelector: JOB_POD_SELECTOR }),
      labelSelector: JOB_POD_SELECTOR,
      transform: podEssentials,
    },
  ];
}

/**
 * Typed list calls deserialize timestamps into Date objects while watch events carry
 * RFC 3339 strings; the tracker reads strings, so everything is made plain JSON.
 */
function plain(object: KubeObject): KubeObject {
  return JSON.parse(JSON.stringify(object)) as KubeObject;
}

function withoutManagedFields(object: KubeObject): KubeObject {
  const copy = plain(object);
  if (copy.metadata !== undefined) delete copy.metadata.managedFields;
  return copy;
}

/** What isSidecarBlocked and podJobUid read: container names, phase and container states. */
function podEssentials(pod: KubeObject): KubeObject {
  const copy = withoutManagedFields(pod);
  const spec = isRecord(copy.spec) ? copy.spec : {};
  const status = isRecord(copy.status) ? copy.status : {};
  const containers = Array.isArray(spec.containers) ? (spec.containers as unknown[]) : [];
  return {
    ...copy,
    spec: { containers: containers.map((c) => ({ name: isRecord(c) ? c.name : undefined })) },
    status: { phase: status.phase, containerStatuses: status.containerStatuses },
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function startInformer(
  kubeConfig: KubeConfig,
  resource: Resource,
  namespace: string | undefined,
  tracker: RunTracker,
  now: () => Date,
  logger: Logger,
): ResilientInformer<KubernetesObject> {
  const scope = namespace ?? 'all namespaces';
  const informer = createResilientInformer<KubernetesObject>({
    kubeConfig,
    path: resource.path(namespace),
    list: () => resource.list(namespace),
    ...(resource.labelSelector === undefined ? {} : { labelSelector: resource.labelSelector }),
    transform: (object) => resource.transform(object as KubeObject),
    onStatus(event) {
      switch (event.type) {
        case 'synced':
          logger.log('info', `${resource.kind} informer synced`, { scope, count: event.count });
          break;
        case 'watching':
          logger.log('debug', `watching ${resource.kind}s`, {
            scope,
            resourceVersion: event.resourceVersion,
          });
          break;
        case 'error':
          logger.log('warn', `${resource.kind} watch failed; retrying`, {
            scope,
            error: event.message,
            status: event.status,
            retryInMs: event.retryInMs,
          });
      }
    },
  });
  const upsert = (object: KubernetesObject): void => {
    const kube = object as KubeObject;
    // The receive time places suspend/resume; the tracker has no clock of its own.
    if (resource.kind === 'CronJob') tracker.upsertCronJob(kube, now());
    else if (resource.kind === 'Job') tracker.upsertJob(kube);
    else tracker.upsertPod(kube);
  };
  informer.on('add', upsert);
  informer.on('update', upsert);
  informer.on('delete', (object) => {
    const name = object.metadata?.name ?? '';
    const objectNamespace = object.metadata?.namespace ?? '';
    const uid = object.metadata?.uid ?? '';
    if (resource.kind === 'CronJob') tracker.deleteCronJob(objectNamespace, name);
    else if (resource.kind === 'Job') {
      tracker.deleteJob(objectNamespace, name, uid, {
        finalState: object as KubeObject,
        at: now(),
      });
    } else tracker.deletePod(objectNamespace, name, uid);
  });
  informer.start();
  return informer;
}

function createHealthAndMetricsServer(metrics: WatcherMetrics, ready: () => boolean): Server {
  return createServer((request, response) => {
    const path = (request.url ?? '/').split('?', 1)[0];
    const text = (status: number, body: string): void => {
      response.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' });
      response.end(body);
    };
    const answer = plainAnswer(request.method, path, ready);
    if (answer !== undefined) {
      text(answer.status, answer.body);
      return;
    }
    metrics.registry.metrics().then(
      (body) => {
        response.writeHead(200, { 'Content-Type': metrics.registry.contentType });
        response.end(body);
      },
      (error: unknown) => {
        text(
          500,
          `cannot collect metrics: ${error instanceof Error ? error.message : String(error)}\n`,
        );
      },
    );
  });
}

/** The non-metrics answers; undefined for GET /metrics. */
function plainAnswer(
  method: string | undefined,
  path: string | undefined,
  ready: () => boolean,
): { status: number; body: string } | undefined {
  if (method !== 'GET') return { status: 405, body: 'only GET\n' };
  if (path === '/metrics') return undefined;
  if (path === '/healthz') return { status: 200, body: 'ok\n' };
  if (path === '/readyz') {
    // Before every first list the gauges would undercount (and a CronJob's Jobs
    // could wait for it), so a scrape target is not "ready" yet.
    return ready()
      ? { status: 200, body: 'ok\n' }
      : { status: 503, body: 'informers not synced yet\n' };
  }
  return { status: 404, body: 'not found; try /metrics, /healthz, /readyz\n' };
}
