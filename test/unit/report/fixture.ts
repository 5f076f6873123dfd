import type { RuleDescriptor } from '../../../src/report/sarif.js';
import type {
  LintReport,
  ObjectResult,
  ReportedFinding,
  ReportedMutation,
} from '../../../src/report/types.js';

/**
 * A hand-built report for two files:
 * - manifests/backup.yaml: a CronJob with an error, a warning, a notice, three
 *   mutations and an exemption, then a Service (skipped);
 * - manifests/jobs.yaml: a clean Job, a document that failed to parse, a ConfigMap (skipped).
 * Results, findings and files are deliberately out of order, so every format's
 * sorting is exercised.
 */

const BACKUP = 'manifests/backup.yaml';
const JOBS = 'manifests/jobs.yaml';
const IMAGE_FIELD = 'spec.jobTemplate.spec.template.spec.containers[0].image';

export const latestTagFinding: ReportedFinding = {
  ruleId: 'images-disallow-latest',
  policy: 'baseline',
  action: 'enforce',
  severity: 'error',
  message: 'Image "busybox:latest" uses the mutable latest tag',
  fix: 'Pin the image to a version tag or digest',
  field: IMAGE_FIELD,
  pointer: '/spec/jobTemplate/spec/template/spec/containers/0/image',
  container: 'backup',
  location: { file: BACKUP, line: 21, column: 18 },
};

export const deadlineFinding: ReportedFinding = {
  ruleId: 'job-starting-deadline',
  policy: 'team-batch',
  action: 'warn',
  severity: 'warning',
  message: 'startingDeadlineSeconds is 5, below the minimum of 10',
  fix: 'Set startingDeadlineSeconds to at least 10',
  field: 'spec.startingDeadlineSeconds',
  pointer: '/spec/startingDeadlineSeconds',
  location: { file: BACKUP, line: 7, column: 3 },
};

export const probeFinding: ReportedFinding = {
  ruleId: 'probes-liveness-readiness',
  policy: 'baseline',
  action: 'audit',
  severity: 'notice',
  message: 'Container "backup" has a livenessProbe, which restarts jobs that are busy',
  field: 'spec.jobTemplate.spec.template.spec.containers[0].livenessProbe',
  pointer: '/spec/jobTemplate/spec/template/spec/containers/0/livenessProbe',
  container: 'backup',
  location: { file: BACKUP, line: 25, column: 13 },
};

const mutations: ReportedMutation[] = [
  {
    ruleId: 'job-history-limits',
    policy: 'baseline',
    field: 'spec.successfulJobsHistoryLimit',
    pointer: '/spec/successfulJobsHistoryLimit',
    op: 'replace',
    value: 3,
    previous: 10,
    message: 'Keep at most 3 successful jobs',
    location: { file: BACKUP, line: 9, column: 3 },
  },
  {
    ruleId: 'job-concurrency-policy',
    policy: 'baseline',
    field: 'spec.concurrencyPolicy',
    pointer: '/spec/concurrencyPolicy',
    op: 'add',
    value: 'Forbid',
    message: 'Default concurrencyPolicy to Forbid',
    location: { file: BACKUP, line: 5, column: 3 },
  },
  {
    ruleId: 'security-context-restricted',
    policy: 'baseline',
    field: 'spec.jobTemplate.spec.template.spec.securityContext',
    pointer: '/spec/jobTemplate/spec/template/spec/securityContext',
    op: 'add',
    value: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
    message: 'Apply the restricted pod security context',
    location: { file: BACKUP, line: 17, column: 9 },
  },
];

export const backupCronJob: ObjectResult = {
  object: { apiVersion: 'batch/v1', kind: 'CronJob', namespace: 'ops', name: 'nightly-backup' },
  location: { file: BACKUP, line: 1, column: 1 },
  documentIndex: 0,
  findings: [probeFinding, latestTagFinding, deadlineFinding],
  mutations,
  exemptions: [
    {
      ruleId: 'resources-required',
      policy: 'baseline',
      source: 'annotation',
      reason: 'sidecar is injected by the mesh',
      container: 'istio-proxy',
    },
  ],
};

export const reportJob: ObjectResult = {
  object: { apiVersion: 'batch/v1', kind: 'Job', namespace: 'batch', name: 'report-once' },
  location: { file: JOBS, line: 1, column: 1 },
  documentIndex: 0,
  findings: [],
  mutations: [],
  exemptions: [],
};

/** A fresh copy every call, so a test that edits its report cannot affect another. */
export function buildReport(): LintReport {
  return structuredClone({
    schemaVersion: 1,
    tool: { name: 'cronguard', version: '0.1.0' },
    policies: [
      {
        name: 'team-batch',
        version: 'a1b2c3d',
        priority: 200,
        action: 'warn',
        source: 'policies/team-batch.yaml:1',
      },
      {
        name: 'baseline',
        version: 'e4f5a6b',
        priority: 100,
        action: 'enforce',
        source: 'builtin:baseline.yaml',
      },
    ],
    results: [reportJob, backupCronJob],
    errors: [
      {
        message: 'bad indentation of a mapping entry',
        location: { file: JOBS, line: 14, column: 5 },
      },
    ],
    summary: {
      files: 2,
      documents: 5,
      evaluated: 2,
      skipped: { Service: 1, ConfigMap: 1 },
      findings: { error: 1, warning: 1, notice: 1 },
      mutations: 3,
      errors: 1,
    },
  } satisfies LintReport);
}

/** The same report without its input error, for exit codes 0 and 1 and a successful SARIF run. */
export function buildReportWithoutInputErrors(): LintReport {
  const report = buildReport();
  report.errors = [];
  report.summary.errors = 0;
  return report;
}

export const ruleDescriptors: RuleDescriptor[] = [
  {
    id: 'job-starting-deadline',
    title: 'startingDeadlineSeconds is at least 10',
    section: 'job',
    description:
      'The CronJob controller checks schedules every 10 seconds; a shorter deadline can skip runs.',
    helpUri:
      'https://github.com/cronguard/cronguard/blob/main/policies/README.md#job-starting-deadline',
    defaultSeverity: 'warning',
  },
  {
    id: 'images-disallow-latest',
    title: 'Images are pinned',
    section: 'images',
    description: 'A mutable tag runs different code on every schedule.',
    helpUri:
      'https://github.com/cronguard/cronguard/blob/main/policies/README.md#images-disallow-latest',
    defaultSeverity: 'error',
  },
  {
    id: 'schedule-min-interval',
    title: 'Runs are far enough apart',
    section: 'schedule',
    description: 'Schedules that fire too often overload shared clusters.',
    helpUri:
      'https://github.com/cronguard/cronguard/blob/main/policies/README.md#schedule-min-interval',
    defaultSeverity: 'error',
  },
];
