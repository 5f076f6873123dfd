/**
 * What the schedule rules need to know about one CronJob schedule, computed once
 * per (schedule text, time zone) and kept in bounded caches: `cronguard lint`
 * evaluates thousands of CronJobs that mostly share a handful of schedules.
 *
 * All date analysis runs over a fixed window (no clock, so lint and admission
 * agree whatever the day): from 2024-01-01T00:00:00Z, a leap year so that
 * Feb-29 schedules are seen, for 366 days.
 */
import type { RuleContext } from '../../engine/context.js';
import type { RunWindow } from '../../policy/types.js';
import {
  dateMatches,
  DEFAULT_TIME_ZONE,
  MIN_INTERVAL_HORIZON_DAYS,
  minInterval,
  MONTH_NAMES,
  neverFires,
  parseSchedule,
  planFor,
  validateTimeZone,
  zoneOffsets,
  type FieldSchedule,
  type ParsedSchedule,
  type ZoneOffsets,
} from '../../schedule/index.js';
import { readPath } from '../../k8s/workload.js';

const MS_PER_DAY = 86_400_000;
export const ANALYSIS_START = Date.UTC(2024, 0, 1);
export const ANALYSIS_END = ANALYSIS_START + MIN_INTERVAL_HORIZON_DAYS * MS_PER_DAY;
/** Every run of a minutely schedule over the window; bounds the work for anything denser. */
export const MAX_ANALYSED_RUNS = MIN_INTERVAL_HORIZON_DAYS * 24 * 60;
/** Distinct (schedule, zone) pairs remembered; far above what one cluster or repository holds. */
const CACHE_LIMIT = 4096;
const MS_PER_MINUTE = 60_000;
const MINUTES_PER_DAY = 1440;

/** Insertion-ordered Map that forgets its oldest entry when full. */
class BoundedCache<V> {
  readonly #entries = new Map<string, V>();
  constructor(private readonly limit: number) {}

