import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Evaluation } from '../../../src/engine/types.js';
import { applyApiServerDefaults } from '../../../src/k8s/api-defaults.js';
import type { KubeObject } from '../../../src/k8s/types.js';
import type { PolicySet } from '../../../src/policy/types.js';
import { BUILTIN_RULES } from '../../../src/rules/index.js';
import { cronJobArbitrary } from '../../support/arbitraries.js';
import { policiesFrom } from '../../support/policies.js';
import {
  expectIdempotent,
  expectLintEqualsAdmission,
  findingsOf,
  mutationsOf,
  podFrom,
  run,
} from '../../support/evaluate.js';

function container(name: string, resources?: unknown): Record<string, unknown> {
  return {
    name,
    image: `registry.example.com/${name}:1.0.0`,
    ...(resources === undefined ? {} : { resources }),
  };
}

function cronJob(containers: unknown[], initContainers?: unknown[]): KubeObject {
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name: 'nightly', namespace: 'default' },
    spec: {
      schedule: '0 3 * * *',
      jobTemplate: {
        spec: {
          template: {
            spec: {
              restartPolicy: 'OnFailure',
              containers,
              ...(initContainers ? { initContainers } : {}),
            },
          },
        },
      },
    },
  };
}

function pod(containers: unknown[]): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'once' },
    spec: { restartPolicy: 'Never', containers },
  };
}

function resourcesOf(result: Evaluation, index = 0): unknown {
  const spec = result.mutated.spec as Record<string, unknown>;
  const podSpec =
    result.mutated.kind === 'Pod'
      ? spec
      : (spec as { jobTemplate: { spec: { template: { spec: Record<string, unknown> } } } })
          .jobTemplate.spec.template.spec;
  return (podSpec.containers as Array<Record<string, unknown>>)[index]!.resources;
}

/** Lint sees the author's file, admission the API-server-defaulted object: same findings, same result. */
function policy(resources: string, name = 'sizes'): PolicySet {
  return policiesFrom(`
apiVersion: cronguard.dev/v1alpha1
kind: CronJobPolicy
metadata: {name: ${name}}
spec:
  action: enforce
  match: {kinds: [CronJob, Job, Pod]}
  resources:
${resources
  .trim()
  .split('\n')
  .map((line) => `    ${line}`)
  .join('\n')}
`);
}

const CONTAINERS = '/spec/jobTemplate/spec/template/spec/containers';
const FIELD = 'spec.jobTemplate.spec.template.spec.containers[0].resources';

const defaultsPolicy = policy(`
apply: default
defaults:
  requests: {cpu: 100m, memory: 128Mi}
  limits: {memory: 512Mi}
`);
const enforcePolicy = policy(`
apply: enforce
defaults:
  requests: {cpu: 100m, memory: 128Mi}
  limits: {memory: 512Mi}
`);
const enforceRequestOnlyPolicy = policy(`
apply: enforce
defaults:
  requests: {cpu: "2"}
`);
const enforceLimitOnlyPolicy = policy(`
apply: enforce
defaults:
  limits: {cpu: 500m}
`);
const validatePolicy = policy(`
apply: validate
defaults:
  requests: {cpu: 100m, memory: 128Mi}
  limits: {memory: 512Mi}
`);
const maxPolicy = policy(`
max:
  requests: {cpu: "1", memory: 1Gi}
  limits: {cpu: "2", memory: 2Gi}
`);
const ratioPolicy = policy(`
maxLimitRequestRatio: {cpu: 4, memory: 2}
`);
const requiredPolicy = policy(`
required: [requests.cpu, requests.memory, limits.memory]
`);
const defaultsAndRequiredPolicy = policy(`
apply: default
defaults:
  requests: {cpu: 100m, memory: 128Mi}
  limits: {memory: 512Mi}
required: [requests.cpu, requests.memory, limits.memory]
`);

