import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import {
  escapeCommandData,
  escapeCommandProperty,
  formatGithub,
} from '../../../src/report/github.js';
import { buildReport } from './fixture.js';

function unescapeCommand(text: string): string {
  const decoded: Record<string, string> = {
    '25': '%',
    '0D': '\r',
    '0A': '\n',
    '3A': ':',
    '2C': ',',
  };
  return text.replace(/%(25|0D|0A|3A|2C)/g, (_escape, code: string) => decoded[code]!);
}

describe('formatGithub', () => {
  it('annotates input errors, then findings in file order, then prints the summary', () => {
    expect(formatGithub(buildReport(), { failOn: 'error' }).split('\n')).toEqual([
      '::error file=manifests/jobs.yaml,line=14,col=5,title=cronguard input error::bad indentation of a mapping entry',
      '::warning file=manifests/backup.yaml,line=7,col=3,title=job-starting-deadline (team-batch)::CronJob/ops/nightly-backup: startingDeadlineSeconds is 5, below the minimum of 10. Fix: Set startingDeadlineSeconds to at least 10.',
      '::error file=manifests/backup.yaml,line=21,col=18,title=images-disallow-latest (baseline)::CronJob/ops/nightly-backup: Image "busybox:latest" uses the mutable latest tag. Fix: Pin the image to a version tag or digest.',
      '::notice file=manifests/backup.yaml,line=25,col=13,title=probes-liveness-readiness (baseline)::CronJob/ops/nightly-backup: Container "backup" has a livenessProbe, which restarts jobs that are busy.',
      'cronguard: 2 objects evaluated (2 skipped: 1 ConfigMap, 1 Service) in 2 files: 1 error, 1 warning, 1 notice, 3 mutations, 1 input error. Failed: 1 input error.',
      '',
    ]);
  });

  it('escapes properties and messages so manifest content cannot start a new command', () => {
    const report = buildReport();
    report.errors = [];
    const cronJob = report.results[1]!;
    cronJob.findings = [
      {
        ...cronJob.findings[0]!,
        message: '100% broken\r\n::add-mask::secret',
        location: { file: 'dir,with:odd\\name.yaml', line: 2, column: 1 },
        ruleId: 'rule:a,b',
      },
    ];
    const [annotation] = formatGithub(report, { failOn: 'error' }).split('\n');
    expect(annotation).toBe(
      '::notice file=dir%2Cwith%3Aodd/name.yaml,line=2,col=1,title=rule%3Aa%2Cb (baseline)::CronJob/ops/nightly-backup: 100%25 broken%0D%0A::add-mask::secret.',
    );
  });

  it('attaches findings from standard input to the job, keeping the position in the message', () => {
    const report = buildReport();
    report.errors = [];
    const cronJob = report.results[1]!;
    cronJob.findings = [
      { ...cronJob.findings[0]!, location: { file: '<stdin>', line: 4, column: 7 } },
    ];
    expect(formatGithub(report, { failOn: 'error' }).split('\n')[0]).toBe(
      '::notice title=probes-liveness-readiness (baseline)::stdin:4:7: CronJob/ops/nightly-backup: Container "backup" has a livenessProbe, which restarts jobs that are busy.',
    );
  });

  it('escapes the summary line too', () => {
    const report = buildReport();
    report.summary.skipped = { 'Evil\n::error::injected': 1 };
    const lines = formatGithub(report, { failOn: 'error' }).trimEnd().split('\n');
    expect(lines.at(-1)).toContain('1 Evil%0A::error::injected');
    expect(lines.filter((line) => line.startsWith('::error::'))).toEqual([]);
  });
});

describe('workflow command escaping', () => {
  const anyText = fc.string({
    unit: fc.oneof(
      fc.constantFrom('%', '\r', '\n', ':', ',', '%0A', '%25'),
      fc.string({ maxLength: 1 }),
    ),
  });

  it('keeps every value on one line and decodes back to the original', () => {
    fc.assert(
      fc.property(anyText, (text) => {
        const data = escapeCommandData(text);
        const property = escapeCommandProperty(text);
        expect(data).not.toMatch(/[\r\n]/);
        expect(property).not.toMatch(/[\r\n:,]/);
        expect(unescapeCommand(data)).toBe(text);
        expect(unescapeCommand(property)).toBe(text);
      }),
    );
  });
});
