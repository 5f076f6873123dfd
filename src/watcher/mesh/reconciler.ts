/**
 * Keeps the Istio VirtualServices and DestinationRules that CronJobs' policies and
 * annotations ask for in the cluster (issue 5; docs/mesh-traffic.md, "Reconciliation
 * in the cluster"). The pure parts decide: selectDestinations and generateTraffic
 * what is wanted, planNamespace what to write. This file only watches, writes,
 * reports and retries.
 */
import {
  CoreV1Api,
  CoreV1Event,
  CustomObjectsApi,
  PatchStrategy,
  setHeaderOptions,
  V1DeleteOptions,
  V1EventSource,
  V1ObjectMeta,
  V1ObjectReference,
  V1Preconditions,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
} from '@kubernetes/client-node';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { KubeObject } from '../../k8s/types.js';
import {
  createResilientInformer,
  describeKubeError,
  type ResilientInformer,
} from '../../kube/informer.js';
import {
  generateTraffic,
  normalizeHost,
  selectDestinations,
  SERVED_CRONJOBS_ANNOTATION,
  type TrafficCronJob,
  type TrafficOptions,
} from '../../mesh/traffic/index.js';
import type { PolicySet } from '../../policy/types.js';
import type { Logger } from '../../server/log.js';
import type { WriteGate } from '../leadership.js';
import { WorkQueue, type WorkQueueOptions } from '../queue.js';
import { isManaged, planNamespace, type MeshAction, type MeshKind } from './plan.js';

export interface MeshReconcilerOptions {
  kubeConfig: KubeConfig;
  /** Namespaces to reconcile; empty means all. */
  namespaces: readonly string[];
  /** The lead's CronJob cache (objects with uid, without managedFields). */
  cronJobs(namespace?: string): readonly KubeObject[];
  policies(): PolicySet;
  namespaceLabels(namespace: string): Readonly<Record<string, string>> | undefined;
  gate: WriteGate;
  logger: Logger;
  registry: Registry;
  traffic?: TrafficOptions;
  /** How often every namespace is reconciled even without events. Default 10 minutes. */
  resyncIntervalMs?: number;
  /** Queue tuning (tests pass short retry delays); `process` is always the reconciler's. */
  queue?: Partial<WorkQueueOptions>;
}