describe('the API-server defaulting the equivalence tests rely on', () => {
  it('copies missing requests from limits for Pods only, not for templates', () => {
    const podObject = pod([
      container('a', { limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '250m' } }),
      container('b', { limits: {} }),
    ]) as Record<string, unknown>;
    applyApiServerDefaults(podObject);
    expect(resourcesOf({ mutated: podObject } as unknown as Evaluation, 0)).toEqual({
      limits: { cpu: '1', memory: '1Gi' },
      requests: { cpu: '250m', memory: '1Gi' },
    });
    expect(resourcesOf({ mutated: podObject } as unknown as Evaluation, 1)).toEqual({ limits: {} });
    const template = cronJob([container('a', { limits: { cpu: '1' } })]) as Record<string, unknown>;
    applyApiServerDefaults(template);
    expect(resourcesOf({ mutated: template } as unknown as Evaluation)).toEqual({
      limits: { cpu: '1' },
    });
  });
});

describe('resources-defaults', () => {
  it('fills requests and limits into containers and init containers', () => {
    const result = expectIdempotent(
      defaultsPolicy,
      cronJob([container('report')], [container('migrate')]),
    );
    expect(resourcesOf(result)).toEqual({
      requests: { cpu: '100m', memory: '128Mi' },
      limits: { memory: '512Mi' },
    });
    expect(
      mutationsOf(result, 'resources-defaults').filter((m) => m.path.startsWith(CONTAINERS)),
    ).toEqual([
      {
        ruleId: 'resources-defaults',
        policy: 'sizes',
        path: `${CONTAINERS}/0/resources/requests/cpu`,
        op: 'add',
        value: '100m',
        message: `set ${FIELD}.requests.cpu to 100m (policy default)`,
      },
      {
        ruleId: 'resources-defaults',
        policy: 'sizes',
        path: `${CONTAINERS}/0/resources/requests/memory`,
        op: 'add',
        value: '128Mi',
        message: `set ${FIELD}.requests.memory to 128Mi (policy default)`,
      },
      {
        ruleId: 'resources-defaults',
        policy: 'sizes',
        path: `${CONTAINERS}/0/resources/limits/memory`,
        op: 'add',
        value: '512Mi',
        message: `set ${FIELD}.limits.memory to 512Mi (policy default)`,
      },
    ]);
    expect(mutationsOf(result, 'resources-defaults').map((m) => m.path)).toContain(
      '/spec/jobTemplate/spec/template/spec/initContainers/0/resources/requests/cpu',
    );
    expect(findingsOf(result, 'resources-defaults')).toEqual([]);
  });

  it('does not fill a request next to a limit: the API server sets it to the limit', () => {
    for (const object of [
      cronJob([container('a', { limits: { cpu: 1, memory: '256Mi' } })]),
      pod([container('a', { limits: { cpu: 1, memory: '256Mi' } })]),
    ]) {
      const result = run(defaultsPolicy, object);
      expect(mutationsOf(result, 'resources-defaults')).toEqual([]);
      expect(findingsOf(result, 'resources-defaults')).toEqual([]);
      expectLintEqualsAdmission(defaultsPolicy, object, { redefault: true });
    }
  });

  it('never fills a limit below the request, and says what to do', () => {
    const result = expectIdempotent(
      defaultsPolicy,
      cronJob([container('export', { requests: { memory: '1Gi' } })]),
    );
    expect(resourcesOf(result)).toEqual({ requests: { memory: '1Gi', cpu: '100m' } });
    expect(findingsOf(result, 'resources-defaults')).toEqual([
      {
        ruleId: 'resources-defaults',
        policy: 'sizes',
        action: 'enforce',
        severity: 'error',
        message:
          'container "export" limits.memory cannot be set to 512Mi: that is below requests.memory 1Gi, and the API server rejects a limit below its request',
        path: `${CONTAINERS}/0/resources/requests/memory`,
        fix: `lower ${FIELD}.requests.memory to at most 512Mi, or set ${FIELD}.limits.memory to at least 1Gi yourself`,
        container: 'export',
      },
    ]);
  });

  it('compares quantities by value, not by spelling', () => {
    const result = run(
      enforcePolicy,
      cronJob([
        container('a', {
          requests: { cpu: 0.1, memory: '134217728' },
          limits: { memory: '0.5Gi' },
        }),
      ]),
    );
    expect(mutationsOf(result, 'resources-defaults')).toEqual([]);
  });

  it('in enforce mode replaces differing values', () => {
    const result = expectIdempotent(
      enforcePolicy,
      cronJob([
        container('a', {
          requests: { cpu: '1', memory: '64Mi' },
          limits: { memory: '1Gi', cpu: '2' },
        }),
      ]),
    );
    expect(resourcesOf(result)).toEqual({
      requests: { cpu: '100m', memory: '128Mi' },
      limits: { memory: '512Mi', cpu: '2' },
    });
    expect(
      mutationsOf(result, 'resources-defaults').map((m) => [m.path, m.op, m.previous, m.message]),
    ).toEqual([
      [
        `${CONTAINERS}/0/resources/requests/cpu`,
        'replace',
        '1',
        `set ${FIELD}.requests.cpu to 100m (enforced by policy)`,
      ],
      [
        `${CONTAINERS}/0/resources/requests/memory`,
        'replace',
        '64Mi',
        `set ${FIELD}.requests.memory to 128Mi (enforced by policy)`,
      ],
      [
        `${CONTAINERS}/0/resources/limits/memory`,
        'replace',
        '1Gi',
        `set ${FIELD}.limits.memory to 512Mi (enforced by policy)`,
      ],
    ]);
  });

  it('in enforce mode never puts a request above its limit or a limit below its request', () => {
    const above = expectIdempotent(
      enforceRequestOnlyPolicy,
      cronJob([container('a', { requests: { cpu: '1' }, limits: { cpu: '1500m' } })]),
    );
    expect(mutationsOf(above, 'resources-defaults')).toEqual([]);
    expect(findingsOf(above, 'resources-defaults').map((f) => [f.path, f.message, f.fix])).toEqual([
      [
        `${CONTAINERS}/0/resources/limits/cpu`,
        'container "a" requests.cpu cannot be set to 2: that is above limits.cpu 1500m, and the API server rejects a request above its limit',
        `raise ${FIELD}.limits.cpu to at least 2`,
      ],
    ]);
    // A missing request is the old limit (at Pod admission the API server has already copied it).
    const below = cronJob([container('a', { limits: { cpu: '2' } })]);
    const result = expectIdempotent(enforceLimitOnlyPolicy, below);
    expect(mutationsOf(result, 'resources-defaults')).toEqual([]);
    expect(findingsOf(result, 'resources-defaults').map((f) => [f.path, f.message, f.fix])).toEqual(
      [
        [
          `${CONTAINERS}/0/resources/limits/cpu`,
          'container "a" limits.cpu cannot be set to 500m: that is below requests.cpu 2 (defaulted from limits.cpu), and the API server rejects a limit below its request',
          `set ${FIELD}.requests.cpu to at most 500m explicitly`,
        ],
      ],
    );
    expectLintEqualsAdmission(
      enforceLimitOnlyPolicy,
      pod([container('a', { limits: { cpu: '2' } })]),
      { redefault: true },
    );
    // With an explicit request low enough, the limit is enforced.
    const fine = run(
      enforceLimitOnlyPolicy,
      cronJob([container('a', { requests: { cpu: '250m' }, limits: { cpu: '2' } })]),
    );
    expect(resourcesOf(fine)).toEqual({ requests: { cpu: '250m' }, limits: { cpu: '500m' } });
  });

  it('keeps the request the pods would have had when enforce raises a limit', () => {
    for (const object of [
      cronJob([container('a', { limits: { cpu: '100m' } })]),
      pod([container('a', { limits: { cpu: '100m' } })]),
    ]) {
      const result = expectIdempotent(enforceLimitOnlyPolicy, object);
      expect(resourcesOf(result)).toEqual({ limits: { cpu: '500m' }, requests: { cpu: '100m' } });
      expectLintEqualsAdmission(enforceLimitOnlyPolicy, object, { redefault: true });
    }
    const result = run(
      enforceLimitOnlyPolicy,
      cronJob([container('a', { limits: { cpu: '100m' } })]),
    );
    expect(
      mutationsOf(result, 'resources-defaults').map((m) => [m.path, m.value, m.message]),
    ).toEqual([
      [
        `${CONTAINERS}/0/resources/requests/cpu`,
        '100m',
        `set ${FIELD}.requests.cpu to 100m (the request the API server copies from the current limit, kept while the policy changes the limit)`,
      ],
      [
        `${CONTAINERS}/0/resources/limits/cpu`,
        '500m',
        `set ${FIELD}.limits.cpu to 500m (enforced by policy)`,
      ],
    ]);
  });

  it('in validate mode reports what differs, naming a request defaulted from the limit', () => {
    const result = run(
      validatePolicy,
      cronJob([container('a', { requests: { cpu: '200m' }, limits: { memory: '512Mi' } })]),
    );
    expect(mutationsOf(result, 'resources-defaults')).toEqual([]);
    expect(findingsOf(result, 'resources-defaults').map((f) => [f.path, f.message, f.fix])).toEqual(
      [
        [
          `${CONTAINERS}/0/resources/requests/cpu`,
          'container "a" requests.cpu is 200m; the policy requires 100m',
          `set ${FIELD}.requests.cpu: 100m`,
        ],
        [
          `${CONTAINERS}/0/resources/limits/memory`,
          'container "a" requests.memory is 512Mi (defaulted from limits.memory); the policy requires 128Mi',
          `set ${FIELD}.requests.memory: 128Mi`,
        ],
      ],
    );
    const empty = run(validatePolicy, cronJob([container('a')]));
    expect(findingsOf(empty, 'resources-defaults').map((f) => [f.path, f.message])).toEqual([
      [
        `${CONTAINERS}/0/resources/requests`,
        'container "a" requests.cpu is not set; the policy requires 100m',
      ],
      [
        `${CONTAINERS}/0/resources/requests`,
        'container "a" requests.memory is not set; the policy requires 128Mi',
      ],
      [
        `${CONTAINERS}/0/resources/limits`,
        'container "a" limits.memory is not set; the policy requires 512Mi',
      ],
    ]);
  });

  it('treats null as unset and reports values that are not quantities', () => {
    const result = expectIdempotent(
      defaultsPolicy,
      cronJob([
        container('a', { requests: { cpu: null, memory: '10 Mi' } }),
        container('b', 'big'),
        container('c', { limits: 'x' }),
      ]),
    );
    expect(resourcesOf(result)).toEqual({ requests: { cpu: '100m', memory: '10 Mi' } });
    expect(findingsOf(result, 'resources-defaults').map((f) => [f.path, f.message, f.fix])).toEqual(
      [
        [
          `${CONTAINERS}/0/resources/requests/memory`,
          'container "a" requests.memory "10 Mi" is not a valid quantity',
          `write ${FIELD}.requests.memory as a non-negative Kubernetes quantity, e.g. 256Mi or 1Gi (a number and an optional suffix, no spaces)`,
        ],
        [
          `${CONTAINERS}/1/resources`,
          'container "b" resources must be a map of resource quantities, got "big"',
          'write spec.jobTemplate.spec.template.spec.containers[1].resources as a mapping, e.g. {cpu: 100m, memory: 128Mi}',
        ],
        [
          `${CONTAINERS}/2/resources/limits`,
          'container "c" resources.limits must be a map of resource quantities, got "x"',
          'write spec.jobTemplate.spec.template.spec.containers[2].resources.limits as a mapping, e.g. {cpu: 100m, memory: 128Mi}',
        ],
      ],
    );
  });

  it('skips exempt containers', () => {
    const object = cronJob([container('vendor'), container('app')]);
    object.metadata!.annotations = {
      'ignore-check.cronguard.dev/resources-defaults':
        'container=vendor; sized by the vendor, VEND-9',
    };
    const result = run(defaultsPolicy, object);
    expect(resourcesOf(result, 0)).toBeUndefined();
    expect(resourcesOf(result, 1)).toEqual({
      requests: { cpu: '100m', memory: '128Mi' },
      limits: { memory: '512Mi' },
    });
  });

  it('gives the same answer in lint and in admission', () => {
    const objects = [
      cronJob([container('a'), container('b', { limits: { cpu: '1' } })]),
      pod([
        container('a'),
        container('b', { limits: { cpu: '1', memory: '256Mi' } }),
        container('c', { requests: { memory: '1Gi' } }),
      ]),
      pod([container('a', { limits: { memory: '2Gi' } })]),
    ];
    for (const policies of [
      defaultsPolicy,
      enforcePolicy,
      validatePolicy,
      enforceLimitOnlyPolicy,
      enforceRequestOnlyPolicy,
    ]) {
      for (const object of objects) {
        expectLintEqualsAdmission(policies, object, { redefault: true });
        expectIdempotent(policies, object);
      }
    }
  });
});

