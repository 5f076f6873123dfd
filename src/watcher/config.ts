import { parseArgs } from 'node:util';
import { UserError } from '../errors.js';
import type { IstioNetworkingApiVersion } from '../mesh/traffic/index.js';
import {
  DNS_LABEL,
  LOG_LEVELS,
  nonEmpty,
  parseChoice,
  parseInteger,
  parseKubernetesVersionFlag,
  parsePort,
  type LogLevel,
} from '../server/config.js';

export interface WatchConfig {
  kubeconfigPath: string | undefined;
  metricsPort: number;
  host: string;
  /** Namespaces to watch; empty: all. */
  namespaces: readonly string[];
  logLevel: LogLevel;
  /** Policy directories or files; empty: the built-in set. */
  policyPaths: readonly string[];
  policyPollMs: number;
  /** Reconcile Istio VirtualServices and DestinationRules. */
  meshObjects: boolean;
  /** Publish PolicyReports. */
  policyReports: boolean;
  auditIntervalMs: number;
  istioApiVersion: IstioNetworkingApiVersion;
  clusterDomain: string;
  kubernetesVersion: string | undefined;
  leaderElection: { namespace: string; name: string; identity: string } | undefined;
}

export const WATCH_USAGE = `Usage: cronguard watch [options]

The companion watcher. Follows CronJobs, Jobs and Job pods and
- serves their run metrics (cronjob_jobs_total, cronjob_job_duration_seconds,
  ... see docs/metrics.md) over plain HTTP: GET /metrics, /healthz (process up),
  /readyz (first lists loaded);
- keeps Istio VirtualServices and DestinationRules in step with the CronJobs'
  destinations (server-side apply, field manager cronguard; docs/mesh-traffic.md);
- publishes what the policies say about the CronJobs already running as
  PolicyReports, one per namespace (docs/policy-reports.md).
With --leader-elect only the replica holding the Lease writes; every replica
serves metrics.

Options (environment variable in brackets; flags win):
  --kubeconfig FILE     cluster credentials (default: in-cluster service account,
                        then $KUBECONFIG, then ~/.kube/config) [CRONGUARD_KUBECONFIG]
  --metrics-port N      port of /metrics, /healthz and /readyz (default 9090)
                        [CRONGUARD_METRICS_PORT]
  --host ADDRESS        address to listen on (default 0.0.0.0) [CRONGUARD_HOST]
  --namespace NS        watch only this namespace (repeatable; default: all)
                        [CRONGUARD_WATCH_NAMESPACES, separated by ',']
  --policies DIR        policy directory or file, repeatable (default built-in);
                        watched and reloaded like serve's [CRONGUARD_POLICIES, ':']
  --policy-poll-seconds N
                        also compare the policy files every N seconds (default 10)
                        [CRONGUARD_POLICY_POLL_SECONDS]
  --mesh-objects on|off reconcile VirtualServices/DestinationRules (default on)
                        [CRONGUARD_MESH_OBJECTS]
  --policy-reports on|off
                        publish PolicyReports (default on) [CRONGUARD_POLICY_REPORTS]
  --audit-interval-seconds N
                        re-audit every namespace this often (default 600)
                        [CRONGUARD_AUDIT_INTERVAL_SECONDS]
  --istio-api-version V networking.istio.io/v1 (Istio >= 1.22, default) or
                        networking.istio.io/v1beta1 [CRONGUARD_ISTIO_API_VERSION]
  --cluster-domain D    cluster DNS domain for short hosts (default cluster.local)
                        [CRONGUARD_CLUSTER_DOMAIN]
  --kubernetes-version V
                        assume this version instead of asking the API server
                        [CRONGUARD_KUBERNETES_VERSION]
  --leader-elect        elect one writer among the replicas with a
                        coordination.k8s.io/v1 Lease [CRONGUARD_LEADER_ELECT=true]
  --lease-namespace NS  namespace of the Lease (default $POD_NAMESPACE, else
                        cronguard-system) [CRONGUARD_LEASE_NAMESPACE]
  --lease-name NAME     name of the Lease (default cronguard-watcher)
                        [CRONGUARD_LEASE_NAME]
  --log-level LEVEL     debug, info, warn or error (default info) [CRONGUARD_LOG_LEVEL]
  -h, --help            this text

The Lease holder's identity is $POD_NAME (set it from the downward API), else the
host name with a random suffix.`;

