/**
 * Istio VirtualServices and DestinationRules for the services CronJobs call.
 * Pure: objects in, objects out; docs/mesh-traffic.md explains every choice.
 *
 * Shape of the output, and why:
 * - One VirtualService per (namespace, host). Istio merges several
 *   VirtualServices for one host only on gateways; for sidecars one of them wins
 *   and the others are ignored (istio.io "Traffic Management Best Practices",
 *   "Split large virtual services"). So every CronJob calling the host gets one
 *   route in the same object, matched on its pods' label, followed by a
 *   catch-all route without timeout or retries so the namespace's other clients
 *   keep Istio's defaults.
 * - One DestinationRule per (CronJob, host), with a workloadSelector on the
 *   CronJob's pod label: connection-pool and outlier settings are per client,
 *   and istiod keeps DestinationRules whose selectors differ apart instead of
 *   merging them (the first top-level trafficPolicy would otherwise win).
 * - exportTo ["."] on both, so nothing leaks to other namespaces.
 */
import { asText, type KubeObject } from '../../k8s/types.js';
import {
  CRONJOB_POD_LABEL,
  DESTINATIONS_ANNOTATION,
  MANAGED_BY_LABEL,
  MANAGED_BY_VALUE,
  type TrafficDestination,
} from '../types.js';
import { formatMilliseconds, parseTrafficDuration } from './duration.js';
import {
  DEFAULT_CLUSTER_DOMAIN,
  hostLabelValue,
  normalizeHost,
  objectName,
  shortHost,
} from './names.js';
import { isValidRetryOnToken } from './validate.js';

export type IstioNetworkingApiVersion = 'networking.istio.io/v1' | 'networking.istio.io/v1beta1';

export interface TrafficOptions {
  /** `networking.istio.io/v1` (Istio 1.22+, the default) or `v1beta1` for older clusters. */
  apiVersion?: IstioNetworkingApiVersion;
  /** Namespace of CronJobs that name none. Default `default`. */
  defaultNamespace?: string;
  /** Cluster DNS domain for short host names. Default `cluster.local`. */
  clusterDomain?: string;
}

export interface TrafficCronJob {
  object: KubeObject;
  /** Already merged from policy and annotation (see resolveDestinations). */
  destinations: readonly TrafficDestination[];
}

export interface TrafficProblem {
  cronJob: string;
  namespace: string;
  message: string;
}

export interface TrafficResult {
  objects: KubeObject[];
  problems: TrafficProblem[];
}

/** Retried only on failures before the request reached the application, so safe for writes. */
export const SAFE_RETRY_ON: readonly string[] = [
  'connect-failure',
  'refused-stream',
  'reset-before-request',
  'unavailable',
  'cancelled',
];
/** Added to the default set when the calls are idempotent. */
export const IDEMPOTENT_RETRY_ON: readonly string[] = ['5xx', 'gateway-error'];
/**
 * Tokens allowed without `idempotent: true`. Every other token (5xx,
 * gateway-error, reset, retriable-4xx, HTTP codes, ...) can fire after the
 * application has acted on the request, and a retried non-idempotent batch
 * write runs twice (istio/istio#50506 removed 503 from Istio's default for this).
 */
const PRE_REQUEST_RETRY_ON: ReadonlySet<string> = new Set([...SAFE_RETRY_ON, 'envoy-ratelimited']);

export const DEFAULT_TIMEOUT_MS = 30_000;
export const DEFAULT_ATTEMPTS = 2;
export const DEFAULT_PER_TRY_TIMEOUT_MS = 10_000;
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
/** Istio's (Envoy's) own outlier-detection defaults, written out so they are visible and reviewable. */
export const DEFAULT_OUTLIER_DETECTION = {
  consecutive5xxErrors: 5,
  intervalMs: 10_000,
  baseEjectionTimeMs: 30_000,
  maxEjectionPercent: 10,
} as const;

/** Annotation on generated objects: the CronJobs they serve, comma-separated and sorted. */
export const SERVED_CRONJOBS_ANNOTATION = 'cronguard.dev/cronjobs';
/** Label on generated objects naming the destination host (cut with a hash suffix past 63 characters). */
export const HOST_LABEL = 'cronguard.dev/host';

const INT32_MAX = 2_147_483_647;
const UINT32_MAX = 4_294_967_295;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

type Report = (message: string) => void;

// ---------------------------------------------------------------------------
// Destinations from policy and annotation

