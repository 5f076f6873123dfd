import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../../../src/k8s/types.js';
import {
  generateTraffic,
  resolveDestinations,
  routeSettings,
  type TrafficCronJob,
  type TrafficProblem,
} from '../../../../src/mesh/traffic/index.js';
import { formatMilliseconds, parseTrafficDuration } from '../../../../src/mesh/traffic/duration.js';
import { normalizeHost, objectName } from '../../../../src/mesh/traffic/names.js';
import type { TrafficDestination } from '../../../../src/mesh/types.js';

function cronJob(
  name: string,
  extra: Partial<{ namespace: string; uid: string; destinations: string }> = {},
): KubeObject {
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: {
      name,
      ...(extra.namespace === undefined ? {} : { namespace: extra.namespace }),
      ...(extra.uid === undefined ? {} : { uid: extra.uid }),
      ...(extra.destinations === undefined
        ? {}
        : { annotations: { 'cronguard.dev/destinations': extra.destinations } }),
    },
  };
}

function destination(host: string, rest: Partial<TrafficDestination> = {}): TrafficDestination {
  return { host, idempotent: false, ...rest };
}

function settingsOf(dest: TrafficDestination): {
  settings: ReturnType<typeof routeSettings>;
  problems: string[];
} {
  const problems: string[] = [];
  const settings = routeSettings(dest, (message) => problems.push(message));
  return { settings, problems };
}

function spec(object: KubeObject | undefined): Record<string, unknown> {
  return (object as { spec: Record<string, unknown> }).spec;
}

describe('durations', () => {
  it('accepts Go durations with units h, m, s and ms, whole milliseconds, at least 1ms', () => {
    expect(parseTrafficDuration('1m30s')).toEqual({ ok: true, milliseconds: 90_000 });
    expect(parseTrafficDuration('1.5s')).toEqual({ ok: true, milliseconds: 1_500 });
    expect(parseTrafficDuration('1ms')).toEqual({ ok: true, milliseconds: 1 });
    for (const bad of ['500us', '1500000ns', '1.5ms', '0s', '0', '-1s', '1d', '', '10']) {
      expect(parseTrafficDuration(bad).ok, bad).toBe(false);
    }
  });

  it('formats in the largest exact unit', () => {
    expect(formatMilliseconds(90_000)).toBe('90s');
    expect(formatMilliseconds(120_000)).toBe('2m');
    expect(formatMilliseconds(7_200_000)).toBe('2h');
    expect(formatMilliseconds(1_500)).toBe('1500ms');
  });
});

describe('hosts and names', () => {
  it('expands short names against the namespace and keeps FQDNs and external hosts', () => {
    expect(normalizeHost('ledger', 'batch')).toEqual({
      ok: true,
      host: 'ledger.batch.svc.cluster.local',
    });
    expect(normalizeHost('payments.prod', 'batch')).toEqual({
      ok: true,
      host: 'payments.prod.svc.cluster.local',
    });
    expect(normalizeHost('payments.prod.svc', 'batch', 'corp.internal')).toEqual({
      ok: true,
      host: 'payments.prod.svc.corp.internal',
    });
    expect(normalizeHost('payments.prod.svc.cluster.local', 'batch')).toEqual({
      ok: true,
      host: 'payments.prod.svc.cluster.local',
    });
    expect(normalizeHost('api.stripe.com', 'batch')).toEqual({ ok: true, host: 'api.stripe.com' });
    expect(normalizeHost('example.com.', 'batch')).toEqual({ ok: true, host: 'example.com' });
  });

  it('refuses wildcards, upper case and non-DNS hosts', () => {
    for (const bad of ['*.example.com', 'Payments', 'a_b', '', ' ', 'a..b.c.d', '-a']) {
      expect(normalizeHost(bad, 'batch').ok, bad).toBe(false);
    }
  });

  it('builds DNS-1123 labels of at most 63 characters with a hash that separates look-alikes', () => {
    const a = objectName(['cronguard', 'a-b-c'], 'a-b.c.svc.cluster.local');
    const b = objectName(['cronguard', 'a-b-c'], 'a.b-c.svc.cluster.local');
    expect(a).not.toBe(b);
    const long = objectName(['cronguard', 'x'.repeat(100)], 'id');
    expect(long.length).toBeLessThanOrEqual(63);
    for (const name of [a, b, long]) expect(name).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
  });
});

