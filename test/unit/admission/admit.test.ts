import { describe, expect, it } from 'vitest';
import {
  admit,
  decodeReview,
  isReviewError,
  type AdmissionContext,
  type AdmissionOutcome,
  type WebhookType,
} from '../../../src/admission/index.js';
import { evaluate, POLICIES_ANNOTATION } from '../../../src/engine/evaluate.js';
import { applyApiServerDefaults } from '../../../src/k8s/api-defaults.js';
import type { KubeObject } from '../../../src/k8s/types.js';
import type { PolicySet } from '../../../src/policy/types.js';
import { BUILTIN_RULES } from '../../../src/rules/index.js';
import type { Rule } from '../../../src/rules/rule.js';
import { builtinPolicySet } from '../../support/builtin.js';
import { policiesFrom } from '../../support/policies.js';
import {
  applyWithLibrary,
  decoded,
  expectValidCronJob,
  hasKubectl,
  kubectlCronJob,
  patchOf,
  reviewOf,
  withoutTypeMeta,
} from './support.js';

const builtin = builtinPolicySet();

function context(webhook: WebhookType, policySet: PolicySet = builtin): AdmissionContext {
  return { policySet, webhook };
}

function cronJob(name = 'nightly', spec: Record<string, unknown> = {}): Record<string, unknown> {
  const object: Record<string, unknown> = {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name, namespace: 'team-a' },
    spec: {
      schedule: '0 3 * * *',
      ...spec,
      jobTemplate: {
        spec: {
          template: {
            spec: {
              restartPolicy: 'OnFailure',
              containers: [{ name: 'app', image: 'registry.example.com/app:1.0' }],
            },
          },
        },
      },
    },
  };
  // What admission really receives: the API server defaults before webhooks run.
  applyApiServerDefaults(object);
  return object;
}

function admitBody(body: unknown, ctx: AdmissionContext): AdmissionOutcome {
  return admit(decoded(body), ctx);
}

/** Mutate, check the patch independently, then validate the result, as the API server chains them. */
function mutateThenCheck(object: Record<string, unknown>, policySet: PolicySet = builtin) {
  const mutation = admitBody(reviewOf(object), context('mutate', policySet));
  expect(mutation.review.response.allowed).toBe(true);
  const patched = applyWithLibrary(object, mutation) as KubeObject;
  const engine = evaluate(
    policySet,
    { object, operation: 'CREATE', namespace: 'team-a' },
    { rules: BUILTIN_RULES },
  );
  expect(patched).toEqual(engine.mutated);
  expectValidCronJob(patched);
  return { mutation, patched };
}

describe('admit: the response envelope', () => {
  it('echoes uid and apiVersion, v1 and v1beta1 alike', () => {
    for (const apiVersion of ['admission.k8s.io/v1', 'admission.k8s.io/v1beta1']) {
      const outcome = admitBody(reviewOf(cronJob(), {}, apiVersion), context('validate'));
      expect(outcome.review).toMatchObject({
        apiVersion,
        kind: 'AdmissionReview',
        response: { uid: '705ab4f5-6393-11e8-b7cc-42010a800002', allowed: true },
      });
    }
  });
});

describe('admit: mutating webhook', () => {
  it('returns a base64 JSONPatch that an independent library applies to a valid CronJob', () => {
    const { mutation, patched } = mutateThenCheck(cronJob());
    expect(mutation.decision).toBe('mutated');
    expect(mutation.review.response.patchType).toBe('JSONPatch');
    expect(patched.metadata?.annotations?.[POLICIES_ANNOTATION]).toContain('baseline-hygiene@');
    expect(mutation.mutatedRules).toContain('job-concurrency-policy');
    expect(mutation.patchOperations).toBe(patchOf(mutation)?.length);
  });

  it('is reinvocation-safe: the mutated object gets no patch', () => {
    const { patched } = mutateThenCheck(cronJob());
    const again = admitBody(reviewOf(patched), context('mutate'));
    expect(again.review.response.patch).toBeUndefined();
    expect(again.review.response.patchType).toBeUndefined();
    expect(again.decision).toBe('allowed');
  });

  it('does not deny for policy findings; it counts what it could not fix', () => {
    const outcome = admitBody(
      reviewOf(cronJob('nightly', { startingDeadlineSeconds: 5 })),
      context('mutate'),
    );
    expect(outcome.review.response.allowed).toBe(true);
    expect(outcome.review.response.status).toBeUndefined();
    expect(outcome.review.response.warnings).toBeUndefined();
    expect(outcome.unresolvedEnforceFindings).toBeGreaterThan(0);
    expect(outcome.findings).toContainEqual(
      expect.objectContaining({ ruleId: 'job-starting-deadline', action: 'enforce' }),
    );
  });

  it('gives a dry run the same answer, flagged', () => {
    const normal = admitBody(reviewOf(cronJob()), context('mutate'));
    const dry = admitBody(reviewOf(cronJob(), { dryRun: true }), context('mutate'));
    expect(dry.review).toEqual(normal.review);
    expect([normal.dryRun, dry.dryRun]).toEqual([false, true]);
  });

  it('patches an object whose apiVersion and kind were omitted without touching them', () => {
    const bare = withoutTypeMeta(cronJob());
    const outcome = admitBody(reviewOf(bare), context('mutate'));
    const patched = applyWithLibrary(bare, outcome) as Record<string, unknown>;
    expect(patched.kind).toBeUndefined();
    expectValidCronJob({ apiVersion: 'batch/v1', kind: 'CronJob', ...patched });
  });

  it('withholds a patch that would not apply to the received object and reports it', () => {
    // A rule that breaks the engine's promise not to touch its input: it gives the
    // original an annotations map, so the diff adds the policy annotation *into* a
    // map the received object does not have.
    const misbehaving: Rule = {
      id: 'test-misbehaving',
      section: 'job',
      title: 'misbehaving',
      description: 'touches the input object',
      kinds: ['CronJob'],
      enabled: () => true,
      validate(ruleContext) {
        const metadata = ruleContext.original.metadata as Record<string, unknown>;
        metadata.annotations = {};
      },
    };
    const object = cronJob();
    const outcome = admit(decoded(reviewOf(object)), context('mutate'), {
      rules: [...BUILTIN_RULES, misbehaving],
    });
    expect(outcome.review.response).not.toHaveProperty('patch');
    expect(outcome.review.response.allowed).toBe(true);
    expect(outcome.internalError).toContain('does not apply');
    expect(outcome.review.response.auditAnnotations?.error).toBeDefined();
  });
});