describe('resources-max', () => {
  it('reports values above the maximum, comparing by value', () => {
    const result = run(
      maxPolicy,
      cronJob([
        container('a', {
          requests: { cpu: '1500m', memory: '1024Mi' },
          limits: { cpu: 2, memory: '8Gi' },
        }),
      ]),
    );
    expect(findingsOf(result, 'resources-max').map((f) => [f.path, f.message, f.fix])).toEqual([
      [
        `${CONTAINERS}/0/resources/requests/cpu`,
        'container "a" requests.cpu 1500m is above the maximum 1',
        `set ${FIELD}.requests.cpu to at most 1`,
      ],
      [
        `${CONTAINERS}/0/resources/limits/memory`,
        'container "a" limits.memory 8Gi is above the maximum 2Gi',
        `set ${FIELD}.limits.memory to at most 2Gi`,
      ],
    ]);
  });

  it('reports a missing limit as unbounded, and a request defaulted from a large limit', () => {
    const result = run(
      maxPolicy,
      cronJob([container('a', { requests: { cpu: '100m' }, limits: { cpu: '1500m' } })]),
    );
    expect(findingsOf(result, 'resources-max').map((f) => [f.path, f.message, f.fix])).toEqual([
      [
        `${CONTAINERS}/0/resources/limits`,
        'container "a" limits.memory is not set, so it is unbounded; the maximum is 2Gi',
        `set ${FIELD}.limits.memory to at most 2Gi`,
      ],
    ]);
    // A template's request is copied from the limit only when its Pods are created.
    const defaulted = run(
      maxPolicy,
      cronJob([container('a', { limits: { cpu: '1500m', memory: '1Gi' } })]),
    );
    expect(findingsOf(defaulted, 'resources-max').map((f) => [f.path, f.message, f.fix])).toEqual([
      [
        `${CONTAINERS}/0/resources/limits/cpu`,
        'container "a" requests.cpu 1500m (defaulted from limits.cpu) is above the maximum 1',
        `set ${FIELD}.requests.cpu to at most 1 explicitly`,
      ],
    ]);
    // A Pod's is copied before admission: lint says what the webhook will see.
    const authored = pod([container('a', { limits: { cpu: '1500m', memory: '1Gi' } })]);
    expect(
      findingsOf(run(maxPolicy, authored), 'resources-max').map((f) => [f.path, f.message]),
    ).toEqual([
      [
        '/spec/containers/0/resources/requests/cpu',
        'container "a" requests.cpu 1500m is above the maximum 1',
      ],
    ]);
    expectLintEqualsAdmission(maxPolicy, authored, { redefault: true });
  });

  it('reports invalid quantities and never throws', () => {
    const result = run(
      maxPolicy,
      cronJob([container('a', { requests: { cpu: true }, limits: { cpu: '1', memory: '2 Gi' } })]),
    );
    expect(findingsOf(result, 'resources-max').map((f) => f.message)).toEqual([
      'container "a" requests.cpu true is not a valid quantity',
      'container "a" limits.memory "2 Gi" is not a valid quantity',
    ]);
    expect(() =>
      run(maxPolicy, cronJob([null, container('b', []), container('c', { requests: [] })])),
    ).not.toThrow();
  });
});

