import { deepEqual } from '../../engine/patch.js';
import type { Severity } from '../../engine/types.js';
import { isPlainObject } from '../../k8s/types.js';
import type { CronJobAssessment, ReportResultValue, Verdict } from './assess.js';

/**
 * The PolicyReport (wgpolicyk8s.io/v1alpha2, the format Kyverno and Kubewarden publish
 * and Policy Reporter reads) of the CronJobs of one namespace. Pure: the clock is an
 * argument, so an unchanged namespace yields an identical object and no write.
 */

export const POLICY_REPORT_API_VERSION = 'wgpolicyk8s.io/v1alpha2';
export const POLICY_REPORT_KIND = 'PolicyReport';
/** One report per namespace, always this name, so it can be found without a list. */
export const POLICY_REPORT_NAME = 'cronguard-cronjobs';
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const MANAGED_BY = 'cronguard';
/** `source` of every result: which engine produced it, for tools that merge reports. */
export const REPORT_SOURCE = 'cronguard';
/** Set (to a count) only when results were left out of the report to respect the limits. */
export const OMITTED_RESULTS_ANNOTATION = 'cronguard.dev/omitted-results';

/**
 * etcd refuses objects above ~1.5 MiB. A result is at most ~1.3 KB (message 512 bytes,
 * properties 256 bytes each, names ≤ 253), so 1000 results stay near 1 MiB; the byte
 * budget catches anything larger that slips through.
 */
export const MAX_REPORT_RESULTS = 1000;
export const MAX_REPORT_RESULTS_BYTES = 1024 * 1024;

/** v1alpha2 allows high, medium and low. */
export type ReportSeverity = 'high' | 'medium' | 'low';

/** enforce (error) → high, warn (warning) → medium, audit (notice) → low. */
export const REPORT_SEVERITY: Readonly<Record<Severity, ReportSeverity>> = {
  error: 'high',
  warning: 'medium',
  notice: 'low',
};

export interface ReportTimestamp {
  seconds: number;
  nanos: number;
}

export interface ReportResource {
  apiVersion: 'batch/v1';
  kind: 'CronJob';
  name: string;
  namespace: string;
  uid?: string;
}

export interface PolicyReportResult {
  source: string;
  policy: string;
  rule?: string;
  category?: string;
  severity?: ReportSeverity;
  result: ReportResultValue;
  scored: boolean;
  message: string;
  properties?: Record<string, string>;
  resources?: ReportResource[];
  timestamp: ReportTimestamp;
}

export interface PolicyReportSummary {
  pass: number;
  fail: number;
  warn: number;
  error: number;
  skip: number;
}

export interface PolicyReport {
  apiVersion: typeof POLICY_REPORT_API_VERSION;
  kind: typeof POLICY_REPORT_KIND;
  metadata: {
    name: string;
    namespace: string;
    labels: Record<string, string>;
    annotations?: Record<string, string>;
  };
  summary: PolicyReportSummary;
  results: PolicyReportResult[];
}

export interface BuildReportOptions {
  /** Time of this audit; results that changed (or are new) get it as their timestamp. */
  now: Date;
  maxResults?: number;
  maxResultsBytes?: number;
}

const IMPORTANCE: Readonly<Record<ReportResultValue, number>> = {
  fail: 0,
  error: 1,
  warn: 2,
  skip: 3,
  pass: 4,
};

/**
 * `previous` is the report as last written or read from the cluster (any shape: it is
 * only trusted for the timestamps of results whose content is unchanged).
 *
 * Results: one per (CronJob, policy, rule), ordered by CronJob name, uid, policy and
 * rule. Over the limits, the most important results are kept (fail, error, warn, skip,
 * pass), one closing `warn` result says how many were left out, and the summary still
 * counts every result.
 */
