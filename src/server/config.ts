import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { UserError } from '../errors.js';

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * What to answer when cronguard itself fails (evaluation threw, or took longer than
 * the API server's `?timeout=` budget): `allow` answers allowed (fail open inside
 * the webhook), `error` answers HTTP 500 so the webhook's `failurePolicy` decides.
 */
export const FAILURE_MODES = ['allow', 'error'] as const;
export type FailureMode = (typeof FAILURE_MODES)[number];

export interface ServerConfig {
  host: string;
  /** HTTPS port for the webhook; 0 picks a free port (tests). */
  port: number;
  /** Plain-HTTP port for /metrics; 0 picks a free port. */
  metricsPort: number;
  /** Serving certificate files; undefined means generate a development CA and certificate. */
  tls: { certPath: string; keyPath: string } | undefined;
  /** Policy directories or files; empty means the built-in set. */
  policyPaths: readonly string[];
  logLevel: LogLevel;
  failureMode: FailureMode;
  /** Service and namespace the development certificate is issued for. */
  service: string;
  namespace: string;
  /** Where the development CA and an example review are written. */
  devCertDir: string;
  /** Longest wait for in-flight requests on SIGTERM before closing connections anyway. */
  drainTimeoutMs: number;
  /** How often policy files are compared for changes, besides file-system events. */
  policyPollMs: number;
  /** How often the certificate and key files are compared for changes, likewise. */
  tlsPollMs: number;
  /**
   * Whether to use cluster credentials (for the Namespace label cache and the
   * Kubernetes version): `auto` uses them when found, `off` never connects.
   */
  cluster: 'auto' | 'off';
  /** Explicit kubeconfig; undefined: in-cluster, then $KUBECONFIG, then ~/.kube/config. */
  kubeconfigPath: string | undefined;
  /** Kubernetes version to assume ("1.31"); undefined: ask the API server, if connected. */
  kubernetesVersion: string | undefined;
  /** Run the companion watcher in this process, serving its metrics on this port; undefined: do not. */
  watchMetricsPort: number | undefined;
}

export const CLUSTER_MODES = ['auto', 'off'] as const;

export const SERVE_USAGE = `Usage: cronguard serve [options]

Serves the admission webhook over HTTPS: POST /mutate and /validate
(AdmissionReview admission.k8s.io/v1 or v1beta1), GET /healthz and /readyz;
Prometheus metrics on a separate plain-HTTP port at /metrics.

Options (environment variable in brackets; flags win):
  --port N              HTTPS port (default 8443) [CRONGUARD_PORT]
  --metrics-port N      metrics port (default 9090) [CRONGUARD_METRICS_PORT]
  --host ADDR           listen address (default 0.0.0.0) [CRONGUARD_HOST]
  --tls-cert FILE       serving certificate chain, PEM [CRONGUARD_TLS_CERT]
  --tls-key FILE        its private key, PEM [CRONGUARD_TLS_KEY]
                        (both or neither; neither generates a development CA)
  --policies DIR        policy directory or file, repeatable (default built-in)
                        [CRONGUARD_POLICIES, separated by ':']
  --log-level LEVEL     debug | info | warn | error (default info) [CRONGUARD_LOG_LEVEL]
  --failure-mode MODE   when evaluation fails or exceeds ?timeout=: allow, or
                        error (HTTP 500, so failurePolicy applies) (default allow)
                        [CRONGUARD_FAILURE_MODE]
  --service NAME        service name for the development certificate (default
                        cronguard) [CRONGUARD_SERVICE]
  --namespace NAME      its namespace (default cronguard-system) [CRONGUARD_NAMESPACE]
  --dev-cert-dir DIR    where the development CA (ca.crt) and an example review
                        are written (default a temporary directory) [CRONGUARD_DEV_CERT_DIR]
  --drain-seconds N     longest wait for in-flight requests on SIGTERM (default 25)
                        [CRONGUARD_DRAIN_SECONDS]
  --policy-poll-seconds N
                        --policies are watched and reloaded when they change; they
                        are also compared every N seconds, in case a change event
                        is missed (default 10) [CRONGUARD_POLICY_POLL_SECONDS]
  --tls-poll-seconds N  the same for --tls-cert and --tls-key (default 10)
                        [CRONGUARD_TLS_POLL_SECONDS]
  --cluster MODE        auto: use cluster credentials when found (in-cluster service
                        account, --kubeconfig, $KUBECONFIG or ~/.kube/config) to
                        watch Namespace labels (namespaceSelector) and read the
                        Kubernetes version; off: never connect (default auto)
                        [CRONGUARD_CLUSTER]
  --kubeconfig FILE     kubeconfig to use instead of the search above
                        [CRONGUARD_KUBECONFIG]
  --kubernetes-version V
                        Kubernetes version to assume (e.g. 1.31) instead of asking
                        the API server; decides native sidecars for mesh policies
                        [CRONGUARD_KUBERNETES_VERSION]
  --watch               also run the companion watcher (cronguard watch) in this
                        process; needs cluster credentials. Its other settings come
                        from its environment variables (cronguard watch --help)
                        [CRONGUARD_WATCH=true]
  --watch-metrics-port N
                        the watcher's /metrics, /healthz and /readyz (default 9091)
                        [CRONGUARD_WATCH_METRICS_PORT]`;

