import { loadPolicies } from '../../src/policy/index.js';
import type { PolicySet } from '../../src/policy/types.js';
import { BUILTIN_RULE_IDS } from '../../src/rules/index.js';

/** Compiles policy YAML for a test; fails the test with the loader's messages on error. */
export function policiesFrom(text: string, file = 'test-policy.yaml'): PolicySet {
  const { policies, errors } = loadPolicies([{ file, text }], { knownRuleIds: BUILTIN_RULE_IDS });
  if (errors.length > 0) {
    throw new Error(errors.map((e) => `${e.file}:${e.line}:${e.column}: ${e.message}`).join('\n'));
  }
  return { policies };
}
