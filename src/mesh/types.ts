/**
 * The `mesh` section of a CronJobPolicy, after schema validation and compilation
 * (durations stay Go-style strings such as "30s", because they are written into
 * Istio objects as such; they are validated at load time).
 *
 * This file is the contract between the policy loader (src/policy), the mesh
 * mutation rules (src/rules/mesh) and the traffic generator (src/mesh/traffic).
 */

export type MeshProvider = 'istio' | 'linkerd' | 'auto';

/** How the job's pods are made to finish although a proxy runs beside them. */
export type NativeSidecarMode =
  /** Native sidecars when the cluster supports them (Kubernetes >= 1.29 and a mesh version that has the per-pod switch), else the fallback. */
  | 'auto'
  /** Always native; refused (finding) when the cluster is known to be too old. */
  | 'always'
  /** Never native: always the fallback. */
  | 'never';

export interface MeshJobCompletion {
  nativeSidecar: NativeSidecarMode;
  /**
   * Whether the fallback may rewrite a container's command so it tells the proxy
   * to exit when the job ends (Istio: POST /quitquitquit on the status port;
   * Linkerd: linkerd-await --shutdown). Needs a shell (and for Istio an HTTP client)
   * in the image, so it is off unless the policy allows it. Default false.
   */
  wrapCommand: boolean;
  /** Containers (globs) whose command may be wrapped; absent: every app container. */
  containers?: string[];
}

export interface IstioProxyResources {
  cpu?: string;
  memory?: string;
  cpuLimit?: string;
  memoryLimit?: string;
}

export interface IstioTrafficCapture {
  includeInboundPorts?: string;
  excludeInboundPorts?: string;
  includeOutboundPorts?: string;
  excludeOutboundPorts?: string;
  includeOutboundIPRanges?: string;
  excludeOutboundIPRanges?: string;
}

export interface IstioSettings {
  /** Istio version in the cluster ("1.27"), when known; gates the per-pod nativeSidecar switch (1.24+). */
  version?: string;
  /** Control-plane revision or tag, written as the label `istio.io/rev`. */
  revision?: string;
  proxy?: IstioProxyResources;
  traffic?: IstioTrafficCapture;
  /** ProxyConfig fields merged into `proxy.istio.io/config` (the author's own fields win). */
  proxyConfig?: Record<string, unknown>;
}

export interface LinkerdSettings {
  /** Linkerd version in the cluster ("2.20", "edge-25.10.2"), when known; picks the native-sidecar annotation key. */
  version?: string;
  /** `config.linkerd.io/shutdown-grace-period`, a duration such as "30s". */
  shutdownGracePeriod?: string;
}

export interface TrafficRetries {
  /** Number of retries (so at most 1 + attempts tries). 0 disables retries. */
  attempts: number;
  perTryTimeout?: string;
  /** Envoy retry-on tokens; absent: the safe pre-request set, or with `idempotent` also 5xx/gateway-error. */
  retryOn?: string[];
}

export interface TrafficConnectionPool {
  tcp?: { maxConnections?: number; connectTimeout?: string; idleTimeout?: string };
  http?: {
    http1MaxPendingRequests?: number;
    http2MaxRequests?: number;
    maxRequestsPerConnection?: number;
    maxRetries?: number;
    idleTimeout?: string;
  };
}

export interface TrafficOutlierDetection {
  consecutive5xxErrors?: number;
  consecutiveGatewayErrors?: number;
  interval?: string;
  baseEjectionTime?: string;
  maxEjectionPercent?: number;
  minHealthPercent?: number;
}

/** The calls a job makes to one destination service, and how the mesh should treat them. */
export interface TrafficDestination {
  /** Service host: `name`, `name.namespace`, `name.namespace.svc.cluster.local`, or an external host in a ServiceEntry. */
  host: string;
  /** Request timeout for the whole call including retries, e.g. "30s". */
  timeout?: string;
  retries?: TrafficRetries;
  /** Calls are safe to repeat; allows retrying on 5xx and gateway errors. Default false. */
  idempotent: boolean;
  connectionPool?: TrafficConnectionPool;
  outlierDetection?: TrafficOutlierDetection;
}

export interface MeshSection {
  provider: MeshProvider;
  /**
   * Put the job's pods in the mesh (true), keep them out (false), or leave the
   * author's choice alone (absent). Istio: the label `sidecar.istio.io/inject`;
   * Linkerd: the annotation `linkerd.io/inject`.
   */
  inject?: boolean;
  /** How settings apply, as elsewhere: default fills what is missing, enforce overwrites, validate reports. Default `default`. */
  apply: 'default' | 'enforce' | 'validate';
  jobCompletion: MeshJobCompletion;
  istio?: IstioSettings;
  linkerd?: LinkerdSettings;
  /** Destinations the matched CronJobs call, for the generated VirtualService/DestinationRule. */
  traffic?: TrafficDestination[];
}

/** What the engine knows about the cluster an object is evaluated for. */
export interface ClusterFacts {
  /** Kubernetes version ("1.31", "v1.31.2"); undefined when unknown (offline lint without --kubernetes-version). */
  kubernetesVersion?: string | undefined;
}

/** Label the mesh rules put on a CronJob's pod template so generated routes can select its pods (`sourceLabels`). */
export const CRONJOB_POD_LABEL = 'cronguard.dev/cronjob';

/**
 * Annotation on a CronJob naming destinations without a policy, a comma list of
 * hosts (`payments.prod.svc.cluster.local,ledger`); they get the policy's settings
 * for that host if any, else the safe defaults.
 */
export const DESTINATIONS_ANNOTATION = 'cronguard.dev/destinations';

/** Labels on every object cronguard generates. */
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const MANAGED_BY_VALUE = 'cronguard';
