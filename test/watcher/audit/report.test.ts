import { describe, expect, it } from 'vitest';
import { admit } from '../../../src/admission/admit.js';
import { decodeReview, isReviewError } from '../../../src/admission/decode.js';
import type { KubeObject } from '../../../src/k8s/types.js';
import {
  assessCronJob,
  ENGINE_POLICY,
  type CronJobAssessment,
  type Verdict,
} from '../../../src/watcher/audit/assess.js';
import {
  buildPolicyReport,
  countResults,
  isManagedReport,
  MANAGED_BY,
  MANAGED_BY_LABEL,
  OMITTED_RESULTS_ANNOTATION,
  POLICY_REPORT_NAME,
  reportIsCurrent,
} from '../../../src/watcher/audit/report.js';
import { auditPolicies, compliantCronJob, cronJob, nonCompliantCronJob } from './support.js';
import { validatePolicyReport } from './policy-report-schema.js';

const policySet = auditPolicies();
const T0 = new Date('2026-03-01T10:00:00.250Z');
const T1 = new Date('2026-03-01T10:10:00Z');

function assess(object: KubeObject): CronJobAssessment {
  return assessCronJob(object, { policySet });
}

function verdictOf(assessment: CronJobAssessment, policy: string, rule?: string): Verdict {
  const found = assessment.verdicts.find((v) => v.policy === policy && v.rule === rule);
  if (found === undefined) throw new Error(`no verdict for ${policy}/${rule ?? ''}`);
  return found;
}

/** What /validate answers for the object re-applied unchanged. */
function validateAnswer(object: KubeObject) {
  const decoded = decodeReview({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: 'u',
      kind: { group: 'batch', version: 'v1', kind: 'CronJob' },
      operation: 'UPDATE',
      namespace: 'team-a',
      name: object.metadata?.name,
      object,
      oldObject: object,
    },
  });
  if (isReviewError(decoded)) throw new Error(decoded.message);
  return admit(decoded, { policySet, webhook: 'validate' });
}

describe('assessCronJob: what /validate says, per (policy, rule)', () => {
  it('fails what the webhook denies and warns for warn findings and still-wanted mutations', () => {
    const assessment = assess(nonCompliantCronJob());
    expect(assessment.cronJob).toEqual({ name: 'report', namespace: 'team-a', uid: 'uid-report' });
    expect(verdictOf(assessment, 'strict', 'job-starting-deadline')).toMatchObject({
      result: 'fail',
      severity: 'error',
      category: 'job',
      message: 'job-starting-deadline: spec.startingDeadlineSeconds is 5; the minimum is 10',
      properties: { action: 'enforce', fields: 'spec.startingDeadlineSeconds' },
    });
    expect(verdictOf(assessment, 'strict', 'images-disallow-latest')).toMatchObject({
      result: 'fail',
      category: 'images',
      properties: { containers: 'app' },
    });
    expect(verdictOf(assessment, 'hygiene', 'job-backoff-limit')).toMatchObject({
      result: 'warn',
      severity: 'warning',
    });
    expect(verdictOf(assessment, 'hygiene', 'job-ttl-after-finished')).toMatchObject({
      result: 'warn',
      message: expect.stringContaining('not mutated as policy requires') as unknown,
    });
    // No pass is claimed for a CronJob with findings: the engine does not say which rules ran.
    expect(assessment.verdicts.filter((v) => v.result === 'pass')).toEqual([]);
  });

  it('agrees with admit(): fail exactly for its denials, warn exactly for its warnings', () => {
    for (const object of [nonCompliantCronJob(), compliantCronJob()]) {
      const answer = validateAnswer(object);
      const verdicts = assess(object).verdicts;
      const fails = verdicts
        .filter((v) => v.result === 'fail')
        .map((v) => `${v.policy}/${v.rule ?? ''}`);
      const denied = answer.findings
        .filter((f) => f.action === 'enforce')
        .map((f) => `${f.policy}/${f.ruleId}`);
      expect(fails.sort()).toEqual([...new Set(denied)].sort());
      expect(answer.review.response.allowed).toBe(fails.length === 0);
      const warned = verdicts.filter((v) => v.result === 'warn').map((v) => v.message);
      expect(warned.length).toBe(answer.review.response.warnings?.length ?? 0);
      for (const line of answer.review.response.warnings ?? []) {
        // The webhook cuts its warning lines at 120 runes; the report keeps them whole.
        expect(warned.some((message) => message.startsWith(line.replace(/…$/, '')))).toBe(true);
      }
    }
  });

  it('passes every matched policy of a CronJob with nothing found', () => {
    const verdicts = assess(compliantCronJob()).verdicts;
    expect(verdicts.map((v) => [v.policy, v.rule, v.result])).toEqual([
      ['strict', undefined, 'pass'],
      ['hygiene', undefined, 'pass'],
    ]);
  });

  it('skips exempted rules and names the exemption', () => {
    const object = cronJob({
      name: 'legacy',
      uid: 'uid-legacy',
      image: 'registry.example.com/legacy:latest',
      annotations: {
        'ignore-check.cronguard.dev/images-disallow-latest': 'vendor image, ticket OPS-1',
      },
    });
    const verdicts = assess(object).verdicts;
    expect(
      verdictOf({ cronJob: assess(object).cronJob, verdicts }, 'strict', 'images-disallow-latest'),
    ).toMatchObject({ result: 'skip', properties: { exemption: 'annotation' } });
  });

  it('says nothing about a CronJob no policy matches', () => {
    const none = auditPolicies(`
apiVersion: cronguard.dev/v1alpha1
kind: CronJobPolicy
metadata: {name: elsewhere}
spec:
  action: enforce
  match: {kinds: [CronJob], namespaces: [other]}
  images: {disallowLatest: true}
`);
    expect(assessCronJob(nonCompliantCronJob(), { policySet: none }).verdicts).toEqual([]);
  });

  it('reports an object the webhook refuses as malformed as an error, not as a pass', () => {
    const broken = { ...compliantCronJob(), kind: 'Deployment' };
    const verdicts = assess(broken).verdicts;
    expect(verdicts).toHaveLength(1);
    expect(verdicts[0]).toMatchObject({ policy: ENGINE_POLICY, result: 'error' });
  });
});

