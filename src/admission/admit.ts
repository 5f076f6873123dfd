import { evaluate } from '../engine/evaluate.js';
import type { Action, Evaluation, Finding, Mutation } from '../engine/types.js';
import { SEVERITY_OF_ACTION } from '../engine/types.js';
import { deepEqual } from '../engine/patch.js';
import { isPlainObject, WORKLOAD_KINDS, type KubeObject } from '../k8s/types.js';
import type { PolicySet } from '../policy/types.js';
import type { Rule } from '../rules/rule.js';
import { cloneJson } from '../util/clone.js';
import { BUILTIN_RULES } from '../rules/index.js';
import { boundAuditAnnotations } from './audit-annotations.js';
import { applyJsonPatch } from './json-patch.js';
import { denialMessage, warningLine } from './messages.js';
import {
  DEFAULT_ADMISSION_LIMITS,
  type AdmissionContext,
  type AdmissionDecision,
  type AdmissionLimits,
  type AdmissionOutcome,
  type AdmissionResponse,
  type AdmissionStatus,
  type DecodedReview,
} from './types.js';
import { boundWarnings } from './warnings.js';

/** Namespace for a namespaced object that names none anywhere (what kubectl assumes). */
const FALLBACK_NAMESPACE = 'default';

export interface AdmitOptions {
  /** Rules to run; the built-in set unless a test says otherwise. */
  rules?: readonly Rule[];
}

/**
 * Answers one decoded AdmissionReview. Pure and total: it never throws and always
 * returns a response the API server accepts (uid echoed, same apiVersion).
 *
 * Division of labour between the two webhooks (Kubernetes "admission webhook good
 * practices": mutating webhooks fail open, a validating webhook enforces the final state):
 * - mutate: returns the patch and never denies for policy reasons. Enforce findings
 *   that mutation cannot fix are counted in the outcome and audit annotations only;
 *   denying here would act on an object that later mutating webhooks may still change.
 * - validate: evaluates the object it receives (already mutated), never patches, denies
 *   enforce findings (403) and sends warn findings as warnings. A mutation the engine
 *   would still make means the object is not in the state the policies require (the
 *   mutating webhook was skipped, failed open, or a later webhook undid it): it is
 *   treated as a finding with the action of the rule that wanted it.
 * Malformed objects get a 400 denial from both: that is not a policy decision.
 */
export function admit(
  review: DecodedReview,
  context: AdmissionContext,
  options: AdmitOptions = {},
): AdmissionOutcome {
  const limits: AdmissionLimits = { ...DEFAULT_ADMISSION_LIMITS, ...(context.limits ?? {}) };
  const object = review.object;
  const base = baseOutcome(review, context);

  if (review.objectProblem !== undefined) {
    return finish(base, 'invalid', {
      allowed: false,
      status: { code: 400, status: 'Failure', reason: 'BadRequest', message: review.objectProblem },
    });
  }
  if (review.operation !== 'CREATE' && review.operation !== 'UPDATE') {
    return skip(base, `operation ${review.operation} is not evaluated`);
  }
  if (review.subResource !== undefined) {
    return skip(base, `subresource ${review.subResource} is not evaluated`);
  }
  if (object === undefined) return skip(base, 'request has no object');

  const namespace = namespaceOf(object, review.namespace);
  base.namespace = namespace;
  base.name = nameOf(object, review.name);
  // The patch is checked against the object as it arrived; a copy guards that check
  // against anything in evaluation touching the input (the engine promises not to).
  const received = context.webhook === 'mutate' ? cloneJson(object) : object;
  let evaluation: Evaluation;
  try {
    evaluation = evaluate(
      context.policySet,
      {
        object,
        operation: review.operation,
        namespace,
        namespaceLabels: context.namespaceLabels?.(namespace),
        oldObject: review.oldObject,
        cluster: context.cluster,
      },
      { rules: options.rules ?? BUILTIN_RULES },
    );
  } catch (error) {
    // Fail open: the configured failurePolicy cannot see an exception we caught, so
    // the outcome carries it and the server may answer 500 instead to honour it.
    return {
      ...finish(base, 'allowed', { allowed: true }),
      internalError: `evaluation failed: ${errorText(error)}`,
    };
  }
  if (evaluation.skipped !== undefined) return skip(base, evaluation.skipped.reason);
  base.kind = evaluation.kind ?? base.kind;
  base.evaluation = evaluation;

  return context.webhook === 'mutate'
    ? mutateAnswer(base, review, received, evaluation, limits)
    : validateAnswer(base, evaluation, context.policySet, limits);
}

