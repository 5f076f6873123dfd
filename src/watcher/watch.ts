import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  BatchV1Api,
  CoreV1Api,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
} from '@kubernetes/client-node';
import { Gauge, Counter } from 'prom-client';
import { UserError } from '../errors.js';
import type { KubeObject } from '../k8s/types.js';
import {
  createResilientInformer,
  type ListPage,
  type ResilientInformer,
} from '../kube/informer.js';
import { startLeaderElection, type LeaderElection } from '../kube/leader-election.js';
import { startNamespaceCache, type NamespaceCache } from '../kube/namespace-cache.js';
import { fetchKubernetesVersion } from '../kube/version.js';
import type { TrafficOptions } from '../mesh/traffic/index.js';
import type { PolicySet } from '../policy/types.js';
import type { ChangeWatch } from '../server/file-watch.js';
import { messageOf } from '../server/file-watch.js';
import type { Logger } from '../server/log.js';
import { watchPolicies, type PolicyReloadOptions } from '../server/reload.js';
import { startPolicyAuditor, type PolicyAuditor } from './audit/auditor.js';
import { ALWAYS_LEADER, SettableWriteGate, type WriteGate } from './leadership.js';
import { startMeshReconciler, type MeshReconciler } from './mesh/reconciler.js';
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
  /** Policies for the mesh reconciler and the audit; without them the watcher only measures runs. */
  policies?: WatcherPolicies;
  /** Reconcile Istio VirtualServices/DestinationRules (needs policies). Default true when policies are given. */
  meshReconcile?: boolean;
  traffic?: TrafficOptions;
  /** Publish PolicyReports (needs policies). Default true when policies are given. */
  audit?: boolean;
  auditIntervalMs?: number;
  /** Kubernetes version for the engine ("1.31"); asked from the API server when absent. */
  kubernetesVersion?: string;
  /**
   * A Namespace label cache the process already runs (serve's, with --watch); the
   * watcher then uses it instead of watching Namespaces a second time, and leaves
   * stopping it to its owner.
   */
  namespaceCache?: NamespaceCache;
  /** Elect a leader among replicas with this Lease; absent: this process always writes. */
  leaderElection?: { namespace: string; name: string; identity: string };
}

export interface WatcherPolicies {
  initial: PolicySet;
  /** Watch these paths and swap in sets that load; absent for the built-in set. */
  reload?: PolicyReloadOptions;
}

export interface Watcher {
  /** The port actually bound (useful with metricsPort 0). */
  readonly metricsPort: number;
  readonly metrics: WatcherMetrics;
  /** True while this replica may write (always, without leader election). */
  isLeader(): boolean;
  /**
   * Resolves once the informers have synced and the first mesh reconcile and audit
   * are idle (immediately idle on a replica that is not the leader).
   */
  initialSync(): Promise<void>;
  /** Stops the informers, the writers, the tick and the HTTP server; releases the Lease. */
  close(): Promise<void>;
}

/**
 * The Job controller's legacy label, still set on every Job pod in all versions
 * (batch.kubernetes.io/controller-uid exists only since 1.27): only pods of Jobs
 * matter to the tracker, so the pod watch is limited to those.
 */
const JOB_POD_SELECTOR = 'controller-uid';

type Lister = (
  namespace: string | undefined,
  page: ListPage,
) => Promise<KubernetesListObject<KubernetesObject>>;

interface Resource {
  kind: 'CronJob' | 'Job' | 'Pod';
  /** Collection path for a namespace, or across all of them. */
  path: (namespace: string | undefined) => string;
  list: Lister;
  labelSelector?: string;
  transform: (object: KubeObject) => KubeObject;
}

/**
 * Starts the companion watcher. Informers on CronJobs, Jobs and Job pods feed a
 * RunTracker (run metrics); with policies, the same CronJob cache also feeds the
 * mesh reconciler (VirtualServices/DestinationRules) and the policy auditor
 * (PolicyReports), which write only while this replica holds the Lease. A
 * plain-HTTP server serves /metrics, /healthz (the process is up) and /readyz
 * (every informer has loaded its first list) on every replica.
 */
