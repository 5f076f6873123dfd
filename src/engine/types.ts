import type { KubeObject, Operation, WorkloadKind } from '../k8s/types.js';
import type { ClusterFacts } from '../mesh/types.js';

/** What a policy (or one of its rules) does when a rule is violated. */
export type Action = 'enforce' | 'warn' | 'audit';

/**
 * Severity as CI tools see it. `enforce` findings deny admission (error), `warn`
 * findings become admission warnings (warning), `audit` findings and mutations are
 * reported only (notice).
 */
export type Severity = 'error' | 'warning' | 'notice';

export const SEVERITY_OF_ACTION: Readonly<Record<Action, Severity>> = {
  enforce: 'error',
  warn: 'warning',
  audit: 'notice',
};

export interface Finding {
  /** Stable rule id, e.g. `job-concurrency-policy`. */
  ruleId: string;
  /** Name of the policy that produced the finding. */
  policy: string;
  action: Action;
  severity: Severity;
  /** One line, no trailing period: what is wrong. */
  message: string;
  /** RFC 6901 pointer into the evaluated (mutated) object. */
  path: string;
  /** How to fix it, one line. */
  fix?: string;
  /** Container name when the finding is about one container. */
  container?: string;
}

export type MutationOp = 'add' | 'replace';

/** One field the engine set, and why. */
export interface Mutation {
  ruleId: string;
  policy: string;
  path: string;
  op: MutationOp;
  value: unknown;
  previous?: unknown;
  message: string;
}

export interface JsonPatchOperation {
  op: 'add' | 'remove' | 'replace' | 'test' | 'move' | 'copy';
  path: string;
  value?: unknown;
  from?: string;
}

export interface PolicyMatch {
  policy: string;
  version: string;
  priority: number;
  action: Action;
  matched: boolean;
  /** Why the policy did not match (one line), when it did not. */
  reason?: string;
}

export interface ExemptionRecord {
  ruleId: string;
  policy: string;
  source: 'annotation' | 'policy';
  reason: string;
  container?: string;
}

/** Why an object was not evaluated at all. */
export interface Skip {
  reason: string;
}

export interface EvaluationInput {
  object: KubeObject;
  operation: Operation;
  /** Namespace the object is created in (metadata.namespace, the request's namespace, or a default). */
  namespace: string;
  /** Labels of that namespace, or undefined when they are not known. */
  namespaceLabels?: Readonly<Record<string, string>> | undefined;
  /** The object before the update, for UPDATE requests. */
  oldObject?: KubeObject | undefined;
  /** What is known about the cluster (Kubernetes version); undefined when nothing is. */
  cluster?: ClusterFacts | undefined;
}

export interface Evaluation {
  kind: WorkloadKind | undefined;
  skipped?: Skip;
  policies: PolicyMatch[];
  original: KubeObject;
  mutated: KubeObject;
  patch: JsonPatchOperation[];
  mutations: Mutation[];
  findings: Finding[];
  exemptions: ExemptionRecord[];
  /** False when any finding has action `enforce`. */
  allowed: boolean;
}