export interface ResolvedDestinations {
  destinations: TrafficDestination[];
  problems: string[];
}

/**
 * The destinations one CronJob calls: every entry of the policy's list, plus
 * each host of the `cronguard.dev/destinations` annotation that the list does
 * not already name (compared after normalisation, so `ledger` and
 * `ledger.<ns>.svc.cluster.local` are one host). An annotation host gets the
 * policy's settings when the policy names it, else the safe defaults.
 * Hosts keep their spelling; `generateTraffic` normalises them.
 */
export function resolveDestinations(
  cronJob: KubeObject,
  policyDestinations: readonly TrafficDestination[],
  options: Pick<TrafficOptions, 'defaultNamespace' | 'clusterDomain'> = {},
): ResolvedDestinations {
  const namespace = namespaceOf(cronJob, options.defaultNamespace);
  const problems: string[] = [];
  const byHost = new Map<string, TrafficDestination>();
  for (const destination of policyDestinations) {
    const host = normalizeHost(destination.host, namespace, options.clusterDomain);
    if (!host.ok) problems.push(`policy destination: ${host.error}`);
    else if (byHost.has(host.host))
      problems.push(`policy destination ${host.host} is listed twice; the first entry is used`);
    else byHost.set(host.host, destination);
  }
  const annotation = cronJob.metadata?.annotations?.[DESTINATIONS_ANNOTATION] as unknown;
  if (annotation !== undefined) {
    if (typeof annotation !== 'string') {
      problems.push(
        `annotation ${DESTINATIONS_ANNOTATION} must be a comma-separated string of hosts`,
      );
    } else {
      for (const entry of annotation.split(',')) {
        if (entry.trim() === '') continue;
        const host = normalizeHost(entry, namespace, options.clusterDomain);
        if (!host.ok) problems.push(`annotation ${DESTINATIONS_ANNOTATION}: ${host.error}`);
        else if (!byHost.has(host.host))
          byHost.set(host.host, { host: entry.trim(), idempotent: false });
      }
    }
  }
  const destinations = [...byHost.entries()]
    .sort(([a], [b]) => compare(a, b))
    .map(([, destination]) => destination);
  return { destinations, problems };
}

// ---------------------------------------------------------------------------
// Route settings (VirtualService)

export interface RouteSettings {
  timeoutMs: number;
  retries: { attempts: 0 } | { attempts: number; perTryTimeoutMs: number; retryOn: string[] };
}

function duration(text: string | undefined, field: string, report: Report): number | undefined {
  if (text === undefined) return undefined;
  const parsed = parseTrafficDuration(text);
  if (parsed.ok) return parsed.milliseconds;
  report(`${field}: ${parsed.error}; the default is used`);
  return undefined;
}

function defaultRetryOn(idempotent: boolean): string[] {
  return idempotent ? [...SAFE_RETRY_ON, ...IDEMPOTENT_RETRY_ON] : [...SAFE_RETRY_ON];
}

function retryOnFor(destination: TrafficDestination, report: Report): string[] {
  const requested = destination.retries?.retryOn;
  const fallback = defaultRetryOn(destination.idempotent);
  if (requested === undefined) return fallback;
  if (requested.length === 0) {
    report(
      'retries.retryOn is empty; to turn retries off set attempts: 0. The default set is used',
    );
    return fallback;
  }
  const invalid = requested.filter((token) => !isValidRetryOnToken(token));
  if (invalid.length > 0) {
    report(
      `retries.retryOn: ${invalid.map((token) => JSON.stringify(token)).join(', ')} ${invalid.length === 1 ? 'is not a retry-on token' : 'are not retry-on tokens'} Istio accepts; the default set is used`,
    );
    return fallback;
  }
  const unsafe = requested.filter((token) => !PRE_REQUEST_RETRY_ON.has(token));
  if (unsafe.length > 0 && !destination.idempotent) {
    report(
      `retries.retryOn: ${unsafe.join(', ')} can retry a request the service already acted on; allowed only with idempotent: true. The safe set (${SAFE_RETRY_ON.join(',')}) is used`,
    );
    return [...SAFE_RETRY_ON];
  }
  return [...new Set(requested)];
}

/**
 * Timeout and retries of one CronJob's route to one destination. Rules: a route
 * timeout always (Istio's default is none, and perTryTimeout without it
 * misbehaves: istio/istio#13167, #55748); attempts x perTryTimeout <= timeout,
 * lowering perTryTimeout when a default made it overflow and reporting a problem
 * when the author's own numbers contradict each other.
 */
