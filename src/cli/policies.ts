import { UserError } from '../errors.js';
import { builtinPoliciesDir, loadPolicies, readPolicyDirectories } from '../policy/index.js';
import type { PolicySet } from '../policy/types.js';
import { BUILTIN_RULE_IDS } from '../rules/index.js';

/**
 * Loads policies from directories or files (the built-in set when none is given).
 * Any error rejects the whole set: evaluating a partial policy set would silently
 * allow what the missing policies deny.
 */
export async function loadPolicySet(paths: readonly string[]): Promise<PolicySet> {
  const sources = paths.length > 0 ? [...paths] : [builtinPoliciesDir()];
  const read = await readPolicyDirectories(sources);
  const loaded = loadPolicies(read.sources, { knownRuleIds: BUILTIN_RULE_IDS });
  const errors = [...read.errors, ...loaded.errors];
  if (errors.length > 0) {
    throw new UserError(
      `${errors.length} policy error${errors.length === 1 ? '' : 's'}; no policy was applied`,
      errors.map((error) => `${error.file}:${error.line}:${error.column}: ${error.message}`),
    );
  }
  return { policies: loaded.policies };
}
