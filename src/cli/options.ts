import { UserError } from '../errors.js';
import type { Operation } from '../k8s/types.js';
import type { FailOn } from '../report/index.js';
import { parseReleaseVersion } from '../rules/mesh/versions.js';

export const FORMATS = ['text', 'json', 'sarif', 'junit', 'github'] as const;
export type Format = (typeof FORMATS)[number];

export interface OutputTarget {
  format: Format;
  /** undefined means stdout. */
  file: string | undefined;
}

/**
 * `--format F [--output FILE]` pairs, in order: each --output belongs to the
 * --format before it (kube-linter style), so one run can write SARIF to a file
 * and text to the terminal.
 */
export function parseOutputTargets(argv: readonly string[]): OutputTarget[] {
  const targets: OutputTarget[] = [];
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index] as string;
    const [flag, inline] = splitFlag(arg);
    if (flag === '--format' || flag === '-f') {
      const value = inline ?? argv[++index];
      if (value === undefined || !(FORMATS as readonly string[]).includes(value)) {
        throw new UserError(
          `--format must be one of ${FORMATS.join(', ')}${value === undefined ? '' : `, got "${value}"`}`,
        );
      }
      targets.push({ format: value as Format, file: undefined });
    } else if (flag === '--output' || flag === '-o') {
      const value = inline ?? argv[++index];
      if (value === undefined || value === '') throw new UserError('--output needs a file name');
      const last = targets[targets.length - 1];
      if (last === undefined) targets.push({ format: 'text', file: value });
      else if (last.file !== undefined)
        throw new UserError(
          `--output ${value} has no --format of its own; write --format F --output FILE pairs`,
        );
      else last.file = value;
    }
  }
  if (targets.length === 0) targets.push({ format: 'text', file: undefined });
  const toStdout = targets.filter((target) => target.file === undefined);
  if (toStdout.length > 1)
    throw new UserError(
      'only one --format can write to standard output; give the others --output FILE',
    );
  return targets;
}

function splitFlag(arg: string): [string, string | undefined] {
  const equals = arg.indexOf('=');
  return equals > 0 && arg.startsWith('-')
    ? [arg.slice(0, equals), arg.slice(equals + 1)]
    : [arg, undefined];
}

export function parseFailOn(value: string | undefined): FailOn {
  const allowed = ['error', 'warning', 'notice', 'never'];
  if (value === undefined) return 'error';
  if (!allowed.includes(value))
    throw new UserError(`--fail-on must be one of ${allowed.join(', ')}, got "${value}"`);
  return value as FailOn;
}

export function parseOperation(value: string | undefined): Operation {
  if (value === undefined) return 'CREATE';
  const upper = value.toUpperCase();
  if (upper !== 'CREATE' && upper !== 'UPDATE')
    throw new UserError(`--operation must be CREATE or UPDATE, got "${value}"`);
  return upper;
}

/**
 * `--kubernetes-version 1.31` (or `v1.31.2`): the cluster's version, which the
 * mesh rules need to tell whether native sidecars can be used. Unset: unknown.
 */
export function parseKubernetesVersion(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (parseReleaseVersion(value) === undefined)
    throw new UserError(
      `--kubernetes-version expects a version such as 1.31 or v1.31.2, got "${value}"`,
    );
  return value;
}

/**
 * `--namespace-labels payments=env=prod,team=pay` (repeatable): labels of a
 * namespace for namespaceSelector matching when no cluster is at hand.
 */
export function parseNamespaceLabels(
  values: readonly string[],
): Map<string, Record<string, string>> {
  const result = new Map<string, Record<string, string>>();
  for (const value of values) {
    const equals = value.indexOf('=');
    if (equals <= 0)
      throw new UserError(
        `--namespace-labels expects NAMESPACE=KEY=VALUE[,KEY=VALUE], got "${value}"`,
      );
    const namespace = value.slice(0, equals);
    const labels: Record<string, string> = {
      ...(result.get(namespace) ?? {}),
      'kubernetes.io/metadata.name': namespace,
    };
    for (const pair of value.slice(equals + 1).split(',')) {
      if (pair === '') continue;
      const separator = pair.indexOf('=');
      if (separator <= 0) throw new UserError(`--namespace-labels: "${pair}" is not KEY=VALUE`);
      labels[pair.slice(0, separator)] = pair.slice(separator + 1);
    }
    result.set(namespace, labels);
  }
  return result;
}