export function routeSettings(destination: TrafficDestination, report: Report): RouteSettings {
  const requestedTimeout = duration(destination.timeout, 'timeout', report);
  const timeoutMs = requestedTimeout ?? DEFAULT_TIMEOUT_MS;
  const retries = destination.retries;
  let attempts = DEFAULT_ATTEMPTS;
  if (retries !== undefined) {
    const requested = retries.attempts;
    if (!Number.isInteger(requested) || requested < 0 || requested > INT32_MAX)
      report(
        `retries.attempts must be a whole number from 0, got ${String(requested)}; ${DEFAULT_ATTEMPTS} is used`,
      );
    else attempts = requested;
  }
  if (attempts === 0) {
    if (retries?.perTryTimeout !== undefined || retries?.retryOn !== undefined)
      report('retries: attempts 0 turns retries off, so perTryTimeout and retryOn are ignored');
    return { timeoutMs, retries: { attempts: 0 } };
  }
  const requestedPerTry = duration(retries?.perTryTimeout, 'retries.perTryTimeout', report);
  let perTryTimeoutMs = requestedPerTry ?? DEFAULT_PER_TRY_TIMEOUT_MS;
  const retryOn = retryOnFor(destination, report);

  if (attempts * perTryTimeoutMs > timeoutMs) {
    const lowered = Math.floor(timeoutMs / attempts);
    if (lowered < 1) {
      report(
        `retries: ${attempts} attempts cannot each get 1ms within the timeout ${formatMilliseconds(timeoutMs)}; attempts lowered to ${timeoutMs}`,
      );
      attempts = timeoutMs;
      perTryTimeoutMs = 1;
    } else {
      if (requestedPerTry !== undefined && requestedTimeout !== undefined)
        report(
          `retries: ${attempts} attempts x perTryTimeout ${formatMilliseconds(requestedPerTry)} exceed the timeout ${formatMilliseconds(timeoutMs)}; perTryTimeout lowered to ${formatMilliseconds(lowered)}`,
        );
      perTryTimeoutMs = lowered;
    }
  }
  return { timeoutMs, retries: { attempts, perTryTimeoutMs, retryOn } };
}

function routeRetriesObject(settings: RouteSettings): Record<string, unknown> {
  const { retries } = settings;
  if (retries.attempts === 0 || !('perTryTimeoutMs' in retries)) return { attempts: 0 };
  return {
    attempts: retries.attempts,
    perTryTimeout: formatMilliseconds(retries.perTryTimeoutMs),
    retryOn: retries.retryOn.join(','),
  };
}

// ---------------------------------------------------------------------------
// Traffic policy (DestinationRule)

function count(
  value: number | undefined,
  field: string,
  report: Report,
  max = INT32_MAX,
): number | undefined {
  if (value === undefined) return undefined;
  if (Number.isInteger(value) && value >= 0 && value <= max) return value;
  report(`${field} must be a whole number from 0 to ${max}, got ${String(value)}; it is left out`);
  return undefined;
}

function percent(value: number | undefined, field: string, report: Report): number | undefined {
  if (value === undefined) return undefined;
  if (Number.isInteger(value) && value >= 0 && value <= 100) return value;
  report(`${field} must be a percentage from 0 to 100, got ${String(value)}; it is left out`);
  return undefined;
}

/** Drops undefined fields so objects serialise without them; undefined when nothing is left. */
function compact(fields: Record<string, unknown>): Record<string, unknown> | undefined {
  const kept = Object.entries(fields).filter(([, value]) => value !== undefined);
  return kept.length === 0 ? undefined : Object.fromEntries(kept);
}

function msOrUndefined(value: number | undefined): string | undefined {
  return value === undefined ? undefined : formatMilliseconds(value);
}

