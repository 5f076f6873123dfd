import fc from 'fast-check';
import jsonpatch from 'fast-json-patch';
import { describe, expect, it } from 'vitest';
import { evaluate, POLICIES_ANNOTATION } from '../../../src/engine/evaluate.js';
import type { EvaluationInput } from '../../../src/engine/types.js';
import { applyApiServerDefaults } from '../../../src/k8s/api-defaults.js';
import type { KubeObject } from '../../../src/k8s/types.js';
import type { PolicySet } from '../../../src/policy/types.js';
import { BUILTIN_RULES } from '../../../src/rules/index.js';
import { cronJobArbitrary } from '../../support/arbitraries.js';
import { policiesFrom } from '../../support/policies.js';
import { builtinPolicySet } from '../../support/builtin.js';

function run(policies: PolicySet, object: unknown, extra: Partial<EvaluationInput> = {}) {
  return evaluate(
    policies,
    { object: object as KubeObject, operation: 'CREATE', namespace: 'default', ...extra },
    { rules: BUILTIN_RULES },
  );
}

function cronJob(
  spec: Record<string, unknown> = {},
  podSpec: Record<string, unknown> = {},
): KubeObject {
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name: 'nightly', namespace: 'default' },
    spec: {
      schedule: '0 3 * * *',
      ...spec,
      jobTemplate: {
        spec: {
          template: {
            spec: {
              restartPolicy: 'OnFailure',
              containers: [{ name: 'app', image: 'registry.example.com/app:1.0' }],
              ...podSpec,
            },
          },
        },
      },
    },
  };
}

const twoPolicies = policiesFrom(`
apiVersion: cronguard.dev/v1alpha1
kind: CronJobPolicy
metadata: {name: high}
spec:
  priority: 10
  action: enforce
  job:
    concurrencyPolicy: {default: Forbid}
---
apiVersion: cronguard.dev/v1alpha1
kind: CronJobPolicy
metadata: {name: low}
spec:
  priority: 1
  action: warn
  job:
    concurrencyPolicy: {enforce: Replace}
    backoffLimit: {default: 2}
`);

describe('evaluate: merging policies by priority', () => {
  it('lets the highest-priority policy win a field, whatever the modes', () => {
    const result = run(twoPolicies, cronJob());
    const spec = result.mutated.spec as Record<string, unknown>;
    expect(spec.concurrencyPolicy).toBe('Forbid');
    expect(result.mutations.filter((m) => m.path === '/spec/concurrencyPolicy')).toEqual([
      expect.objectContaining({ policy: 'high', op: 'add', value: 'Forbid' }),
    ]);
    // The lower-priority policy still fills fields nobody else set.
    expect((spec.jobTemplate as { spec: Record<string, unknown> }).spec.backoffLimit).toBe(2);
  });

  it('keeps the author value where a higher-priority default leaves it, so a second pass changes nothing', () => {
    const authored = cronJob({ concurrencyPolicy: 'Replace' });
    const first = run(twoPolicies, authored);
    expect((first.mutated.spec as Record<string, unknown>).concurrencyPolicy).toBe('Replace');
    const forbidFirst = run(twoPolicies, cronJob());
    expect(run(twoPolicies, forbidFirst.mutated).patch).toEqual([]);
  });

  it('runs policies in priority order, then by name, whatever the file order', () => {
    expect(twoPolicies.policies.map((p) => p.name)).toEqual(['high', 'low']);
  });

  it('treats an omitted field and the API-server default alike (lint == admission)', () => {
    const authored = cronJob();
    const admitted = structuredClone(authored) as Record<string, unknown>;
    applyApiServerDefaults(admitted);
    expect((admitted.spec as Record<string, unknown>).concurrencyPolicy).toBe('Allow');
    const offline = run(twoPolicies, authored);
    const online = run(twoPolicies, admitted);
    expect((online.mutated.spec as Record<string, unknown>).concurrencyPolicy).toBe('Forbid');
    expect(online.findings).toEqual(offline.findings);
    const offlineDefaulted = structuredClone(offline.mutated) as Record<string, unknown>;
    applyApiServerDefaults(offlineDefaulted);
    expect(online.mutated).toEqual(offlineDefaulted);
  });
});

