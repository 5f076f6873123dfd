/**
 * Shapes shared by the schedule module. Parsed schedules are frozen and may be
 * shared between callers through the parse cache, hence the readonly arrays.
 */

/** The descriptors robfig/cron `ParseStandard` accepts besides `@every`. */
export type ScheduleDescriptor =
  '@yearly' | '@annually' | '@monthly' | '@weekly' | '@daily' | '@midnight' | '@hourly';

/** A 5-field expression (or a fixed descriptor), expanded to the values each field allows. */
export interface FieldSchedule {
  readonly kind: 'fields';
  /** The expression exactly as written. */
  readonly source: string;
  /** Set when the expression was a descriptor such as `@daily`. */
  readonly descriptor?: ScheduleDescriptor;
  readonly minutes: readonly number[];
  readonly hours: readonly number[];
  readonly daysOfMonth: readonly number[];
  readonly months: readonly number[];
  /** 0 = Sunday … 6 = Saturday. */
  readonly daysOfWeek: readonly number[];
  /**
   * robfig's "star bit": the field contained `*` or `?` without a step above 1.
   * If either day field has it, day-of-month AND day-of-week must match; otherwise either may.
   */
  readonly dayOfMonthStar: boolean;
  readonly dayOfWeekStar: boolean;
  /** Things the API server accepts silently but a reader may not expect. */
  readonly notes: readonly string[];
}

/** `@every <duration>`: robfig's ConstantDelaySchedule. */
export interface EverySchedule {
  readonly kind: 'every';
  readonly source: string;
  /** The duration text after `@every `, as written. */
  readonly duration: string;
  /** The delay the controller uses: at least 1, whole seconds. */
  readonly intervalSeconds: number;
  readonly notes: readonly string[];
}

export type ParsedSchedule = FieldSchedule | EverySchedule;

export type ScheduleParseResult =
  | { ok: true; schedule: ParsedSchedule }
  | {
      ok: false;
      /** One line: what is wrong and where. */
      error: string;
      /** What to write instead. */
      fix: string;
      /** The message the API server returns for this schedule (robfig/cron or Kubernetes validation). */
      apiServerMessage: string;
    };

export type TimeZoneValidation = { ok: true } | { ok: false; error: string; fix: string };

export interface NextRunsOptions {
  /** Runs strictly after this instant are returned. */
  from: Date;
  /** IANA zone the schedule is evaluated in; UTC when omitted. */
  timeZone?: string;
  count: number;
}

export interface MinIntervalOptions {
  from: Date;
  timeZone?: string;
  /** Stop after this many runs; by default every run in the horizon is examined. */
  runs?: number;
}

export interface ExplainOptions {
  timeZone?: string;
  count: number;
  now: Date;
}

export interface ScheduleExplanation {
  valid: boolean;
  error?: string;
  fix?: string;
  /** Plain English; empty when the schedule is invalid. */
  description: string;
  /** The zone the runs are shown in (UTC when none was given). */
  timeZone: string;
  /** RFC 3339 with the zone's offset, e.g. `2026-11-25T03:00:00+01:00`. */
  nextRuns: string[];
  minIntervalSeconds?: number;
  warnings: string[];
}