describe('admit: validating webhook', () => {
  it('never patches, and allows the mutated object', () => {
    const { patched } = mutateThenCheck(cronJob());
    const outcome = admitBody(reviewOf(patched), context('validate'));
    expect(outcome.review.response).not.toHaveProperty('patch');
    expect(outcome.review.response).not.toHaveProperty('patchType');
    expect(outcome.decision).toBe('allowed');
  });

  it('denies enforce findings with 403 and a message naming field, rule and fix', () => {
    const outcome = admitBody(
      reviewOf(cronJob('nightly', { startingDeadlineSeconds: 5 })),
      context('validate'),
    );
    expect(outcome.decision).toBe('denied');
    expect(outcome.review.response.allowed).toBe(false);
    const status = outcome.review.response.status!;
    expect(status).toMatchObject({ code: 403, reason: 'Forbidden', status: 'Failure' });
    expect(status.message).toContain('spec.startingDeadlineSeconds');
    expect(status.message).toContain('baseline-correctness/job-starting-deadline');
    expect(status.message).toContain('fix:');
  });

  it('applies the name-length rule on CREATE only', () => {
    const longName = 'n'.repeat(60);
    const created = admitBody(reviewOf(cronJob(longName)), context('validate'));
    expect(created.review.response.status?.message).toContain('job-name-length');
    const updated = admitBody(
      reviewOf(cronJob(longName), { operation: 'UPDATE', oldObject: cronJob(longName) }),
      context('validate'),
    );
    expect(updated.findings.map((finding) => finding.ruleId)).not.toContain('job-name-length');
  });

  it('sends warn findings as single-line warnings', () => {
    const object = cronJob();
    const spec = object.spec as {
      jobTemplate: { spec: { template: { spec: { containers: { image: string }[] } } } };
    };
    spec.jobTemplate.spec.template.spec.containers[0]!.image = 'busybox:latest';
    const outcome = admitBody(reviewOf(object), context('validate'));
    const warnings = outcome.review.response.warnings ?? [];
    expect(warnings.some((line) => line.startsWith('images-disallow-latest:'))).toBe(true);
    for (const line of warnings) expect(line).not.toMatch(/[\n\r]/);
  });

  it('treats a mutation the mutating webhook did not make as a finding of its rule', () => {
    // restartPolicy defaults to OnFailure under the enforce policy; hygiene defaults warn.
    const object = cronJob();
    const template = (
      object.spec as { jobTemplate: { spec: { template: { spec: Record<string, unknown> } } } }
    ).jobTemplate.spec.template.spec;
    template.restartPolicy = 'Always';
    const outcome = admitBody(reviewOf(object), context('validate'));
    expect(outcome.review.response.allowed).toBe(false);
    expect(outcome.review.response.status?.message).toContain('job-restart-policy');
    expect(outcome.review.response.warnings?.join('\n')).toContain('job-concurrency-policy');
  });

  it('uses request.namespace when the object names none, so namespace policies apply', () => {
    const object = cronJob('nightly', { startingDeadlineSeconds: 5 });
    delete (object.metadata as Record<string, unknown>).namespace;
    const inKubeSystem = admitBody(
      reviewOf(object, { namespace: 'kube-system' }),
      context('validate'),
    );
    expect(inKubeSystem.namespace).toBe('kube-system');
    expect(inKubeSystem.review.response.allowed).toBe(true); // baseline policies exclude kube-system
    const inTeam = admitBody(reviewOf(object), context('validate'));
    expect(inTeam.review.response.allowed).toBe(false);
  });

  it('matches namespaceSelector policies only when labels are known', () => {
    const selective = policiesFrom(`
apiVersion: cronguard.dev/v1alpha1
kind: CronJobPolicy
metadata: {name: prod-only}
spec:
  action: enforce
  match:
    namespaceSelector: {matchLabels: {env: prod}}
  job:
    startingDeadlineSeconds: {min: 60}
`);
    const body = reviewOf(cronJob('nightly', { startingDeadlineSeconds: 30 }));
    const unknown = admitBody(body, context('validate', selective));
    expect(unknown.review.response.allowed).toBe(true);
    const labelled = admitBody(body, {
      ...context('validate', selective),
      namespaceLabels: (namespace) => (namespace === 'team-a' ? { env: 'prod' } : undefined),
    });
    expect(labelled.review.response.allowed).toBe(false);
  });
});