function connectionPool(
  destination: TrafficDestination,
  report: Report,
): Record<string, unknown> | undefined {
  const pool = destination.connectionPool;
  const tcp = compact({
    maxConnections: count(pool?.tcp?.maxConnections, 'connectionPool.tcp.maxConnections', report),
    connectTimeout: formatMilliseconds(
      duration(pool?.tcp?.connectTimeout, 'connectionPool.tcp.connectTimeout', report) ??
        DEFAULT_CONNECT_TIMEOUT_MS,
    ),
    idleTimeout: msOrUndefined(
      duration(pool?.tcp?.idleTimeout, 'connectionPool.tcp.idleTimeout', report),
    ),
  });
  const http = pool?.http;
  const httpPool = compact({
    http1MaxPendingRequests: count(
      http?.http1MaxPendingRequests,
      'connectionPool.http.http1MaxPendingRequests',
      report,
    ),
    http2MaxRequests: count(http?.http2MaxRequests, 'connectionPool.http.http2MaxRequests', report),
    maxRequestsPerConnection: count(
      http?.maxRequestsPerConnection,
      'connectionPool.http.maxRequestsPerConnection',
      report,
    ),
    maxRetries: count(http?.maxRetries, 'connectionPool.http.maxRetries', report),
    idleTimeout: msOrUndefined(
      duration(http?.idleTimeout, 'connectionPool.http.idleTimeout', report),
    ),
  });
  return compact({ tcp, http: httpPool });
}

function outlierDetection(
  destination: TrafficDestination,
  report: Report,
): Record<string, unknown> | undefined {
  const outlier = destination.outlierDetection;
  const defaults = DEFAULT_OUTLIER_DETECTION;
  return compact({
    consecutive5xxErrors:
      count(
        outlier?.consecutive5xxErrors,
        'outlierDetection.consecutive5xxErrors',
        report,
        UINT32_MAX,
      ) ?? defaults.consecutive5xxErrors,
    consecutiveGatewayErrors: count(
      outlier?.consecutiveGatewayErrors,
      'outlierDetection.consecutiveGatewayErrors',
      report,
      UINT32_MAX,
    ),
    interval: formatMilliseconds(
      duration(outlier?.interval, 'outlierDetection.interval', report) ?? defaults.intervalMs,
    ),
    baseEjectionTime: formatMilliseconds(
      duration(outlier?.baseEjectionTime, 'outlierDetection.baseEjectionTime', report) ??
        defaults.baseEjectionTimeMs,
    ),
    maxEjectionPercent:
      percent(outlier?.maxEjectionPercent, 'outlierDetection.maxEjectionPercent', report) ??
      defaults.maxEjectionPercent,
    minHealthPercent: percent(
      outlier?.minHealthPercent,
      'outlierDetection.minHealthPercent',
      report,
    ),
  });
}

/**
 * connectionPool and outlierDetection for one destination. Never empty: the TCP
 * connect timeout and outlier detection are always written (Istio's defaults,
 * made explicit), and HTTP pool limits only when the policy sets them, so a
 * burst of parallel CronJob calls is never throttled by a limit nobody chose.
 */
export function trafficPolicy(
  destination: TrafficDestination,
  report: Report,
): Record<string, unknown> {
  return {
    connectionPool: connectionPool(destination, report),
    outlierDetection: outlierDetection(destination, report),
  };
}

// ---------------------------------------------------------------------------
// Objects

interface Client {
  name: string;
  namespace: string;
  uid: string | undefined;
}

interface HostUse {
  client: Client;
  destination: TrafficDestination;
}

function namespaceOf(object: KubeObject, defaultNamespace = 'default'): string {
  const declared = object.metadata?.namespace;
  return typeof declared === 'string' && declared !== '' ? declared : defaultNamespace;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function ownerReference(client: Client & { uid: string }): Record<string, unknown> {
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    name: client.name,
    uid: client.uid,
    controller: false,
    blockOwnerDeletion: false,
  };
}

/**
 * Owner references to every served CronJob, or none: the garbage collector
 * deletes an object once all listed owners are gone, so listing only the
 * CronJobs that have a uid would delete a VirtualService another CronJob
 * still needs. Offline manifests have no uid, so offline output has no owners.
 */
function ownerReferences(clients: readonly Client[]): Record<string, unknown>[] | undefined {
  const owned = clients.filter(
    (client): client is Client & { uid: string } => client.uid !== undefined,
  );
  return owned.length === clients.length && owned.length > 0
    ? owned.map(ownerReference)
    : undefined;
}

function metadata(
  name: string,
  namespace: string,
  labels: Record<string, string>,
  clients: readonly Client[],
): Record<string, unknown> {
  const owners = ownerReferences(clients);
  return {
    name,
    namespace,
    labels,
    annotations: { [SERVED_CRONJOBS_ANNOTATION]: clients.map((client) => client.name).join(',') },
    ...(owners === undefined ? {} : { ownerReferences: owners }),
  };
}