const ISTIO_API_VERSIONS = ['networking.istio.io/v1', 'networking.istio.io/v1beta1'] as const;
const SWITCH = ['on', 'off'] as const;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Parses `cronguard watch` flags with environment fallbacks; `identity` names the Lease holder. */
export function parseWatchConfig(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  identity: string,
): Readonly<WatchConfig> | 'help' {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      kubeconfig: { type: 'string' },
      'metrics-port': { type: 'string' },
      host: { type: 'string' },
      namespace: { type: 'string', multiple: true },
      policies: { type: 'string', multiple: true },
      'policy-poll-seconds': { type: 'string' },
      'mesh-objects': { type: 'string' },
      'policy-reports': { type: 'string' },
      'audit-interval-seconds': { type: 'string' },
      'istio-api-version': { type: 'string' },
      'cluster-domain': { type: 'string' },
      'kubernetes-version': { type: 'string' },
      'leader-elect': { type: 'boolean' },
      'lease-namespace': { type: 'string' },
      'lease-name': { type: 'string' },
      'log-level': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help === true) return 'help';
  if (positionals.length > 0) {
    throw new UserError(`watch takes no positional arguments, got "${positionals.join(' ')}"`);
  }
  const pick = (flag: string | undefined, variable: string): string | undefined =>
    flag ?? nonEmpty(env[variable]);
  const list = (flag: string[] | undefined, variable: string, separator: string): string[] =>
    flag ??
    (nonEmpty(env[variable])
      ?.split(separator)
      .map((item) => item.trim())
      .filter((item) => item !== '') ||
      []);

  const namespaces = [...new Set(list(values.namespace, 'CRONGUARD_WATCH_NAMESPACES', ','))];
  for (const namespace of namespaces) requireDnsLabel('--namespace', namespace);

  const istioApiVersion = pick(values['istio-api-version'], 'CRONGUARD_ISTIO_API_VERSION');
  const clusterDomain = (
    pick(values['cluster-domain'], 'CRONGUARD_CLUSTER_DOMAIN') ?? 'cluster.local'
  ).replace(/\.$/, '');
  if (!DNS_SUBDOMAIN.test(clusterDomain) || clusterDomain.length > 253) {
    throw new UserError(`--cluster-domain must be a DNS name, got "${clusterDomain}"`);
  }

  const leaderElect =
    values['leader-elect'] === true ||
    parseChoice(
      'CRONGUARD_LEADER_ELECT',
      nonEmpty(env.CRONGUARD_LEADER_ELECT),
      ['true', 'false'],
      'false',
    ) === 'true';
  const leaseNamespace =
    pick(values['lease-namespace'], 'CRONGUARD_LEASE_NAMESPACE') ??
    nonEmpty(env.POD_NAMESPACE) ??
    'cronguard-system';
  const leaseName = pick(values['lease-name'], 'CRONGUARD_LEASE_NAME') ?? 'cronguard-watcher';
  requireDnsLabel('--lease-namespace', leaseNamespace);
  if (!DNS_SUBDOMAIN.test(leaseName) || leaseName.length > 253) {
    throw new UserError(`--lease-name must be a DNS subdomain name, got "${leaseName}"`);
  }

  const config: WatchConfig = {
    kubeconfigPath: pick(values.kubeconfig, 'CRONGUARD_KUBECONFIG'),
    metricsPort: parsePort(
      '--metrics-port',
      pick(values['metrics-port'], 'CRONGUARD_METRICS_PORT'),
      9090,
    ),
    host: pick(values.host, 'CRONGUARD_HOST') ?? '0.0.0.0',
    namespaces,
    logLevel: parseChoice(
      '--log-level',
      pick(values['log-level'], 'CRONGUARD_LOG_LEVEL'),
      LOG_LEVELS,
      'info',
    ),
    policyPaths: list(values.policies, 'CRONGUARD_POLICIES', ':'),
    policyPollMs:
      parseInteger(
        '--policy-poll-seconds',
        pick(values['policy-poll-seconds'], 'CRONGUARD_POLICY_POLL_SECONDS'),
        10,
        1,
        3600,
      ) * 1000,
    meshObjects:
      parseChoice(
        '--mesh-objects',
        pick(values['mesh-objects'], 'CRONGUARD_MESH_OBJECTS'),
        SWITCH,
        'on',
      ) === 'on',
    policyReports:
      parseChoice(
        '--policy-reports',
        pick(values['policy-reports'], 'CRONGUARD_POLICY_REPORTS'),
        SWITCH,
        'on',
      ) === 'on',
    auditIntervalMs:
      parseInteger(
        '--audit-interval-seconds',
        pick(values['audit-interval-seconds'], 'CRONGUARD_AUDIT_INTERVAL_SECONDS'),
        600,
        10,
        86_400,
      ) * 1000,
    istioApiVersion: parseChoice(
      '--istio-api-version',
      istioApiVersion,
      ISTIO_API_VERSIONS,
      'networking.istio.io/v1',
    ),
    clusterDomain,
    kubernetesVersion: parseKubernetesVersionFlag(
      pick(values['kubernetes-version'], 'CRONGUARD_KUBERNETES_VERSION'),
    ),
    leaderElection: leaderElect
      ? { namespace: leaseNamespace, name: leaseName, identity }
      : undefined,
  };
  return Object.freeze(config);
}

function requireDnsLabel(flag: string, value: string): void {
  if (!DNS_LABEL.test(value) || value.length > 63) {
    throw new UserError(`${flag} must be a namespace name (a DNS label), got "${value}"`);
  }
}
