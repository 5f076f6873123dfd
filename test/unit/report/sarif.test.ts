import { describe, expect, it } from 'vitest';

import {
  FINGERPRINT_KEY,
  findingFingerprint,
  formatSarif,
  toArtifactLocation,
  type SarifLog,
} from '../../../src/report/sarif.js';
import type { LintReport } from '../../../src/report/types.js';
import {
  backupCronJob,
  buildReport,
  buildReportWithoutInputErrors,
  latestTagFinding,
  ruleDescriptors,
} from './fixture.js';

function sarifOf(report: LintReport): SarifLog {
  return JSON.parse(formatSarif(report, ruleDescriptors)) as SarifLog;
}

describe('formatSarif', () => {
  it('writes one SARIF 2.1.0 run for the cronguard driver', () => {
    const output = formatSarif(buildReport(), ruleDescriptors);
    expect(output.endsWith('}\n')).toBe(true);
    const log = JSON.parse(output) as SarifLog;
    expect(log.$schema).toBe('https://json.schemastore.org/sarif-2.1.0.json');
    expect(log.version).toBe('2.1.0');
    expect(log.runs).toHaveLength(1);
    expect(log.runs[0].tool.driver).toMatchObject({
      name: 'cronguard',
      version: '0.1.0',
      informationUri: 'https://github.com/cronguard/cronguard',
    });
  });

  it('gives every result what GitHub code scanning requires', () => {
    const [run] = sarifOf(buildReport()).runs;
    expect(run.results).toHaveLength(3);
    for (const result of run.results) {
      expect(result.ruleId).toMatch(/^[a-z-]+$/);
      expect(['error', 'warning', 'note']).toContain(result.level);
      expect(result.message.text.length).toBeGreaterThan(0);
      const [location] = result.locations;
      expect(location.physicalLocation.artifactLocation.uri).toBe('manifests/backup.yaml');
      expect(location.physicalLocation.artifactLocation.uriBaseId).toBe('%SRCROOT%');
      expect(location.physicalLocation.region.startLine).toBeGreaterThanOrEqual(1);
      expect(location.physicalLocation.region.startColumn).toBeGreaterThanOrEqual(1);
      expect(run.tool.driver.rules[result.ruleIndex]!.id).toBe(result.ruleId);
      expect(result.partialFingerprints[FINGERPRINT_KEY]).toMatch(/^[0-9a-f]{64}$/);
    }
  });

  it('orders results by location and maps severities to SARIF levels', () => {
    const [run] = sarifOf(buildReport()).runs;
    expect(
      run.results.map((result) => [
        result.ruleId,
        result.level,
        result.locations[0].physicalLocation.region.startLine,
      ]),
    ).toEqual([
      ['job-starting-deadline', 'warning', 7],
      ['images-disallow-latest', 'error', 21],
      ['probes-liveness-readiness', 'note', 25],
    ]);
  });

  it('puts the fix into the message and the policy context into properties', () => {
    const [run] = sarifOf(buildReport()).runs;
    const imageResult = run.results.find((result) => result.ruleId === 'images-disallow-latest')!;
    expect(imageResult.message.text).toBe(
      'Image "busybox:latest" uses the mutable latest tag. Fix: Pin the image to a version tag or digest.',
    );
    expect(imageResult.properties).toEqual({
      policy: 'baseline',
      action: 'enforce',
      field: 'spec.jobTemplate.spec.template.spec.containers[0].image',
      pointer: '/spec/jobTemplate/spec/template/spec/containers/0/image',
      object: { apiVersion: 'batch/v1', kind: 'CronJob', namespace: 'ops', name: 'nightly-backup' },
      container: 'backup',
    });
    const probeResult = run.results.find(
      (result) => result.ruleId === 'probes-liveness-readiness',
    )!;
    expect(probeResult.message.text).toBe(
      'Container "backup" has a livenessProbe, which restarts jobs that are busy.',
    );
  });

  it('describes the rules that produced results, from the registry when it knows them', () => {
    const { rules } = sarifOf(buildReport()).runs[0].tool.driver;
    expect(rules.map((rule) => rule.id)).toEqual([
      'images-disallow-latest',
      'job-starting-deadline',
      'probes-liveness-readiness',
    ]);
    expect(rules[1]).toEqual({
      id: 'job-starting-deadline',
      name: 'JobStartingDeadline',
      shortDescription: { text: 'startingDeadlineSeconds is at least 10' },
      fullDescription: { text: ruleDescriptors[0]!.description },
      helpUri: ruleDescriptors[0]!.helpUri,
      help: {
        text: `${ruleDescriptors[0]!.description}\n\nDocumentation: ${ruleDescriptors[0]!.helpUri}`,
        markdown: `${ruleDescriptors[0]!.description}\n\n[Documentation](${ruleDescriptors[0]!.helpUri})`,
      },
      defaultConfiguration: { level: 'warning' },
      properties: { tags: ['job'] },
    });
    // Not in the registry the caller passed: described minimally rather than dropped.
    expect(rules[2]).toEqual({
      id: 'probes-liveness-readiness',
      name: 'ProbesLivenessReadiness',
      shortDescription: { text: 'probes-liveness-readiness' },
    });
  });

  it('reports input errors as tool execution notifications of an unsuccessful run', () => {
    const [failedInvocation] = sarifOf(buildReport()).runs[0].invocations;
    expect(failedInvocation.executionSuccessful).toBe(false);
    expect(failedInvocation.toolExecutionNotifications).toEqual([
      {
        level: 'error',
        message: { text: 'bad indentation of a mapping entry' },
        locations: [
          {
            physicalLocation: {
              artifactLocation: { uri: 'manifests/jobs.yaml', uriBaseId: '%SRCROOT%' },
              region: { startLine: 14, startColumn: 5 },
            },
          },
        ],
      },
    ]);
    const [cleanInvocation] = sarifOf(buildReportWithoutInputErrors()).runs[0].invocations;
    expect(cleanInvocation).toEqual({ executionSuccessful: true, toolExecutionNotifications: [] });
  });

  it('leaves mutations out of the results', () => {
    const report = buildReport();
    for (const result of report.results) result.findings = [];
    const [run] = sarifOf(report).runs;
    expect(run.results).toEqual([]);
    expect(run.tool.driver.rules).toEqual([]);
  });
});

