import { describe, expect, it } from 'vitest';
import { parseServerConfig } from '../../src/server/config.js';
import { parseWatchConfig, type WatchConfig } from '../../src/watcher/config.js';

function watchConfig(
  argv: readonly string[],
  env: Record<string, string | undefined> = {},
): Readonly<WatchConfig> {
  const config = parseWatchConfig(argv, env, 'pod-a');
  if (config === 'help') throw new Error('unexpected help');
  return config;
}

describe('cronguard watch options', () => {
  it('has defaults that need nothing but cluster credentials', () => {
    expect(watchConfig([])).toEqual({
      kubeconfigPath: undefined,
      metricsPort: 9090,
      host: '0.0.0.0',
      namespaces: [],
      logLevel: 'info',
      policyPaths: [],
      policyPollMs: 10_000,
      meshObjects: true,
      policyReports: true,
      auditIntervalMs: 600_000,
      istioApiVersion: 'networking.istio.io/v1',
      clusterDomain: 'cluster.local',
      kubernetesVersion: undefined,
      leaderElection: undefined,
    });
  });

  it('reads every setting from its environment variable, and flags win', () => {
    const env = {
      CRONGUARD_KUBECONFIG: '/k',
      CRONGUARD_METRICS_PORT: '9100',
      CRONGUARD_WATCH_NAMESPACES: 'a, b,,a',
      CRONGUARD_POLICIES: '/p1:/p2',
      CRONGUARD_MESH_OBJECTS: 'off',
      CRONGUARD_POLICY_REPORTS: 'OFF',
      CRONGUARD_AUDIT_INTERVAL_SECONDS: '60',
      CRONGUARD_ISTIO_API_VERSION: 'networking.istio.io/v1beta1',
      CRONGUARD_CLUSTER_DOMAIN: 'corp.local.',
      CRONGUARD_KUBERNETES_VERSION: 'v1.30.4',
      CRONGUARD_LEADER_ELECT: 'true',
      POD_NAMESPACE: 'platform',
    };
    const config = watchConfig(['--metrics-port', '9200'], env);
    expect(config).toMatchObject({
      kubeconfigPath: '/k',
      metricsPort: 9200,
      namespaces: ['a', 'b'],
      policyPaths: ['/p1', '/p2'],
      meshObjects: false,
      policyReports: false,
      auditIntervalMs: 60_000,
      istioApiVersion: 'networking.istio.io/v1beta1',
      clusterDomain: 'corp.local',
      kubernetesVersion: '1.30',
      leaderElection: { namespace: 'platform', name: 'cronguard-watcher', identity: 'pod-a' },
    });
  });

  it('refuses values it cannot use, naming the flag', () => {
    expect(() => watchConfig(['--namespace', 'Not_A_Label'])).toThrow(/--namespace/);
    expect(() => watchConfig(['--mesh-objects', 'maybe'])).toThrow(
      /--mesh-objects must be one of on, off/,
    );
    expect(() => watchConfig(['--audit-interval-seconds', '1'])).toThrow(/from 10 to 86400/);
    expect(() => watchConfig(['--istio-api-version', 'v2'])).toThrow(/--istio-api-version/);
    expect(() => watchConfig(['--leader-elect', '--lease-namespace', 'UPPER'])).toThrow(
      /--lease-namespace/,
    );
    expect(() => watchConfig([], { CRONGUARD_LEADER_ELECT: 'yes' })).toThrow(
      /CRONGUARD_LEADER_ELECT must be one of true, false/,
    );
    expect(() => watchConfig(['extra'])).toThrow(/no positional arguments/);
  });
});

describe('cronguard serve --watch', () => {
  it('runs the watcher on its own metrics port', () => {
    const config = parseServerConfig(['--watch'], {});
    expect(config !== 'help' && config.watchMetricsPort).toBe(9091);
    const fromEnv = parseServerConfig([], {
      CRONGUARD_WATCH: 'true',
      CRONGUARD_WATCH_METRICS_PORT: '9300',
    });
    expect(fromEnv !== 'help' && fromEnv.watchMetricsPort).toBe(9300);
    const off = parseServerConfig([], {});
    expect(off !== 'help' && off.watchMetricsPort).toBeUndefined();
  });

  it('refuses a watcher without a cluster or on a port already taken', () => {
    expect(() => parseServerConfig(['--watch', '--cluster', 'off'], {})).toThrow(
      /--watch needs the cluster/,
    );
    expect(() => parseServerConfig(['--watch', '--watch-metrics-port', '9090'], {})).toThrow(
      /--watch-metrics-port must differ/,
    );
  });
});