function mutateAnswer(
  base: AdmissionOutcome,
  review: DecodedReview,
  received: KubeObject,
  evaluation: Evaluation,
  limits: AdmissionLimits,
): AdmissionOutcome {
  base.findings = summarise(evaluation.findings);
  base.unresolvedEnforceFindings = evaluation.findings.filter((f) => f.action === 'enforce').length;
  const annotations = auditAnnotations(evaluation, evaluation.findings, limits);
  if (evaluation.patch.length === 0) {
    return finish(base, 'allowed', { allowed: true, auditAnnotations: annotations });
  }
  const problem = patchProblem(received, review.filledFields, evaluation);
  if (problem !== undefined) {
    annotations.error = 'patch withheld: internal error';
    return {
      ...finish(base, 'allowed', { allowed: true, auditAnnotations: annotations }),
      internalError: problem,
    };
  }
  base.mutatedRules = evaluation.mutations.map((mutation) => mutation.ruleId);
  base.patchOperations = evaluation.patch.length;
  return finish(base, 'mutated', {
    allowed: true,
    patch: Buffer.from(JSON.stringify(evaluation.patch), 'utf8').toString('base64'),
    patchType: 'JSONPatch',
    auditAnnotations: annotations,
  });
}

function validateAnswer(
  base: AdmissionOutcome,
  evaluation: Evaluation,
  policySet: PolicySet,
  limits: AdmissionLimits,
): AdmissionOutcome {
  const findings = validationFindings(evaluation, policySet);
  base.findings = summarise(findings);
  const violations = findings.filter((finding) => finding.action === 'enforce');
  const warnings = boundWarnings(
    findings
      .filter((finding) => finding.action === 'warn')
      .map((finding) => warningLine(finding, limits.warningRunes)),
    limits,
  );
  const response: Omit<AdmissionResponse, 'uid'> = {
    allowed: violations.length === 0,
    auditAnnotations: auditAnnotations(evaluation, findings, limits),
    ...(warnings.length > 0 ? { warnings } : {}),
  };
  if (violations.length === 0) return finish(base, 'allowed', response);
  const status: AdmissionStatus = {
    code: 403,
    status: 'Failure',
    reason: 'Forbidden',
    message: denialMessage(base.kind, violations, limits.denialMessageBytes),
  };
  return finish(base, 'denied', { ...response, status });
}

/**
 * What the validating webhook judges: the engine's findings, and each mutation the
 * engine still wants as a finding of its own (see pendingMutationFinding).
 */
export function validationFindings(evaluation: Evaluation, policySet: PolicySet): Finding[] {
  return [
    ...evaluation.findings,
    ...evaluation.mutations.map((mutation) => pendingMutationFinding(mutation, policySet)),
  ];
}

/**
 * A mutation the engine still wants on the object the validating webhook sees. Its
 * action is the one the policy gives the rule, so a skipped `enforce` default denies
 * while a skipped `warn` default only warns.
 */
function pendingMutationFinding(mutation: Mutation, policySet: PolicySet): Finding {
  const action = ruleAction(policySet, mutation.policy, mutation.ruleId);
  return {
    ruleId: mutation.ruleId,
    policy: mutation.policy,
    action,
    severity: SEVERITY_OF_ACTION[action],
    message: `not mutated as policy requires: ${mutation.message}`,
    path: mutation.path,
    fix: `${mutation.message} in the manifest, or check that the cronguard mutating webhook runs`,
  };
}

function ruleAction(policySet: PolicySet, policyName: string, ruleId: string): Action {
  const policy = policySet.policies.find((candidate) => candidate.name === policyName);
  if (policy === undefined) return 'warn';
  const override = policy.spec.ruleActions[ruleId];
  return override === undefined || override === 'off' ? policy.spec.action : override;
}

/**
 * Why the patch must not be sent, or undefined when it is safe: applied to the
 * object exactly as received it must succeed and give the engine's result. A patch
 * the API server cannot apply rejects the request with a 500 even under
 * failurePolicy Ignore, so withholding it (fail open) is the lesser harm.
 */
