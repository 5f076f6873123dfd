import { describe, expect, it } from 'vitest';
import {
  isValidRetryOnToken,
  validateDestinationRule,
  validateVirtualService,
} from '../../../../src/mesh/traffic/validate.js';

function virtualService(route: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return {
    apiVersion: 'networking.istio.io/v1',
    kind: 'VirtualService',
    metadata: { name: 'vs' },
    spec: { hosts: ['s'], http: [{ route: [{ destination: { host: 's' } }], ...route }], ...extra },
  };
}

function destinationRule(spec: Record<string, unknown>) {
  return {
    apiVersion: 'networking.istio.io/v1',
    kind: 'DestinationRule',
    metadata: { name: 'dr' },
    spec: { host: 's', ...spec },
  };
}

describe('retryOn tokens', () => {
  it('accepts Envoy tokens and HTTP status codes Go knows, exactly as written', () => {
    for (const token of ['5xx', 'connect-failure', 'retriable-status-codes', '503', '429', '418'])
      expect(isValidRetryOnToken(token), token).toBe(true);
    for (const token of ['599', '0', '', ' 503', '5XX', 'connect_failure', 'reset '])
      expect(isValidRetryOnToken(token), token).toBe(false);
  });
});

describe('validateVirtualService', () => {
  it('accepts a well-formed route', () => {
    expect(
      validateVirtualService(
        virtualService(
          {
            timeout: '30s',
            retries: { attempts: 2, perTryTimeout: '10s', retryOn: 'connect-failure,503' },
          },
          { exportTo: ['.'] },
        ),
      ),
    ).toEqual([]);
  });

  it('rejects negative attempts and attempts 0 with other retry fields', () => {
    expect(validateVirtualService(virtualService({ retries: { attempts: -1 } }))).toEqual([
      'spec.http[0].retries.attempts: cannot be negative, got -1',
    ]);
    expect(validateVirtualService(virtualService({ retries: { attempts: 0 } }))).toEqual([]);
    for (const field of [
      { perTryTimeout: '1s' },
      { retryOn: '5xx' },
      { retryRemoteLocalities: true },
    ]) {
      expect(
        validateVirtualService(virtualService({ retries: { attempts: 0, ...field } })),
      ).toHaveLength(1);
    }
    // Absent attempts is 0 to istiod.
    expect(validateVirtualService(virtualService({ retries: { retryOn: '5xx' } }))).toHaveLength(1);
  });

  it('rejects unknown retryOn tokens, one message each', () => {
    expect(
      validateVirtualService(virtualService({ retries: { attempts: 1, retryOn: '5xx,,oops' } })),
    ).toHaveLength(2);
  });

  it('rejects durations istiod rejects', () => {
    for (const bad of ['500us', '1.5ms', '0s', '10', '1d', 5]) {
      expect(validateVirtualService(virtualService({ timeout: bad })), String(bad)).toHaveLength(1);
      expect(
        validateVirtualService(virtualService({ retries: { attempts: 1, perTryTimeout: bad } })),
      ).toHaveLength(1);
    }
  });

  it('needs hosts, destinations, valid subsets and exportTo', () => {
    expect(validateVirtualService({ spec: { hosts: [] } })).toEqual([
      'spec.hosts: a VirtualService needs at least one host',
    ]);
    expect(validateVirtualService(virtualService({ route: [] }))).toHaveLength(1);
    expect(
      validateVirtualService(
        virtualService({ route: [{ destination: { host: 's', subset: 'V1' } }] }),
      ),
    ).toHaveLength(1);
    expect(validateVirtualService(virtualService({}, { exportTo: ['*', '.'] }))).toHaveLength(1);
    expect(validateVirtualService(virtualService({}, { exportTo: ['Bad'] }))).toHaveLength(1);
    expect(validateVirtualService('nope')).toHaveLength(1);
  });
});

describe('validateDestinationRule', () => {
  it('accepts what the generator writes', () => {
    expect(
      validateDestinationRule(
        destinationRule({
          exportTo: ['.'],
          workloadSelector: { matchLabels: { 'cronguard.dev/cronjob': 'a' } },
          trafficPolicy: {
            connectionPool: { tcp: { connectTimeout: '10s' } },
            outlierDetection: {
              consecutive5xxErrors: 5,
              interval: '10s',
              baseEjectionTime: '30s',
              maxEjectionPercent: 10,
            },
          },
        }),
      ),
    ).toEqual([]);
  });

  it('rejects empty trafficPolicy and connectionPool', () => {
    expect(validateDestinationRule(destinationRule({ trafficPolicy: {} }))).toEqual([
      'spec.trafficPolicy: a traffic policy must have at least one field',
    ]);
    expect(
      validateDestinationRule(destinationRule({ trafficPolicy: { connectionPool: {} } })),
    ).toEqual([
      'spec.trafficPolicy.connectionPool: a connection pool must have at least one field (tcp or http)',
    ]);
    expect(
      validateDestinationRule(
        destinationRule({ subsets: [{ name: 'v1', labels: { v: '1' }, trafficPolicy: {} }] }),
      ),
    ).toHaveLength(1);
  });

  it('rejects negative pool integers, bad durations and percentages out of range', () => {
    const problems = validateDestinationRule(
      destinationRule({
        trafficPolicy: {
          connectionPool: {
            tcp: { maxConnections: -1, connectTimeout: '1us' },
            http: { http1MaxPendingRequests: -5, maxRetries: 1.5, idleTimeout: '1h' },
          },
          outlierDetection: {
            maxEjectionPercent: 101,
            minHealthPercent: -1,
            interval: 'soon',
            consecutiveLocalOriginFailures: 3,
          },
        },
      }),
    );
    expect(problems).toEqual([
      'spec.trafficPolicy.connectionPool.tcp.maxConnections: must not be negative, got -1',
      'spec.trafficPolicy.connectionPool.tcp.connectTimeout: "1us" is shorter than 1ms; Istio requires at least "1ms"',
      'spec.trafficPolicy.connectionPool.http.http1MaxPendingRequests: must not be negative, got -5',
      'spec.trafficPolicy.connectionPool.http.maxRetries: must be an integer, got 1.5',
      expect.stringMatching(
        /^spec\.trafficPolicy\.outlierDetection\.interval: "soon" is not a duration/,
      ),
      'spec.trafficPolicy.outlierDetection.maxEjectionPercent: must be a percentage between 0 and 100, got 101',
      'spec.trafficPolicy.outlierDetection.minHealthPercent: must be a percentage between 0 and 100, got -1',
      'spec.trafficPolicy.outlierDetection.consecutiveLocalOriginFailures: only takes effect with splitExternalLocalOriginErrors: true',
    ]);
  });

  it('rejects subset names that are not DNS-1123 labels', () => {
    for (const name of ['V1', 'v_1', '-v1', 'a'.repeat(64), ''])
      expect(validateDestinationRule(destinationRule({ subsets: [{ name }] })), name).toHaveLength(
        1,
      );
    expect(validateDestinationRule(destinationRule({ subsets: [{ name: 'v1-canary' }] }))).toEqual(
      [],
    );
  });

  it('rejects a missing host and wildcard selectors', () => {
    expect(validateDestinationRule({ spec: {} })).toEqual(['spec.host: required']);
    expect(
      validateDestinationRule(destinationRule({ workloadSelector: { matchLabels: { app: '*' } } })),
    ).toHaveLength(1);
  });
});