describe('evaluate: patches', () => {
  it('produces a patch that turns the original into the mutated object, keys escaped', () => {
    const original = cronJob();
    const result = run(twoPolicies, original);
    expect(result.patch.length).toBeGreaterThan(0);
    const patched = jsonpatch.applyPatch(
      structuredClone(original),
      result.patch as jsonpatch.Operation[],
      true,
      false,
    ).newDocument;
    expect(patched).toEqual(result.mutated);
    // The object had no annotations: one `add` creates the map with the stamp.
    expect(result.patch).toContainEqual({
      op: 'add',
      path: '/metadata/annotations',
      value: { [POLICIES_ANNOTATION]: expect.any(String) as unknown },
    });
    const annotated = cronJob();
    annotated.metadata = { name: 'nightly', annotations: { team: 'a' } };
    const escaped = run(twoPolicies, annotated).patch.find((op) =>
      op.path.startsWith('/metadata/annotations/'),
    );
    expect(escaped?.path).toBe('/metadata/annotations/cronguard.dev~1policies');
  });

  it('never modifies its input', () => {
    const original = cronJob();
    const copy = structuredClone(original);
    run(twoPolicies, original);
    expect(original).toEqual(copy);
  });

  it('stamps the matched policies and versions, and the stamp is stable', () => {
    const first = run(twoPolicies, cronJob());
    const stamp = first.mutated.metadata?.annotations?.[POLICIES_ANNOTATION];
    expect(stamp).toMatch(/^high@[0-9a-f]{8},low@[0-9a-f]{8}$/);
    expect(run(twoPolicies, first.mutated).patch).toEqual([]);
  });
});

describe('evaluate: what is not evaluated', () => {
  it.each([
    [
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 's' } },
      'kind Service is not evaluated',
    ],
    [
      { apiVersion: 'batch.tutorial.kubebuilder.io/v1', kind: 'CronJob', metadata: { name: 'x' } },
      'is not the Kubernetes batch CronJob',
    ],
    [{ kind: 'CronJob', metadata: { name: 'x' } }, 'CronJob has no apiVersion'],
    [{ metadata: { name: 'x' } }, 'object has no kind'],
  ])('skips %j', (object, reason) => {
    const result = run(twoPolicies, object);
    expect(result.skipped?.reason).toContain(reason);
    expect(result.patch).toEqual([]);
    expect(result.allowed).toBe(true);
  });

  it('leaves DELETE alone', () => {
    expect(run(twoPolicies, cronJob(), { operation: 'DELETE' }).skipped?.reason).toBe(
      'operation DELETE is not evaluated',
    );
  });
});

describe('evaluate: exemptions', () => {
  const policy = policiesFrom(`
apiVersion: cronguard.dev/v1alpha1
kind: CronJobPolicy
metadata: {name: strict}
spec:
  action: enforce
  nonExemptible: [job-backoff-limit]
  job:
    activeDeadlineSeconds: {max: 3600}
    backoffLimit: {max: 3}
`);
  const withAnnotations = (annotations: Record<string, string>) => {
    const object = cronJob({}, {});
    object.metadata = { name: 'nightly', annotations };
    return object;
  };

  it('honours an annotation exemption with a reason, and records it', () => {
    const result = run(
      policy,
      withAnnotations({
        'ignore-check.cronguard.dev/job-active-deadline': 'runs for days; PLAT-9',
      }),
    );
    expect(result.findings.map((f) => f.ruleId)).not.toContain('job-active-deadline');
    expect(result.exemptions).toContainEqual({
      ruleId: 'job-active-deadline',
      policy: 'strict',
      source: 'annotation',
      reason: 'runs for days; PLAT-9',
    });
  });

  it('ignores an exemption without a reason, and says so', () => {
    const result = run(
      policy,
      withAnnotations({ 'ignore-check.cronguard.dev/job-active-deadline': '' }),
    );
    expect(result.findings.map((f) => f.ruleId)).toEqual(
      expect.arrayContaining(['job-active-deadline', 'exemption-annotations']),
    );
    expect(result.findings.find((f) => f.ruleId === 'exemption-annotations')?.message).toBe(
      'exemption for job-active-deadline is ignored: a reason is required',
    );
  });

  it('refuses annotation exemptions of non-exemptible rules', () => {
    const object = withAnnotations({ 'ignore-check.cronguard.dev/job-backoff-limit': 'please' });
    (
      object.spec as { jobTemplate: { spec: Record<string, unknown> } }
    ).jobTemplate.spec.backoffLimit = 10;
    const result = run(policy, object);
    expect(result.findings.map((f) => f.ruleId)).toEqual(
      expect.arrayContaining(['job-backoff-limit', 'exemption-annotations']),
    );
    expect(result.allowed).toBe(false);
  });
});

