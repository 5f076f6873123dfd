import { describe, expect, it } from 'vitest';

import { formatText, type TextOptions } from '../../../src/report/text.js';
import { buildReport, buildReportWithoutInputErrors } from './fixture.js';

const plain: TextOptions = { color: false, verbose: false, failOn: 'error' };

// eslint-disable-next-line no-control-regex -- ANSI sequences start with ESC
const ANSI_SEQUENCE = /\u001b\[\d+m/g;

describe('formatText', () => {
  it('lists input errors first, then findings by file, object, line and column, then the summary', () => {
    expect(formatText(buildReport(), plain).split('\n')).toEqual([
      'Input errors',
      '  manifests/jobs.yaml:14:5  error  bad indentation of a mapping entry',
      '',
      'manifests/backup.yaml',
      '  CronJob/ops/nightly-backup (line 1)',
      '    manifests/backup.yaml:7:3  warning  startingDeadlineSeconds is 5, below the minimum of 10  [job-starting-deadline] (team-batch)',
      '      fix: Set startingDeadlineSeconds to at least 10',
      '    manifests/backup.yaml:21:18  error  Image "busybox:latest" uses the mutable latest tag  [images-disallow-latest] (baseline)',
      '      fix: Pin the image to a version tag or digest',
      '    manifests/backup.yaml:25:13  notice  Container "backup" has a livenessProbe, which restarts jobs that are busy  [probes-liveness-readiness] (baseline)',
      '    3 mutations not listed (--verbose lists them)',
      '',
      '2 objects evaluated (2 skipped: 1 ConfigMap, 1 Service) in 2 files: 1 error, 1 warning, 1 notice, 3 mutations, 1 input error. Failed: 1 input error.',
      '',
    ]);
  });

  it('in verbose mode lists mutations, exemptions and clean objects', () => {
    const lines = formatText(buildReport(), { ...plain, verbose: true }).split('\n');
    expect(lines).not.toContain('    3 mutations not listed (--verbose lists them)');
    expect(lines.slice(10, 19)).toEqual([
      '    manifests/backup.yaml:5:3  mutation  spec.concurrencyPolicy = "Forbid": Default concurrencyPolicy to Forbid  [job-concurrency-policy] (baseline)',
      '    manifests/backup.yaml:9:3  mutation  spec.successfulJobsHistoryLimit = 3 (was 10): Keep at most 3 successful jobs  [job-history-limits] (baseline)',
      '    manifests/backup.yaml:17:9  mutation  spec.jobTemplate.spec.template.spec.securityContext = {"runAsNonRoot":true,"seccompProfile":{"type":"RuntimeDefault"}}: Apply the restricted pod security context  [security-context-restricted] (baseline)',
      '    exempt  [resources-required] (baseline) by annotation, container istio-proxy: sidecar is injected by the mesh',
      '',
      'manifests/jobs.yaml',
      '  Job/batch/report-once (line 1)',
      '    no findings',
      '',
    ]);
  });

  it('ends with a verdict that follows --fail-on', () => {
    const lastLine = (failOn: TextOptions['failOn']): string | undefined =>
      formatText(buildReportWithoutInputErrors(), { ...plain, failOn })
        .trimEnd()
        .split('\n')
        .at(-1);
    expect(lastLine('warning')).toBe(
      '2 objects evaluated (2 skipped: 1 ConfigMap, 1 Service) in 2 files: 1 error, 1 warning, 1 notice, 3 mutations. Failed: 2 findings at or above warning.',
    );
    expect(lastLine('error')).toMatch(/\. Failed: 1 finding at or above error\.$/);
    expect(lastLine('never')).toMatch(/3 mutations\. Passed \(fail-on: never\)\.$/);
  });

  it('prints only the summary when nothing was found, without a skipped clause when nothing was skipped', () => {
    const report = buildReportWithoutInputErrors();
    report.results = [];
    report.summary = {
      ...report.summary,
      files: 1,
      evaluated: 0,
      skipped: {},
      findings: { error: 0, warning: 0, notice: 0 },
      mutations: 0,
    };
    expect(formatText(report, plain)).toBe(
      '0 objects evaluated in 1 file: 0 errors, 0 warnings, 0 notices, 0 mutations. Passed (fail-on: error).\n',
    );
  });

  it('colours only when asked, and colour changes nothing but escape sequences', () => {
    const coloured = formatText(buildReport(), { ...plain, color: true });
    expect(coloured).toContain('\u001b[31merror\u001b[39m');
    expect(coloured).toContain('\u001b[33mwarning\u001b[39m');
    expect(coloured.replace(ANSI_SEQUENCE, '')).toBe(formatText(buildReport(), plain));
    expect(formatText(buildReport(), plain)).not.toContain('\u001b');
  });

  it('escapes control characters that come from manifests instead of sending them to the terminal', () => {
    const report = buildReport();
    const [, cronJob] = report.results;
    cronJob!.object.name = 'evil\u001b[2J';
    cronJob!.findings[0]!.message = 'line one\r\nline two \u202eoverride';
    const output = formatText(report, plain);
    expect(output).toContain('CronJob/ops/evil\\u001b[2J (line 1)');
    expect(output).toContain('line one\\u000d\\u000aline two \\u202eoverride');
    /* eslint-disable no-control-regex -- asserting that none got through */
    expect(output.replace(/\n/g, '')).not.toMatch(
      /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u202e]/,
    );
    /* eslint-enable no-control-regex */
  });

  it('is stable whatever order the engine produced results in', () => {
    const report = buildReport();
    const reversed = buildReport();
    reversed.results.reverse();
    for (const result of reversed.results) result.findings.reverse();
    expect(formatText(reversed, { ...plain, verbose: true })).toBe(
      formatText(report, { ...plain, verbose: true }),
    );
  });
});