describe('route settings', () => {
  it('uses the safe defaults when nothing is set', () => {
    expect(settingsOf(destination('x'))).toEqual({
      settings: {
        timeoutMs: 30_000,
        retries: {
          attempts: 2,
          perTryTimeoutMs: 10_000,
          retryOn: [
            'connect-failure',
            'refused-stream',
            'reset-before-request',
            'unavailable',
            'cancelled',
          ],
        },
      },
      problems: [],
    });
  });

  it('adds 5xx and gateway-error to the default set only for idempotent calls', () => {
    const { settings } = settingsOf(destination('x', { idempotent: true }));
    expect('retryOn' in settings.retries && settings.retries.retryOn).toContain('5xx');
    expect('retryOn' in settings.retries && settings.retries.retryOn).toContain('gateway-error');
  });

  it('refuses response-based retries for non-idempotent calls and falls back to the safe set', () => {
    for (const token of ['5xx', 'gateway-error', 'retriable-4xx', 'reset', '503']) {
      const { settings, problems } = settingsOf(
        destination('x', { retries: { attempts: 3, retryOn: ['connect-failure', token] } }),
      );
      expect(problems.join('\n'), token).toMatch(/idempotent: true/);
      expect('retryOn' in settings.retries && settings.retries.retryOn).not.toContain(token);
    }
    const allowed = settingsOf(
      destination('x', {
        idempotent: true,
        retries: { attempts: 3, retryOn: ['5xx', '503', '5xx'] },
      }),
    );
    expect(allowed.problems).toEqual([]);
    expect('retryOn' in allowed.settings.retries && allowed.settings.retries.retryOn).toEqual([
      '5xx',
      '503',
    ]);
  });

  it('reports retryOn tokens Istio does not know', () => {
    const { problems } = settingsOf(
      destination('x', { idempotent: true, retries: { attempts: 1, retryOn: ['5XX', '599'] } }),
    );
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/"5XX", "599" are not retry-on tokens/);
  });

  it('writes attempts 0 alone, and reports fields it had to drop', () => {
    expect(settingsOf(destination('x', { retries: { attempts: 0 } }))).toEqual({
      settings: { timeoutMs: 30_000, retries: { attempts: 0 } },
      problems: [],
    });
    const withExtras = settingsOf(
      destination('x', { retries: { attempts: 0, perTryTimeout: '1s', retryOn: ['reset'] } }),
    );
    expect(withExtras.settings.retries).toEqual({ attempts: 0 });
    expect(withExtras.problems).toHaveLength(1);
  });

  it('lowers a default perTryTimeout silently to fit the timeout', () => {
    const { settings, problems } = settingsOf(destination('x', { timeout: '5s' }));
    expect(problems).toEqual([]);
    expect(settings).toMatchObject({
      timeoutMs: 5_000,
      retries: { attempts: 2, perTryTimeoutMs: 2_500 },
    });
  });

  it('reports when the author set both perTryTimeout and timeout and they contradict', () => {
    const { settings, problems } = settingsOf(
      destination('x', { timeout: '10s', retries: { attempts: 3, perTryTimeout: '5s' } }),
    );
    expect(problems).toEqual([
      'retries: 3 attempts x perTryTimeout 5s exceed the timeout 10s; perTryTimeout lowered to 3333ms',
    ]);
    expect(settings.retries).toMatchObject({ attempts: 3, perTryTimeoutMs: 3_333 });
  });

  it('lowers attempts when even 1ms per try does not fit', () => {
    const { settings, problems } = settingsOf(
      destination('x', { timeout: '2ms', retries: { attempts: 5 } }),
    );
    expect(problems).toHaveLength(1);
    expect(settings.retries).toMatchObject({ attempts: 2, perTryTimeoutMs: 1 });
  });

  it('reports invalid durations and uses the defaults', () => {
    const { settings, problems } = settingsOf(
      destination('x', { timeout: '500us', retries: { attempts: 1, perTryTimeout: '1d' } }),
    );
    expect(problems).toHaveLength(2);
    expect(settings).toMatchObject({ timeoutMs: 30_000, retries: { perTryTimeoutMs: 10_000 } });
  });

  it('reports invalid attempts', () => {
    for (const attempts of [-1, 1.5, Number.NaN]) {
      const { settings, problems } = settingsOf(destination('x', { retries: { attempts } }));
      expect(problems).toHaveLength(1);
      expect(settings.retries.attempts).toBe(2);
    }
  });
});

