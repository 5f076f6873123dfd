import { parseArgs } from 'node:util';
import { exitCodeFor, formatReport } from '../../report/index.js';
import { BUILTIN_RULES } from '../../rules/index.js';
import { EVALUATION_OPTIONS, evaluateInputs } from '../inputs.js';
import type { CliIo } from '../io.js';
import { parseFailOn, parseOutputTargets } from '../options.js';
import { buildLintReport } from '../pipeline.js';
import { ruleDescriptors } from '../rule-docs.js';

export const LINT_USAGE = `Usage: cronguard lint [PATH ... | -] [options]

Evaluates CronJobs (and Jobs/Pods when a policy asks) in files, directories
(recursive: .yaml, .yml, .json) or standard input (-) exactly as the admission
webhook would, and reports findings with file:line:column.

Options:
  --policies DIR|FILE        policy directory or file (repeatable; default: built-in policies)
  -f, --format FORMAT        text | json | sarif | junit | github (repeatable, with --output)
  -o, --output FILE          write the preceding --format to FILE
  --fail-on LEVEL            error | warning | notice | never (default: error)
  --namespace NS             namespace for objects that name none (default: default)
  --namespace-labels NS=K=V[,K=V]  labels of a namespace, for namespaceSelector (repeatable)
  --kubernetes-version V     the cluster's Kubernetes version (mesh rules: native sidecars)
  --operation OP             CREATE | UPDATE (default: CREATE)
  -v, --verbose              also list the fields admission would set
  --no-color                 plain text output

Exit codes: 0 clean, 1 findings at or above --fail-on, 2 usage, parse or policy errors.`;

export async function lintCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      ...EVALUATION_OPTIONS,
      format: { type: 'string', short: 'f', multiple: true },
      output: { type: 'string', short: 'o', multiple: true },
      'fail-on': { type: 'string' },
      verbose: { type: 'boolean', short: 'v' },
      'no-color': { type: 'boolean' },
    },
  });
  if (values.help === true) {
    io.stdout(LINT_USAGE + '\n');
    return 0;
  }
  const targets = parseOutputTargets(argv);
  const failOn = parseFailOn(values['fail-on']);
  const { policySet, loaded, evaluated } = await evaluateInputs(values, positionals, io);
  const report = buildLintReport({
    files: loaded.files,
    documents: loaded.documents,
    evaluated,
    errors: loaded.errors,
    policySet,
  });
  const color = values['no-color'] !== true && io.isTTY && io.env.NO_COLOR === undefined;
  for (const target of targets) {
    const text = formatReport(target.format, report, {
      color: color && target.file === undefined,
      verbose: values.verbose === true,
      failOn,
      rules: ruleDescriptors(BUILTIN_RULES),
    });
    if (target.file === undefined) io.stdout(text);
    else await io.writeFile(target.file, text);
  }
  return exitCodeFor(report, failOn);
}
