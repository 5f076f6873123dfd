import { compareText } from './ordering.js';
import { countFailingFindings, exitCodeFor, type FailOn } from './fail-on.js';
import type { LintReport } from './types.js';
import { countOf } from './wording.js';

/**
 * One line with what was looked at and what was found, e.g.
 * `3 objects evaluated (2 skipped: 1 ConfigMap, 1 Service) in 2 files: 2 errors,
 * 1 warning, 4 notices, 5 mutations`. Numbers come from `report.summary`, so the
 * text and JSON outputs of one run never disagree.
 */
export function describeTotals(report: LintReport): string {
  const { summary } = report;
  const skipped = describeSkipped(summary.skipped);
  const counts = [
    countOf(summary.findings.error, 'error'),
    countOf(summary.findings.warning, 'warning'),
    countOf(summary.findings.notice, 'notice'),
    countOf(summary.mutations, 'mutation'),
  ];
  if (summary.errors > 0) counts.push(countOf(summary.errors, 'input error'));
  return (
    `${countOf(summary.evaluated, 'object')} evaluated` +
    (skipped === '' ? '' : ` (${skipped})`) +
    ` in ${countOf(summary.files, 'file')}: ${counts.join(', ')}`
  );
}

/** `2 skipped: 1 ConfigMap, 1 Service`, most frequent kind first; empty when nothing was skipped. */
function describeSkipped(skippedByKind: Record<string, number>): string {
  const kinds = Object.entries(skippedByKind)
    .filter(([, count]) => count > 0)
    .sort(([leftKind, leftCount], [rightKind, rightCount]) => {
      return rightCount - leftCount || compareText(leftKind, rightKind);
    });
  if (kinds.length === 0) return '';
  const total = kinds.reduce((sum, [, count]) => sum + count, 0);
  return `${total} skipped: ${kinds.map(([kind, count]) => `${count} ${kind}`).join(', ')}`;
}

/** Why the run passes or fails, matching {@link exitCodeFor}. */
export function describeVerdict(report: LintReport, failOn: FailOn): string {
  switch (exitCodeFor(report, failOn)) {
    case 2:
      return `Failed: ${countOf(report.errors.length, 'input error')}`;
    case 1:
      return `Failed: ${countOf(countFailingFindings(report, failOn), 'finding')} at or above ${failOn}`;
    case 0:
      return `Passed (fail-on: ${failOn})`;
  }
}

/** The totals and the verdict: the last line every human-readable format ends with. */
export function summaryLine(report: LintReport, failOn: FailOn): string {
  return `${describeTotals(report)}. ${describeVerdict(report, failOn)}.`;
}