export interface MeshReconciler {
  /** Called once the CronJob cache has synced; nothing is planned before. */
  start(): void;
  cronJobChanged(namespace: string): void;
  policiesChanged(): void;
  /** True once the VirtualService and DestinationRule informers have synced. */
  synced(): boolean;
  /** Resolves when the first full reconcile is done and the queue is idle. */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

export const FIELD_MANAGER = 'cronguard';
export const CONFLICT_EVENT_REASON = 'MeshObjectConflict';
export const EVENT_SOURCE_COMPONENT = 'cronguard-watcher';
/** The same conflict is not reported again on the same CronJob within this time. */
export const CONFLICT_EVENT_INTERVAL_MS = 10 * 60 * 1000;
const DEFAULT_RESYNC_INTERVAL_MS = 10 * 60 * 1000;
const GROUP = 'networking.istio.io';
const PLURALS: Readonly<Record<MeshKind, string>> = {
  VirtualService: 'virtualservices',
  DestinationRule: 'destinationrules',
};

export function startMeshReconciler(options: MeshReconcilerOptions): MeshReconciler {
  const { logger, gate, kubeConfig } = options;
  const traffic = options.traffic ?? {};
  const apiVersion = traffic.apiVersion ?? 'networking.istio.io/v1';
  const version = apiVersion.slice(GROUP.length + 1);
  const customObjects = kubeConfig.makeApiClient(CustomObjectsApi);
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const metrics = createMetrics(options.registry, () => queue.length);

  let started = false;
  let stopped = false;
  /** Kinds whose collection answered 404: Istio's CRDs are not installed (yet). */
  const missingKinds = new Set<MeshKind>();
  /** Per namespace, the names and hosts we last wanted: foreign objects using them matter. */
  const interest = new Map<string, { names: Set<string>; hosts: Set<string> }>();
  /** Per namespace, the generator problems last logged, so each change is logged once. */
  const loggedProblems = new Map<string, string>();
  /** `cronJobUid \0 kind/name \0 reason` -> when its Event was posted. */
  const postedEvents = new Map<string, number>();
  /** What we wrote, until the informers show it (see observedObjects). */
  const ownWrites = new OwnWrites();

  // The work key is the NAMESPACE, not the CronJob. Objects are aggregated per
  // (namespace, host): one VirtualService carries the routes of every CronJob that
  // calls the host, so a change to one CronJob rewrites an object its neighbours
  // share. Keyed per CronJob, two reconciles could write the same VirtualService at
  // once, each from its own view. The queue runs one key at a time, so keying by
  // namespace gives "one reconcile at a time per CronJob" and one writer per shared
  // object; a burst of CronJob events in a namespace also collapses into one pass.
  const queue: WorkQueue = new WorkQueue({
    ...options.queue,
    process: reconcileNamespace,
    onRetry(key, error, failures, delayMs) {
      logger.log('warn', 'mesh reconcile failed; retrying', {
        namespace: key,
        error: describeKubeError(error).message,
        failures,
        retryInMs: delayMs,
      });
      options.queue?.onRetry?.(key, error, failures, delayMs);
    },
  });

  const scopes = options.namespaces.length === 0 ? [undefined] : [...options.namespaces];
  const informers = new Map<MeshKind, ResilientInformer<KubernetesObject>[]>();
  for (const kind of ['VirtualService', 'DestinationRule'] as const) {
    informers.set(
      kind,
      scopes.map((namespace) => startInformer(kind, namespace)),
    );
  }

  // Reconciling before the caches are complete would delete objects whose CronJobs
  // (or whose live twins) are simply not loaded yet.
  const kindReady = (kind: MeshKind): boolean =>
    missingKinds.has(kind) || (informers.get(kind) ?? []).every((informer) => informer.synced());
  const ready = (): boolean =>
    started && kindReady('VirtualService') && kindReady('DestinationRule');

  let resolveFirstPass: () => void = () => undefined;
  const firstPass = new Promise<void>((resolve) => {
    resolveFirstPass = resolve;
  });
  let firstPassQueued = false;
  const maybeBegin = (): void => {
    if (firstPassQueued || stopped || !ready()) return;
    firstPassQueued = true;
    enqueueAll();
    void queue.idle().then(resolveFirstPass);
  };

  const unsubscribe = gate.onChange((leading) => {
    // A new leader cannot know what the previous one left half done.
    if (leading) enqueueAll();
    // Conflicts are counted by the replica that plans; a follower reports none.
    else metrics.conflicts.reset();
  });
  const resync = setInterval(enqueueAll, options.resyncIntervalMs ?? DEFAULT_RESYNC_INTERVAL_MS);
  resync.unref();

  function enqueue(namespace: string): void {
    if (stopped || !ready()) return;
    if (options.namespaces.length > 0 && !options.namespaces.includes(namespace)) return;
    queue.add(namespace);
  }

  /** Every namespace with CronJobs or with objects we manage (whose CronJobs may be gone). */
  function enqueueAll(): void {
    if (stopped || !ready()) return;
    const namespaces = new Set<string>(options.namespaces);
    for (const cronJob of options.cronJobs()) addNamespace(namespaces, cronJob);
    for (const object of observedObjects(undefined))
      if (isManaged(object)) addNamespace(namespaces, object);
    for (const namespace of [...namespaces].sort()) enqueue(namespace);
  }

  function startInformer(
    kind: MeshKind,
    namespace: string | undefined,
  ): ResilientInformer<KubernetesObject> {
    const plural = PLURALS[kind];
    const path =
      namespace === undefined
        ? `/apis/${GROUP}/${version}/${plural}`
        : `/apis/${GROUP}/${version}/namespaces/${encodeURIComponent(namespace)}/${plural}`;
    const informer = createResilientInformer<KubernetesObject>({
      kubeConfig,
      path,
      // The generated client types custom-object lists as `any`.
      list: (): Promise<KubernetesListObject<KubernetesObject>> =>
        namespace === undefined
          ? customObjects.listClusterCustomObject({ group: GROUP, version, plural })
          : customObjects.listNamespacedCustomObject({ group: GROUP, version, namespace, plural }),
      transform: (object) => essentials(kind, object as KubeObject),
      onStatus(event) {
        const scope = namespace ?? 'all namespaces';
        if (event.type === 'synced') {
          if (missingKinds.delete(kind)) {
            logger.log('info', `${kind}s are served now; reconciling`, { scope });
            metrics.apiMissing.set({ kind }, 0);
          }
          maybeBegin();
          enqueueAll();
        } else if (event.type === 'error') {
          if (event.status === 404 && !informer.synced()) {
            if (!missingKinds.has(kind)) {
              // Istio is not installed (or not this API version): not an error of ours.
              logger.log(
                'warn',
                `${apiVersion} ${kind}s are not served; Istio traffic objects are not reconciled until they are`,
                {
                  scope,
                  retryInMs: event.retryInMs,
                },
              );
              missingKinds.add(kind);
              metrics.apiMissing.set({ kind }, 1);
              maybeBegin();
            }
            return;
          }
          logger.log('warn', `${kind} watch failed; retrying`, {
            scope,
            error: event.message,
            status: event.status,
            retryInMs: event.retryInMs,
          });
        }
      },
    });
    const changed = (object: KubernetesObject): void => {
      const kube = object as KubeObject;
      const objectNamespace = kube.metadata?.namespace;
      if (objectNamespace !== undefined && concernsUs(kube, objectNamespace))
        enqueue(objectNamespace);
    };
    informer.on('add', changed);
    informer.on('update', changed);
    informer.on('delete', changed);
    informer.start();
    return informer;
  }

  /** Ours (drift), or foreign with a name or host we want (conflict appears or goes). */
  function concernsUs(object: KubeObject, namespace: string): boolean {
    if (isManaged(object)) return true;
    const wanted = interest.get(namespace);
    if (wanted === undefined) return false;
    if (wanted.names.has(`${String(object.kind)}/${object.metadata?.name ?? ''}`)) return true;
    const spec = isRecord(object.spec) ? object.spec : {};
    const hosts: unknown[] = Array.isArray(spec.hosts) ? spec.hosts : [spec.host];
    return hosts.some((host) => {
      if (typeof host !== 'string') return false;
      const normalized = normalizeHost(host, namespace, traffic.clusterDomain);
      return normalized.ok && wanted.hosts.has(normalized.host);
    });
  }

  /**
   * The live objects as the informers show them, corrected by our own writes the
   * watch has not delivered yet: our apply triggers events that re-plan the
   * namespace, and planning from a cache that lacks the object just written would
   * apply it again (client-go's MutationCache solves the same problem).
   */
  function observedObjects(namespace: string | undefined): KubeObject[] {
    const cached = [...informers.values()].flatMap((list) =>
      list.flatMap((informer) => informer.cache.list(namespace) as KubeObject[]),
    );
    return ownWrites.overlay(cached, namespace, Date.now());
  }

  function desiredObjects(namespace: string): KubeObject[] {
    const policySet = options.policies();
    const namespaceLabels = options.namespaceLabels(namespace);
    const problems: string[] = [];
    const entries: TrafficCronJob[] = [];
    for (const cronJob of options.cronJobs(namespace)) {
      if (cronJob.metadata?.namespace !== namespace) continue;
      const selected = selectDestinations(policySet, cronJob, {
        namespace,
        namespaceLabels,
        ...traffic,
      });
      const name = cronJob.metadata.name ?? '';
      for (const message of selected.problems) problems.push(`CronJob ${name}: ${message}`);
      if (selected.destinations.length > 0)
        entries.push({ object: cronJob, destinations: selected.destinations });
    }
    const result = generateTraffic(entries, traffic);
    for (const problem of result.problems)
      problems.push(`CronJob ${problem.cronJob}: ${problem.message}`);
    logProblemsOnce(namespace, problems);
    return result.objects;
  }

  function logProblemsOnce(namespace: string, problems: readonly string[]): void {
    const fingerprint = problems.join('\n');
    if ((loggedProblems.get(namespace) ?? '') === fingerprint) return;
    loggedProblems.set(namespace, fingerprint);
    for (const problem of problems)
      logger.log('warn', 'mesh traffic problem; the generated objects use a safe value instead', {
        namespace,
        problem,
      });
  }

  async function reconcileNamespace(namespace: string): Promise<void> {
    if (stopped || !ready() || !gate.isLeader()) return;
    const stopTimer = metrics.duration.startTimer();
    try {
      const desired = desiredObjects(namespace);
      interest.set(namespace, {
        names: new Set(
          desired.map((object) => `${String(object.kind)}/${object.metadata?.name ?? ''}`),
        ),
        hosts: new Set(desired.flatMap(hostOf)),
      });
      const observed = observedObjects(namespace);
      const actions = planNamespace({
        namespace,
        desired: desired.filter((object) => !missingKinds.has(object.kind as MeshKind)),
        observed,
        ...(traffic.clusterDomain === undefined ? {} : { clusterDomain: traffic.clusterDomain }),
      });
      const conflicts = new Map<MeshKind, number>([
        ['VirtualService', 0],
        ['DestinationRule', 0],
      ]);
      for (const action of actions) {
        // Leadership can move mid-reconcile; the new leader redoes the namespace.
        if (stopped || !gate.isLeader()) return;
        const conflicted = await perform(namespace, action);
        if (conflicted !== undefined)
          conflicts.set(conflicted, (conflicts.get(conflicted) ?? 0) + 1);
      }
      for (const [kind, count] of conflicts) {
        if (count > 0) metrics.conflicts.set({ namespace, kind }, count);
        else metrics.conflicts.remove({ namespace, kind });
      }
    } finally {
      stopTimer();
    }
  }

  /** Performs one action; returns the kind when it ended as a conflict. */
  async function perform(namespace: string, action: MeshAction): Promise<MeshKind | undefined> {
    switch (action.type) {
      case 'conflict':
        await reportConflict(namespace, action);
        return action.object.kind as MeshKind;
      case 'apply':
        return apply(namespace, action);
      case 'delete':
        await remove(action);
        return undefined;
    }
  }

  async function apply(
    namespace: string,
    action: Extract<MeshAction, { type: 'apply' }>,
  ): Promise<MeshKind | undefined> {
    const kind = action.object.kind as MeshKind;
    const name = action.object.metadata?.name ?? '';
    try {
      const written = (await customObjects.patchNamespacedCustomObject(
        {
          group: GROUP,
          version,
          namespace,
          plural: PLURALS[kind],
          name,
          body: action.object,
          fieldManager: FIELD_MANAGER,
          force: action.force,
        },
        setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply),
      )) as unknown;
      if (isRecord(written)) ownWrites.applied(essentials(kind, written), Date.now());
      metrics.writes.inc({ kind, operation: 'apply', result: 'success' });
      logger.log('info', `${kind} applied`, { namespace, name, reason: action.why });
      return undefined;
    } catch (error) {
      const { status, message } = describeKubeError(error);
      if (status === 409) {
        // Someone else's object appeared under our name since the informer saw it.
        metrics.writes.inc({ kind, operation: 'apply', result: 'conflict' });
        await reportConflict(namespace, {
          type: 'conflict',
          object: action.object,
          foreign: { kind, namespace, name },
          reason: 'name-taken',
          message: `${kind} ${namespace}/${name} is owned by another field manager (${message}), so cronguard leaves it alone; delete or rename it to let cronguard manage the traffic settings`,
        });
        return kind;
      }
      if (status === 404) {
        // Namespace being deleted, or the CRD went away; the informers will tell.
        metrics.writes.inc({ kind, operation: 'apply', result: 'not_found' });
        logger.log('warn', `cannot apply ${kind}: not found`, { namespace, name, error: message });
        return undefined;
      }
      metrics.writes.inc({ kind, operation: 'apply', result: 'error' });
      throw new Error(`apply ${kind} ${namespace}/${name}: ${message}`, { cause: error });
    }
  }