/** RFC 1123 label, as Kubernetes requires for service and namespace names. */
export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/**
 * Reads flags and environment once, validates every value and returns a frozen
 * config. All problems are UserErrors naming the flag and the accepted values, so
 * a misconfigured Deployment fails at start with a readable log line.
 */
export function parseServerConfig(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): Readonly<ServerConfig> | 'help' {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      port: { type: 'string' },
      'metrics-port': { type: 'string' },
      host: { type: 'string' },
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
      policies: { type: 'string', multiple: true },
      'log-level': { type: 'string' },
      'failure-mode': { type: 'string' },
      service: { type: 'string' },
      namespace: { type: 'string' },
      'dev-cert-dir': { type: 'string' },
      'drain-seconds': { type: 'string' },
      'policy-poll-seconds': { type: 'string' },
      'tls-poll-seconds': { type: 'string' },
      cluster: { type: 'string' },
      kubeconfig: { type: 'string' },
      'kubernetes-version': { type: 'string' },
      watch: { type: 'boolean' },
      'watch-metrics-port': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help === true) return 'help';
  if (positionals.length > 0) {
    throw new UserError(`serve takes no positional arguments, got "${positionals.join(' ')}"`);
  }
  const pick = (flag: string | undefined, variable: string): string | undefined =>
    flag ?? nonEmpty(env[variable]);

  const certPath = pick(values['tls-cert'], 'CRONGUARD_TLS_CERT');
  const keyPath = pick(values['tls-key'], 'CRONGUARD_TLS_KEY');
  if ((certPath === undefined) !== (keyPath === undefined)) {
    throw new UserError(
      '--tls-cert and --tls-key go together: give both (a certificate and its key) or neither (a development certificate is generated)',
    );
  }
  const policyPaths =
    values.policies ??
    (nonEmpty(env.CRONGUARD_POLICIES)
      ?.split(':')
      .filter((path) => path !== '') ||
      []);

  const service = pick(values.service, 'CRONGUARD_SERVICE') ?? 'cronguard';
  const namespace = pick(values.namespace, 'CRONGUARD_NAMESPACE') ?? 'cronguard-system';
  for (const [flag, value] of [
    ['--service', service],
    ['--namespace', namespace],
  ] as const) {
    if (!DNS_LABEL.test(value) || value.length > 63) {
      throw new UserError(
        `${flag} must be a DNS label (lowercase letters, digits and '-', at most 63 characters), got "${value}"`,
      );
    }
  }

  const config: ServerConfig = {
    host: pick(values.host, 'CRONGUARD_HOST') ?? '0.0.0.0',
    port: parsePort('--port', pick(values.port, 'CRONGUARD_PORT'), 8443),
    metricsPort: parsePort(
      '--metrics-port',
      pick(values['metrics-port'], 'CRONGUARD_METRICS_PORT'),
      9090,
    ),
    tls: certPath !== undefined && keyPath !== undefined ? { certPath, keyPath } : undefined,
    policyPaths: Object.freeze([...policyPaths]),
    logLevel: parseChoice(
      '--log-level',
      pick(values['log-level'], 'CRONGUARD_LOG_LEVEL'),
      LOG_LEVELS,
      'info',
    ),
    failureMode: parseChoice(
      '--failure-mode',
      pick(values['failure-mode'], 'CRONGUARD_FAILURE_MODE'),
      FAILURE_MODES,
      'allow',
    ),
    service,
    namespace,
    devCertDir:
      pick(values['dev-cert-dir'], 'CRONGUARD_DEV_CERT_DIR') ??
      join(tmpdir(), `cronguard-dev-cert-${process.pid}`),
    drainTimeoutMs:
      parseInteger(
        '--drain-seconds',
        pick(values['drain-seconds'], 'CRONGUARD_DRAIN_SECONDS'),
        25,
        0,
        3600,
      ) * 1000,
    policyPollMs:
      parseInteger(
        '--policy-poll-seconds',
        pick(values['policy-poll-seconds'], 'CRONGUARD_POLICY_POLL_SECONDS'),
        10,
        1,
        3600,
      ) * 1000,
    tlsPollMs:
      parseInteger(
        '--tls-poll-seconds',
        pick(values['tls-poll-seconds'], 'CRONGUARD_TLS_POLL_SECONDS'),
        10,
        1,
        3600,
      ) * 1000,
    watchMetricsPort:
      values.watch === true ||
      parseChoice('CRONGUARD_WATCH', nonEmpty(env.CRONGUARD_WATCH), ['true', 'false'], 'false') ===
        'true'
        ? parsePort(
            '--watch-metrics-port',
            pick(values['watch-metrics-port'], 'CRONGUARD_WATCH_METRICS_PORT'),
            9091,
          )
        : undefined,
    ...clusterSettings(
      pick(values.cluster, 'CRONGUARD_CLUSTER'),
      pick(values.kubeconfig, 'CRONGUARD_KUBECONFIG'),
      pick(values['kubernetes-version'], 'CRONGUARD_KUBERNETES_VERSION'),
    ),
  };
  if (config.port !== 0 && config.port === config.metricsPort) {
    throw new UserError(`--port and --metrics-port must differ, both are ${config.port}`);
  }
  if (config.watchMetricsPort !== undefined) {
    if (config.cluster === 'off') {
      throw new UserError('--watch needs the cluster and --cluster is off: drop one of them');
    }
    const taken = [config.port, config.metricsPort].filter((port) => port !== 0);
    if (config.watchMetricsPort !== 0 && taken.includes(config.watchMetricsPort)) {
      throw new UserError(
        `--watch-metrics-port must differ from --port and --metrics-port, got ${config.watchMetricsPort}`,
      );
    }
  }
  if (config.tls !== undefined) Object.freeze(config.tls);
  return Object.freeze(config);
}