describe('resources-limit-request-ratio', () => {
  it('reports a limit more than the allowed multiple of the request', () => {
    const result = run(
      ratioPolicy,
      cronJob([
        container('a', {
          requests: { cpu: '250m', memory: '512Mi' },
          limits: { cpu: '2', memory: '1Gi' },
        }),
      ]),
    );
    expect(findingsOf(result, 'resources-limit-request-ratio')).toEqual([
      {
        ruleId: 'resources-limit-request-ratio',
        policy: 'sizes',
        action: 'enforce',
        severity: 'error',
        message: 'container "a" limits.cpu / requests.cpu is 8 (2 / 250m); the maximum ratio is 4',
        path: `${CONTAINERS}/0/resources/limits/cpu`,
        fix: `raise ${FIELD}.requests.cpu to at least 500m, or lower ${FIELD}.limits.cpu to at most 1`,
        container: 'a',
      },
    ]);
  });

  it('rounds suggestions the safe way and formats memory in binary units', () => {
    const result = run(
      ratioPolicy,
      cronJob([
        container('a', {
          requests: { cpu: '300m', memory: '384Mi' },
          limits: { cpu: '1300m', memory: '1Gi' },
        }),
      ]),
    );
    expect(findingsOf(result, 'resources-limit-request-ratio').map((f) => f.fix)).toEqual([
      `raise ${FIELD}.requests.cpu to at least 325m, or lower ${FIELD}.limits.cpu to at most 1200m`,
      `raise ${FIELD}.requests.memory to at least 512Mi, or lower ${FIELD}.limits.memory to at most 768Mi`,
    ]);
  });

  it('reports a zero request under a limit, and skips containers missing either side', () => {
    const result = run(
      ratioPolicy,
      cronJob([
        container('a', { requests: { memory: '0' }, limits: { memory: '256Mi' } }),
        container('b', { requests: { cpu: '100m' } }),
        container('c', { limits: { cpu: '4' } }),
      ]),
    );
    expect(
      findingsOf(result, 'resources-limit-request-ratio').map((f) => [f.path, f.message]),
    ).toEqual([
      [
        `${CONTAINERS}/0/resources/requests/memory`,
        'container "a" requests.memory is 0, so limits.memory 256Mi is unboundedly above it; the maximum limit/request ratio is 2',
      ],
    ]);
  });

  it('reports invalid quantities', () => {
    const result = run(
      ratioPolicy,
      cronJob([container('a', { requests: { cpu: 'one' }, limits: { cpu: 2 } })]),
    );
    expect(findingsOf(result, 'resources-limit-request-ratio').map((f) => f.message)).toEqual([
      'container "a" requests.cpu "one" is not a valid quantity',
    ]);
  });
});

