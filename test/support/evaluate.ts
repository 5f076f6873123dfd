import { expect } from 'vitest';
import { evaluate } from '../../src/engine/evaluate.js';
import type { Evaluation, EvaluationInput, Finding, Mutation } from '../../src/engine/types.js';
import { applyApiServerDefaults } from '../../src/k8s/api-defaults.js';
import type { KubeObject } from '../../src/k8s/types.js';
import type { PolicySet } from '../../src/policy/types.js';
import { BUILTIN_RULES } from '../../src/rules/index.js';

/** Evaluates as `cronguard lint` does by default: CREATE in namespace `default`. */
export function run(
  policies: PolicySet,
  object: unknown,
  extra: Partial<EvaluationInput> = {},
): Evaluation {
  return evaluate(
    policies,
    { object: object as KubeObject, operation: 'CREATE', namespace: 'default', ...extra },
    { rules: BUILTIN_RULES },
  );
}

export function findingsOf(result: Evaluation, ruleId: string): Finding[] {
  return result.findings.filter((finding) => finding.ruleId === ruleId);
}

export function mutationsOf(result: Evaluation, ruleId: string): Mutation[] {
  return result.mutations.filter((mutation) => mutation.ruleId === ruleId);
}

function defaulted(object: KubeObject): Record<string, unknown> {
  const copy = structuredClone(object) as Record<string, unknown>;
  applyApiServerDefaults(copy);
  return copy;
}

/**
 * Lint (the author's file) and admission (the API-server-defaulted object) must
 * report the same findings and produce the same object. `redefault` also defaults
 * admission's result, as the API server does after a patch: needed where a rule's
 * output is itself subject to defaulting (requests from limits on Pods).
 */
export function expectLintEqualsAdmission(
  policies: PolicySet,
  authored: KubeObject,
  options: { redefault: boolean } = { redefault: false },
): void {
  const lint = run(policies, authored);
  const admission = run(policies, defaulted(authored));
  expect(admission.findings).toEqual(lint.findings);
  const admissionResult = options.redefault ? defaulted(admission.mutated) : admission.mutated;
  expect(admissionResult).toEqual(defaulted(lint.mutated));
}

/** Evaluating the engine's own output changes nothing and reports the same. */
export function expectIdempotent(policies: PolicySet, object: KubeObject): Evaluation {
  const first = run(policies, object);
  const second = run(policies, first.mutated);
  expect(second.patch).toEqual([]);
  expect(second.findings).toEqual(first.findings);
  return first;
}

/** The Pod a CronJob's Job would create (same metadata, the template's spec). */
export function podFrom(cronJob: KubeObject): KubeObject {
  const spec = cronJob.spec as { jobTemplate: { spec: { template: { spec: unknown } } } };
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: cronJob.metadata,
    spec: spec.jobTemplate.spec.template.spec,
  };
}