  async function remove(action: Extract<MeshAction, { type: 'delete' }>): Promise<void> {
    const { kind, namespace, name, uid } = action;
    try {
      await customObjects.deleteNamespacedCustomObject({
        group: GROUP,
        version,
        namespace,
        plural: PLURALS[kind],
        name,
        ...(uid === undefined ? {} : { body: uidPrecondition(uid) }),
      });
      ownWrites.deleted(kind, namespace, name, Date.now());
      metrics.writes.inc({ kind, operation: 'delete', result: 'success' });
      logger.log('info', `${kind} deleted: no CronJob needs it any more`, { namespace, name });
    } catch (error) {
      const { status, message } = describeKubeError(error);
      // Gone already, or replaced by another incarnation (uid precondition): the
      // informer's next event re-plans the namespace from what is there now.
      if (status === 404 || status === 409) {
        metrics.writes.inc({
          kind,
          operation: 'delete',
          result: status === 404 ? 'not_found' : 'conflict',
        });
        return;
      }
      metrics.writes.inc({ kind, operation: 'delete', result: 'error' });
      throw new Error(`delete ${kind} ${namespace}/${name}: ${message}`, {
        cause: error,
      });
    }
  }

  async function reportConflict(
    namespace: string,
    action: Extract<MeshAction, { type: 'conflict' }>,
  ): Promise<void> {
    const served = (action.object.metadata?.annotations?.[SERVED_CRONJOBS_ANNOTATION] ?? '')
      .split(',')
      .filter((name) => name !== '');
    const now = Date.now();
    for (const [key, at] of postedEvents)
      if (now - at >= CONFLICT_EVENT_INTERVAL_MS) postedEvents.delete(key);
    for (const cronJob of options.cronJobs(namespace)) {
      const name = cronJob.metadata?.name ?? '';
      const uid = cronJob.metadata?.uid;
      if (cronJob.metadata?.namespace !== namespace || !served.includes(name) || uid === undefined)
        continue;
      const key = [uid, `${action.foreign.kind}/${action.foreign.name}`, action.reason].join('\0');
      if (postedEvents.has(key)) continue;
      if (!gate.isLeader()) return;
      try {
        await postConflictEvent(namespace, name, uid, action.message);
        postedEvents.set(key, now);
      } catch (error) {
        // The conflict is still counted and logged; the Event is tried again next time.
        logger.log('warn', 'cannot post the conflict Event', {
          namespace,
          cronJob: name,
          error: describeKubeError(error).message,
        });
      }
    }
    // Logged as rarely as the Events are posted: every resync meets the conflict again.
    const logKey = [
      'log',
      namespace,
      `${action.foreign.kind}/${action.foreign.name}`,
      action.reason,
    ].join('\0');
    if (postedEvents.has(logKey)) return;
    postedEvents.set(logKey, now);
    logger.log('warn', 'mesh object conflict; cronguard leaves the foreign object alone', {
      namespace,
      kind: action.foreign.kind,
      name: action.foreign.name,
      reason: action.reason,
      message: action.message,
    });
  }

