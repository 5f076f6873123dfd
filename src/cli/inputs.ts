import { loadManifests, type LoadResult } from '../manifests/index.js';
import type { PolicySet } from '../policy/types.js';
import type { CliIo } from './io.js';
import { parseKubernetesVersion, parseNamespaceLabels, parseOperation } from './options.js';
import { evaluateDocuments, type EvaluatedDocument } from './pipeline.js';
import { loadPolicySet } from './policies.js';

/** The flags every command that evaluates manifests shares, for node:util parseArgs. */
export const EVALUATION_OPTIONS = {
  policies: { type: 'string', multiple: true },
  namespace: { type: 'string' },
  'namespace-labels': { type: 'string', multiple: true },
  'kubernetes-version': { type: 'string' },
  operation: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export interface EvaluationFlags {
  policies?: string[] | undefined;
  namespace?: string | undefined;
  'namespace-labels'?: string[] | undefined;
  'kubernetes-version'?: string | undefined;
  operation?: string | undefined;
}

export interface EvaluatedInputs {
  policySet: PolicySet;
  loaded: LoadResult;
  evaluated: EvaluatedDocument[];
}

/**
 * Loads the policies and the manifests named on the command line (stdin when
 * none) and evaluates every document, as lint, mutate and explain all do.
 */
export async function evaluateInputs(
  flags: EvaluationFlags,
  positionals: readonly string[],
  io: CliIo,
): Promise<EvaluatedInputs> {
  const options = {
    operation: parseOperation(flags.operation),
    defaultNamespace: flags.namespace ?? 'default',
    namespaceLabels: parseNamespaceLabels(flags['namespace-labels'] ?? []),
    cluster: { kubernetesVersion: parseKubernetesVersion(flags['kubernetes-version']) },
  };
  const policySet = await loadPolicySet(flags.policies ?? []);
  const loaded = await loadManifests(positionals.length > 0 ? positionals : ['-'], {
    readStdin: io.readStdin,
  });
  return { policySet, loaded, evaluated: evaluateDocuments(loaded.documents, policySet, options) };
}

/** Input errors as `file:line:column: message` lines on stderr (for commands whose stdout is data). */
export function printInputErrors(loaded: LoadResult, io: CliIo): void {
  for (const error of loaded.errors) {
    io.stderr(
      `${error.location.file}:${error.location.line}:${error.location.column}: ${error.message}\n`,
    );
  }
}
