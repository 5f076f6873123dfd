import { evaluate } from '../engine/evaluate.js';
import type { Evaluation } from '../engine/types.js';
import { asText, isPlainObject, type KubeObject, type Operation } from '../k8s/types.js';
import type { ManifestDocument } from '../manifests/index.js';
import type { ClusterFacts } from '../mesh/types.js';
import type { PolicySet } from '../policy/types.js';
import type { InputError, LintReport, ObjectResult, ReportLocation } from '../report/types.js';
import { BUILTIN_RULES } from '../rules/index.js';
import { pointerToFieldPath } from '../util/json-pointer.js';
import { VERSION } from '../version.js';

export interface EvaluationOptions {
  operation: Operation;
  /** Namespace for objects that do not name one (kubectl's default). */
  defaultNamespace: string;
  /** Labels per namespace from --namespace-labels; Namespace objects in the input add to them. */
  namespaceLabels: ReadonlyMap<string, Readonly<Record<string, string>>>;
  /** What is known about the cluster (--kubernetes-version). */
  cluster?: ClusterFacts | undefined;
}

export interface EvaluatedDocument {
  document: ManifestDocument;
  object: KubeObject;
  namespace: string;
  evaluation: Evaluation;
}

/** Namespace labels known offline: from the flag, then from Namespace objects in the input. */
export function collectNamespaceLabels(
  documents: readonly ManifestDocument[],
  fromFlags: ReadonlyMap<string, Readonly<Record<string, string>>>,
): Map<string, Readonly<Record<string, string>>> {
  const labels = new Map(fromFlags);
  for (const document of documents) {
    const value = document.value;
    if (!isPlainObject(value) || value.kind !== 'Namespace' || value.apiVersion !== 'v1') continue;
    const metadata = value.metadata;
    if (!isPlainObject(metadata) || typeof metadata.name !== 'string') continue;
    const objectLabels: Record<string, string> = {};
    if (isPlainObject(metadata.labels)) {
      for (const [key, label] of Object.entries(metadata.labels))
        if (typeof label === 'string') objectLabels[key] = label;
    }
    // Kubernetes labels every namespace with its own name.
    objectLabels['kubernetes.io/metadata.name'] = metadata.name;
    labels.set(metadata.name, { ...objectLabels, ...(fromFlags.get(metadata.name) ?? {}) });
  }
  return labels;
}

export function evaluateDocuments(
  documents: readonly ManifestDocument[],
  policySet: PolicySet,
  options: EvaluationOptions,
): EvaluatedDocument[] {
  const namespaceLabels = collectNamespaceLabels(documents, options.namespaceLabels);
  const results: EvaluatedDocument[] = [];
  for (const document of documents) {
    if (!isPlainObject(document.value)) continue;
    const object = document.value as KubeObject;
    const declared = object.metadata?.namespace;
    const namespace =
      typeof declared === 'string' && declared !== '' ? declared : options.defaultNamespace;
    const evaluation = evaluate(
      policySet,
      {
        object,
        operation: options.operation,
        namespace,
        namespaceLabels: namespaceLabels.get(namespace),
        cluster: options.cluster,
      },
      { rules: BUILTIN_RULES },
    );
    results.push({ document, object, namespace, evaluation });
  }
  return results;
}

export function buildLintReport(input: {
  files: readonly string[];
  documents: readonly ManifestDocument[];
  evaluated: readonly EvaluatedDocument[];
  errors: readonly InputError[];
  policySet: PolicySet;
}): LintReport {
  const results: ObjectResult[] = [];
  const skipped: Record<string, number> = {};
  const findings = { error: 0, warning: 0, notice: 0 };
  let mutations = 0;
  for (const { document, object, namespace, evaluation } of input.evaluated) {
    if (evaluation.skipped !== undefined) {
      const kind =
        typeof object.kind === 'string' && object.kind !== '' ? object.kind : '(no kind)';
      skipped[kind] = (skipped[kind] ?? 0) + 1;
      continue;
    }
    const locate = (pointer: string): ReportLocation => document.locate(pointer);
    const result: ObjectResult = {
      object: {
        apiVersion: asText(object.apiVersion),
        kind: asText(object.kind),
        namespace,
        name:
          typeof object.metadata?.name === 'string'
            ? object.metadata.name
            : asText(object.metadata?.generateName),
      },
      location: document.location,
      documentIndex: document.documentIndex,
      findings: evaluation.findings.map((finding) => ({
        ruleId: finding.ruleId,
        policy: finding.policy,
        action: finding.action,
        severity: finding.severity,
        message: finding.message,
        ...(finding.fix === undefined ? {} : { fix: finding.fix }),
        field: pointerToFieldPath(finding.path),
        pointer: finding.path,
        ...(finding.container === undefined ? {} : { container: finding.container }),
        location: locate(finding.path),
      })),
      mutations: evaluation.mutations.map((mutation) => ({
        ruleId: mutation.ruleId,
        policy: mutation.policy,
        field: pointerToFieldPath(mutation.path),
        pointer: mutation.path,
        op: mutation.op,
        value: mutation.value,
        ...(mutation.previous === undefined ? {} : { previous: mutation.previous }),
        message: mutation.message,
        location: locate(mutation.path),
      })),
      exemptions: evaluation.exemptions.map((exemption) => ({ ...exemption })),
    };
    for (const finding of result.findings) findings[finding.severity]++;
    mutations += result.mutations.length;
    results.push(result);
  }
  return {
    schemaVersion: 1,
    tool: { name: 'cronguard', version: VERSION },
    policies: input.policySet.policies.map((policy) => ({
      name: policy.name,
      version: policy.version,
      priority: policy.spec.priority,
      action: policy.spec.action,
      source: policy.source,
    })),
    results,
    errors: [...input.errors],
    summary: {
      files: input.files.length,
      documents: input.documents.length,
      evaluated: results.length,
      skipped,
      findings,
      mutations,
      errors: input.errors.length,
    },
  };
}
