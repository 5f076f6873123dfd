import type { Severity } from '../engine/types.js';
import type { FailOn } from './fail-on.js';
import { groupByFile, sortFindings, sortInputErrors, sortMutations } from './ordering.js';
import { summaryLine } from './summary.js';
import type { LintReport, ObjectResult, ReportedFinding, ReportedMutation } from './types.js';
import {
  countOf,
  describeExemption,
  describeLocation,
  describeMutation,
  describeObject,
} from './wording.js';

export interface TextOptions {
  /** ANSI colours; the CLI decides (TTY, NO_COLOR, FORCE_COLOR), this module never looks. */
  color: boolean;
  /** List every evaluated object, each mutation and each exemption, not only objects with findings. */
  verbose: boolean;
  failOn: FailOn;
}

const ANSI_CODES = {
  bold: [1, 22],
  dim: [2, 22],
  underline: [4, 24],
  red: [31, 39],
  green: [32, 39],
  yellow: [33, 39],
  cyan: [36, 39],
} as const;

type Style = keyof typeof ANSI_CODES;
type Paint = (style: Style, text: string) => string;

const SEVERITY_STYLE: Readonly<Record<Severity, Style>> = {
  error: 'red',
  warning: 'yellow',
  notice: 'cyan',
};

function painter(color: boolean): Paint {
  if (!color) return (_style, text) => text;
  return (style, text) => {
    const [open, close] = ANSI_CODES[style];
    return `\u001b[${open}m${text}\u001b[${close}m`;
  };
}

/**
 * Control characters (and bidirectional overrides) in names and messages come
 * from the manifests being linted. Printed raw they could clear the screen,
 * rewrite earlier lines or hide text in a CI log, so they are shown escaped.
 */
/* eslint-disable no-control-regex -- matching control characters is the point */
const UNPRINTABLE =
  /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
/* eslint-enable no-control-regex */

export function printable(text: string): string {
  return text.replace(
    UNPRINTABLE,
    (character) => `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

const INDENT = '  ';

/**
 * Human output, grouped by file and then by object:
 *
 * ```
 * manifests/backup.yaml
 *   CronJob/ops/nightly-backup (line 1)
 *     manifests/backup.yaml:21:18  error  Image uses the latest tag  [images-disallow-latest] (baseline)
 *       fix: Pin the image to a version tag or digest
 * ```
 *
 * Input errors come first, because a file that did not parse was not checked at
 * all. Without `verbose`, only objects with findings are listed and their
 * mutations are counted; the last line is always the summary and verdict.
 */
export function formatText(report: LintReport, options: TextOptions): string {
  const paint = painter(options.color);
  const sections: string[][] = [];

  if (report.errors.length > 0) {
    sections.push([
      paint('bold', 'Input errors'),
      ...sortInputErrors(report.errors).map(
        (error) =>
          `${INDENT}${printable(describeLocation(error.location))}  ${paint('red', 'error')}  ${printable(error.message)}`,
      ),
    ]);
  }

  for (const group of groupByFile(report)) {
    const shown = group.objects.filter((result) => options.verbose || result.findings.length > 0);
    if (shown.length === 0) continue;
    sections.push([
      paint('underline', printable(group.file)),
      ...shown.flatMap((result) => objectLines(result, options.verbose, paint)),
    ]);
  }

  const lines = sections.map((section) => section.join('\n'));
  lines.push(paint('bold', printable(summaryLine(report, options.failOn))));
  return `${lines.join('\n\n')}\n`;
}

function objectLines(result: ObjectResult, verbose: boolean, paint: Paint): string[] {
  const header = `${INDENT}${paint('bold', printable(describeObject(result.object)))} (line ${result.location.line})`;
  const lines = [header];
  const detail = INDENT.repeat(2);

  for (const finding of sortFindings(result.findings)) {
    lines.push(...findingLines(finding, detail, paint));
  }
  if (verbose) {
    for (const mutation of sortMutations(result.mutations)) {
      lines.push(`${detail}${mutationLine(mutation, paint)}`);
    }
    for (const exemption of result.exemptions) {
      lines.push(`${detail}${paint('dim', 'exempt')}  ${printable(describeExemption(exemption))}`);
    }
    if (result.findings.length === 0 && result.mutations.length === 0) {
      lines.push(`${detail}${paint('green', 'no findings')}`);
    }
  } else if (result.mutations.length > 0) {
    lines.push(
      `${detail}${paint('dim', `${countOf(result.mutations.length, 'mutation')} not listed (--verbose lists them)`)}`,
    );
  }
  return lines;
}

function findingLines(finding: ReportedFinding, indent: string, paint: Paint): string[] {
  const location = printable(describeLocation(finding.location));
  const severity = paint(SEVERITY_STYLE[finding.severity], finding.severity);
  const origin = paint('dim', printable(`[${finding.ruleId}] (${finding.policy})`));
  const lines = [`${indent}${location}  ${severity}  ${printable(finding.message)}  ${origin}`];
  if (finding.fix !== undefined && finding.fix.trim() !== '') {
    lines.push(`${indent}${INDENT}${paint('dim', `fix: ${printable(finding.fix)}`)}`);
  }
  return lines;
}

/** `file:5:3  mutation  spec.concurrencyPolicy = "Forbid" (was "Allow"): message  [rule] (policy)` */
function mutationLine(mutation: ReportedMutation, paint: Paint): string {
  return (
    `${printable(describeLocation(mutation.location))}  ${paint('green', 'mutation')}  ` +
    `${printable(describeMutation(mutation))}  ${paint('dim', printable(`[${mutation.ruleId}] (${mutation.policy})`))}`
  );
}