function patchProblem(
  received: KubeObject,
  filledFields: readonly string[],
  evaluation: Evaluation,
): string | undefined {
  const expected = asReceived(evaluation.mutated, filledFields);
  let applied;
  try {
    // `received` is this request's private copy and is not used after the check.
    applied = applyJsonPatch(asReceived(received, filledFields), evaluation.patch, {
      inPlace: true,
    });
  } catch (error) {
    return `patch check failed: ${errorText(error)}`;
  }
  if (!applied.ok) return `patch does not apply to the received object: ${applied.error}`;
  if (!deepEqual(applied.result, expected)) return 'patch does not produce the evaluated object';
  return undefined;
}

/** The object without the fields decodeReview filled in from request.kind. */
function asReceived(object: KubeObject, filled: readonly string[]): KubeObject {
  if (filled.length === 0) return object;
  const copy: KubeObject = { ...object };
  for (const key of filled) Reflect.deleteProperty(copy, key);
  return copy;
}

function auditAnnotations(
  evaluation: Evaluation,
  findings: readonly Finding[],
  limits: AdmissionLimits,
): Record<string, string> {
  const matched = evaluation.policies
    .filter((policy) => policy.matched)
    .map((policy) => `${policy.policy}@${policy.version}`);
  const entries: [string, string][] = [
    ['policies', matched.join(',')],
    ['mutations', countedList(evaluation.mutations.map((mutation) => mutation.ruleId))],
    [
      'findings',
      countedList(
        findings.map((finding) => `${finding.action}:${finding.policy}/${finding.ruleId}`),
      ),
    ],
  ];
  return boundAuditAnnotations(entries, limits.auditAnnotationValueRunes);
}

/** `a,b(3)`: each distinct item once, in first-seen order, with its count when above one. */
function countedList(items: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(item, (counts.get(item) ?? 0) + 1);
  return [...counts].map(([item, count]) => (count > 1 ? `${item}(${count})` : item)).join(',');
}

function summarise(findings: readonly Finding[]): AdmissionOutcome['findings'] {
  return findings.map(({ policy, ruleId, action }) => ({ policy, ruleId, action }));
}

function baseOutcome(review: DecodedReview, context: AdmissionContext): AdmissionOutcome {
  const claimed = review.object?.kind ?? review.kind?.kind;
  return {
    review: {
      apiVersion: review.apiVersion,
      kind: 'AdmissionReview',
      response: { uid: review.uid, allowed: true },
    },
    decision: 'allowed',
    webhook: context.webhook,
    uid: review.uid,
    // A bounded label set for metrics: the evaluated kinds, or `other`.
    kind: WORKLOAD_KINDS.find((kind) => kind === claimed) ?? 'other',
    operation: review.operation,
    dryRun: review.dryRun,
    namespace: review.namespace,
    name: review.name,
    skipReason: undefined,
    mutatedRules: [],
    findings: [],
    unresolvedEnforceFindings: 0,
    patchOperations: 0,
    internalError: undefined,
  };
}

function finish(
  base: AdmissionOutcome,
  decision: AdmissionDecision,
  response: Omit<AdmissionResponse, 'uid'>,
): AdmissionOutcome {
  return {
    ...base,
    decision,
    review: { ...base.review, response: { uid: base.uid, ...response } },
  };
}

function skip(base: AdmissionOutcome, reason: string): AdmissionOutcome {
  return { ...finish(base, 'skipped', { allowed: true }), skipReason: reason };
}

function namespaceOf(object: KubeObject, requestNamespace: string): string {
  const declared = isPlainObject(object.metadata) ? object.metadata.namespace : undefined;
  if (typeof declared === 'string' && declared !== '') return declared;
  return requestNamespace !== '' ? requestNamespace : FALLBACK_NAMESPACE;
}

function nameOf(object: KubeObject, requestName: string): string {
  const metadata = isPlainObject(object.metadata) ? object.metadata : {};
  if (typeof metadata.name === 'string' && metadata.name !== '') return metadata.name;
  if (requestName !== '') return requestName;
  return typeof metadata.generateName === 'string' ? metadata.generateName : '';
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