describe('resources-required', () => {
  it('reports fields that are missing after defaults, with the policy default as an example', () => {
    const result = run(requiredPolicy, cronJob([container('a', { requests: { cpu: '100m' } })]));
    expect(findingsOf(result, 'resources-required').map((f) => [f.path, f.message, f.fix])).toEqual(
      [
        [
          `${CONTAINERS}/0/resources/requests`,
          'container "a" requests.memory is not set; the policy requires it',
          `set ${FIELD}.requests.memory`,
        ],
        [
          `${CONTAINERS}/0/resources/limits`,
          'container "a" limits.memory is not set; the policy requires it',
          `set ${FIELD}.limits.memory`,
        ],
      ],
    );
    const exempted = cronJob([container('a')]);
    exempted.metadata!.annotations = {
      'ignore-check.cronguard.dev/resources-defaults': 'sized elsewhere, PLAT-2',
    };
    const withDefaults = run(defaultsAndRequiredPolicy, exempted);
    expect(findingsOf(withDefaults, 'resources-required').map((f) => f.fix)).toEqual([
      `set ${FIELD}.requests.cpu, e.g. to 100m`,
      `set ${FIELD}.requests.memory, e.g. to 128Mi`,
      `set ${FIELD}.limits.memory, e.g. to 512Mi`,
    ]);
  });

  it('counts a request as set when its limit is, and is satisfied by the defaults', () => {
    expect(
      findingsOf(
        run(requiredPolicy, cronJob([container('a', { limits: { cpu: '1', memory: '1Gi' } })])),
        'resources-required',
      ),
    ).toEqual([]);
    expect(
      findingsOf(
        run(defaultsAndRequiredPolicy, cronJob([container('a')], [container('init')])),
        'resources-required',
      ),
    ).toEqual([]);
    expectLintEqualsAdmission(
      requiredPolicy,
      pod([container('a', { limits: { cpu: '1', memory: '1Gi' } }), container('b')]),
      { redefault: true },
    );
  });

  it('reports a required value that is not a quantity', () => {
    const result = run(
      requiredPolicy,
      cronJob([
        container('a', { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '512MB' } }),
      ]),
    );
    expect(findingsOf(result, 'resources-required').map((f) => f.message)).toEqual([
      'container "a" limits.memory "512MB" is not a valid quantity',
    ]);
  });
});

