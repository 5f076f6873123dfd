/**
 * CronJob schedules exactly as the Kubernetes API server validates them and the
 * CronJob controller runs them (robfig/cron v3 semantics). Pure: no I/O; the
 * only state is bounded caches of parses, derived plans and zone transitions.
 */
export { parseSchedule, isFieldSchedule } from './parse.js';
export {
  validateTimeZone,
  formatInTimeZone,
  zoneOffsets,
  ZoneOffsets,
  DEFAULT_TIME_ZONE,
} from './time-zone.js';
export { nextRuns } from './next-runs.js';
export { ROBFIG_SEARCH_YEARS } from './robfig-next.js';
export { dateMatches, neverFires, planFor, toCronParserExpression } from './plan.js';
export type { SchedulePlan } from './plan.js';
export { minInterval, MIN_INTERVAL_HORIZON_DAYS } from './min-interval.js';
export { describeSchedule, MONTH_NAMES } from './describe.js';
export { explainSchedule } from './explain.js';
export { parseGoDuration } from './go-duration.js';
export type {
  EverySchedule,
  ExplainOptions,
  FieldSchedule,
  MinIntervalOptions,
  NextRunsOptions,
  ParsedSchedule,
  ScheduleDescriptor,
  ScheduleExplanation,
  ScheduleParseResult,
  TimeZoneValidation,
} from './types.js';
