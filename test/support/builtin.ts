import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { builtinPoliciesDir, loadPolicies } from '../../src/policy/index.js';
import type { PolicySet } from '../../src/policy/types.js';
import { BUILTIN_RULE_IDS } from '../../src/rules/index.js';

let cached: PolicySet | undefined;

/** The shipped policies/ directory, compiled once per test file. */
export function builtinPolicySet(): PolicySet {
  if (cached !== undefined) return cached;
  const dir = builtinPoliciesDir();
  const sources = readdirSync(dir)
    .filter((file) => /\.ya?ml$/.test(file))
    .sort()
    .map((file) => ({ file: join(dir, file), text: readFileSync(join(dir, file), 'utf8') }));
  const { policies, errors } = loadPolicies(sources, { knownRuleIds: BUILTIN_RULE_IDS });
  if (errors.length > 0)
    throw new Error(errors.map((e) => `${e.file}:${e.line}: ${e.message}`).join('\n'));
  cached = { policies };
  return cached;
}