export function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}

export function parsePort(flag: string, text: string | undefined, fallback: number): number {
  return parseInteger(flag, text, fallback, 0, 65535);
}

export function parseInteger(
  flag: string,
  text: string | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  if (text === undefined) return fallback;
  const value = /^\d+$/.test(text.trim()) ? Number(text.trim()) : Number.NaN;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new UserError(`${flag} must be an integer from ${min} to ${max}, got "${text}"`);
  }
  return value;
}

export function parseChoice<T extends string>(
  flag: string,
  text: string | undefined,
  choices: readonly T[],
  fallback: T,
): T {
  if (text === undefined) return fallback;
  const choice = choices.find((candidate) => candidate === text.trim().toLowerCase());
  if (choice === undefined) {
    throw new UserError(`${flag} must be one of ${choices.join(', ')}, got "${text}"`);
  }
  return choice;
}

/** `1.31`, `v1.31` or `v1.31.2`, kept as `major.minor`. */
export function parseKubernetesVersionFlag(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const match = /^v?(\d+)\.(\d+)(\.\d+)?$/.exec(value.trim());
  if (match === null) {
    throw new UserError(`--kubernetes-version must look like 1.31 or v1.31.2, got "${value}"`);
  }
  return `${match[1] ?? ''}.${match[2] ?? ''}`;
}

function clusterSettings(
  mode: string | undefined,
  kubeconfigPath: string | undefined,
  kubernetesVersion: string | undefined,
): Pick<ServerConfig, 'cluster' | 'kubeconfigPath' | 'kubernetesVersion'> {
  const cluster = parseChoice('--cluster', mode, CLUSTER_MODES, 'auto');
  if (cluster === 'off' && kubeconfigPath !== undefined) {
    throw new UserError('--kubeconfig has no effect with --cluster off: drop one of them');
  }
  return {
    cluster,
    kubeconfigPath,
    kubernetesVersion: parseKubernetesVersionFlag(kubernetesVersion),
  };
}