export function buildPolicyReport(
  namespace: string,
  assessments: readonly CronJobAssessment[],
  previous: unknown,
  options: BuildReportOptions,
): PolicyReport {
  const maxResults = Math.max(1, options.maxResults ?? MAX_REPORT_RESULTS);
  const maxBytes = options.maxResultsBytes ?? MAX_REPORT_RESULTS_BYTES;
  const now = timestampOf(options.now);
  const earlier = previousTimestamps(previous);

  const all: PolicyReportResult[] = [];
  for (const assessment of assessments) {
    for (const verdict of assessment.verdicts) {
      all.push(withTimestamp(resultOf(assessment, verdict), earlier, now));
    }
  }
  all.sort(compareResults);
  const summary: PolicyReportSummary = { pass: 0, fail: 0, warn: 0, error: 0, skip: 0 };
  for (const result of all) summary[result.result]++;

  let results = all;
  let omitted = 0;
  if (all.length > maxResults || byteSize(all) > maxBytes) {
    // One slot and some bytes stay free for the closing notice.
    const kept = new Set<PolicyReportResult>();
    let bytes = 2 + 1024;
    const byImportance = all
      .map((result, index) => ({ result, index }))
      .sort(
        (a, b) => IMPORTANCE[a.result.result] - IMPORTANCE[b.result.result] || a.index - b.index,
      );
    for (const { result } of byImportance) {
      if (kept.size >= maxResults - 1) break;
      const size = byteSize(result) + 1;
      if (bytes + size > maxBytes) break;
      kept.add(result);
      bytes += size;
    }
    omitted = all.length - kept.size;
    results = all.filter((result) => kept.has(result));
    results.push(
      withTimestamp(
        {
          source: REPORT_SOURCE,
          policy: REPORT_SOURCE,
          rule: 'report-limit',
          result: 'warn',
          scored: false,
          message: `${omitted} of ${all.length} results omitted: a report holds at most ${maxResults} results; the summary counts all of them (run cronguard lint for the full list)`,
        },
        earlier,
        now,
      ),
    );
  }

  return {
    apiVersion: POLICY_REPORT_API_VERSION,
    kind: POLICY_REPORT_KIND,
    metadata: {
      name: POLICY_REPORT_NAME,
      namespace,
      labels: { [MANAGED_BY_LABEL]: MANAGED_BY },
      ...(omitted > 0 ? { annotations: { [OMITTED_RESULTS_ANNOTATION]: String(omitted) } } : {}),
    },
    summary,
    results,
  };
}

/** True when the object carries cronguard's label, i.e. cronguard may change or delete it. */
export function isManagedReport(object: unknown): boolean {
  if (!isPlainObject(object) || !isPlainObject(object.metadata)) return false;
  const labels = object.metadata.labels;
  return isPlainObject(labels) && labels[MANAGED_BY_LABEL] === MANAGED_BY;
}

/**
 * Whether the live object already says what `desired` says, on the fields cronguard
 * applies (the server adds uid, resourceVersion, managedFields, ...; other managers
 * may add labels or annotations of their own, which server-side apply leaves alone).
 */
export function reportIsCurrent(desired: PolicyReport, live: unknown): boolean {
  if (!isPlainObject(live) || !isPlainObject(live.metadata)) return false;
  const labels = isPlainObject(live.metadata.labels) ? live.metadata.labels : {};
  const annotations = isPlainObject(live.metadata.annotations) ? live.metadata.annotations : {};
  for (const [key, value] of Object.entries(desired.metadata.labels)) {
    if (labels[key] !== value) return false;
  }
  if (
    annotations[OMITTED_RESULTS_ANNOTATION] !==
    desired.metadata.annotations?.[OMITTED_RESULTS_ANNOTATION]
  )
    return false;
  return deepEqual(live.summary, desired.summary) && deepEqual(live.results, desired.results);
}

/** Counts by (policy, rule, result), for the findings gauge. Rule is '' for policy-wide results. */
export function countResults(
  assessments: readonly CronJobAssessment[],
): Map<string, { policy: string; rule: string; result: ReportResultValue; count: number }> {
  const counts = new Map<
    string,
    { policy: string; rule: string; result: ReportResultValue; count: number }
  >();
  for (const { verdicts } of assessments) {
    for (const verdict of verdicts) {
      const rule = verdict.rule ?? '';
      const key = `${verdict.policy}\u0000${rule}\u0000${verdict.result}`;
      const entry = counts.get(key);
      if (entry === undefined)
        counts.set(key, { policy: verdict.policy, rule, result: verdict.result, count: 1 });
      else entry.count++;
    }
  }
  return counts;
}

