/**
 * Run metrics of CronJobs (jobs_total, durations, schedule delay, active and
 * sidecar-blocked Jobs, next and missed schedules) as pure logic over informer
 * events. The prom-client and informer adapter lives elsewhere; see docs/metrics.md.
 */
export { RunTracker } from './tracker.js';
export type { CronJobGauges, RunTrackerOptions, RunTrackerSize } from './tracker.js';
export { MemorySink } from './sink.js';
export type { RunMetricsSink, SeriesSnapshot } from './sink.js';
export * from './definitions.js';
export {
  DEFAULT_PROXY_CONTAINER_NAMES,
  MANUAL_INSTANTIATE_ANNOTATION,
  SCHEDULED_TIMESTAMP_ANNOTATION,
} from './objects.js';
