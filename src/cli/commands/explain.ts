import { parseArgs } from 'node:util';
import { asText } from '../../k8s/types.js';
import { pointerToFieldPath } from '../../util/json-pointer.js';
import { EVALUATION_OPTIONS, evaluateInputs, printInputErrors } from '../inputs.js';
import type { CliIo } from '../io.js';
import type { EvaluatedDocument } from '../pipeline.js';

export const EXPLAIN_USAGE = `Usage: cronguard explain [PATH ... | -] [options]

For each object: which policies matched, and for each that did not, why not
(kind, namespace, labels, names, operation, namespace labels); then what each
rule did: fields set, findings, exemptions.

Options:
  --policies DIR|FILE        policy directory or file (repeatable; default: built-in)
  --namespace NS             namespace for objects that name none (default: default)
  --namespace-labels NS=K=V[,K=V]  labels of a namespace (repeatable)
  --kubernetes-version V     the cluster's Kubernetes version (mesh rules: native sidecars)
  --operation OP             CREATE | UPDATE (default: CREATE)
  --json                     machine-readable output`;

export async function explainCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: { ...EVALUATION_OPTIONS, json: { type: 'boolean' } },
  });
  if (values.help === true) {
    io.stdout(EXPLAIN_USAGE + '\n');
    return 0;
  }
  const { loaded, evaluated } = await evaluateInputs(values, positionals, io);
  printInputErrors(loaded, io);
  if (values.json === true) {
    io.stdout(
      JSON.stringify(
        evaluated.map(({ document, namespace, evaluation }) => ({
          location: document.location,
          namespace,
          ...evaluation,
          original: undefined,
          mutated: undefined,
        })),
        null,
        2,
      ) + '\n',
    );
  } else {
    io.stdout(evaluated.map(explainText).join('\n'));
  }
  return loaded.errors.length > 0 ? 2 : 0;
}

function explainText({ document, namespace, evaluation }: EvaluatedDocument): string {
  const object = evaluation.original;
  const name = typeof object.metadata?.name === 'string' ? object.metadata.name : '(unnamed)';
  const lines = [
    `${document.location.file}:${document.location.line}  ${asText(object.kind, '(no kind)')} ${namespace}/${name}`,
  ];
  if (evaluation.skipped !== undefined) {
    lines.push(`  not evaluated: ${evaluation.skipped.reason}`);
    return lines.join('\n') + '\n';
  }
  for (const match of evaluation.policies) {
    const head = `${match.policy}@${match.version} (priority ${match.priority}, ${match.action})`;
    lines.push(
      match.matched
        ? `  policy ${head}: matched`
        : `  policy ${head}: not matched: ${match.reason ?? ''}`,
    );
    if (!match.matched) continue;
    for (const mutation of evaluation.mutations.filter((m) => m.policy === match.policy)) {
      lines.push(
        `    set     ${pointerToFieldPath(mutation.path)} = ${JSON.stringify(mutation.value)}  [${mutation.ruleId}]`,
      );
    }
    for (const finding of evaluation.findings.filter((f) => f.policy === match.policy)) {
      lines.push(`    ${finding.severity.padEnd(7)} ${finding.message}  [${finding.ruleId}]`);
      if (finding.fix !== undefined) lines.push(`            fix: ${finding.fix}`);
    }
    for (const exemption of evaluation.exemptions.filter((e) => e.policy === match.policy)) {
      const scope = exemption.container === undefined ? '' : ` (container ${exemption.container})`;
      lines.push(
        `    exempt  ${exemption.ruleId}${scope} by ${exemption.source}: ${exemption.reason}`,
      );
    }
  }
  if (!evaluation.policies.some((match) => match.matched))
    lines.push('  no policy applies to this object');
  lines.push(
    `  admission: ${evaluation.allowed ? 'allowed' : 'denied'}${evaluation.patch.length > 0 ? `, ${evaluation.patch.length} patch operation(s)` : ''}`,
  );
  return lines.join('\n') + '\n';
}