  async function postConflictEvent(
    namespace: string,
    cronJob: string,
    uid: string,
    message: string,
  ): Promise<void> {
    const now = new Date();
    const event = new CoreV1Event();
    event.metadata = new V1ObjectMeta();
    event.metadata.generateName = `${cronJob}.`;
    event.metadata.namespace = namespace;
    event.involvedObject = new V1ObjectReference();
    Object.assign(event.involvedObject, {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      name: cronJob,
      namespace,
      uid,
    });
    event.reason = CONFLICT_EVENT_REASON;
    event.type = 'Warning';
    event.message = message;
    event.source = new V1EventSource();
    event.source.component = EVENT_SOURCE_COMPONENT;
    event.firstTimestamp = now;
    event.lastTimestamp = now;
    event.count = 1;
    await core.createNamespacedEvent({ namespace, fieldManager: FIELD_MANAGER, body: event });
  }

  return {
    start() {
      started = true;
      maybeBegin();
    },
    cronJobChanged: enqueue,
    policiesChanged: enqueueAll,
    synced: () => kindReady('VirtualService') && kindReady('DestinationRule'),
    async idle() {
      await firstPass;
      await queue.idle();
    },
    async stop() {
      stopped = true;
      clearInterval(resync);
      unsubscribe();
      await queue.shutDown();
      await Promise.all(
        [...informers.values()].flatMap((list) => list.map((informer) => informer.stop())),
      );
      resolveFirstPass();
    },
  };
}

