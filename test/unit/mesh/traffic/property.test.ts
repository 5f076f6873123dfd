import { DestinationRule } from '@kubernetes-models/istio/networking.istio.io/v1/DestinationRule';
import { VirtualService } from '@kubernetes-models/istio/networking.istio.io/v1/VirtualService';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../../../src/k8s/types.js';
import { generateTraffic } from '../../../../src/mesh/traffic/index.js';
import { parseTrafficDuration } from '../../../../src/mesh/traffic/duration.js';
import {
  SUPPORTED_RETRY_ON,
  validateDestinationRule,
  validateVirtualService,
} from '../../../../src/mesh/traffic/validate.js';
import type { TrafficDestination } from '../../../../src/mesh/types.js';

/**
 * Whatever a policy or annotation says, every object the generator writes must
 * pass istiod's semantic checks and the CRD's structural schema, and keep
 * attempts x perTryTimeout within the route timeout. Inputs include the
 * invalid values a hand-written policy can hold (the generator reports them).
 */
const durationText = fc.oneof(
  fc.constantFrom('1ms', '250ms', '1s', '1.5s', '10s', '30s', '1m', '1m30s', '1h', '2h'),
  fc.integer({ min: 1, max: 100_000 }).map((ms) => `${ms}ms`),
  fc.constantFrom('0s', '500us', '1.5ms', '1d', '', 'soon', '-1s', '10'),
);
const count = fc.oneof(fc.integer({ min: 0, max: 1000 }), fc.constantFrom(-1, 1.5, 2 ** 40));
const retryToken = fc.oneof(
  fc.constantFrom(...SUPPORTED_RETRY_ON),
  fc.constantFrom('503', '429', '599', 'bogus', ''),
);
const host = fc.oneof(
  fc.stringMatching(/^[a-z][a-z0-9-]{0,15}[a-z0-9]$/),
  fc.constantFrom(
    'ledger.batch',
    'payments.prod.svc',
    'payments.prod.svc.cluster.local',
    'api.example.com',
    'example.com.',
    'x'.repeat(70) + '.example.com',
    'Bad_Host',
    '*.example.com',
  ),
);
const destination: fc.Arbitrary<TrafficDestination> = fc.record(
  {
    host,
    idempotent: fc.boolean(),
    timeout: durationText,
    retries: fc.record(
      {
        attempts: fc.oneof(fc.integer({ min: 0, max: 10 }), count),
        perTryTimeout: durationText,
        retryOn: fc.array(retryToken, { maxLength: 4 }),
      },
      { requiredKeys: ['attempts'] },
    ),
    connectionPool: fc.record(
      {
        tcp: fc.record(
          { maxConnections: count, connectTimeout: durationText, idleTimeout: durationText },
          { requiredKeys: [] },
        ),
        http: fc.record(
          {
            http1MaxPendingRequests: count,
            http2MaxRequests: count,
            maxRequestsPerConnection: count,
            maxRetries: count,
            idleTimeout: durationText,
          },
          { requiredKeys: [] },
        ),
      },
      { requiredKeys: [] },
    ),
    outlierDetection: fc.record(
      {
        consecutive5xxErrors: count,
        consecutiveGatewayErrors: count,
        interval: durationText,
        baseEjectionTime: durationText,
        maxEjectionPercent: fc.integer({ min: -5, max: 105 }),
        minHealthPercent: fc.integer({ min: -5, max: 105 }),
      },
      { requiredKeys: [] },
    ),
  },
  { requiredKeys: ['host', 'idempotent'] },
);
const cronJobs = fc.array(
  fc.record({
    name: fc.stringMatching(/^[a-z][a-z0-9-]{0,50}[a-z0-9]$/),
    namespace: fc.constantFrom('batch', 'ops', 'a-very-long-namespace-name-for-testing'),
    uid: fc.option(fc.uuid(), { nil: undefined }),
    destinations: fc.array(destination, { maxLength: 4 }),
  }),
  { maxLength: 5 },
);

function milliseconds(text: unknown): number {
  const parsed = parseTrafficDuration(String(text));
  if (!parsed.ok) throw new Error(`generated an invalid duration ${String(text)}`);
  return parsed.milliseconds;
}

function checkObject(object: KubeObject): void {
  const name = object.metadata?.name ?? '';
  expect(name).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
  expect(name.length).toBeLessThanOrEqual(63);
  for (const value of Object.values(object.metadata?.labels ?? {}))
    expect(value.length).toBeLessThanOrEqual(63);
  if (object.kind === 'VirtualService') {
    expect(validateVirtualService(object)).toEqual([]);
    // Throws with the schema errors when the structure is wrong.
    new VirtualService(object).validate();
    const routes = (object as { spec: { http: Record<string, unknown>[] } }).spec.http;
    for (const route of routes) {
      const retries = route.retries as
        { attempts: number; perTryTimeout?: string; retryOn?: string } | undefined;
      if (retries === undefined) continue;
      expect(route.timeout).toBeDefined();
      if (retries.attempts === 0) {
        expect(retries).toEqual({ attempts: 0 });
        continue;
      }
      expect(retries.attempts * milliseconds(retries.perTryTimeout)).toBeLessThanOrEqual(
        milliseconds(route.timeout),
      );
    }
  } else {
    expect(object.kind).toBe('DestinationRule');
    expect(validateDestinationRule(object)).toEqual([]);
    new DestinationRule(object).validate();
  }
}

describe('generated objects (property)', () => {
  it('always pass istiod checks and the CRD schema, and keep retries within the timeout', () => {
    fc.assert(
      fc.property(cronJobs, (jobs) => {
        const input = jobs.map((job) => ({
          object: {
            apiVersion: 'batch/v1',
            kind: 'CronJob',
            metadata: {
              name: job.name,
              namespace: job.namespace,
              ...(job.uid === undefined ? {} : { uid: job.uid }),
            },
          },
          destinations: job.destinations,
        }));
        const { objects } = generateTraffic(input);
        objects.forEach(checkObject);
        // No two objects of one kind share a name in a namespace.
        const keys = objects.map(
          (o) => `${String(o.kind)}/${String(o.metadata?.namespace)}/${String(o.metadata?.name)}`,
        );
        expect(new Set(keys).size).toBe(keys.length);
      }),
      { numRuns: 300 },
    );
  });
});