describe('evaluate: hostile input', () => {
  it('does not let a __proto__ key change prototypes', () => {
    const object = JSON.parse(
      '{"apiVersion":"batch/v1","kind":"CronJob","metadata":{"name":"x","__proto__":{"polluted":true}},"spec":{"schedule":"* * * * *","jobTemplate":{"spec":{"template":{"spec":{"containers":[{"name":"a","image":"b:1"}]}}}}}}',
    ) as KubeObject;
    const result = run(twoPolicies, object);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(result.mutated.metadata)).toBe(Object.prototype);
  });

  it.each([
    [
      'spec is a string',
      { apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'x' }, spec: 'nope' },
    ],
    [
      'jobTemplate is a list',
      {
        apiVersion: 'batch/v1',
        kind: 'CronJob',
        metadata: { name: 'x' },
        spec: { schedule: '* * * * *', jobTemplate: [] },
      },
    ],
    ['metadata is null', { apiVersion: 'batch/v1', kind: 'CronJob', metadata: null, spec: {} }],
    ['containers is a map', cronJob({}, { containers: { a: 1 } })],
  ])('never throws when %s, and its patch applies', (_label, object) => {
    const result = run(builtinPolicySet(), object);
    const patched = jsonpatch.applyPatch(
      structuredClone(object),
      result.patch as jsonpatch.Operation[],
      true,
      false,
    ).newDocument;
    expect(patched).toEqual(result.mutated);
  });
});

describe('evaluate: properties over generated CronJobs (built-in policies)', () => {
  const policies = builtinPolicySet();

  it('is idempotent: its own output yields no patch and the same findings', () => {
    fc.assert(
      fc.property(cronJobArbitrary, (object) => {
        const first = run(policies, object);
        const second = run(policies, first.mutated);
        expect(second.patch).toEqual([]);
        expect(second.findings).toEqual(first.findings);
      }),
      { numRuns: 300 },
    );
  });

  // Callers keep using what they passed in: the CLI reports against it and the
  // webhook checks the patch on it.
  it('never modifies its input, and its result shares nothing with it', () => {
    fc.assert(
      fc.property(cronJobArbitrary, (object) => {
        const before = structuredClone(object);
        const result = run(policies, object);
        expect(object).toEqual(before);
        jsonpatch.applyPatch(object, result.patch as jsonpatch.Operation[], true, true);
        expect(result.mutated).toEqual(run(policies, before).mutated);
      }),
      { numRuns: 200 },
    );
  });

  it('returns patches that apply cleanly to the object they were computed from', () => {
    fc.assert(
      fc.property(cronJobArbitrary, (object) => {
        const result = run(policies, object);
        const patched = jsonpatch.applyPatch(
          structuredClone(object),
          result.patch as jsonpatch.Operation[],
          true,
          false,
        ).newDocument;
        expect(patched).toEqual(result.mutated);
      }),
      { numRuns: 300 },
    );
  });

  it('gives the same findings offline and after API-server defaulting', () => {
    fc.assert(
      fc.property(cronJobArbitrary, (object) => {
        const admitted = structuredClone(object) as Record<string, unknown>;
        applyApiServerDefaults(admitted);
        const offline = run(policies, object);
        const online = run(policies, admitted);
        const key = (f: { ruleId: string; path: string; container?: string }) =>
          `${f.ruleId} ${f.path} ${f.container ?? ''}`;
        expect(online.findings.map(key).sort()).toEqual(offline.findings.map(key).sort());
        expect(online.allowed).toBe(offline.allowed);
      }),
      { numRuns: 300 },
    );
  });
});

