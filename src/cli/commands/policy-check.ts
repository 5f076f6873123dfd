import { parseArgs } from 'node:util';
import type { CliIo } from '../io.js';
import { loadPolicySet } from '../policies.js';

export const POLICY_CHECK_USAGE = `Usage: cronguard policy check [DIR|FILE ...]

Validates policy files (default: the built-in policies) and lists the policies
in evaluation order. Every error names file:line:column.

Exit codes: 0 valid, 2 errors.`;

export async function policyCheckCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: { help: { type: 'boolean', short: 'h' } },
  });
  if (values.help === true) {
    io.stdout(POLICY_CHECK_USAGE + '\n');
    return 0;
  }
  const policySet = await loadPolicySet(positionals);
  for (const policy of policySet.policies) {
    io.stdout(
      `${policy.name}@${policy.version}  priority ${policy.spec.priority}  action ${policy.spec.action}  (${policy.source})\n`,
    );
  }
  io.stdout(
    `${policySet.policies.length} polic${policySet.policies.length === 1 ? 'y' : 'ies'} valid\n`,
  );
  return 0;
}
