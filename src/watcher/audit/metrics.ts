import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { CronJobAssessment } from './assess.js';
import { countResults } from './report.js';

/** What one namespace audit ended with (label of cronguard_audit_runs_total). */
export type AuditRunResult =
  'written' | 'unchanged' | 'deleted' | 'not-leader' | 'foreign-report' | 'crd-missing' | 'error';

export const AUDIT_METRIC_NAMES = {
  results: 'cronguard_policy_report_results',
  runs: 'cronguard_audit_runs_total',
  duration: 'cronguard_audit_duration_seconds',
} as const;

const RESULT_LABELS = ['namespace', 'policy', 'rule', 'result'] as const;
type ResultLabels = Record<(typeof RESULT_LABELS)[number], string>;

/**
 * The audit's metrics. The results gauge is the report's content as numbers: one series
 * per namespace × (policy, rule) × result, so its size is bounded by namespaces with
 * CronJobs × configured rules × 5, not by the number of CronJobs.
 */
export class AuditMetrics {
  readonly #results: Gauge<(typeof RESULT_LABELS)[number]>;
  readonly #runs: Counter<'result'>;
  readonly #duration: Histogram;
  /** Series set per namespace, so that series which disappear are removed, not left at their last value. */
  readonly #series = new Map<string, ResultLabels[]>();

  constructor(registry: Registry) {
    const registers = [registry];
    this.#results = new Gauge({
      name: AUDIT_METRIC_NAMES.results,
      help: 'Results of the current policy audit of existing CronJobs, by namespace, policy, rule ("" for a whole-policy pass) and result (pass, fail, warn, error, skip), as published in the PolicyReports.',
      labelNames: RESULT_LABELS,
      registers,
    });
    this.#runs = new Counter({
      name: AUDIT_METRIC_NAMES.runs,
      help: 'Audits of one namespace, by what they ended with: written, unchanged, deleted, not-leader, foreign-report, crd-missing, error.',
      labelNames: ['result'],
      registers,
    });
    this.#duration = new Histogram({
      name: AUDIT_METRIC_NAMES.duration,
      help: 'Time to audit one namespace: evaluate its CronJobs and, on the leader, write its PolicyReport.',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
  }

  setNamespaceResults(namespace: string, assessments: readonly CronJobAssessment[]): void {
    const next: ResultLabels[] = [];
    for (const entry of countResults(assessments).values()) {
      const labels = { namespace, policy: entry.policy, rule: entry.rule, result: entry.result };
      this.#results.set(labels, entry.count);
      next.push(labels);
    }
    const kept = new Set(next.map(seriesKey));
    for (const labels of this.#series.get(namespace) ?? []) {
      if (!kept.has(seriesKey(labels))) this.#results.remove(labels);
    }
    if (next.length === 0) this.#series.delete(namespace);
    else this.#series.set(namespace, next);
  }

  /** Namespaces that currently have series, so an audit can clear a namespace that emptied. */
  namespaces(): string[] {
    return [...this.#series.keys()];
  }

  recordRun(result: AuditRunResult, seconds: number): void {
    this.#runs.inc({ result });
    this.#duration.observe(seconds);
  }
}

function seriesKey(labels: ResultLabels): string {
  return JSON.stringify([labels.policy, labels.rule, labels.result]);
}
