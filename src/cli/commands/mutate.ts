import { parseArgs } from 'node:util';
import yaml from 'js-yaml';
import { asText } from '../../k8s/types.js';
import { EVALUATION_OPTIONS, evaluateInputs, printInputErrors } from '../inputs.js';
import type { CliIo } from '../io.js';
import { unifiedDiff } from '../text-diff.js';

export const MUTATE_USAGE = `Usage: cronguard mutate [PATH ... | -] [options]

Prints the objects as admission would leave them (YAML, in input order; objects
cronguard does not evaluate are printed unchanged), or what would change.

Options:
  --diff                     show a unified diff per changed object instead
  --patch                    print the JSON patches admission would return (JSON)
  --policies DIR|FILE        policy directory or file (repeatable; default: built-in)
  --namespace NS             namespace for objects that name none (default: default)
  --namespace-labels NS=K=V[,K=V]  labels of a namespace (repeatable)
  --kubernetes-version V     the cluster's Kubernetes version (mesh rules: native sidecars)
  --operation OP             CREATE | UPDATE (default: CREATE)

Exit codes: 0 admitted, 1 admission would deny an object (reasons on stderr), 2 errors.`;

export async function mutateCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: { ...EVALUATION_OPTIONS, diff: { type: 'boolean' }, patch: { type: 'boolean' } },
  });
  if (values.help === true) {
    io.stdout(MUTATE_USAGE + '\n');
    return 0;
  }
  const { loaded, evaluated } = await evaluateInputs(values, positionals, io);
  printInputErrors(loaded, io);

  let denied = false;
  for (const { document, evaluation } of evaluated) {
    const denials = evaluation.findings.filter((finding) => finding.action === 'enforce');
    if (denials.length === 0) continue;
    denied = true;
    const where = `${document.location.file}:${document.location.line}`;
    for (const finding of denials)
      io.stderr(`${where}: denied: ${finding.message} [${finding.ruleId}]\n`);
  }

  if (values.patch === true) {
    const patches = evaluated
      .filter(({ evaluation }) => evaluation.patch.length > 0)
      .map(({ document, evaluation }) => ({
        file: document.location.file,
        line: document.location.line,
        kind: evaluation.original.kind,
        name: evaluation.original.metadata?.name,
        patch: evaluation.patch,
      }));
    io.stdout(JSON.stringify(patches, null, 2) + '\n');
  } else if (values.diff === true) {
    for (const { document, evaluation } of evaluated) {
      if (evaluation.patch.length === 0) continue;
      const label = `${document.location.file}:${document.location.line} ${asText(evaluation.original.kind)}/${asText(evaluation.original.metadata?.name)}`;
      io.stdout(
        unifiedDiff(
          dump(evaluation.original),
          dump(evaluation.mutated),
          `a/${label}`,
          `b/${label}`,
        ),
      );
    }
  } else {
    const byDocument = new Map(
      evaluated.map((entry) => [entry.document, entry.evaluation.mutated]),
    );
    const output = loaded.documents.map((document) =>
      dump(byDocument.get(document) ?? document.value),
    );
    io.stdout(output.map((text) => `---\n${text}`).join(''));
  }
  if (loaded.errors.length > 0) return 2;
  return denied ? 1 : 0;
}

function dump(value: unknown): string {
  return yaml.dump(value, { noRefs: true, lineWidth: -1, quotingType: '"' });
}
