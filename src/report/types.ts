import type { Action, Severity } from '../engine/types.js';

/**
 * What `cronguard lint` produced, independent of output format. The JSON format
 * (`--format json`) serialises exactly this shape; it is documented in
 * docs/json-format.md and versioned by `schemaVersion`.
 */
export interface LintReport {
  schemaVersion: 1;
  tool: { name: 'cronguard'; version: string };
  /** Policies that were in force, in evaluation order. */
  policies: { name: string; version: string; priority: number; action: Action; source: string }[];
  results: ObjectResult[];
  /** Problems that stopped a file or document from being evaluated (bad YAML, unreadable file). */
  errors: InputError[];
  summary: LintSummary;
}

export interface LintSummary {
  files: number;
  documents: number;
  evaluated: number;
  /** Documents of kinds cronguard does not evaluate, by kind. */
  skipped: Record<string, number>;
  findings: Record<Severity, number>;
  mutations: number;
  errors: number;
}

export interface ObjectRef {
  apiVersion: string;
  kind: string;
  namespace: string;
  name: string;
}

export interface ReportLocation {
  file: string;
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
}

export interface ReportedFinding {
  ruleId: string;
  policy: string;
  action: Action;
  severity: Severity;
  message: string;
  fix?: string;
  /** Dotted field path, e.g. `spec.jobTemplate.spec.template.spec.containers[0].image`. */
  field: string;
  /** RFC 6901 pointer of the same field. */
  pointer: string;
  container?: string;
  location: ReportLocation;
}

export interface ReportedMutation {
  ruleId: string;
  policy: string;
  field: string;
  pointer: string;
  op: 'add' | 'replace';
  value: unknown;
  previous?: unknown;
  message: string;
  location: ReportLocation;
}

export interface ObjectResult {
  object: ObjectRef;
  /** Where the document starts. */
  location: ReportLocation;
  /** Index of the document in its file (0-based), and of the item inside a List. */
  documentIndex: number;
  findings: ReportedFinding[];
  mutations: ReportedMutation[];
  /** Rules exempted for this object and why. */
  exemptions: {
    ruleId: string;
    policy: string;
    source: 'annotation' | 'policy';
    reason: string;
    container?: string;
  }[];
}

export interface InputError {
  message: string;
  location: ReportLocation;
}