describe('resolveDestinations', () => {
  const policy = [
    destination('ledger.batch.svc.cluster.local', { timeout: '5s' }),
    destination('payments.prod', { idempotent: true }),
  ];

  it('merges the policy list with the annotation, policy settings winning for shared hosts', () => {
    const result = resolveDestinations(
      cronJob('report', { namespace: 'batch', destinations: ' ledger , audit.ops,, ' }),
      policy,
    );
    expect(result.problems).toEqual([]);
    expect(result.destinations).toEqual([
      { host: 'audit.ops', idempotent: false },
      destination('ledger.batch.svc.cluster.local', { timeout: '5s' }),
      destination('payments.prod', { idempotent: true }),
    ]);
  });

  it('reports invalid hosts and duplicates', () => {
    const result = resolveDestinations(
      cronJob('report', { namespace: 'batch', destinations: 'ok,Bad_Host' }),
      [destination('x'), destination('x.batch.svc.cluster.local'), destination('*.com')],
    );
    expect(result.destinations.map((entry) => entry.host)).toEqual(['ok', 'x']);
    expect(result.problems).toHaveLength(3);
  });

  it('uses only the policy list without the annotation', () => {
    expect(resolveDestinations(cronJob('r'), policy).destinations).toHaveLength(2);
  });
});

