import { describe, expect, it } from 'vitest';
import { loadPolicies } from '../../../src/policy/index.js';
import { BUILTIN_RULE_IDS } from '../../../src/rules/index.js';

function load(mesh: string) {
  const text = `apiVersion: cronguard.dev/v1alpha1
kind: CronJobPolicy
metadata: {name: p}
spec:
  action: warn
  mesh:
${mesh
  .trim()
  .split('\n')
  .map((line) => `    ${line}`)
  .join('\n')}
`;
  return loadPolicies([{ file: 'p.yaml', text }], { knownRuleIds: BUILTIN_RULE_IDS });
}

/** `line:column message` of each error, as a reader sees them. */
function errorsOf(mesh: string): string[] {
  return load(mesh).errors.map((error) => `${error.line}:${error.column} ${error.message}`);
}

describe('the mesh section', () => {
  it('compiles with defaults and annotation values as text', () => {
    const { policies, errors } = load(`
provider: istio
istio:
  version: "1.27"
  revision: canary
  proxy: {cpu: 1, memory: 128Mi}
  traffic: {excludeOutboundPorts: 5432}
  proxyConfig: {terminationDrainDuration: 10s}
traffic:
  - host: payments.prod
    timeout: 30s
    retries: {attempts: 2, perTryTimeout: 10s}
`);
    expect(errors).toEqual([]);
    expect(policies[0]?.spec.mesh).toEqual({
      provider: 'istio',
      apply: 'default',
      jobCompletion: { nativeSidecar: 'auto', wrapCommand: false },
      istio: {
        version: '1.27',
        revision: 'canary',
        proxy: { cpu: '1', memory: '128Mi' },
        traffic: { excludeOutboundPorts: '5432' },
        proxyConfig: { terminationDrainDuration: '10s' },
      },
      traffic: [
        {
          host: 'payments.prod',
          timeout: '30s',
          retries: { attempts: 2, perTryTimeout: '10s' },
          idempotent: false,
        },
      ],
    });
  });

  it.each([
    [
      'a provider is required',
      'inject: true',
      ['6:3 spec.mesh.provider: required: one of istio, linkerd, auto'],
    ],
    [
      'an invalid proxy quantity',
      'provider: istio\nistio: {proxy: {cpu: lots}}',
      [
        expect.stringMatching(
          /^8:21 spec\.mesh\.istio\.proxy\.cpu: sidecar\.istio\.io\/proxyCPU: /,
        ),
      ],
    ],
    [
      'an invalid port list',
      'provider: istio\nistio: {traffic: {excludeOutboundPorts: "5432,70000"}}',
      [expect.stringMatching(/^8:23 spec\.mesh\.istio\.traffic\.excludeOutboundPorts: /)],
    ],
    [
      'an invalid CIDR',
      'provider: istio\nistio: {traffic: {excludeOutboundIPRanges: 10.0.0.0/33}}',
      [expect.stringMatching(/^8:23 spec\.mesh\.istio\.traffic\.excludeOutboundIPRanges: /)],
    ],
    [
      'a ProxyConfig Istio rejects',
      'provider: istio\nistio: {proxyConfig: {terminationDrainDuration: 500us}}',
      [expect.stringMatching(/^8:27 spec\.mesh\.istio\.proxyConfig\.terminationDrainDuration: /)],
    ],
    [
      'a request above its limit',
      'provider: istio\nistio: {proxy: {memory: 1Gi, memoryLimit: 256Mi}}',
      ['8:21 spec.mesh.istio.proxy.memory: request 1Gi is larger than the limit 256Mi'],
    ],
    [
      'an unreadable Istio version',
      'provider: istio\nistio: {version: latest}',
      [
        '8:13 spec.mesh.istio.version: expected an Istio version such as "1.27" or "1.27.3", got "latest"',
      ],
    ],
    [
      'an Istio version YAML reads as a number',
      'provider: istio\nistio: {version: 1.30}',
      [expect.stringMatching(/^8:13 spec\.mesh\.istio\.version: expected a string/)],
    ],
    [
      'an unreadable Linkerd version',
      'provider: linkerd\nlinkerd: {version: edge-25.13.1}',
      [expect.stringMatching(/^8:15 spec\.mesh\.linkerd\.version: expected a Linkerd version/)],
    ],
    [
      'settings of the other mesh',
      'provider: linkerd\nistio: {revision: canary}',
      [
        expect.stringMatching(
          /^8:5 spec\.mesh\.istio: Istio settings never apply with provider linkerd/,
        ),
      ],
    ],
    [
      'containers without wrapCommand',
      'provider: istio\njobCompletion: {containers: [app]}',
      [expect.stringMatching(/^8:21 spec\.mesh\.jobCompletion\.containers: /)],
    ],
    [
      'an unknown nativeSidecar mode',
      'provider: istio\njobCompletion: {nativeSidecar: sometimes}',
      [expect.stringMatching(/^8:21 spec\.mesh\.jobCompletion\.nativeSidecar: /)],
    ],
    [
      'an unsafe retry on a non-idempotent route',
      'provider: istio\ntraffic: [{host: a, retries: {attempts: 2, retryOn: [connect-failure, 5xx]}}]',
      [
        expect.stringMatching(
          /^8:75 spec\.mesh\.traffic\[0\]\.retries\.retryOn\[1\]: 5xx retries .* idempotent: true/,
        ),
      ],
    ],
    [
      'attempts 0 with other retry fields',
      'provider: istio\ntraffic: [{host: a, retries: {attempts: 0, perTryTimeout: 1s}}]',
      [expect.stringMatching(/^8:35 spec\.mesh\.traffic\[0\]\.retries\.attempts: attempts 0 /)],
    ],
    [
      'tries longer than the timeout',
      'provider: istio\ntraffic: [{host: a, timeout: 10s, retries: {attempts: 3, perTryTimeout: 5s}}]',
      [expect.stringMatching(/perTryTimeout: 3 attempts × 5s is longer than the timeout 10s/)],
    ],
    [
      'a duplicate host',
      'provider: istio\ntraffic: [{host: a}, {host: a}]',
      [expect.stringMatching(/traffic\[1\]\.host: host a is already listed at traffic\[0\]/)],
    ],
  ])('refuses %s, at the field', (_name, mesh, expected) => {
    const result = load(mesh);
    expect(result.policies).toEqual([]);
    expect(errorsOf(mesh)).toEqual(expected);
  });

  it('accepts 5xx retries on an idempotent route and every mesh version form', () => {
    expect(
      errorsOf(`
provider: auto
istio: {version: "v1.24.1"}
linkerd: {version: "edge-25.10.2", shutdownGracePeriod: 30s}
traffic: [{host: a, idempotent: true, retries: {attempts: 1, retryOn: [5xx, "503"]}}]
`),
    ).toEqual([]);
  });
});