const SECTION_RULES = new Set(
  BUILTIN_RULES.filter((rule) => rule.section === 'resources').map((rule) => rule.id),
);

/** The generated CronJob's pod template as a Pod: the API server defaults a Pod's requests from its limits. */
describe('on generated CronJobs and Pods', () => {
  it('is idempotent and gives the same answer in lint and in admission, in every mode', () => {
    const policySets = [
      defaultsPolicy,
      enforcePolicy,
      validatePolicy,
      enforceLimitOnlyPolicy,
      enforceRequestOnlyPolicy,
      maxPolicy,
      ratioPolicy,
      defaultsAndRequiredPolicy,
    ];
    fc.assert(
      fc.property(
        cronJobArbitrary,
        fc.constantFrom(...policySets),
        fc.boolean(),
        (generated, policies, asPod) => {
          const object = asPod ? podFrom(generated) : generated;
          const authored = object as KubeObject;
          const ours = (result: Evaluation) =>
            result.findings.filter((f) => SECTION_RULES.has(f.ruleId));
          const first = run(policies, authored);
          const second = run(policies, first.mutated);
          expect(second.patch).toEqual([]);
          expect(ours(second)).toEqual(ours(first));
          const admitted = structuredClone(authored) as Record<string, unknown>;
          applyApiServerDefaults(admitted);
          const admission = run(policies, admitted);
          // Other sections' rules have their own lint/admission tests.
          expect(ours(admission)).toEqual(ours(first));
          const lintResult = structuredClone(first.mutated) as Record<string, unknown>;
          applyApiServerDefaults(lintResult);
          const admissionResult = structuredClone(admission.mutated) as Record<string, unknown>;
          applyApiServerDefaults(admissionResult);
          expect(admissionResult).toEqual(lintResult);
        },
      ),
      { numRuns: 300 },
    );
  });
});