/** How long an own write may stand in for the informer's view before the cache wins anyway. */
const OWN_WRITE_TTL_MS = 30_000;

/**
 * Our recent writes, laid over the informer caches until the watch catches up: an
 * applied object until the cache holds the same or a newer resourceVersion, a
 * deletion until the cache no longer has the object. Entries expire after
 * OWN_WRITE_TTL_MS, so a lost watch event cannot hide the truth for long.
 */
class OwnWrites {
  private readonly entries = new Map<
    string,
    { kind: string; namespace: string; name: string; object: KubeObject | undefined; at: number }
  >();

  applied(object: KubeObject, now: number): void {
    const kind = String(object.kind);
    const namespace = object.metadata?.namespace ?? '';
    const name = object.metadata?.name ?? '';
    this.entries.set(keyOf(kind, namespace, name), { kind, namespace, name, object, at: now });
  }

  deleted(kind: string, namespace: string, name: string, now: number): void {
    this.entries.set(keyOf(kind, namespace, name), {
      kind,
      namespace,
      name,
      object: undefined,
      at: now,
    });
  }

  overlay(cached: readonly KubeObject[], namespace: string | undefined, now: number): KubeObject[] {
    if (this.entries.size === 0) return [...cached];
    const byKey = new Map<string, KubeObject>();
    for (const object of cached)
      byKey.set(
        keyOf(String(object.kind), object.metadata?.namespace ?? '', object.metadata?.name ?? ''),
        object,
      );
    for (const [key, entry] of this.entries) {
      const live = byKey.get(key);
      const caughtUp =
        entry.object === undefined
          ? live === undefined
          : live !== undefined && !isOlder(live, entry.object);
      if (caughtUp || now - entry.at > OWN_WRITE_TTL_MS) {
        this.entries.delete(key);
        continue;
      }
      if (namespace !== undefined && entry.namespace !== namespace) continue;
      if (entry.object === undefined) byKey.delete(key);
      else byKey.set(key, entry.object);
    }
    return [...byKey.values()];
  }
}

