import type { KubeObject, WorkloadKind } from '../k8s/types.js';
import { isPlainObject } from '../k8s/types.js';
import { classifyWorkload } from '../k8s/workload.js';
import { matchPolicy, objectName } from '../policy/match.js';
import type { Policy, PolicySet } from '../policy/types.js';
import type { Rule } from '../rules/rule.js';
import { RuleContext, setPath, type EvaluationState } from './context.js';
import { ExemptionSet, readAnnotationExemptions } from './exemptions.js';
import { diff } from './patch.js';
import { cloneJson } from '../util/clone.js';
import type { Action, Evaluation, EvaluationInput, Finding, PolicyMatch } from './types.js';

/** Annotation naming the policies (and versions) that shaped an object. */
export const POLICIES_ANNOTATION = 'cronguard.dev/policies';

export interface EngineOptions {
  readonly rules: readonly Rule[];
}

/**
 * Evaluates one object against a policy set: the single function behind the
 * webhook, the CLI and the watcher, so that what `lint` says is what admission does.
 *
 * Pure: no I/O, no clock, no randomness; the input object is never modified.
 * Policies run in priority order (highest first) and, per field, the first policy
 * that writes it wins; validation runs on the fully mutated object.
 */
export function evaluate(
  policySet: PolicySet,
  input: EvaluationInput,
  options: EngineOptions,
): Evaluation {
  const original = input.object;
  const classification = classifyWorkload(original);
  if ('skip' in classification) return skipped(original, classification.skip);
  if (input.operation !== 'CREATE' && input.operation !== 'UPDATE') {
    return skipped(original, `operation ${input.operation} is not evaluated`);
  }
  const paths = classification.workload;
  const working = cloneJson(original);
  const state: EvaluationState = {
    working,
    original,
    oldObject: input.oldObject,
    operation: input.operation,
    namespace: input.namespace,
    namespaceLabels: input.namespaceLabels,
    cluster: input.cluster,
    paths,
    claims: new Map(),
    mutations: [],
    findings: [],
    exemptions: [],
  };

  const matches: PolicyMatch[] = [];
  const matched: Policy[] = [];
  for (const policy of policySet.policies) {
    const outcome = matchPolicy(policy, paths.kind, input);
    matches.push({
      policy: policy.name,
      version: policy.version,
      priority: policy.spec.priority,
      action: policy.spec.action,
      matched: outcome.matched,
      ...(outcome.matched ? {} : { reason: outcome.reason }),
    });
    if (outcome.matched) matched.push(policy);
  }

  const annotationExemptions = readAnnotationExemptions(original, paths);
  const name = objectName(original);
  const contexts: RuleContext[] = [];
  for (const policy of matched) {
    const exemptions = new ExemptionSet(policy, annotationExemptions, input.namespace, name);
    for (const { rule, action } of rulePlan(policy, paths.kind, options.rules)) {
      const decision = exemptions.decide(rule.id);
      if (decision.exempt) {
        state.exemptions.push({
          ruleId: rule.id,
          policy: policy.name,
          source: decision.source ?? 'policy',
          reason: decision.reason ?? '',
        });
        continue;
      }
      contexts.push(new RuleContext(rule, policy, action, exemptions, state));
    }
  }

  for (const context of contexts) context.rule.mutate?.(context);
  if (matched.length > 0) stampPolicies(working, matched);
  for (const context of contexts) context.rule.validate?.(context);

  const findings = dedupeFindings(state.findings);
  return {
    kind: paths.kind,
    policies: matches,
    original,
    mutated: working,
    patch: diff(original, working),
    mutations: state.mutations,
    findings,
    exemptions: state.exemptions,
    allowed: !findings.some((finding) => finding.action === 'enforce'),
  };
}

interface PlannedRule {
  rule: Rule;
  action: Action;
}

/**
 * Which rules a policy runs for a kind, and with which action: fixed for a loaded
 * policy (policies are frozen), so computed once instead of for every object.
 */
const plans = new WeakMap<Policy, WeakMap<readonly Rule[], Map<WorkloadKind, PlannedRule[]>>>();

function rulePlan(policy: Policy, kind: WorkloadKind, rules: readonly Rule[]): PlannedRule[] {
  let byRules = plans.get(policy);
  if (byRules === undefined) plans.set(policy, (byRules = new WeakMap()));
  let byKind = byRules.get(rules);
  if (byKind === undefined) byRules.set(rules, (byKind = new Map<WorkloadKind, PlannedRule[]>()));
  let plan = byKind.get(kind);
  if (plan === undefined) {
    plan = [];
    for (const rule of rules) {
      if (!rule.kinds.includes(kind) || !rule.enabled(policy.spec)) continue;
      const override = policy.spec.ruleActions[rule.id];
      if (override === 'off') continue;
      plan.push({ rule, action: override ?? policy.spec.action });
    }
    byKind.set(kind, plan);
  }
  return plan;
}

function skipped(original: KubeObject, reason: string): Evaluation {
  return {
    kind: undefined,
    skipped: { reason },
    policies: [],
    original,
    mutated: original,
    patch: [],
    mutations: [],
    findings: [],
    exemptions: [],
    allowed: true,
  };
}

/**
 * Records which policies shaped the object. Deterministic (the matched set in
 * order), so evaluating the result again yields no patch.
 */
function stampPolicies(working: KubeObject, matched: readonly Policy[]): void {
  const value = matched.map((policy) => `${policy.name}@${policy.version}`).join(',');
  const metadata = working.metadata;
  if (metadata !== undefined && !isPlainObject(metadata)) return;
  const annotations = metadata?.annotations;
  if (annotations !== undefined && annotations !== null && !isPlainObject(annotations)) return;
  if (isPlainObject(annotations) && annotations[POLICIES_ANNOTATION] === value) return;
  setPath(working, ['metadata', 'annotations', POLICIES_ANNOTATION], value);
}

const ACTION_RANK: Readonly<Record<Action, number>> = { enforce: 3, warn: 2, audit: 1 };

/**
 * Several policies often check the same thing; a reader wants each problem once,
 * at its most severe action (the policy that would deny is the one named).
 */
function dedupeFindings(findings: readonly Finding[]): Finding[] {
  const byKey = new Map<string, Finding>();
  for (const finding of findings) {
    const key = `${finding.ruleId}\u0000${finding.path}\u0000${finding.container ?? ''}\u0000${finding.message}`;
    const existing = byKey.get(key);
    if (existing === undefined || ACTION_RANK[finding.action] > ACTION_RANK[existing.action])
      byKey.set(key, finding);
  }
  return [...byKey.values()];
}