export async function startWatcher(options: WatcherOptions): Promise<Watcher> {
  const now = options.now ?? (() => new Date());
  const { logger, kubeConfig } = options;
  const startedAt = performance.now();
  // The gauges are read at scrape time only, after the tracker below exists.
  const metrics: WatcherMetrics = new WatcherMetrics(() => tracker.gauges(now()));
  const tracker: RunTracker = new RunTracker({ startedAt: now(), sink: metrics });
  const own = watcherMetrics(metrics);

  let informers: ResilientInformer<KubernetesObject>[] = [];
  /** The CronJob informers among them: the cache the writers read. */
  let cronJobInformers: ResilientInformer<KubernetesObject>[] = [];
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

  const writers = await startWriters(options, metrics, own, (namespace) =>
    cronJobsOf(cronJobInformers, namespace),
  );
  const started = resourcesOf(kubeConfig).flatMap((resource) =>
    (options.namespaces.length === 0 ? [undefined] : options.namespaces).map((namespace) => ({
      kind: resource.kind,
      informer: startInformer(kubeConfig, resource, namespace, tracker, now, logger, writers),
    })),
  );
  informers = started.map(({ informer }) => informer);
  cronJobInformers = started
    .filter(({ kind }) => kind === 'CronJob')
    .map(({ informer }) => informer);
  const ticker = setInterval(() => {
    tracker.tick(now());
  }, options.tickIntervalMs);
  ticker.unref();
  const metricsPort = (server.address() as AddressInfo).port;

  let stopped = false;
  const initialSync = (async () => {
    await Promise.all([
      ...informers.map((informer) => informer.whenSynced()),
      writers.namespacesSynced(),
    ]);
    if (stopped) return;
    // Writers plan from the caches, so they start only once the caches are complete:
    // before that, a CronJob not listed yet would look deleted and its objects orphaned.
    writers.mesh?.start();
    writers.audit?.start();
    await Promise.all([writers.mesh?.idle(), writers.audit?.idle()]);
    const seconds = (performance.now() - startedAt) / 1000;
    own.initialSync.set(seconds);
    logger.log('info', 'first full sync done', {
      seconds: Math.round(seconds * 1000) / 1000,
      cronJobs: cronJobsOf(cronJobInformers, undefined).length,
      leader: writers.gate.isLeader(),
    });
  })();

  return {
    metricsPort,
    metrics,
    isLeader: () => writers.gate.isLeader(),
    initialSync: () => initialSync,
    async close() {
      stopped = true;
      clearInterval(ticker);
      // Writers first: leadership is released only after the last write has finished.
      await writers.stop();
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

interface OwnMetrics {
  initialSync: Gauge;
  leader: Gauge;
  policiesLoaded: Gauge;
  policyReloadErrors: Counter;
}

/** The watcher's own health metrics, beside the run metrics in the same registry. */
function watcherMetrics(metrics: WatcherMetrics): OwnMetrics {
  const registers = [metrics.registry];
  return {
    initialSync: new Gauge({
      name: 'cronguard_watcher_initial_sync_seconds',
      help: 'Seconds from start until the informers had synced and the first mesh reconcile and audit were done; absent until then.',
      registers,
    }),
    leader: new Gauge({
      name: 'cronguard_watcher_leader',
      help: '1 while this replica holds the Lease and writes (always 1 without --leader-elect), else 0.',
      registers,
    }),
    policiesLoaded: new Gauge({
      name: 'cronguard_policies_loaded',
      help: 'Policies in the set in force.',
      registers,
    }),
    policyReloadErrors: new Counter({
      name: 'cronguard_policy_reload_errors_total',
      help: 'Changed policy sets refused because they did not load; the last good set stays in force.',
      registers,
    }),
  };
}

interface Writers {
  gate: WriteGate;
  mesh: MeshReconciler | undefined;
  audit: PolicyAuditor | undefined;
  namespacesSynced(): Promise<void>;
  cronJobChanged(namespace: string): void;
  stop(): Promise<void>;
}

/**
 * Leader election, the namespace label cache, policy reloads, the mesh reconciler
 * and the auditor: everything that exists only when the watcher has policies.
 */
async function startWriters(
  options: WatcherOptions,
  metrics: WatcherMetrics,
  own: OwnMetrics,
  cronJobs: (namespace: string | undefined) => readonly KubeObject[],
): Promise<Writers> {
  const { logger, kubeConfig } = options;
  const policies = options.policies;
  const meshEnabled = policies !== undefined && (options.meshReconcile ?? true);
  const auditEnabled = policies !== undefined && (options.audit ?? true);
  if (!meshEnabled && !auditEnabled) {
    own.leader.set(1);
    return {
      gate: ALWAYS_LEADER,
      mesh: undefined,
      audit: undefined,
      namespacesSynced: () => Promise.resolve(),
      cronJobChanged: () => undefined,
      stop: () => Promise.resolve(),
    };
  }

  let policySet = policies?.initial ?? { policies: [] };
  own.policiesLoaded.set(policySet.policies.length);
  const namespaceCache = options.namespaceCache ?? startNamespaceCache(kubeConfig, { logger });
  const ownsNamespaceCache = options.namespaceCache === undefined;
  let kubernetesVersion = options.kubernetesVersion;
  if (kubernetesVersion === undefined) {
    try {
      kubernetesVersion = await fetchKubernetesVersion(kubeConfig);
    } catch (error) {
      // The engine then assumes a recent cluster, as the webhook does.
      logger.log('warn', 'cannot read the Kubernetes version; assuming a recent one', {
        error: messageOf(error),
      });
    }
  }

  let gate: WriteGate = ALWAYS_LEADER;
  let election: LeaderElection | undefined;
  if (options.leaderElection !== undefined) {
    const settable = new SettableWriteGate(false);
    gate = settable;
    election = startLeaderElection({
      kubeConfig,
      ...options.leaderElection,
      gate: settable,
      logger,
    });
  }
  own.leader.set(gate.isLeader() ? 1 : 0);
  const unsubscribe = gate.onChange((leading) => {
    own.leader.set(leading ? 1 : 0);
  });

  const shared = {
    kubeConfig,
    namespaces: options.namespaces,
    cronJobs,
    policies: () => policySet,
    namespaceLabels: (namespace: string) => namespaceCache.labelsFor(namespace),
    gate,
    logger,
    registry: metrics.registry,
  };
  const mesh = meshEnabled
    ? startMeshReconciler({
        ...shared,
        ...(options.traffic === undefined ? {} : { traffic: options.traffic }),
      })
    : undefined;
  const audit = auditEnabled
    ? startPolicyAuditor({
        ...shared,
        kubernetesVersion: () => kubernetesVersion,
        ...(options.auditIntervalMs === undefined ? {} : { intervalMs: options.auditIntervalMs }),
      })
    : undefined;

  let policyWatch: ChangeWatch | undefined;
  if (policies?.reload !== undefined) {
    policyWatch = await watchPolicies(
      policies.reload,
      {
        accept(next) {
          policySet = next;
          own.policiesLoaded.set(next.policies.length);
          mesh?.policiesChanged();
          audit?.policiesChanged();
        },
        refuse() {
          own.policyReloadErrors.inc();
        },
      },
      logger,
    );
  }

  return {
    gate,
    mesh,
    audit,
    namespacesSynced: () => namespaceCache.whenSynced(),
    cronJobChanged(namespace) {
      mesh?.cronJobChanged(namespace);
      audit?.cronJobChanged(namespace);
    },
    async stop() {
      await policyWatch?.close();
      await Promise.all([mesh?.stop(), audit?.stop()]);
      await election?.stop();
      unsubscribe();
      if (ownsNamespaceCache) await namespaceCache.stop();
    },
  };
}

/** CronJobs in the CronJob informers' caches: of one namespace, or of all watched ones. */
function cronJobsOf(
  cronJobInformers: readonly ResilientInformer<KubernetesObject>[],
  namespace: string | undefined,
): KubeObject[] {
  return cronJobInformers.flatMap((informer) => informer.cache.list(namespace) as KubeObject[]);
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
      list: (namespace, page) =>
        namespace === undefined
          ? batch.listCronJobForAllNamespaces(page)
          : batch.listNamespacedCronJob({ namespace, ...page }),
      transform: withoutManagedFields,
    },
    {
      kind: 'Job',
      path: scoped('/apis/batch/v1', 'jobs'),
      list: (namespace, page) =>
        namespace === undefined
          ? batch.listJobForAllNamespaces(page)
          : batch.listNamespacedJob({ namespace, ...page }),
      // A Job's pod template can be large and the tracker reads metadata and status only.
      // (Dropped before the copy, which is the expensive part of a large list.)
      transform: (job) => withoutManagedFields({ ...job, spec: {} }),
    },
    {
      kind: 'Pod',
      path: scoped('/api/v1', 'pods'),
      list: (namespace, page) =>
        namespace === undefined
          ? core.listPodForAllNamespaces({ labelSelector: JOB_POD_SELECTOR, ...page })
          : core.listNamespacedPod({ namespace, labelSelector: JOB_POD_SELECTOR, ...page }),
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
  const spec = isRecord(pod.spec) ? pod.spec : {};
  const status = isRecord(pod.status) ? pod.status : {};
  const containers = Array.isArray(spec.containers) ? (spec.containers as unknown[]) : [];
  return withoutManagedFields({
    ...pod,
    spec: { containers: containers.map((c) => ({ name: isRecord(c) ? c.name : undefined })) },
    status: { phase: status.phase, containerStatuses: status.containerStatuses },
  });
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
  writers: Pick<Writers, 'cronJobChanged'>,
): ResilientInformer<KubernetesObject> {
  const scope = namespace ?? 'all namespaces';
  const informer = createResilientInformer<KubernetesObject>({
    kubeConfig,
    path: resource.path(namespace),
    list: (page) => resource.list(namespace, page),
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
    if (resource.kind === 'CronJob') {
      tracker.upsertCronJob(kube, now());
      writers.cronJobChanged(kube.metadata?.namespace ?? '');
    } else if (resource.kind === 'Job') tracker.upsertJob(kube);
    else tracker.upsertPod(kube);
  };
  informer.on('add', upsert);
  informer.on('update', upsert);
  informer.on('delete', (object) => {
    const name = object.metadata?.name ?? '';
    const objectNamespace = object.metadata?.namespace ?? '';
    const uid = object.metadata?.uid ?? '';
    if (resource.kind === 'CronJob') {
      tracker.deleteCronJob(objectNamespace, name);
      writers.cronJobChanged(objectNamespace);
    } else if (resource.kind === 'Job') {
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
