import type { Rule } from '../rules/index.js';
import type { RuleDescriptor } from '../report/index.js';

const DOCS_BASE = 'https://github.com/cronguard/cronguard/blob/main/policies/README.md';

/** Rule metadata as SARIF consumers want it; links point at the rule's entry in policies/README.md. */
export function ruleDescriptors(rules: readonly Rule[]): RuleDescriptor[] {
  return rules.map((rule) => ({
    id: rule.id,
    title: rule.title,
    section: rule.section,
    description: rule.description,
    helpUri: `${DOCS_BASE}#${rule.id}`,
    defaultSeverity: 'error',
  }));
}
