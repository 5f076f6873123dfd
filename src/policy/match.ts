import type { EvaluationInput } from '../engine/types.js';
import type { WorkloadKind } from '../k8s/types.js';
import { globMatch } from '../util/glob.js';
import type { LabelSelector, MatchBlock, Policy } from './types.js';

export type MatchOutcome = { matched: true } | { matched: false; reason: string };

/**
 * Decides whether a policy applies to an object, and when it does not, says why in
 * one line ("why did my policy not apply?" is the first support question of every
 * policy engine). Checks run in a fixed order and the first failing one is reported.
 */
export function matchPolicy(
  policy: Policy,
  kind: WorkloadKind,
  input: EvaluationInput,
): MatchOutcome {
  const { match, exclude } = policy.spec;
  const kinds = match.kinds ?? ['CronJob'];
  if (!kinds.includes(kind)) return no(`kind ${kind} is not in match.kinds [${kinds.join(', ')}]`);
  const included = matchBlock(match, input, 'match');
  if (!included.matched) return included;
  if (exclude !== undefined && hasCriteria(exclude)) {
    const excluded = matchBlock(exclude, input, 'exclude');
    if (excluded.matched) return no(`excluded by exclude (${describeBlock(exclude)})`);
    if (excluded.reason.startsWith('labels of namespace')) return excluded;
  }
  return { matched: true };
}

function no(reason: string): MatchOutcome {
  return { matched: false, reason };
}

function hasCriteria(block: MatchBlock): boolean {
  return (
    block.namespaces !== undefined ||
    block.namespaceSelector !== undefined ||
    block.selector !== undefined ||
    block.names !== undefined ||
    block.operations !== undefined
  );
}

function matchBlock(
  block: MatchBlock,
  input: EvaluationInput,
  where: 'match' | 'exclude',
): MatchOutcome {
  const { object, namespace, operation } = input;
  if (block.operations !== undefined && !block.operations.includes(operation)) {
    return no(
      `operation ${operation} is not in ${where}.operations [${block.operations.join(', ')}]`,
    );
  }
  if (
    block.namespaces !== undefined &&
    !block.namespaces.some((glob) => globMatch(glob, namespace))
  ) {
    return no(
      `namespace "${namespace}" is not in ${where}.namespaces [${block.namespaces.join(', ')}]`,
    );
  }
  const name = objectName(object);
  if (block.names !== undefined && !block.names.some((glob) => globMatch(glob, name))) {
    return no(`name "${name}" is not in ${where}.names [${block.names.join(', ')}]`);
  }
  if (block.selector !== undefined) {
    const labels = stringMap(object.metadata?.labels);
    const failed = selectorMismatch(block.selector, labels);
    if (failed !== undefined) return no(`labels do not match ${where}.selector: ${failed}`);
  }
  if (block.namespaceSelector !== undefined) {
    if (input.namespaceLabels === undefined) {
      return no(
        `labels of namespace "${namespace}" are unknown, so ${where}.namespaceSelector cannot be evaluated ` +
          '(offline: add the Namespace object or --namespace-labels; in a cluster: grant list/watch on namespaces)',
      );
    }
    const failed = selectorMismatch(block.namespaceSelector, input.namespaceLabels);
    if (failed !== undefined)
      return no(`namespace labels do not match ${where}.namespaceSelector: ${failed}`);
  }
  return { matched: true };
}

/** Returns undefined when the labels satisfy the selector, else the first requirement that fails. */
export function selectorMismatch(
  selector: LabelSelector,
  labels: Readonly<Record<string, string>>,
): string | undefined {
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    if (labels[key] !== value) return `${key}=${value}`;
  }
  for (const requirement of selector.matchExpressions ?? []) {
    const has = Object.prototype.hasOwnProperty.call(labels, requirement.key);
    const value = labels[requirement.key];
    const values = requirement.values ?? [];
    const ok =
      requirement.operator === 'In'
        ? has && value !== undefined && values.includes(value)
        : requirement.operator === 'NotIn'
          ? !has || value === undefined || !values.includes(value)
          : requirement.operator === 'Exists'
            ? has
            : !has;
    if (!ok)
      return `${requirement.key} ${requirement.operator}${values.length > 0 ? ` (${values.join(', ')})` : ''}`;
  }
  return undefined;
}

function describeBlock(block: MatchBlock): string {
  const parts: string[] = [];
  if (block.namespaces) parts.push(`namespaces [${block.namespaces.join(', ')}]`);
  if (block.names) parts.push(`names [${block.names.join(', ')}]`);
  if (block.operations) parts.push(`operations [${block.operations.join(', ')}]`);
  if (block.selector) parts.push('selector');
  if (block.namespaceSelector) parts.push('namespaceSelector');
  return parts.join(', ');
}

export function objectName(object: EvaluationInput['object']): string {
  const metadata = object.metadata;
  if (typeof metadata?.name === 'string' && metadata.name !== '') return metadata.name;
  if (typeof metadata?.generateName === 'string') return metadata.generateName;
  return '';
}

function stringMap(value: unknown): Record<string, string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return {};
  const out: Record<string, string> = {};
  for (const [key, entry] of Object.entries(value)) if (typeof entry === 'string') out[key] = entry;
  return out;
}
