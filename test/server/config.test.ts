import { describe, expect, it } from 'vitest';
import { parseServerConfig, type ServerConfig } from '../../src/server/config.js';

function parse(argv: string[], env: Record<string, string> = {}): Readonly<ServerConfig> {
  const config = parseServerConfig(argv, env);
  if (config === 'help') throw new Error('unexpected help');
  return config;
}

describe('parseServerConfig', () => {
  it('has defaults that serve the built-in policies with a development certificate', () => {
    const config = parse([]);
    expect(config).toMatchObject({
      host: '0.0.0.0',
      port: 8443,
      metricsPort: 9090,
      tls: undefined,
      policyPaths: [],
      logLevel: 'info',
      failureMode: 'allow',
      service: 'cronguard',
      namespace: 'cronguard-system',
      drainTimeoutMs: 25_000,
      policyPollMs: 10_000,
      tlsPollMs: 10_000,
      cluster: 'auto',
      kubeconfigPath: undefined,
      kubernetesVersion: undefined,
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('reads the environment, and flags win over it', () => {
    const env = {
      CRONGUARD_PORT: '9443',
      CRONGUARD_LOG_LEVEL: 'debug',
      CRONGUARD_POLICIES: 'a:b',
      CRONGUARD_FAILURE_MODE: 'error',
    };
    expect(parse([], env)).toMatchObject({
      port: 9443,
      logLevel: 'debug',
      policyPaths: ['a', 'b'],
      failureMode: 'error',
    });
    expect(parse(['--port', '10443', '--policies', 'c', '--policies', 'd'], env)).toMatchObject({
      port: 10443,
      policyPaths: ['c', 'd'],
    });
  });

  it('takes a certificate and key together', () => {
    expect(parse(['--tls-cert', 'c.pem', '--tls-key', 'k.pem']).tls).toEqual({
      certPath: 'c.pem',
      keyPath: 'k.pem',
    });
    expect(() => parse(['--tls-cert', 'c.pem'])).toThrow(/--tls-cert and --tls-key go together/);
  });

  it.each([
    [['--port', '70000'], /--port must be an integer from 0 to 65535, got "70000"/],
    [['--port', '8443x'], /--port must be an integer/],
    [['--log-level', 'verbose'], /--log-level must be one of debug, info, warn, error/],
    [['--failure-mode', 'ignore'], /--failure-mode must be one of allow, error/],
    [['--service', 'Cron_Guard'], /--service must be a DNS label/],
    [['--port', '9000', '--metrics-port', '9000'], /must differ/],
    [['extra'], /no positional arguments/],
    [['--policy-poll-seconds', '0'], /--policy-poll-seconds must be an integer from 1/],
    [['--tls-poll-seconds', 'often'], /--tls-poll-seconds must be an integer from 1/],
    [['--cluster', 'on'], /--cluster must be one of auto, off/],
    [['--cluster', 'off', '--kubeconfig', 'k'], /--kubeconfig has no effect with --cluster off/],
    [['--kubernetes-version', '1.x'], /--kubernetes-version must look like 1.31/],
  ])('refuses %j', (argv, message) => {
    expect(() => parse(argv)).toThrow(message);
  });

  it('refuses bad environment values just as it refuses bad flags', () => {
    expect(() => parse([], { CRONGUARD_METRICS_PORT: '-1' })).toThrow(/--metrics-port/);
  });

  it('reads the reload poll intervals in seconds', () => {
    expect(
      parse(['--policy-poll-seconds', '3'], { CRONGUARD_TLS_POLL_SECONDS: '60' }),
    ).toMatchObject({ policyPollMs: 3_000, tlsPollMs: 60_000 });
  });

  it('reads the cluster settings, keeping the Kubernetes version as major.minor', () => {
    expect(
      parse(['--kubeconfig', '/k/config'], {
        CRONGUARD_KUBERNETES_VERSION: 'v1.31.2',
        CRONGUARD_CLUSTER: 'auto',
      }),
    ).toMatchObject({ cluster: 'auto', kubeconfigPath: '/k/config', kubernetesVersion: '1.31' });
    expect(parse(['--cluster', 'off', '--kubernetes-version', '1.29'])).toMatchObject({
      cluster: 'off',
      kubernetesVersion: '1.29',
    });
  });

  it('returns help for --help', () => {
    expect(parseServerConfig(['--help'], {})).toBe('help');
  });
});
