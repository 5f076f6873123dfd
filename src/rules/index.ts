import type { Rule } from './rule.js';
import { exemptionAnnotationsRule } from './exemptions/exemption-annotations.js';
import { jobApiVersion } from './job/api-version.js';
import {
  jobActiveDeadline,
  jobBackoffLimit,
  jobConcurrencyPolicy,
  jobFailedHistoryLimit,
  jobStartingDeadline,
  jobSuccessfulHistoryLimit,
  jobTtlAfterFinished,
} from './job/field-rules.js';
import { jobNameLength } from './job/name-length.js';
import { jobRestartPolicy } from './job/restart-policy.js';

/**
 * Every built-in rule, in evaluation order. Order matters only for mutations that
 * build on each other (none do across sections today) and for report ordering.
 */
export const BUILTIN_RULES: readonly Rule[] = [
  jobApiVersion,
  jobNameLength,
  jobConcurrencyPolicy,
  jobStartingDeadline,
  jobActiveDeadline,
  jobBackoffLimit,
  jobTtlAfterFinished,
  jobSuccessfulHistoryLimit,
  jobFailedHistoryLimit,
  jobRestartPolicy,
  exemptionAnnotationsRule(() => BUILTIN_RULE_IDS),
];

export const BUILTIN_RULE_IDS: ReadonlySet<string> = new Set(BUILTIN_RULES.map((rule) => rule.id));

export function findRule(id: string): Rule | undefined {
  return BUILTIN_RULES.find((rule) => rule.id === id);
}

export type { Rule, RuleSection } from './rule.js';