describe('evaluate: structure', () => {
  it('fills fields in but never invents a missing pod spec', () => {
    const object = {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'labels-only' },
      spec: {
        schedule: '*/5 * * * *',
        jobTemplate: { spec: { template: { metadata: { labels: { app: 'x' } } } } },
      },
    };
    const result = run(builtinPolicySet(), object);
    const template = (
      result.mutated.spec as { jobTemplate: { spec: { template: Record<string, unknown> } } }
    ).jobTemplate.spec.template;
    expect(template.spec).toBeUndefined();
    expect((result.mutated.spec as Record<string, unknown>).concurrencyPolicy).toBe('Forbid');
  });
});

describe('evaluate: properties with conflicting policies', () => {
  // Three policies that disagree on the same fields in every mode, at different priorities.
  const conflicting = policiesFrom(`
apiVersion: cronguard.dev/v1alpha1
kind: CronJobPolicy
metadata: {name: a-high}
spec:
  priority: 50
  action: warn
  job:
    concurrencyPolicy: {default: Forbid}
    backoffLimit: {enforce: 2}
    restartPolicy: {default: Never}
  images: {pullPolicy: {default: IfNotPresent}}
  securityContext: {profile: restricted, apply: default}
---
apiVersion: cronguard.dev/v1alpha1
kind: CronJobPolicy
metadata: {name: b-mid}
spec:
  priority: 10
  action: audit
  job:
    concurrencyPolicy: {enforce: Replace}
    backoffLimit: {default: 5}
    activeDeadlineSeconds: {enforce: 600}
  images: {pullPolicy: {enforce: Always}}
  securityContext: {profile: restricted, apply: enforce, readOnlyRootFilesystem: true}
  resources:
    apply: enforce
    defaults: {requests: {cpu: 50m, memory: 64Mi}, limits: {memory: 1Gi}}
---
apiVersion: cronguard.dev/v1alpha1
kind: CronJobPolicy
metadata: {name: c-low}
spec:
  priority: 10
  action: enforce
  job:
    concurrencyPolicy: {validate: Allow}
    activeDeadlineSeconds: {default: 60, max: 300}
  resources:
    apply: default
    defaults: {requests: {cpu: 100m, memory: 128Mi}, limits: {memory: 512Mi}}
`);

  it('is idempotent and its patches apply, however the policies disagree', () => {
    fc.assert(
      fc.property(cronJobArbitrary, (object) => {
        const first = run(conflicting, object);
        const patched = jsonpatch.applyPatch(
          structuredClone(object),
          first.patch as jsonpatch.Operation[],
          true,
          false,
        ).newDocument;
        expect(patched).toEqual(first.mutated);
        const second = run(conflicting, first.mutated);
        expect(second.patch).toEqual([]);
        expect(second.findings).toEqual(first.findings);
      }),
      { numRuns: 300 },
    );
  });

  it('lets the higher priority decide a field and the lower one still validate it', () => {
    const result = run(conflicting, cronJob());
    expect((result.mutated.spec as Record<string, unknown>).concurrencyPolicy).toBe('Forbid');
    expect(result.findings).toContainEqual(
      expect.objectContaining({
        ruleId: 'job-concurrency-policy',
        policy: 'c-low',
        action: 'enforce',
      }),
    );
    expect(result.allowed).toBe(false);
  });
});
