import type { RuleContext } from '../engine/context.js';
import type { WorkloadKind } from '../k8s/types.js';
import type { PolicySpec } from '../policy/types.js';

export type RuleSection =
  | 'schedule'
  | 'job'
  | 'securityContext'
  | 'resources'
  | 'probes'
  | 'images'
  | 'exemptions'
  | 'mesh';

/**
 * A built-in rule. Its id is stable (it appears in annotations, reports and
 * dashboards), it is documented in policies/README.md (a test checks), and it has
 * pass/fail fixtures under test/fixtures/rules/<id>/.
 *
 * Rules are pure: `mutate` changes the working copy only through the context (so
 * every change is recorded, merged by priority and exemptible), and `validate`
 * only reports. Validation always runs on the fully mutated object.
 */
export interface Rule {
  readonly id: string;
  readonly section: RuleSection;
  /** Short title for reports. */
  readonly title: string;
  /** One paragraph for SARIF and docs: what and why. */
  readonly description: string;
  readonly kinds: readonly WorkloadKind[];
  /** Whether the policy configures this rule at all. */
  enabled(spec: PolicySpec): boolean;
  mutate?(context: RuleContext): void;
  validate?(context: RuleContext): void;
}