describe('findingFingerprint', () => {
  const fingerprint = findingFingerprint(latestTagFinding, backupCronJob.object);

  it('does not change when the finding moves to another line', () => {
    const moved = { ...latestTagFinding, location: { ...latestTagFinding.location, line: 99 } };
    expect(findingFingerprint(moved, backupCronJob.object)).toBe(fingerprint);
  });

  it('is the same for a report written on Windows', () => {
    const windows = {
      ...latestTagFinding,
      location: { ...latestTagFinding.location, file: 'manifests\\backup.yaml' },
    };
    expect(findingFingerprint(windows, backupCronJob.object)).toBe(fingerprint);
  });

  it('differs by rule, policy, file, object and field', () => {
    const variants = [
      findingFingerprint({ ...latestTagFinding, ruleId: 'other-rule' }, backupCronJob.object),
      findingFingerprint({ ...latestTagFinding, policy: 'team-batch' }, backupCronJob.object),
      findingFingerprint(
        { ...latestTagFinding, location: { ...latestTagFinding.location, file: 'other.yaml' } },
        backupCronJob.object,
      ),
      findingFingerprint(latestTagFinding, { ...backupCronJob.object, name: 'hourly-backup' }),
      findingFingerprint(latestTagFinding, { ...backupCronJob.object, namespace: 'prod' }),
      findingFingerprint(
        { ...latestTagFinding, field: 'spec.jobTemplate.spec.template.spec.containers[1].image' },
        backupCronJob.object,
      ),
    ];
    expect(new Set([fingerprint, ...variants]).size).toBe(variants.length + 1);
  });
});

describe('toArtifactLocation', () => {
  it.each([
    ['manifests/backup.yaml', { uri: 'manifests/backup.yaml', uriBaseId: '%SRCROOT%' }],
    ['./manifests/backup.yaml', { uri: 'manifests/backup.yaml', uriBaseId: '%SRCROOT%' }],
    ['manifests\\win\\backup.yaml', { uri: 'manifests/win/backup.yaml', uriBaseId: '%SRCROOT%' }],
    ['my jobs/100%.yaml', { uri: 'my%20jobs/100%25.yaml', uriBaseId: '%SRCROOT%' }],
    ['/home/ci/repo/a b.yaml', { uri: 'file:///home/ci/repo/a%20b.yaml' }],
    ['C:\\repo\\jobs.yaml', { uri: 'file:///C:/repo/jobs.yaml' }],
    ['<stdin>', { uri: 'stdin', description: { text: 'standard input' } }],
  ])('%s', (file, expected) => {
    expect(toArtifactLocation(file)).toEqual(expected);
  });

  it('produces URIs that decode back to the path, as upload-sarif decodes them', () => {
    const path = 'odd #dir/100% done?.yaml';
    expect(decodeURIComponent(toArtifactLocation(path).uri)).toBe(path);
  });
});