function resultOf(
  assessment: CronJobAssessment,
  verdict: Verdict,
): Omit<PolicyReportResult, 'timestamp'> {
  const { cronJob } = assessment;
  const properties =
    Object.keys(verdict.properties).length > 0 ? { ...verdict.properties } : undefined;
  return {
    source: REPORT_SOURCE,
    policy: verdict.policy,
    ...(verdict.rule === undefined ? {} : { rule: verdict.rule }),
    ...(verdict.category === undefined ? {} : { category: verdict.category }),
    ...(verdict.severity === undefined ? {} : { severity: REPORT_SEVERITY[verdict.severity] }),
    result: verdict.result,
    // In v1alpha2 `warn` counts "non-scored policies whose requirements were not met".
    scored: verdict.result !== 'warn',
    message: verdict.message,
    ...(properties === undefined ? {} : { properties }),
    resources: [
      {
        apiVersion: 'batch/v1',
        kind: 'CronJob',
        name: cronJob.name,
        namespace: cronJob.namespace,
        ...(cronJob.uid === '' ? {} : { uid: cronJob.uid }),
      },
    ],
  };
}

function identity(result: Omit<PolicyReportResult, 'timestamp'>): string {
  const resource = result.resources?.[0];
  return JSON.stringify([
    resource?.name ?? '',
    resource?.uid ?? '',
    result.policy,
    result.rule ?? '',
  ]);
}

interface EarlierResult {
  content: unknown;
  timestamp: ReportTimestamp;
}

function previousTimestamps(previous: unknown): Map<string, EarlierResult> {
  const earlier = new Map<string, EarlierResult>();
  if (!isPlainObject(previous) || !Array.isArray(previous.results)) return earlier;
  for (const item of previous.results as unknown[]) {
    if (!isPlainObject(item) || !isTimestamp(item.timestamp) || typeof item.policy !== 'string')
      continue;
    const { timestamp, ...content } = item;
    const key = identity(content as unknown as Omit<PolicyReportResult, 'timestamp'>);
    earlier.set(key, {
      content,
      timestamp: { seconds: timestamp.seconds, nanos: timestamp.nanos },
    });
  }
  return earlier;
}

/** A result whose content is unchanged keeps the time it was first found. */
function withTimestamp(
  result: Omit<PolicyReportResult, 'timestamp'>,
  earlier: ReadonlyMap<string, EarlierResult>,
  now: ReportTimestamp,
): PolicyReportResult {
  const before = earlier.get(identity(result));
  const timestamp =
    before !== undefined && deepEqual(before.content, result) ? before.timestamp : now;
  return { ...result, timestamp: { ...timestamp } };
}

function isTimestamp(value: unknown): value is ReportTimestamp {
  return (
    isPlainObject(value) && Number.isSafeInteger(value.seconds) && Number.isSafeInteger(value.nanos)
  );
}

function timestampOf(date: Date): ReportTimestamp {
  const milliseconds = date.getTime();
  const seconds = Math.floor(milliseconds / 1000);
  return { seconds, nanos: (milliseconds - seconds * 1000) * 1_000_000 };
}

function compareResults(a: PolicyReportResult, b: PolicyReportResult): number {
  const left = a.resources?.[0];
  const right = b.resources?.[0];
  return (
    compareText(left?.name ?? '', right?.name ?? '') ||
    compareText(left?.uid ?? '', right?.uid ?? '') ||
    compareText(a.policy, b.policy) ||
    compareText(a.rule ?? '', b.rule ?? '')
  );
}

/** Code-unit order, not locale order: the same on every machine. */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function byteSize(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value), 'utf8');
}