describe('admit: requests that are not evaluated', () => {
  it.each<[string, Record<string, unknown>]>([
    [
      'DELETE',
      {
        operation: 'DELETE',
        object: null,
        oldObject: cronJob('x', { startingDeadlineSeconds: 1 }),
      },
    ],
    ['CONNECT', { operation: 'CONNECT', object: null }],
    ['a status subresource', { subResource: 'status' }],
  ])('allows %s untouched on both webhooks', (_label, overrides) => {
    for (const webhook of ['mutate', 'validate'] as const) {
      const outcome = admitBody(
        reviewOf(cronJob('nightly', { startingDeadlineSeconds: 1 }), overrides),
        context(webhook),
      );
      expect(outcome.decision).toBe('skipped');
      expect(outcome.review.response).toEqual({
        uid: '705ab4f5-6393-11e8-b7cc-42010a800002',
        allowed: true,
      });
    }
  });

  it('allows kinds the engine does not evaluate', () => {
    const deployment = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' } };
    const body = reviewOf(deployment, {
      kind: { group: 'apps', version: 'v1', kind: 'Deployment' },
    });
    const outcome = admitBody(body, context('mutate'));
    expect(outcome).toMatchObject({ decision: 'skipped', kind: 'other' });
    expect(outcome.review.response.patch).toBeUndefined();
  });

  it('answers an object that is not the kind it claims with a 400 denial', () => {
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p' },
      spec: { containers: [] },
    };
    for (const webhook of ['mutate', 'validate'] as const) {
      const outcome = admitBody(
        reviewOf(pod, { kind: { group: 'batch', version: 'v1', kind: 'CronJob' } }),
        context(webhook),
      );
      expect(outcome.decision).toBe('invalid');
      expect(outcome.review.response).toMatchObject({
        allowed: false,
        status: { code: 400, reason: 'BadRequest' },
      });
      expect(outcome.review.response.patch).toBeUndefined();
    }
  });
});

describe.skipIf(!hasKubectl())('admit: objects from kubectl create --dry-run=client', () => {
  it.each([
    ['x', 'busybox:1.36'],
    ['report-generator', 'registry.example.com/reports@sha256:' + 'a'.repeat(64)],
    ['latest-image', 'busybox'],
  ])('mutates %s (%s) into a valid CronJob, then nothing more', (name, image) => {
    const object = kubectlCronJob(name, image);
    expect(object).toBeDefined();
    applyApiServerDefaults(object!);
    const { patched } = mutateThenCheck(object!);
    const again = admitBody(reviewOf(patched), context('mutate'));
    expect(again.review.response.patch).toBeUndefined();
    const validation = admitBody(reviewOf(patched), context('validate'));
    expect(validation.review.response.allowed).toBe(true);
    expect(validation.review.response).not.toHaveProperty('patch');
  });

  it('mutates the raw (undefaulted) kubectl output too', () => {
    const object = kubectlCronJob('raw', 'busybox:1.36');
    const { patched } = mutateThenCheck(object!);
    expect(admitBody(reviewOf(patched), context('mutate')).review.response.patch).toBeUndefined();
  });
});

describe('decodeReview + admit never throw', () => {
  it('answers every decoded review of a hostile object shape', () => {
    const shapes: unknown[] = [
      {},
      { apiVersion: 'batch/v1', kind: 'CronJob' },
      { apiVersion: 'batch/v1', kind: 'CronJob', spec: {} },
      { apiVersion: 'batch/v1', kind: 'CronJob', spec: { jobTemplate: 'x', schedule: 7 } },
      {
        apiVersion: 'batch/v1',
        kind: 'CronJob',
        metadata: { annotations: { [POLICIES_ANNOTATION]: 3 } },
      },
    ];
    for (const shape of shapes) {
      for (const webhook of ['mutate', 'validate'] as const) {
        const result = decodeReview(reviewOf(shape));
        if (isReviewError(result)) continue;
        const outcome = admit(result, context(webhook));
        expect(outcome.review.response.uid).toBe(result.uid);
        if (outcome.review.response.patch !== undefined) applyWithLibrary(shape, outcome);
      }
    }
  });
});
