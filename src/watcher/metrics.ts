import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import {
  FAILURE_REASONS,
  JOB_DURATION_BUCKETS,
  LABEL_NAMES,
  METRIC_HELP,
  METRIC_NAMES,
  MISSED_REASONS,
  SCHEDULE_DELAY_BUCKETS,
  type CronJobGauges,
  type CronJobLabels,
  type FailureReason,
  type JobOutcome,
  type MissedReason,
  type RunMetricsSink,
} from './runs/index.js';

/**
 * The run metrics of docs/metrics.md in a prom-client registry of the watcher's own
 * (not the global one, so several watchers can live in one process, as in tests).
 * Counters and histograms are fed by the RunTracker through the RunMetricsSink
 * methods; gauges are computed from live tracker state at each scrape, so they are
 * right after relists and restarts without bookkeeping here.
 */
export class WatcherMetrics implements RunMetricsSink {
  readonly registry = new Registry();
  readonly #jobs: Counter<(typeof LABEL_NAMES.jobsTotal)[number]>;
  readonly #duration: Histogram<(typeof LABEL_NAMES.perCronJob)[number]>;
  readonly #delay: Histogram<(typeof LABEL_NAMES.perCronJob)[number]>;
  readonly #missed: Counter<(typeof LABEL_NAMES.missedSchedulesTotal)[number]>;

  /** `gauges` is read at every scrape (the tracker's gauges(now)). */
  constructor(gauges: () => readonly CronJobGauges[]) {
    const registers = [this.registry];
    this.#jobs = new Counter({
      name: METRIC_NAMES.jobsTotal,
      help: METRIC_HELP.jobsTotal,
      labelNames: LABEL_NAMES.jobsTotal,
      registers,
    });
    this.#duration = new Histogram({
      name: METRIC_NAMES.jobDurationSeconds,
      help: METRIC_HELP.jobDurationSeconds,
      labelNames: LABEL_NAMES.perCronJob,
      buckets: [...JOB_DURATION_BUCKETS],
      registers,
    });
    this.#delay = new Histogram({
      name: METRIC_NAMES.scheduleDelaySeconds,
      help: METRIC_HELP.scheduleDelaySeconds,
      labelNames: LABEL_NAMES.perCronJob,
      buckets: [...SCHEDULE_DELAY_BUCKETS],
      registers,
    });
    this.#missed = new Counter({
      name: METRIC_NAMES.missedSchedulesTotal,
      help: METRIC_HELP.missedSchedulesTotal,
      labelNames: LABEL_NAMES.missedSchedulesTotal,
      registers,
    });
    const gauge = (
      name: string,
      help: string,
      value: (entry: CronJobGauges) => number | undefined,
    ): void => {
      new Gauge({
        name,
        help,
        labelNames: LABEL_NAMES.perCronJob,
        registers,
        collect() {
          // Rebuilt from scratch at every scrape: deleted CronJobs (and suspended
          // ones, for the next-schedule gauge) simply stop appearing.
          this.reset();
          for (const entry of gauges()) {
            const current = value(entry);
            if (current !== undefined) this.set({ ...entry.labels }, current);
          }
        },
      });
    };
    gauge(METRIC_NAMES.activeJobs, METRIC_HELP.activeJobs, (entry) => entry.activeJobs);
    gauge(
      METRIC_NAMES.nextScheduleTimestampSeconds,
      METRIC_HELP.nextScheduleTimestampSeconds,
      (entry) => entry.nextScheduleTimestampSeconds,
    );
    gauge(
      METRIC_NAMES.sidecarBlockedJobs,
      METRIC_HELP.sidecarBlockedJobs,
      (entry) => entry.sidecarBlockedJobs,
    );
    collectDefaultMetrics({ register: this.registry });
  }

  jobFinished(labels: CronJobLabels, outcome: JobOutcome, reason: FailureReason | undefined): void {
    // Succeeded series carry no `reason` label at all (docs/metrics.md).
    this.#jobs.inc(
      reason === undefined
        ? { ...labels, status: outcome }
        : { ...labels, status: outcome, reason },
    );
  }

  jobDuration(labels: CronJobLabels, seconds: number): void {
    this.#duration.observe({ ...labels }, seconds);
  }

  scheduleDelay(labels: CronJobLabels, seconds: number): void {
    this.#delay.observe({ ...labels }, seconds);
  }

  missedSchedules(labels: CronJobLabels, reason: MissedReason, count: number): void {
    this.#missed.inc({ ...labels, reason }, count);
  }

  removeSeries(labels: CronJobLabels): void {
    const base = { namespace: labels.namespace, cronjob: labels.cronjob };
    // prom-client removes exact label sets only, so every possible set is named;
    // the enums are small and fixed, and removing an absent set is a no-op.
    this.#jobs.remove({ ...base, status: 'succeeded' });
    for (const reason of FAILURE_REASONS) this.#jobs.remove({ ...base, status: 'failed', reason });
    this.#duration.remove(base);
    this.#delay.remove(base);
    for (const reason of MISSED_REASONS) this.#missed.remove({ ...base, reason });
  }
}