  get(key: string, compute: () => V): V {
    const cached = this.#entries.get(key);
    if (cached !== undefined || this.#entries.has(key)) return cached as V;
    const value = compute();
    if (this.#entries.size >= this.limit) {
      const oldest = this.#entries.keys().next();
      if (oldest.done !== true) this.#entries.delete(oldest.value);
    }
    this.#entries.set(key, value);
    return value;
  }
}

// ---------------------------------------------------------------------------
// Reading spec.schedule the way the API server validates it
// ---------------------------------------------------------------------------

export type ScheduleField =
  | { state: 'missing' }
  | { state: 'not-a-string'; value: unknown }
  | { state: 'text'; text: string };

export function readScheduleField(context: RuleContext): ScheduleField {
  const value = context.read(['spec', 'schedule']);
  if (value === undefined || value === null) return { state: 'missing' };
  if (typeof value !== 'string') return { state: 'not-a-string', value };
  return { state: 'text', text: value };
}

/**
 * Kubernetes refuses "TZ" anywhere in spec.schedule on create; on update it lets
 * a schedule keep a `TZ=`/`CRON_TZ=` prefix only when the stored schedule already
 * had one (kubernetes#116252), for CronJobs created before the rule existed.
 */
export function allowsTimeZoneInSchedule(context: RuleContext): boolean {
  if (context.operation !== 'UPDATE' || context.oldObject === undefined) return false;
  const old = readPath(context.oldObject, ['spec', 'schedule']);
  return typeof old === 'string' && old.includes('TZ');
}

/** `TZ=Local` means the controller's own zone, like an unset spec.timeZone. */
export type PrefixZone = { kind: 'zone'; timeZone: string } | { kind: 'controller-local' };

export type ResolvedSchedule =
  | {
      ok: true;
      schedule: ParsedSchedule;
      /** The zone of a legacy `TZ=<zone>` prefix (update only); absent without a prefix. */
      prefixZone?: PrefixZone;
    }
  | { ok: false; error: string; fix: string };

/**
 * robfig/cron's handling of the legacy prefix: the zone runs from the first "=" to
 * the first space, and the rest (trimmed) is the schedule proper.
 */
function resolveLegacyPrefix(text: string): ResolvedSchedule {
  if (!text.startsWith('TZ=') && !text.startsWith('CRON_TZ=')) {
    return {
      ok: false,
      error: '"TZ" may appear only in a leading TZ=<zone> or CRON_TZ=<zone> prefix',
      fix: 'move the zone to spec.timeZone and remove "TZ" from spec.schedule',
    };
  }
  const space = text.indexOf(' ');
  const zone = text.slice(text.indexOf('=') + 1, space === -1 ? undefined : space);
  if (space === -1) {
    return {
      ok: false,
      error: `"${text}" has a time zone prefix but no schedule after it`,
      fix: 'write "TZ=<zone> <schedule>", or better spec.timeZone',
    };
  }
  const rest = parseSchedule(text.slice(space).trim());
  if (!rest.ok) return { ok: false, error: rest.error, fix: rest.fix };
  // Go's LoadLocation: "" is UTC and "Local" the controller's own zone.
  if (zone === 'Local') {
    return { ok: true, schedule: rest.schedule, prefixZone: { kind: 'controller-local' } };
  }
  const timeZone = zone === '' ? DEFAULT_TIME_ZONE : zone;
  const validity = validateTimeZone(timeZone);
  if (!validity.ok) {
    return {
      ok: false,
      error: `provided bad location ${zone}: ${validity.error}`,
      fix: validity.fix,
    };
  }
  return { ok: true, schedule: rest.schedule, prefixZone: { kind: 'zone', timeZone } };
}

export function resolveSchedule(text: string, allowTimeZonePrefix: boolean): ResolvedSchedule {
  if (allowTimeZonePrefix && text.includes('TZ')) return resolveLegacyPrefix(text);
  const parsed = parseSchedule(text);
  return parsed.ok
    ? { ok: true, schedule: parsed.schedule }
    : { ok: false, error: parsed.error, fix: parsed.fix };
}

/** The schedule as the controller will run it, or undefined when another rule reports why it cannot. */
export function readValidSchedule(
  context: RuleContext,
): { text: string; resolved: Extract<ResolvedSchedule, { ok: true }> } | undefined {
  const field = readScheduleField(context);
  if (field.state !== 'text') return undefined;
  const resolved = resolveSchedule(field.text, allowsTimeZoneInSchedule(context));
  return resolved.ok ? { text: field.text, resolved } : undefined;
}

/** Schedules are untrusted text: keep messages one short line. */
export function quoteSchedule(text: string): string {
  const shown = text.length > 80 ? `${text.slice(0, 77)}...` : text;
  return JSON.stringify(shown);
}

/**
 * Parser messages quote the offending field, which can be any length of untrusted
 * text; findings stay one line of bounded length.
 */
export function boundedLine(text: string, maxLength = 200): string {
  // eslint-disable-next-line no-control-regex
  const line = text.replace(/[\u0000-\u001f\u007f\u0085\u2028\u2029]/g, ' ');
  return line.length > maxLength ? `${line.slice(0, maxLength - 3)}...` : line;
}

// ---------------------------------------------------------------------------
// Which time zone the runs happen in
// ---------------------------------------------------------------------------

export type AnalysisZone =
  | { ok: true; timeZone: string; source: 'prefix' | 'spec' | 'policy-default' | 'unset' }
  | { ok: false };

/**
 * spec.timeZone when valid; else the policy's default (which schedule-timezone
 * fills in anyway); else UTC, standing in for the controller-manager's local zone.
 * An invalid spec.timeZone stops the analysis: schedule-timezone reports it, and
 * guessing a zone would report runs that never happen.
 */
export function analysisZone(
  context: RuleContext,
  prefixZone: PrefixZone | undefined,
): AnalysisZone {
  if (prefixZone !== undefined) {
    return prefixZone.kind === 'controller-local'
      ? { ok: true, timeZone: DEFAULT_TIME_ZONE, source: 'unset' }
      : { ok: true, timeZone: prefixZone.timeZone, source: 'prefix' };
  }
  const written = context.read(['spec', 'timeZone']);
  if (written !== undefined && written !== null) {
    if (typeof written !== 'string' || !validateTimeZone(written).ok) return { ok: false };
    return { ok: true, timeZone: written, source: 'spec' };
  }
  const policyDefault = context.policy.spec.schedule?.timeZone?.default;
  if (policyDefault !== undefined && validateTimeZone(policyDefault).ok) {
    return { ok: true, timeZone: policyDefault, source: 'policy-default' };
  }
  return { ok: true, timeZone: DEFAULT_TIME_ZONE, source: 'unset' };
}

/** How a message names the zone: "(Europe/Oslo)", or a caveat when the CronJob names none. */
export function zoneNote(zone: Extract<AnalysisZone, { ok: true }>): string {
  if (zone.source === 'unset') {
    return "UTC; with spec.timeZone unset the controller-manager's local zone applies";
  }
  if (zone.source === 'policy-default') return `${zone.timeZone}, the policy's default`;
  return zone.timeZone;
}

// ---------------------------------------------------------------------------
// Never fires
// ---------------------------------------------------------------------------

/** Days each month can have; February counts 29 because leap years exist. */
const MAX_DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function joinWords(words: readonly string[], conjunction: string): string {
  if (words.length <= 1) return words.join('');
  return `${words.slice(0, -1).join(', ')} ${conjunction} ${words[words.length - 1] ?? ''}`;
}

export interface NeverFiresExplanation {
  reason: string;
  fix: string;
}

/**
 * Why a schedule that parses can never fire, naming the impossible combination.
 * Undefined when it fires. Zone-independent.
 */
export function explainNeverFires(schedule: ParsedSchedule): NeverFiresExplanation | undefined {
  if (!neverFires(schedule) || schedule.kind !== 'fields') return undefined;
  return explainFieldSchedule(schedule);
}

function explainFieldSchedule(schedule: FieldSchedule): NeverFiresExplanation {
  const generic = {
    fix: 'rewrite spec.schedule so that some date matches, e.g. "0 3 * * *" for 03:00 every day',
  };
  for (const [values, label] of [
    [schedule.minutes, 'minute'],
    [schedule.hours, 'hour'],
    [schedule.months, 'month'],
  ] as const) {
    if (values.length === 0) return { reason: `the ${label} field matches no value`, ...generic };
  }
  const monthWords = schedule.months.map((month) => MONTH_NAMES[month - 1] ?? String(month));
  const longestMonth = Math.max(
    ...schedule.months.map((month) => MAX_DAYS_IN_MONTH[month - 1] ?? 31),
  );
  const impossibleDays = schedule.daysOfMonth.filter((day) => day > longestMonth);
  if (schedule.daysOfMonth.length > 0 && impossibleDays.length === schedule.daysOfMonth.length) {
    const dayWords = impossibleDays.map(String);
    const onlyFebruary = schedule.months.length === 1 && schedule.months[0] === 2;
    return {
      reason:
        dayWords.length === 1
          ? `day ${dayWords[0] ?? ''} does not exist in ${joinWords(monthWords, 'or')}`
          : `days ${joinWords(dayWords, 'and')} do not exist in ${joinWords(monthWords, 'or')}`,
      fix: `use a day-of-month of at most ${longestMonth} for ${joinWords(monthWords, 'and')}${onlyFebruary ? ' (28 to run every year, not only in leap years)' : ''}`,
    };
  }
  if (schedule.daysOfMonth.length === 0)
    return { reason: 'the day-of-month field matches no day', ...generic };
  return { reason: 'the day-of-week field matches no day', ...generic };
}

// ---------------------------------------------------------------------------
// Per (schedule, zone) analysis
// ---------------------------------------------------------------------------

interface FiringDay {
  /** Local midnight, as wall-clock ms read as UTC. */
  readonly dayWall: number;
  /** 0 = Sunday … 6 = Saturday. */
  readonly weekday: number;
}

export interface ScheduleAnalysis {
  readonly schedule: ParsedSchedule;
  readonly timeZone: string;
  /** Smallest gap between consecutive runs over the window; undefined when it never fires (twice). */
  readonly minIntervalSeconds: number | undefined;
  /** True when every gap is the same (a fixed cadence): messages then say "runs every X". */
  readonly uniform: boolean;
}

const analyses = new BoundedCache<ScheduleAnalysis>(CACHE_LIMIT);

function cacheKey(schedule: ParsedSchedule, timeZone: string): string {
  return `${timeZone}\u0000${schedule.source}`;
}

function firesEveryDay(schedule: FieldSchedule): boolean {
  if (schedule.months.length !== 12) return false;
  const allDaysOfMonth = schedule.daysOfMonth.length === 31;
  const allWeekdays = schedule.daysOfWeek.length === 7;
  return schedule.dayOfMonthStar || schedule.dayOfWeekStar
    ? allDaysOfMonth && allWeekdays
    : allDaysOfMonth || allWeekdays;
}

function isFixedCadence(schedule: ParsedSchedule, minIntervalSeconds: number | undefined): boolean {
  if (schedule.kind === 'every') return true;
  if (minIntervalSeconds === undefined || !firesEveryDay(schedule)) return false;
  const minutes = planFor(schedule).runMinutesOfDay;
  const first = minutes[0] ?? 0;
  const last = minutes[minutes.length - 1] ?? 0;
  const acrossMidnight = MINUTES_PER_DAY - last + first;
  const gap = minutes.length > 1 ? (minutes[1] ?? 0) - first : acrossMidnight;
  for (let index = 1; index < minutes.length; index++) {
    if ((minutes[index] ?? 0) - (minutes[index - 1] ?? 0) !== gap) return false;
  }
  // Daylight-saving changes shorten or stretch some gaps; then the cadence is not fixed.
  return acrossMidnight === gap && minIntervalSeconds === gap * 60;
}

export function analyseSchedule(schedule: ParsedSchedule, timeZone: string): ScheduleAnalysis {
  return analyses.get(cacheKey(schedule, timeZone), () => {
    const minIntervalSeconds = minInterval(schedule, {
      from: new Date(ANALYSIS_START),
      timeZone,
      runs: MAX_ANALYSED_RUNS,
    });
    return {
      schedule,
      timeZone,
      minIntervalSeconds,
      uniform: isFixedCadence(schedule, minIntervalSeconds),
    };
  });
}

/**
 * Local dates of the analysis window on which a field schedule fires, in order,
 * produced lazily: the search for a run outside the windows usually stops within
 * the first week.
 */
function* firingDays(
  schedule: FieldSchedule,
  zone: ZoneOffsets,
  weekdays: readonly boolean[],
): Generator<FiringDay> {
  const firstDay = Math.floor(zone.wallAt(ANALYSIS_START) / MS_PER_DAY) * MS_PER_DAY;
  const lastDay = Math.floor(zone.wallAt(ANALYSIS_END) / MS_PER_DAY) * MS_PER_DAY;
  const date = new Date(firstDay);
  for (let dayWall = firstDay; dayWall <= lastDay; dayWall += MS_PER_DAY) {
    date.setTime(dayWall);
    const weekday = date.getUTCDay();
    if (weekdays[weekday] !== true) continue;
    if (dateMatches(planFor(schedule), date.getUTCMonth() + 1, date.getUTCDate(), weekday))
      yield { dayWall, weekday };
  }
}

/**
 * Whether a wall-clock time happens in the zone within the analysis window: not
 * in a spring-forward gap, and (on the first and last day) inside the window. A
 * repeated fall-back time happens twice; either occurrence will do.
 */
function happensInWindow(zone: ZoneOffsets, wall: number): boolean {
  for (const offset of new Set([
    zone.offsetAt(wall - 14 * 3_600_000),
    zone.offsetAt(wall + 14 * 3_600_000),
  ])) {
    const instant = wall - offset;
    if (zone.offsetAt(instant) === offset && instant > ANALYSIS_START && instant <= ANALYSIS_END)
      return true;
  }
  return false;
}

// ---------------------------------------------------------------------------
// Run windows
// ---------------------------------------------------------------------------

/** Policy day names in week order; index = JavaScript weekday (0 = Sunday). */
const POLICY_DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const WEEK_ORDER = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const WEEKDAY_NAMES = [
  'Sunday',
  'Monday',
  'Tuesday',
  'Wednesday',
  'Thursday',
  'Friday',
  'Saturday',
];

function clockMinutes(text: string): number {
  const [hours, minutes] = text.split(':').map(Number);
  return (hours ?? 0) * 60 + (minutes ?? 0);
}

function opensOn(window: RunWindow, weekday: number): boolean {
  return window.days === undefined || window.days.includes(POLICY_DAYS[weekday] ?? '');
}

/** Start inclusive, end exclusive; an end before the start closes on the next day. */
export function insideWindows(
  windows: readonly RunWindow[],
  weekday: number,
  minuteOfDay: number,
): boolean {
  return windows.some((window) => {
    const start = clockMinutes(window.start);
    const end = clockMinutes(window.end);
    if (start < end) return opensOn(window, weekday) && minuteOfDay >= start && minuteOfDay < end;
    const previousDay = (weekday + 6) % 7;
    return (
      (opensOn(window, weekday) && minuteOfDay >= start) ||
      (opensOn(window, previousDay) && minuteOfDay < end)
    );
  });
}

function describeDays(days: readonly string[] | undefined): string {
  if (days === undefined) return 'every day';
  const ordered = WEEK_ORDER.filter((day) => days.includes(day));
  if (ordered.length === 7) return 'every day';
  const groups: string[] = [];
  let runStart = 0;
  for (let index = 1; index <= ordered.length; index++) {
    const previous = WEEK_ORDER.indexOf(ordered[index - 1] ?? '');
    const current = index < ordered.length ? WEEK_ORDER.indexOf(ordered[index] ?? '') : -1;
    if (current === previous + 1) continue;
    const run = ordered.slice(runStart, index);
    groups.push(run.length >= 3 ? `${run[0] ?? ''}-${run[run.length - 1] ?? ''}` : run.join(','));
    runStart = index;
  }
  return groups.join(',');
}

export function describeWindows(windows: readonly RunWindow[]): string {
  return windows
    .map((window) => `${describeDays(window.days)} ${window.start}-${window.end}`)
    .join(', ');
}

export interface RunOutsideWindows {
  weekday: string;
  clock: string;
}

function clockText(minuteOfDay: number): string {
  return `${String(Math.floor(minuteOfDay / 60)).padStart(2, '0')}:${String(minuteOfDay % 60).padStart(2, '0')}`;
}

/** Window lists by content (callers may rebuild equal lists), remembered per list object. */
const windowKeys = new WeakMap<readonly RunWindow[], string>();

function windowsKey(windows: readonly RunWindow[]): string {
  let key = windowKeys.get(windows);
  if (key === undefined) {
    key = JSON.stringify(windows.map((window) => [window.days ?? null, window.start, window.end]));
    windowKeys.set(windows, key);
  }
  return key;
}

const weekMasks = new BoundedCache<Uint8Array>(256);

/** Which minutes of the week (index weekday * 1440 + minute, Sunday = 0) the windows allow. */
function weekMask(windows: readonly RunWindow[]): Uint8Array {
  return weekMasks.get(windowsKey(windows), () => {
    const mask = new Uint8Array(7 * MINUTES_PER_DAY);
    for (let weekday = 0; weekday < 7; weekday++) {
      for (let minute = 0; minute < MINUTES_PER_DAY; minute++) {
        mask[weekday * MINUTES_PER_DAY + minute] = insideWindows(windows, weekday, minute) ? 1 : 0;
      }
    }
    return mask;
  });
}

const windowResults = new BoundedCache<RunOutsideWindows | null>(CACHE_LIMIT);

/**
 * The first run in the window (chronologically) that starts outside every allowed
 * window, judged on the wall clock of the zone. Only the run minutes outside the
 * windows are checked against real instants, so a minutely schedule costs a few
 * thousand lookups, not half a million runs. Runs in a spring-forward gap do not
 * happen and are skipped.
 */
export function firstRunOutsideWindows(
  schedule: FieldSchedule,
  timeZone: string,
  windows: readonly RunWindow[],
): RunOutsideWindows | undefined {
  const result = windowResults.get(
    `${cacheKey(schedule, timeZone)}\u0000${windowsKey(windows)}`,
    () => {
      const mask = weekMask(windows);
      const minutes = planFor(schedule).runMinutesOfDay;
      const outsideByWeekday = Array.from({ length: 7 }, (_, weekday) =>
        minutes.filter((minute) => mask[weekday * MINUTES_PER_DAY + minute] === 0),
      );
      const weekdaysWithRunsOutside = outsideByWeekday.map((outside) => outside.length > 0);
      if (!weekdaysWithRunsOutside.includes(true)) return null;
      const zone = zoneOffsets(timeZone);
      for (const day of firingDays(schedule, zone, weekdaysWithRunsOutside)) {
        for (const minute of outsideByWeekday[day.weekday] ?? []) {
          if (happensInWindow(zone, day.dayWall + minute * MS_PER_MINUTE)) {
            return { weekday: WEEKDAY_NAMES[day.weekday] ?? '', clock: clockText(minute) };
          }
        }
      }
      return null;
    },
  );
  return result ?? undefined;
}

/** Whether the windows allow a run at every minute of the week. */
export function windowsCoverWholeWeek(windows: readonly RunWindow[]): boolean {
  return weekMask(windows).every((allowed) => allowed === 1);
}

/** A schedule that runs at the start of the first window, for fixes. */
export function exampleScheduleInWindow(windows: readonly RunWindow[]): string | undefined {
  const window = windows[0];
  if (window === undefined) return undefined;
  const start = clockMinutes(window.start);
  return `${start % 60} ${Math.floor(start / 60)} * * ${cronWeekdays(window.days)}`;
}

/** Policy days as a cron day-of-week field: `*`, `1-5`, `0,6`. */
function cronWeekdays(days: readonly string[] | undefined): string {
  if (days === undefined) return '*';
  const numbers = [...new Set(days.map((day) => POLICY_DAYS.indexOf(day)))]
    .filter((n) => n >= 0)
    .sort((a, b) => a - b);
  if (numbers.length === 7) return '*';
  const parts: string[] = [];
  let runStart = 0;
  for (let index = 1; index <= numbers.length; index++) {
    if (index < numbers.length && numbers[index] === (numbers[index - 1] ?? 0) + 1) continue;
    const first = numbers[runStart] ?? 0;
    const last = numbers[index - 1] ?? 0;
    parts.push(last - first >= 2 ? `${first}-${last}` : numbers.slice(runStart, index).join(','));
    runStart = index;
  }
  return parts.join(',');
}
