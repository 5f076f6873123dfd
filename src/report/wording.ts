import type {
  ObjectRef,
  ObjectResult,
  ReportLocation,
  ReportedFinding,
  ReportedMutation,
} from './types.js';

/**
 * The file name the manifest loader gives documents read from standard input,
 * for the `cronguard lint -` argument.
 * Formats that link to files (SARIF, GitHub annotations) must not pretend it is one.
 */
export const STDIN_FILE = '<stdin>';

export function isStdin(file: string): boolean {
  return file === STDIN_FILE;
}

/**
 * CI systems match paths against the repository tree with `/`; a report written
 * on Windows must point at the same files and give the same fingerprints.
 */
export function toForwardSlashes(file: string): string {
  return file.replace(/\\/g, '/');
}

/** `CronJob/ops/nightly-backup`; cluster-scoped objects have no namespace segment. */
export function describeObject(object: ObjectRef): string {
  return object.namespace === ''
    ? `${object.kind}/${object.name}`
    : `${object.kind}/${object.namespace}/${object.name}`;
}

/** `file:line:column`, the form editors and terminals turn into a link. */
export function describeLocation(location: ReportLocation): string {
  return `${location.file}:${location.line}:${location.column}`;
}

/**
 * Engine messages are one line without a trailing period (engine/types.ts); formats
 * that join a message and its fix into one text need the sentence closed first.
 */
export function asSentence(text: string): string {
  const trimmed = text.trimEnd();
  return /[.!?]$/.test(trimmed) ? trimmed : `${trimmed}.`;
}

/** `Message. Fix: how to fix it.`, or just the message when the rule gives no fix. */
export function messageWithFix(finding: Pick<ReportedFinding, 'message' | 'fix'>): string {
  const message = asSentence(finding.message);
  return finding.fix === undefined || finding.fix.trim() === ''
    ? message
    : `${message} Fix: ${asSentence(finding.fix)}`;
}

/** `1 error`, `2 errors`. */
export function countOf(count: number, singular: string, plural = `${singular}s`): string {
  return `${count} ${count === 1 ? singular : plural}`;
}

/** A mutation value as one line of JSON; values come from YAML, so JSON covers them. */
export function describeValue(value: unknown): string {
  // JSON.stringify returns undefined (despite its declared type) for undefined.
  const json: string | undefined = JSON.stringify(value);
  return json ?? 'undefined';
}

/** `spec.concurrencyPolicy = "Forbid" (was "Allow"): message` */
export function describeMutation(mutation: ReportedMutation): string {
  const previous = mutation.op === 'replace' ? ` (was ${describeValue(mutation.previous)})` : '';
  return `${mutation.field} = ${describeValue(mutation.value)}${previous}: ${mutation.message}`;
}

/** `[rule] (policy) by annotation, container app: reason` */
export function describeExemption(exemption: ObjectResult['exemptions'][number]): string {
  const container = exemption.container === undefined ? '' : `, container ${exemption.container}`;
  return `[${exemption.ruleId}] (${exemption.policy}) by ${exemption.source}${container}: ${exemption.reason}`;
}