describe('generateTraffic', () => {
  const ns = 'batch';

  function run(input: TrafficCronJob[]): { objects: KubeObject[]; problems: TrafficProblem[] } {
    return generateTraffic(input);
  }

  it('generates one VirtualService per host with a route per CronJob and a catch-all', () => {
    const { objects, problems } = run([
      { object: cronJob('zeta', { namespace: ns }), destinations: [destination('ledger')] },
      {
        object: cronJob('alpha', { namespace: ns }),
        destinations: [destination('ledger', { timeout: '5s' })],
      },
    ]);
    expect(problems).toEqual([]);
    expect(objects.map((o) => o.kind)).toEqual([
      'VirtualService',
      'DestinationRule',
      'DestinationRule',
    ]);
    const [vs, drAlpha, drZeta] = objects;
    expect(vs?.apiVersion).toBe('networking.istio.io/v1');
    expect(vs?.metadata).toMatchObject({
      namespace: ns,
      labels: {
        'app.kubernetes.io/managed-by': 'cronguard',
        'cronguard.dev/host': 'ledger.batch.svc.cluster.local',
      },
      annotations: { 'cronguard.dev/cronjobs': 'alpha,zeta' },
    });
    expect(vs?.metadata?.name).toMatch(/^cronguard-ledger-batch-[0-9a-f]{8}$/);
    expect(vs?.metadata?.ownerReferences).toBeUndefined();
    expect(spec(vs)).toEqual({
      hosts: ['ledger.batch.svc.cluster.local'],
      exportTo: ['.'],
      http: [
        {
          name: 'cronjob-alpha',
          match: [{ sourceLabels: { 'cronguard.dev/cronjob': 'alpha' } }],
          route: [{ destination: { host: 'ledger.batch.svc.cluster.local' } }],
          timeout: '5s',
          retries: {
            attempts: 2,
            perTryTimeout: '2500ms',
            retryOn: 'connect-failure,refused-stream,reset-before-request,unavailable,cancelled',
          },
        },
        {
          name: 'cronjob-zeta',
          match: [{ sourceLabels: { 'cronguard.dev/cronjob': 'zeta' } }],
          route: [{ destination: { host: 'ledger.batch.svc.cluster.local' } }],
          timeout: '30s',
          retries: {
            attempts: 2,
            perTryTimeout: '10s',
            retryOn: 'connect-failure,refused-stream,reset-before-request,unavailable,cancelled',
          },
        },
        { name: 'default', route: [{ destination: { host: 'ledger.batch.svc.cluster.local' } }] },
      ],
    });
    expect(drAlpha?.metadata?.labels?.['cronguard.dev/cronjob']).toBe('alpha');
    expect(drZeta?.metadata?.labels?.['cronguard.dev/cronjob']).toBe('zeta');
    expect(spec(drAlpha)).toEqual({
      host: 'ledger.batch.svc.cluster.local',
      exportTo: ['.'],
      workloadSelector: { matchLabels: { 'cronguard.dev/cronjob': 'alpha' } },
      trafficPolicy: {
        connectionPool: { tcp: { connectTimeout: '10s' } },
        outlierDetection: {
          consecutive5xxErrors: 5,
          interval: '10s',
          baseEjectionTime: '30s',
          maxEjectionPercent: 10,
        },
      },
    });
  });

  it('separates namespaces and sorts output by namespace and host', () => {
    const { objects } = run([
      {
        object: cronJob('a', { namespace: 'ns2' }),
        destinations: [destination('zz'), destination('aa')],
      },
      {
        object: cronJob('a', { namespace: 'ns1' }),
        destinations: [destination('x.ext.example.com')],
      },
    ]);
    expect(
      objects
        .filter((o) => o.kind === 'VirtualService')
        .map((o) => `${String(o.metadata?.namespace)}/${String((spec(o).hosts as string[])[0])}`),
    ).toEqual([
      'ns1/x.ext.example.com',
      'ns2/aa.ns2.svc.cluster.local',
      'ns2/zz.ns2.svc.cluster.local',
    ]);
  });

  it('is deterministic regardless of input order', () => {
    const input: TrafficCronJob[] = [
      {
        object: cronJob('b', { namespace: ns }),
        destinations: [destination('s1'), destination('s2')],
      },
      { object: cronJob('a', { namespace: ns }), destinations: [destination('s2')] },
    ];
    expect(run(input)).toEqual(run([...input].reverse()));
  });

  it('copies pool limits and outlier settings from the policy', () => {
    const { objects, problems } = run([
      {
        object: cronJob('a', { namespace: ns }),
        destinations: [
          destination('s', {
            connectionPool: {
              tcp: { maxConnections: 10, connectTimeout: '2s' },
              http: { http1MaxPendingRequests: 5, http2MaxRequests: 50, idleTimeout: '1m' },
            },
            outlierDetection: {
              consecutive5xxErrors: 0,
              minHealthPercent: 50,
              maxEjectionPercent: 101,
            },
          }),
        ],
      },
    ]);
    expect(problems.map((p) => p.message)).toEqual([
      's.batch.svc.cluster.local: outlierDetection.maxEjectionPercent must be a percentage from 0 to 100, got 101; it is left out',
    ]);
    expect(spec(objects[1]).trafficPolicy).toEqual({
      connectionPool: {
        tcp: { maxConnections: 10, connectTimeout: '2s' },
        http: { http1MaxPendingRequests: 5, http2MaxRequests: 50, idleTimeout: '1m' },
      },
      outlierDetection: {
        consecutive5xxErrors: 0,
        interval: '10s',
        baseEjectionTime: '30s',
        maxEjectionPercent: 10,
        minHealthPercent: 50,
      },
    });
  });

  it('adds owner references only when every served CronJob has a uid', () => {
    const both = run([
      { object: cronJob('a', { namespace: ns, uid: 'u-a' }), destinations: [destination('s')] },
      { object: cronJob('b', { namespace: ns, uid: 'u-b' }), destinations: [destination('s')] },
    ]);
    expect(both.objects[0]?.metadata?.ownerReferences).toEqual([
      {
        apiVersion: 'batch/v1',
        kind: 'CronJob',
        name: 'a',
        uid: 'u-a',
        controller: false,
        blockOwnerDeletion: false,
      },
      {
        apiVersion: 'batch/v1',
        kind: 'CronJob',
        name: 'b',
        uid: 'u-b',
        controller: false,
        blockOwnerDeletion: false,
      },
    ]);
    expect(both.objects[1]?.metadata?.ownerReferences).toHaveLength(1);
    const one = run([
      { object: cronJob('a', { namespace: ns, uid: 'u-a' }), destinations: [destination('s')] },
      { object: cronJob('b', { namespace: ns }), destinations: [destination('s')] },
    ]);
    expect(one.objects[0]?.metadata?.ownerReferences).toBeUndefined();
    expect(one.objects[1]?.metadata?.ownerReferences).toHaveLength(1);
    expect(one.objects[2]?.metadata?.ownerReferences).toBeUndefined();
  });

  it('emits v1beta1 on request', () => {
    const { objects } = generateTraffic(
      [{ object: cronJob('a'), destinations: [destination('s')] }],
      { apiVersion: 'networking.istio.io/v1beta1' },
    );
    expect(objects.every((o) => o.apiVersion === 'networking.istio.io/v1beta1')).toBe(true);
    expect(objects[0]?.metadata?.namespace).toBe('default');
  });

  it('reports CronJobs it cannot serve and duplicated entries', () => {
    const { objects, problems } = run([
      { object: { kind: 'CronJob', metadata: {} }, destinations: [destination('s')] },
      { object: cronJob('x'.repeat(64), { namespace: ns }), destinations: [destination('s')] },
      {
        object: cronJob('a', { namespace: ns }),
        destinations: [destination('s'), destination('s.batch'), destination('BAD')],
      },
      { object: cronJob('a', { namespace: ns }), destinations: [destination('t')] },
    ]);
    const lines = problems.map((p) => `${p.namespace}/${p.cronJob}: ${p.message}`);
    expect(lines).toHaveLength(5);
    expect(lines[0]).toMatch(
      /^batch\/a: destination s\.batch\.svc\.cluster\.local is listed twice/,
    );
    expect(lines[1]).toMatch(/^batch\/a: host "BAD" is not a DNS name/);
    expect(lines[2]).toMatch(/^batch\/a: the CronJob appears more than once/);
    expect(lines[3]).toMatch(/^batch\/x{64}: the name cannot be the value of the pod label/);
    expect(lines[4]).toMatch(/^default\/: the CronJob has no metadata\.name/);
    expect(objects).toHaveLength(2);
  });
});