function keyOf(kind: string, namespace: string, name: string): string {
  return `${kind}\u0000${namespace}\u0000${name}`;
}

/**
 * Whether `live` is an older version than `written`. resourceVersions are opaque by
 * contract but integers in every etcd-backed API server (client-go's
 * IntegerResourceVersionMutationCache relies on it); anything else counts as not
 * older, so the cache wins.
 */
function isOlder(live: KubeObject, written: KubeObject): boolean {
  const liveVersion = live.metadata?.resourceVersion;
  const writtenVersion = written.metadata?.resourceVersion;
  if (typeof liveVersion !== 'string' || typeof writtenVersion !== 'string') return false;
  if (!/^\d+$/.test(liveVersion) || !/^\d+$/.test(writtenVersion)) return false;
  return BigInt(liveVersion) < BigInt(writtenVersion);
}

/** The metadata we compare and the spec; managedFields and status are dropped. */
function essentials(kind: MeshKind, object: KubeObject): KubeObject {
  const copy = JSON.parse(JSON.stringify(object)) as KubeObject;
  const metadata = { ...copy.metadata };
  delete metadata.managedFields;
  // List items of custom resources carry kind; watch events too. Stamp it anyway so
  // the planner never depends on how the object arrived.
  return { apiVersion: copy.apiVersion, kind, metadata, spec: copy.spec };
}

function uidPrecondition(uid: string): V1DeleteOptions {
  const options = new V1DeleteOptions();
  options.preconditions = new V1Preconditions();
  options.preconditions.uid = uid;
  return options;
}

function hostOf(object: KubeObject): string[] {
  const spec = isRecord(object.spec) ? object.spec : {};
  const hosts: unknown[] = Array.isArray(spec.hosts) ? spec.hosts : [spec.host];
  return hosts.filter((host): host is string => typeof host === 'string');
}

function addNamespace(namespaces: Set<string>, object: KubeObject): void {
  const namespace = object.metadata?.namespace;
  if (typeof namespace === 'string' && namespace !== '') namespaces.add(namespace);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

interface MeshMetrics {
  conflicts: Gauge<'namespace' | 'kind'>;
  writes: Counter<'kind' | 'operation' | 'result'>;
  duration: Histogram;
  apiMissing: Gauge<'kind'>;
}

function createMetrics(registry: Registry, queueDepth: () => number): MeshMetrics {
  const registers = [registry];
  new Gauge({
    name: 'cronguard_mesh_queue_depth',
    help: 'Namespaces waiting for a mesh reconcile.',
    registers,
    collect() {
      this.set(queueDepth());
    },
  });
  return {
    conflicts: new Gauge({
      name: 'cronguard_mesh_conflicts',
      help: 'Generated VirtualServices/DestinationRules not written because a foreign object conflicts, by namespace and kind.',
      labelNames: ['namespace', 'kind'],
      registers,
    }),
    writes: new Counter({
      name: 'cronguard_mesh_writes_total',
      help: 'Writes of VirtualServices/DestinationRules by kind, operation (apply, delete) and result (success, conflict, not_found, error).',
      labelNames: ['kind', 'operation', 'result'],
      registers,
    }),
    duration: new Histogram({
      name: 'cronguard_mesh_reconcile_duration_seconds',
      help: 'Time to reconcile the mesh traffic objects of one namespace.',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    apiMissing: new Gauge({
      name: 'cronguard_mesh_api_missing',
      help: '1 while the API server does not serve the kind (Istio CRDs not installed); nothing of that kind is reconciled then.',
      labelNames: ['kind'],
      registers,
    }),
  };
}
