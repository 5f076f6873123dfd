/**
 * Where the tracker's counter increments and histogram observations go. The
 * prom-client adapter implements this with Counter.inc / Histogram.observe /
 * remove; MemorySink keeps them in memory for tests and for reading back.
 */
import type { CronJobLabels, FailureReason, JobOutcome, MissedReason } from './definitions.js';

export interface RunMetricsSink {
  /** cronjob_jobs_total: `reason` is set for failures only. */
  jobFinished(labels: CronJobLabels, outcome: JobOutcome, reason: FailureReason | undefined): void;
  /** cronjob_job_duration_seconds */
  jobDuration(labels: CronJobLabels, seconds: number): void;
  /** cronjob_schedule_delay_seconds */
  scheduleDelay(labels: CronJobLabels, seconds: number): void;
  /** cronjob_missed_schedules_total, incremented by `count` (> 0). */
  missedSchedules(labels: CronJobLabels, reason: MissedReason, count: number): void;
  /**
   * The CronJob is gone: remove every series with these two labels (all metrics,
   * gauges included). A CronJob created again later starts from zero.
   */
  removeSeries(labels: CronJobLabels): void;
}

function seriesKey(labels: CronJobLabels): string {
  return `${labels.namespace}/${labels.cronjob}`;
}

interface SeriesValues {
  jobs: Map<string, number>;
  durations: number[];
  delays: number[];
  missed: Map<MissedReason, number>;
}

/** Comparable totals of one CronJob, as returned by MemorySink.snapshot(). */
export interface SeriesSnapshot {
  /** `succeeded` or `failed/<reason>` → count. */
  jobs: Record<string, number>;
  durations: number[];
  delays: number[];
  missed: Record<string, number>;
}

/**
 * Accumulates everything in memory. Unbounded observation lists: meant for tests
 * and small tools, not for the long-running watcher.
 */
export class MemorySink implements RunMetricsSink {
  readonly #series = new Map<string, SeriesValues>();
  readonly removed: CronJobLabels[] = [];

  #values(labels: CronJobLabels): SeriesValues {
    const key = seriesKey(labels);
    let values = this.#series.get(key);
    if (values === undefined) {
      values = { jobs: new Map(), durations: [], delays: [], missed: new Map() };
      this.#series.set(key, values);
    }
    return values;
  }

  jobFinished(labels: CronJobLabels, outcome: JobOutcome, reason: FailureReason | undefined): void {
    const jobs = this.#values(labels).jobs;
    const key = reason === undefined ? outcome : `${outcome}/${reason}`;
    jobs.set(key, (jobs.get(key) ?? 0) + 1);
  }

  jobDuration(labels: CronJobLabels, seconds: number): void {
    this.#values(labels).durations.push(seconds);
  }

  scheduleDelay(labels: CronJobLabels, seconds: number): void {
    this.#values(labels).delays.push(seconds);
  }

  missedSchedules(labels: CronJobLabels, reason: MissedReason, count: number): void {
    const missed = this.#values(labels).missed;
    missed.set(reason, (missed.get(reason) ?? 0) + count);
  }

  removeSeries(labels: CronJobLabels): void {
    this.#series.delete(seriesKey(labels));
    this.removed.push({ ...labels });
  }

  /** cronjob_jobs_total for one status (and reason, for failures). */
  jobs(labels: CronJobLabels, status: JobOutcome, reason?: FailureReason): number {
    const key = reason === undefined ? status : `${status}/${reason}`;
    return this.#series.get(seriesKey(labels))?.jobs.get(key) ?? 0;
  }

  durations(labels: CronJobLabels): readonly number[] {
    return this.#series.get(seriesKey(labels))?.durations ?? [];
  }

  delays(labels: CronJobLabels): readonly number[] {
    return this.#series.get(seriesKey(labels))?.delays ?? [];
  }

  missed(labels: CronJobLabels, reason: MissedReason): number {
    return this.#series.get(seriesKey(labels))?.missed.get(reason) ?? 0;
  }

  /** Everything, keyed by `namespace/cronjob`, with sorted keys and sorted observations. */
  snapshot(): Record<string, SeriesSnapshot> {
    const result: Record<string, SeriesSnapshot> = {};
    for (const key of [...this.#series.keys()].sort()) {
      const values = this.#series.get(key);
      if (values === undefined) continue;
      result[key] = {
        jobs: Object.fromEntries([...values.jobs].sort(([a], [b]) => a.localeCompare(b))),
        durations: [...values.durations].sort((a, b) => a - b),
        delays: [...values.delays].sort((a, b) => a - b),
        missed: Object.fromEntries([...values.missed].sort(([a], [b]) => a.localeCompare(b))),
      };
    }
    return result;
  }
}