describe('buildPolicyReport', () => {
  const assessments = [assess(nonCompliantCronJob()), assess(compliantCronJob())];

  it('builds one v1alpha2 PolicyReport per namespace with a result per (CronJob, policy, rule)', () => {
    const report = buildPolicyReport('team-a', assessments, undefined, { now: T0 });
    expect(validatePolicyReport(report)).toEqual([]);
    expect(report.apiVersion).toBe('wgpolicyk8s.io/v1alpha2');
    expect(report.kind).toBe('PolicyReport');
    expect(report.metadata).toEqual({
      name: POLICY_REPORT_NAME,
      namespace: 'team-a',
      labels: { [MANAGED_BY_LABEL]: MANAGED_BY },
    });
    expect(report.summary).toEqual({ pass: 2, fail: 2, warn: 2, error: 0, skip: 0 });
    // Ordered by CronJob name, then policy, then rule.
    expect(
      report.results.map((r) => [r.resources?.[0]?.name, r.policy, r.rule ?? '', r.result]),
    ).toEqual([
      ['backup', 'hygiene', '', 'pass'],
      ['backup', 'strict', '', 'pass'],
      ['report', 'hygiene', 'job-backoff-limit', 'warn'],
      ['report', 'hygiene', 'job-ttl-after-finished', 'warn'],
      ['report', 'strict', 'images-disallow-latest', 'fail'],
      ['report', 'strict', 'job-starting-deadline', 'fail'],
    ]);
    expect(report.results[5]).toEqual({
      source: 'cronguard',
      policy: 'strict',
      rule: 'job-starting-deadline',
      category: 'job',
      severity: 'high',
      result: 'fail',
      scored: true,
      message: 'job-starting-deadline: spec.startingDeadlineSeconds is 5; the minimum is 10',
      properties: {
        action: 'enforce',
        fields: 'spec.startingDeadlineSeconds',
        fix: 'set spec.startingDeadlineSeconds to at least 10',
      },
      resources: [
        {
          apiVersion: 'batch/v1',
          kind: 'CronJob',
          name: 'report',
          namespace: 'team-a',
          uid: 'uid-report',
        },
      ],
      timestamp: { seconds: 1772359200, nanos: 250_000_000 },
    });
    expect(report.results[2]).toMatchObject({ severity: 'medium', scored: false });
  });

  it('maps audit-action findings to warn with low severity', () => {
    const audited = auditPolicies(`
apiVersion: cronguard.dev/v1alpha1
kind: CronJobPolicy
metadata: {name: observe}
spec:
  action: audit
  match: {kinds: [CronJob]}
  images: {disallowLatest: true}
`);
    const report = buildPolicyReport(
      'team-a',
      [assessCronJob(nonCompliantCronJob(), { policySet: audited })],
      undefined,
      { now: T0 },
    );
    expect(report.results).toHaveLength(1);
    expect(report.results[0]).toMatchObject({
      result: 'warn',
      severity: 'low',
      properties: { action: 'audit' },
    });
  });

  it('is the identical object when nothing changed, keeping each result its first timestamp', () => {
    const first = buildPolicyReport('team-a', assessments, undefined, { now: T0 });
    const again = buildPolicyReport('team-a', assessments, structuredClone(first), { now: T1 });
    expect(again).toEqual(first);
    expect(
      reportIsCurrent(again, {
        ...structuredClone(first),
        metadata: { ...first.metadata, uid: 'x', resourceVersion: '9' },
      }),
    ).toBe(true);
  });

  it('gives a changed result a new timestamp and leaves the others alone', () => {
    const first = buildPolicyReport('team-a', assessments, undefined, { now: T0 });
    const changed = nonCompliantCronJob();
    (changed.spec as Record<string, unknown>).startingDeadlineSeconds = 7;
    (
      changed.spec as { jobTemplate: { spec: Record<string, unknown> } }
    ).jobTemplate.spec.backoffLimit = 3;
    const next = buildPolicyReport('team-a', [assess(changed), assess(compliantCronJob())], first, {
      now: T1,
    });
    expect(reportIsCurrent(next, first)).toBe(false);
    const seconds = (rule: string) => next.results.find((r) => r.rule === rule)?.timestamp.seconds;
    expect(seconds('job-starting-deadline')).toBe(T1.getTime() / 1000);
    expect(seconds('images-disallow-latest')).toBe(Math.floor(T0.getTime() / 1000));
    expect(seconds('job-ttl-after-finished')).toBe(Math.floor(T0.getTime() / 1000));
    expect(next.results.some((r) => r.rule === 'job-backoff-limit')).toBe(false);
    expect(next.summary).toEqual({ pass: 2, fail: 2, warn: 1, error: 0, skip: 0 });
  });

  it('treats a recreated CronJob (new uid) as new results', () => {
    const first = buildPolicyReport('team-a', assessments, undefined, { now: T0 });
    const recreated = {
      ...nonCompliantCronJob(),
      metadata: { ...nonCompliantCronJob().metadata, uid: 'uid-2' },
    };
    const next = buildPolicyReport(
      'team-a',
      [assess(recreated), assess(compliantCronJob())],
      first,
      { now: T1 },
    );
    const failing = next.results.filter((r) => r.result === 'fail');
    expect(failing.every((r) => r.timestamp.seconds === Math.floor(T1.getTime() / 1000))).toBe(
      true,
    );
  });

  it('caps the results, keeping failures first, and says so in a result and an annotation', () => {
    const many = Array.from({ length: 30 }, (_, index) =>
      index % 3 === 0
        ? assess(nonCompliantCronJob())
        : assess(cronJob({ name: `ok-${String(index).padStart(2, '0')}`, uid: `u${index}` })),
    ).map((assessment, index) => ({
      ...assessment,
      cronJob: {
        ...assessment.cronJob,
        name: `${assessment.cronJob.name}-${index}`,
        uid: `u${index}`,
      },
    }));
    const report = buildPolicyReport('team-a', many, undefined, { now: T0, maxResults: 25 });
    expect(validatePolicyReport(report)).toEqual([]);
    expect(report.results).toHaveLength(25);
    expect(report.summary).toEqual({ pass: 40, fail: 20, warn: 20, error: 0, skip: 0 });
    const kept = report.results.slice(0, -1);
    expect(kept.filter((r) => r.result === 'fail')).toHaveLength(20);
    expect(kept.filter((r) => r.result === 'warn')).toHaveLength(4);
    expect(report.results.at(-1)).toMatchObject({
      policy: 'cronguard',
      rule: 'report-limit',
      result: 'warn',
      message: expect.stringMatching(/^56 of 80 results omitted/) as unknown,
    });
    expect(report.metadata.annotations).toEqual({ [OMITTED_RESULTS_ANNOTATION]: '56' });
  });

  it('caps by bytes too, under the etcd object limit', () => {
    const manyFails = Array.from({ length: 200 }, (_, index) => {
      const assessment = assess(nonCompliantCronJob());
      return {
        ...assessment,
        cronJob: { ...assessment.cronJob, name: `job-${index}`, uid: `u${index}` },
      };
    });
    const report = buildPolicyReport('team-a', manyFails, undefined, {
      now: T0,
      maxResultsBytes: 64 * 1024,
    });
    expect(Buffer.byteLength(JSON.stringify(report.results))).toBeLessThanOrEqual(64 * 1024);
    expect(report.summary.fail).toBe(400);
    expect(report.results.length).toBeLessThan(800);
  });

  it('knows its own reports by label', () => {
    const report = buildPolicyReport('team-a', assessments, undefined, { now: T0 });
    expect(isManagedReport(report)).toBe(true);
    expect(isManagedReport({ ...report, metadata: { ...report.metadata, labels: {} } })).toBe(
      false,
    );
    expect(isManagedReport(undefined)).toBe(false);
  });

  it('counts results by policy, rule and result for the gauge', () => {
    const counts = [...countResults([...assessments, assess(nonCompliantCronJob())]).values()];
    expect(counts).toContainEqual({
      policy: 'strict',
      rule: 'images-disallow-latest',
      result: 'fail',
      count: 2,
    });
    expect(counts).toContainEqual({ policy: 'strict', rule: '', result: 'pass', count: 1 });
  });
});
