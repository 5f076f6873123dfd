import type { Severity } from '../engine/types.js';
import type { LintReport } from './types.js';

/**
 * The lowest finding severity that fails the build (`--fail-on`). `never` reports
 * findings without failing; input errors still fail, because a file that was not
 * evaluated cannot be called clean.
 */
export type FailOn = Severity | 'never';

export const FAIL_ON_VALUES: readonly FailOn[] = ['error', 'warning', 'notice', 'never'];

/**
 * 0 = nothing at or above the threshold, 1 = findings at or above it,
 * 2 = input errors (unreadable file, bad YAML). Keeping 2 apart lets CI tell a
 * broken pipeline from a policy violation, which kube-linter users cannot.
 */
export type ExitCode = 0 | 1 | 2;

const SEVERITY_RANK: Readonly<Record<Severity, number>> = { notice: 1, warning: 2, error: 3 };

/** Whether a finding of this severity fails the build under `failOn`. */
export function failsBuild(severity: Severity, failOn: FailOn): boolean {
  if (failOn === 'never') return false;
  return SEVERITY_RANK[severity] >= SEVERITY_RANK[failOn];
}

/** Findings (not mutations: those are what admission would fix, not problems) that fail the build. */
export function countFailingFindings(report: LintReport, failOn: FailOn): number {
  let failing = 0;
  for (const result of report.results) {
    for (const finding of result.findings) {
      if (failsBuild(finding.severity, failOn)) failing++;
    }
  }
  return failing;
}

export function exitCodeFor(report: LintReport, failOn: FailOn): ExitCode {
  if (report.errors.length > 0) return 2;
  return countFailingFindings(report, failOn) > 0 ? 1 : 0;
}
