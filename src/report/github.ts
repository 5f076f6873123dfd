import type { Severity } from '../engine/types.js';
import type { FailOn } from './fail-on.js';
import { allFindings, sortInputErrors } from './ordering.js';
import { summaryLine } from './summary.js';
import type { LintReport, ReportLocation } from './types.js';
import { describeObject, isStdin, messageWithFix, toForwardSlashes } from './wording.js';

export interface GithubOptions {
  failOn: FailOn;
}

type AnnotationLevel = 'error' | 'warning' | 'notice';

const ANNOTATION_OF_SEVERITY: Readonly<Record<Severity, AnnotationLevel>> = {
  error: 'error',
  warning: 'warning',
  notice: 'notice',
};

/**
 * Escaping of a workflow command's message, as @actions/core does it. Without it
 * a newline in a manifest value would end the command and let the rest of the
 * line run as a new one (`::add-mask::`, `::stop-commands::`).
 */
export function escapeCommandData(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** Property values are also cut at `,` (next property) and `:` (end of properties). */
export function escapeCommandProperty(text: string): string {
  return escapeCommandData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

function workflowCommand(
  level: AnnotationLevel,
  properties: ReadonlyArray<readonly [string, string | number]>,
  message: string,
): string {
  const propertyText = properties
    .map(([key, value]) => `${key}=${escapeCommandProperty(String(value))}`)
    .join(',');
  return `::${level}${propertyText === '' ? '' : ` ${propertyText}`}::${escapeCommandData(message)}`;
}

/**
 * `file`, `line` and `col` properties that put the annotation on the file in the
 * pull request. Standard input has no file to annotate, so its position goes into
 * the message and the annotation is attached to the job instead.
 */
function positionOf(location: ReportLocation): {
  properties: (readonly [string, string | number])[];
  prefix: string;
} {
  if (isStdin(location.file)) {
    return { properties: [], prefix: `stdin:${location.line}:${location.column}: ` };
  }
  return {
    properties: [
      ['file', toForwardSlashes(location.file)],
      ['line', location.line],
      ['col', location.column],
    ],
    prefix: '',
  };
}

/**
 * GitHub Actions workflow commands, one annotation per input error and finding:
 * `::error file=F,line=L,col=C,title=T::message`. Severity maps to the annotation
 * level directly; `failOn` decides only the verdict in the last line, because
 * the exit code, not the annotation level, is what fails the job. Mutations are
 * not annotated: they are not problems, and GitHub shows only the first ten
 * annotations of each level per step. The summary is a plain log line.
 */
export function formatGithub(report: LintReport, options: GithubOptions): string {
  const lines: string[] = [];
  for (const error of sortInputErrors(report.errors)) {
    const { properties, prefix } = positionOf(error.location);
    lines.push(
      workflowCommand(
        'error',
        [...properties, ['title', 'cronguard input error']],
        `${prefix}${error.message}`,
      ),
    );
  }
  for (const { finding, result } of allFindings(report)) {
    const { properties, prefix } = positionOf(finding.location);
    lines.push(
      workflowCommand(
        ANNOTATION_OF_SEVERITY[finding.severity],
        [...properties, ['title', `${finding.ruleId} (${finding.policy})`]],
        `${prefix}${describeObject(result.object)}: ${messageWithFix(finding)}`,
      ),
    );
  }
  // Escaped like a command's data so that a hostile kind name in the skipped
  // counts cannot start a line with `::`.
  lines.push(escapeCommandData(`cronguard: ${summaryLine(report, options.failOn)}`));
  return `${lines.join('\n')}\n`;
}
