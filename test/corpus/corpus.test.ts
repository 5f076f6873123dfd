import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import yaml from 'js-yaml';
import { CronJob } from 'kubernetes-models/batch/v1/CronJob';
import { packageRoot } from '../../src/version.js';
import { cli } from '../support/cli.js';

/**
 * Real manifests from public repositories (../shared/corpus, see its SOURCES.md),
 * several deliberately odd or invalid. They are read in place, never copied here.
 * The test runs whenever the folder is present (it is in CI).
 */
const CORPUS = resolve(packageRoot(), '../shared/corpus/cronjobs');
const present = existsSync(CORPUS);
const files = present
  ? readdirSync(CORPUS)
      .filter((name) => !name.endsWith('.md'))
      .sort()
  : [];

function isValidBatchV1CronJob(value: unknown): boolean {
  const object = value as { apiVersion?: unknown; kind?: unknown };
  if (object.apiVersion !== 'batch/v1' || object.kind !== 'CronJob') return false;
  try {
    new CronJob(value as ConstructorParameters<typeof CronJob>[0]).validate();
    return true;
  } catch {
    return false;
  }
}

describe.skipIf(!present)('real-world corpus', () => {
  it('holds the files SOURCES.md describes', () => {
    expect(files.length).toBeGreaterThan(40);
  });

  it.each(files)('lints %s without crashing, with located findings', async (file) => {
    const path = join(CORPUS, file);
    const result = await cli(['lint', path, '--format', 'json', '--fail-on', 'never']);
    expect(result.stderr).toBe('');
    expect([0, 2]).toContain(result.code);
    const report = JSON.parse(result.stdout) as {
      results: { findings: { location: { line: number }; message: string; ruleId: string }[] }[];
      errors: { location: { line: number } }[];
      summary: { documents: number };
    };
    for (const object of report.results) {
      for (const finding of object.findings) {
        expect(finding.location.line).toBeGreaterThanOrEqual(1);
        expect(finding.message).not.toMatch(/\n/);
      }
    }
    for (const error of report.errors) expect(error.location.line).toBeGreaterThanOrEqual(1);
  });

  it.each(files)('mutates %s into objects that are still valid CronJobs', async (file) => {
    const path = join(CORPUS, file);
    const result = await cli(['mutate', path]);
    expect([0, 1, 2]).toContain(result.code);
    expect(result.stderr).not.toMatch(/internal error/);
    if (result.code === 2) return; // unparseable input: reported, nothing to compare
    const before = yaml
      .loadAll(readFileSync(path, 'utf8'))
      .filter((doc) => doc !== null && typeof doc === 'object');
    const after = yaml
      .loadAll(result.stdout)
      .filter((doc) => doc !== null && typeof doc === 'object');
    const validBefore = before.filter(isValidBatchV1CronJob).length;
    const validAfter = after.filter(isValidBatchV1CronJob).length;
    // Every CronJob that was valid stays valid (objects inside Lists are flattened by mutate).
    expect(validAfter).toBeGreaterThanOrEqual(validBefore);
  });

  it('finds the problems the corpus is known for', async () => {
    const lint = async (name: string) => {
      const result = await cli([
        'lint',
        join(CORPUS, name),
        '--format',
        'json',
        '--fail-on',
        'never',
      ]);
      const report = JSON.parse(result.stdout) as { results: { findings: { ruleId: string }[] }[] };
      return new Set(report.results.flatMap((r) => r.findings.map((f) => f.ruleId)));
    };
    expect(await lint('datreeio__datree__pkg_policy_tests_8_fail_8-fail.yaml')).toContain(
      'schedule-syntax',
    );
    expect(
      await lint(
        'ministryofjustice__cloud-platform-environments__namespaces_live.cloud-platform.service.justice.gov.uk_claim-criminal-injuries-compensation-uat_cronjob-check-supported-versions.yaml',
      ),
    ).toContain('schedule-never-fires');
    expect(await lint('pires__kubernetes-elasticsearch-cluster__es-curator.yaml')).toContain(
      'job-api-version',
    );
    expect(
      await lint('zegl__kube-score__score_testdata_cronjob-batchv1-restartpolicy-invalid.yaml'),
    ).toContain('job-starting-deadline');
  });
});
