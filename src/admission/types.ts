import type { Action, Evaluation } from '../engine/types.js';
import type { ClusterFacts } from '../mesh/types.js';
import type { KubeObject, Operation } from '../k8s/types.js';
import type { PolicySet } from '../policy/types.js';

/** The AdmissionReview versions the API server may send; the answer uses the same one. */
export const ADMISSION_V1 = 'admission.k8s.io/v1';
export const ADMISSION_V1BETA1 = 'admission.k8s.io/v1beta1';
export type AdmissionApiVersion = typeof ADMISSION_V1 | typeof ADMISSION_V1BETA1;

export interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

/** Everything admission needs from a well-formed AdmissionReview request. */
export interface DecodedReview {
  ok: true;
  apiVersion: AdmissionApiVersion;
  uid: string;
  operation: Operation;
  /** `request.kind`: the type sent to this webhook; undefined when the review omits it. */
  kind: GroupVersionKind | undefined;
  /** `request.subResource` (e.g. `status`), undefined for the main resource. */
  subResource: string | undefined;
  /** `request.name`; may be empty on CREATE with generateName. */
  name: string;
  /** `request.namespace`; empty for cluster-scoped objects. */
  namespace: string;
  dryRun: boolean;
  /** The new object; undefined for DELETE and CONNECT (and when `objectProblem` is set). */
  object: KubeObject | undefined;
  oldObject: KubeObject | undefined;
  /**
   * Fields of `object` taken from request.kind because the object omitted them; a
   * patch must apply to the object as received, without them.
   */
  filledFields: ('apiVersion' | 'kind')[];
  /**
   * Why the object cannot be evaluated although the envelope is fine (not an object,
   * not the kind the request claims, ...). admit() answers it with a 400 denial,
   * because the uid is known and the API server expects an AdmissionReview back.
   */
  objectProblem: string | undefined;
}

/** A body that is not a usable AdmissionReview: the server answers HTTP 400 with `message`. */
export interface ReviewError {
  ok: false;
  httpStatus: 400;
  /** Where in the body the problem is, e.g. `request.uid`; empty for the body itself. */
  field: string;
  message: string;
  /** `request.uid` when it could be read, for logs. */
  uid: string | undefined;
}

export type WebhookType = 'mutate' | 'validate';

export interface AdmissionLimits {
  /** Longest single warning, in runes (the Kubernetes docs ask for ≤120). */
  warningRunes: number;
  /** All warnings together, in runes (the API server's budget is 4096). */
  warningBudgetRunes: number;
  /** Denial message, in UTF-8 bytes. */
  denialMessageBytes: number;
  /** Each auditAnnotations value, in runes. */
  auditAnnotationValueRunes: number;
}

export const DEFAULT_ADMISSION_LIMITS: Readonly<AdmissionLimits> = Object.freeze({
  warningRunes: 120,
  warningBudgetRunes: 4096,
  denialMessageBytes: 4096,
  auditAnnotationValueRunes: 1024,
});

export interface AdmissionContext {
  policySet: PolicySet;
  webhook: WebhookType;
  /**
   * Labels of a namespace, when known. Undefined (the function or its result) means
   * namespaceSelector policies cannot match, exactly as in the engine.
   */
  namespaceLabels?:
    ((namespace: string) => Readonly<Record<string, string>> | undefined) | undefined;
  /** What is known about the cluster (its Kubernetes version, for mesh policies). */
  cluster?: ClusterFacts | undefined;
  limits?: Partial<AdmissionLimits> | undefined;
}

export interface AdmissionStatus {
  code: 400 | 403;
  status: 'Failure';
  reason: 'BadRequest' | 'Forbidden';
  message: string;
}

export interface AdmissionResponse {
  uid: string;
  allowed: boolean;
  status?: AdmissionStatus;
  /** Base64 of the JSON patch; only from the mutating webhook, only when non-empty. */
  patch?: string;
  patchType?: 'JSONPatch';
  warnings?: string[];
  auditAnnotations?: Record<string, string>;
}

export interface AdmissionReviewResponse {
  apiVersion: AdmissionApiVersion;
  kind: 'AdmissionReview';
  response: AdmissionResponse;
}

/**
 * What happened, for metrics and logs (low-cardinality labels first):
 * - allowed: evaluated (or not ours) and nothing to change or deny;
 * - mutated: allowed with a patch;
 * - denied: enforce findings (validating webhook);
 * - invalid: the object is malformed (400);
 * - skipped: operation, subresource or kind not evaluated; allowed untouched.
 */
export type AdmissionDecision = 'allowed' | 'mutated' | 'denied' | 'invalid' | 'skipped';

export interface FindingSummary {
  policy: string;
  ruleId: string;
  action: Action;
}

export interface AdmissionOutcome {
  /** The body to send back, HTTP 200. */
  review: AdmissionReviewResponse;
  decision: AdmissionDecision;
  webhook: WebhookType;
  uid: string;
  /** Object kind (e.g. CronJob), or the request's kind when there is no object. */
  kind: string;
  operation: Operation;
  dryRun: boolean;
  namespace: string;
  name: string;
  /** Why nothing was evaluated, when decision is `skipped` (or the engine skipped the kind). */
  skipReason: string | undefined;
  /** Rule ids that changed the object (one entry per mutation), in patch order. */
  mutatedRules: string[];
  /** Every finding, by policy, rule and action (for cronguard_policy_findings_total). */
  findings: FindingSummary[];
  /** Enforce findings the mutating webhook leaves to the validating webhook. */
  unresolvedEnforceFindings: number;
  patchOperations: number;
  /** Set when cronguard itself failed (e.g. a patch that would not apply) and failed open. */
  internalError: string | undefined;
  /**
   * The engine's evaluation behind the answer, when the object was evaluated; the
   * audit reads messages, fixes and exemptions from it instead of evaluating again.
   */
  evaluation?: Evaluation;
}
