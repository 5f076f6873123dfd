import { describe, expect, it } from 'vitest';

import type { Severity } from '../../../src/engine/types.js';
import { exitCodeFor, failsBuild, type FailOn } from '../../../src/report/fail-on.js';
import type { LintReport, ReportedFinding } from '../../../src/report/types.js';
import { buildReport, buildReportWithoutInputErrors } from './fixture.js';

function findingOf(severity: Severity): ReportedFinding {
  return {
    ruleId: `rule-${severity}`,
    policy: 'baseline',
    action: severity === 'error' ? 'enforce' : severity === 'warning' ? 'warn' : 'audit',
    severity,
    message: `a ${severity}`,
    field: 'spec.schedule',
    pointer: '/spec/schedule',
    location: { file: 'a.yaml', line: 3, column: 3 },
  };
}

/** The fixture's CronJob with only the given findings, and no input errors. */
function reportWith(severities: Severity[], withMutations = false): LintReport {
  const report = buildReportWithoutInputErrors();
  report.results = report.results.map((result) => ({
    ...result,
    findings: [],
    mutations: withMutations ? result.mutations : [],
  }));
  const [first] = report.results;
  if (first !== undefined) first.findings = severities.map(findingOf);
  return report;
}

describe('exitCodeFor', () => {
  const reports: Record<string, LintReport> = {
    clean: reportWith([]),
    'mutations only': reportWith([], true),
    'a notice': reportWith(['notice']),
    'a warning and a notice': reportWith(['warning', 'notice']),
    'an error': reportWith(['error']),
    'an input error and no findings': { ...reportWith([]), errors: buildReport().errors },
  };

  // Rows: report; columns: --fail-on error, warning, notice, never.
  const expected: Record<string, Record<FailOn, number>> = {
    clean: { error: 0, warning: 0, notice: 0, never: 0 },
    'mutations only': { error: 0, warning: 0, notice: 0, never: 0 },
    'a notice': { error: 0, warning: 0, notice: 1, never: 0 },
    'a warning and a notice': { error: 0, warning: 1, notice: 1, never: 0 },
    'an error': { error: 1, warning: 1, notice: 1, never: 0 },
    'an input error and no findings': { error: 2, warning: 2, notice: 2, never: 2 },
  };

  const rows = Object.entries(expected).flatMap(([name, byFailOn]) =>
    Object.entries(byFailOn).map(([failOn, code]) => ({ name, failOn: failOn as FailOn, code })),
  );

  it.each(rows)('$name with --fail-on $failOn exits $code', ({ name, failOn, code }) => {
    expect(exitCodeFor(reports[name]!, failOn)).toBe(code);
  });

  it('gives input errors precedence over failing findings', () => {
    expect(exitCodeFor(buildReport(), 'error')).toBe(2);
    expect(exitCodeFor(buildReportWithoutInputErrors(), 'error')).toBe(1);
  });
});

describe('failsBuild', () => {
  it('orders severities error > warning > notice', () => {
    expect(failsBuild('warning', 'error')).toBe(false);
    expect(failsBuild('warning', 'warning')).toBe(true);
    expect(failsBuild('warning', 'notice')).toBe(true);
    expect(failsBuild('error', 'never')).toBe(false);
  });
});
