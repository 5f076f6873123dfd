/**
 * Names, help texts, label sets and suggested buckets of the run metrics, in one
 * place so the prom-client adapter, the docs (docs/metrics.md) and the tests agree.
 */

export type JobOutcome = 'succeeded' | 'failed';

/**
 * Reasons the Job controller writes on the Failed condition (KK
 * pkg/controller/job: BackoffLimitExceeded, DeadlineExceeded, PodFailurePolicy,
 * FailedIndexes, MaxFailedIndexesExceeded). Anything else (future reasons, other
 * controllers through spec.managedBy, a missing reason) becomes `other`, so the
 * label has at most six values whatever the cluster writes.
 */
export const FAILURE_REASONS = [
  'BackoffLimitExceeded',
  'DeadlineExceeded',
  'PodFailurePolicy',
  'FailedIndexes',
  'MaxFailedIndexesExceeded',
  'other',
] as const;
export type FailureReason = (typeof FAILURE_REASONS)[number];

/**
 * Why a scheduled run has no Job: `forbid` when concurrencyPolicy Forbid skipped it
 * because an earlier Job of the CronJob was still active (by design, but usually
 * worth an alert), `not_started` otherwise (controller down, deadline passed,
 * Job creation refused, …).
 */
export const MISSED_REASONS = ['not_started', 'forbid'] as const;
export type MissedReason = (typeof MISSED_REASONS)[number];

/** The labels every run metric carries. */
export interface CronJobLabels {
  namespace: string;
  cronjob: string;
}

export const METRIC_NAMES = {
  jobsTotal: 'cronjob_jobs_total',
  jobDurationSeconds: 'cronjob_job_duration_seconds',
  scheduleDelaySeconds: 'cronjob_schedule_delay_seconds',
  activeJobs: 'cronjob_active_jobs',
  nextScheduleTimestampSeconds: 'cronjob_next_schedule_timestamp_seconds',
  missedSchedulesTotal: 'cronjob_missed_schedules_total',
  sidecarBlockedJobs: 'cronjob_sidecar_blocked_jobs',
} as const;

export const METRIC_HELP = {
  jobsTotal:
    'Jobs of the CronJob that finished while the watcher ran, by outcome (status) and, for failures, the Failed condition reason.',
  jobDurationSeconds: 'Seconds from a Job start (status.startTime) to its completion.',
  scheduleDelaySeconds:
    'Seconds from the scheduled time of a run to the start of its Job (status.startTime).',
  activeJobs: 'Jobs of the CronJob that exist and have not finished.',
  nextScheduleTimestampSeconds:
    'Unix time of the next scheduled run in the CronJob time zone; absent when suspended or the schedule is invalid.',
  missedSchedulesTotal:
    'Scheduled runs (while not suspended) for which no Job appeared within the starting deadline, by reason.',
  sidecarBlockedJobs:
    'Unfinished Jobs with a pod whose app containers all terminated while a mesh proxy container keeps running.',
} as const;

export const LABEL_NAMES = {
  jobsTotal: ['namespace', 'cronjob', 'status', 'reason'],
  missedSchedulesTotal: ['namespace', 'cronjob', 'reason'],
  perCronJob: ['namespace', 'cronjob'],
} as const;

/** 1 s … 24 h: batch jobs range from seconds to hours. */
export const JOB_DURATION_BUCKETS: readonly number[] = [
  1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 14400, 28800, 86400,
];

/** The controller's own creation-skew buckets (1 s ×2, 10 buckets) plus the sub-second start. */
export const SCHEDULE_DELAY_BUCKETS: readonly number[] = [
  0.5, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512,
];