/** Generates the VirtualServices and DestinationRules for the CronJobs' destinations. */
export function generateTraffic(
  cronJobs: readonly TrafficCronJob[],
  options: TrafficOptions = {},
): TrafficResult {
  const apiVersion = options.apiVersion ?? 'networking.istio.io/v1';
  const clusterDomain = options.clusterDomain ?? DEFAULT_CLUSTER_DOMAIN;
  const problems: TrafficProblem[] = [];
  /** Uses per `namespace \0 host`. */
  const byHost = new Map<string, { namespace: string; host: string; uses: HostUse[] }>();
  const seenCronJobs = new Set<string>();

  const entries = cronJobs
    .map((entry) => ({
      entry,
      name: asText(entry.object.metadata?.name),
      namespace: namespaceOf(entry.object, options.defaultNamespace),
    }))
    .sort((a, b) => compare(a.namespace, b.namespace) || compare(a.name, b.name));

  for (const { entry, name, namespace } of entries) {
    const report: Report = (message) => problems.push({ cronJob: name, namespace, message });
    if (name === '') {
      report('the CronJob has no metadata.name; its destinations are skipped');
      continue;
    }
    if (name.length > 63 || !LABEL_VALUE.test(name)) {
      report(
        `the name cannot be the value of the pod label ${CRONJOB_POD_LABEL} (at most 63 characters), so no route could select its pods; its destinations are skipped`,
      );
      continue;
    }
    const key = `${namespace}\u0000${name}`;
    if (seenCronJobs.has(key)) {
      report('the CronJob appears more than once in the input; only the first is used');
      continue;
    }
    seenCronJobs.add(key);
    const uid = entry.object.metadata?.uid;
    const client: Client = {
      name,
      namespace,
      uid: typeof uid === 'string' && uid !== '' ? uid : undefined,
    };
    const hostsOfClient = new Set<string>();
    for (const destination of entry.destinations) {
      const host = normalizeHost(destination.host, namespace, clusterDomain);
      if (!host.ok) {
        report(host.error);
        continue;
      }
      if (hostsOfClient.has(host.host)) {
        report(`destination ${host.host} is listed twice; the first entry is used`);
        continue;
      }
      hostsOfClient.add(host.host);
      const groupKey = `${namespace}\u0000${host.host}`;
      let group = byHost.get(groupKey);
      if (group === undefined) {
        group = { namespace, host: host.host, uses: [] };
        byHost.set(groupKey, group);
      }
      group.uses.push({ client, destination });
    }
  }

  const objects: KubeObject[] = [];
  const groups = [...byHost.values()].sort(
    (a, b) => compare(a.namespace, b.namespace) || compare(a.host, b.host),
  );
  for (const { namespace, host, uses } of groups) {
    const hostShort = shortHost(host, clusterDomain);
    const hostLabels = {
      [MANAGED_BY_LABEL]: MANAGED_BY_VALUE,
      [HOST_LABEL]: hostLabelValue(host),
    };
    const routes: Record<string, unknown>[] = [];
    const rules: KubeObject[] = [];
    for (const { client, destination } of uses) {
      const report: Report = (message) =>
        problems.push({ cronJob: client.name, namespace, message: `${host}: ${message}` });
      const settings = routeSettings(destination, report);
      routes.push({
        name: `cronjob-${client.name}`,
        match: [{ sourceLabels: { [CRONJOB_POD_LABEL]: client.name } }],
        route: [{ destination: { host } }],
        timeout: formatMilliseconds(settings.timeoutMs),
        retries: routeRetriesObject(settings),
      });
      rules.push({
        apiVersion,
        kind: 'DestinationRule',
        metadata: metadata(
          objectName(['cronguard', client.name, hostShort], `${client.name}\u0000${host}`),
          namespace,
          { ...hostLabels, [CRONJOB_POD_LABEL]: client.name },
          [client],
        ),
        spec: {
          host,
          exportTo: ['.'],
          workloadSelector: { matchLabels: { [CRONJOB_POD_LABEL]: client.name } },
          trafficPolicy: trafficPolicy(destination, report),
        },
      });
    }
    // Everyone else in the namespace: no timeout, no retries block, i.e. Istio's defaults.
    routes.push({ name: 'default', route: [{ destination: { host } }] });
    objects.push({
      apiVersion,
      kind: 'VirtualService',
      metadata: metadata(
        objectName(['cronguard', hostShort], host),
        namespace,
        hostLabels,
        uses.map((use) => use.client),
      ),
      spec: { hosts: [host], exportTo: ['.'], http: routes },
    });
    objects.push(...rules);
  }
  return { objects, problems };
}
