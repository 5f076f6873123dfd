/**
 * CronJob schedules as the API server reads them: robfig/cron v3 `ParseStandard`
 * (5 fields or a descriptor) plus the Kubernetes rule that a schedule must not
 * contain `TZ`. Reimplemented from the semantics of robfig's parser.go/spec.go
 * and Kubernetes' pkg/apis/batch/validation, including their quirks:
 * empty list items are dropped, `*-5` reads as `*`, `a/n` means `a-max/n`, a step
 * above 1 clears the wildcard flag that decides the day-of-month/day-of-week rule.
 */
import { everyDelaySeconds, parseGoDuration } from './go-duration.js';
import type {
  EverySchedule,
  FieldSchedule,
  ParsedSchedule,
  ScheduleDescriptor,
  ScheduleParseResult,
} from './types.js';

interface FieldBounds {
  readonly label: string;
  readonly min: number;
  readonly max: number;
  readonly names?: ReadonlyMap<string, number>;
}

const MONTH_NAMES = [
  'jan',
  'feb',
  'mar',
  'apr',
  'may',
  'jun',
  'jul',
  'aug',
  'sep',
  'oct',
  'nov',
  'dec',
];
const WEEKDAY_NAMES = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

const MINUTE: FieldBounds = { label: 'minute', min: 0, max: 59 };
const HOUR: FieldBounds = { label: 'hour', min: 0, max: 23 };
const DAY_OF_MONTH: FieldBounds = { label: 'day-of-month', min: 1, max: 31 };
const MONTH: FieldBounds = {
  label: 'month',
  min: 1,
  max: 12,
  names: new Map(MONTH_NAMES.map((name, index) => [name, index + 1])),
};
const DAY_OF_WEEK: FieldBounds = {
  label: 'day-of-week',
  min: 0,
  max: 6,
  names: new Map(WEEKDAY_NAMES.map((name, index) => [name, index])),
};
const TZ_API_MESSAGE = 'cannot use TZ or CRON_TZ in schedule, use timeZone field instead';

/**
 * Go's `strings.Fields` splits on `unicode.IsSpace`, which is not JavaScript's `\s`
 * (Go includes U+0085 and excludes U+FEFF). The set below is Go's.
 */
const GO_WHITESPACE_RUN =
  /[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/;

function splitGoFields(text: string): string[] {
  return text.split(GO_WHITESPACE_RUN).filter((field) => field !== '');
}

type Failure = { ok: false; error: string; fix: string; apiServerMessage: string };

function failure(error: string, fix: string, apiServerMessage: string): Failure {
  return { ok: false, error, fix, apiServerMessage };
}

// ---------------------------------------------------------------------------
// Numbers: Go's strconv.Atoi followed by robfig's "no negatives" rule.
// ---------------------------------------------------------------------------

const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;

type IntResult =
  | { ok: true; value: number; text: string }
  | { ok: false; reason: 'syntax' | 'range' | 'negative'; apiServerMessage: string };

function parseRobfigInt(text: string): IntResult {
  if (!/^[+-]?[0-9]+$/.test(text)) {
    return {
      ok: false,
      reason: 'syntax',
      apiServerMessage: `failed to parse int from ${text}: strconv.Atoi: parsing ${JSON.stringify(text)}: invalid syntax`,
    };
  }
  const value = BigInt(text);
  if (value < INT64_MIN || value > INT64_MAX) {
    return {
      ok: false,
      reason: 'range',
      apiServerMessage: `failed to parse int from ${text}: strconv.Atoi: parsing ${JSON.stringify(text)}: value out of range`,
    };
  }
  if (value < 0n) {
    return {
      ok: false,
      reason: 'negative',
      apiServerMessage: `negative number (${value.toString()}) not allowed: ${text}`,
    };
  }
  // Values beyond 2^53 lose precision here, but they only ever fail the range check.
  return { ok: true, value: Number(value), text: value.toString() };
}

function parseIntOrName(text: string, bounds: FieldBounds): IntResult {
  const named = bounds.names?.get(text.toLowerCase());
  if (named !== undefined) return { ok: true, value: named, text: String(named) };
  return parseRobfigInt(text);
}

// ---------------------------------------------------------------------------
// Fields
// ---------------------------------------------------------------------------

interface FieldContext {
  readonly bounds: FieldBounds;
  /** The whole field as written, for messages. */
  readonly fieldText: string;
}

type FieldResult = { ok: true; values: number[]; star: boolean; notes: string[] } | Failure;

function where(context: FieldContext): string {
  return `${context.bounds.label} field ${JSON.stringify(context.fieldText)}`;
}

function rangeHint(bounds: FieldBounds): string {
  if (bounds === DAY_OF_WEEK) return '0-6 or sun-sat (0 is Sunday; 7 is not accepted)';
  if (bounds === MONTH) return '1-12 or jan-dec';
  return `${bounds.min}-${bounds.max}`;
}

function notANumberFix(part: string, context: FieldContext): string {
  const { bounds } = context;
  if (part === '') return 'write both ends of a range and a number after "/", e.g. 1-5 or */10';
  if (/[LW#]/i.test(part) && (bounds === DAY_OF_MONTH || bounds === DAY_OF_WEEK)) {
    return 'L, W and # are not supported in Kubernetes schedules (robfig/cron); list the days explicitly, e.g. 28-31 or 1-5';
  }
  if (/^H(\(|$|\/)/.test(part)) {
    return 'H (hashed values) is a Jenkins extension; write a number instead';
  }
  if (bounds.names !== undefined)
    return `use ${rangeHint(bounds)}; names are the three-letter English abbreviations`;
  return `use numbers ${rangeHint(bounds)}`;
}

function describeIntFailure(
  failed: Extract<IntResult, { ok: false }>,
  part: string,
  role: string,
  context: FieldContext,
): Failure {
  if (failed.reason === 'negative') {
    return failure(
      `${where(context)}: step ${JSON.stringify(part)} is negative`,
      'use a positive step, e.g. */5',
      failed.apiServerMessage,
    );
  }
  if (failed.reason === 'range') {
    return failure(
      `${where(context)}: ${role} ${JSON.stringify(part)} is too large to be a number`,
      `use ${rangeHint(context.bounds)}`,
      failed.apiServerMessage,
    );
  }
  const what =
    part === ''
      ? `${role} is missing`
      : `${role} ${JSON.stringify(part)} is not a number${context.bounds.names ? ' or name' : ''}`;
  return failure(
    `${where(context)}: ${what}`,
    notANumberFix(part, context),
    failed.apiServerMessage,
  );
}

function outOfRangeFix(
  value: number,
  context: FieldContext,
  isRangeEnd: boolean,
  start: number,
): string {
  const { bounds } = context;
  if (bounds === DAY_OF_WEEK && value === 7) {
    return isRangeEnd && start < 7 ? `use 0 for Sunday: write ${start}-6,0` : 'use 0 for Sunday';
  }
  if (bounds === HOUR && value === 24) return 'midnight is hour 0; hours are 0-23';
  if (bounds === DAY_OF_MONTH && value === 0) return 'days of the month start at 1 (1-31)';
  if (bounds === MONTH && value === 0) return 'months start at 1 (1-12 or jan-dec)';
  return `${bounds.label} values are ${rangeHint(bounds)}`;
}

interface RangeResult {
  start: number;
  end: number;
  /** Exact decimal text of start and end: values past 2^53 are imprecise as numbers. */
  startText: string;
  endText: string;
  step: number;
  star: boolean;
}

/** The `a`, `a-b`, `*` or `?` before any `/`. */
function parseLowAndHigh(
  part: string,
  lowAndHigh: readonly string[],
  context: FieldContext,
): RangeResult | Failure {
  const { bounds } = context;
  const low = lowAndHigh[0] ?? '';
  // robfig checks only the first piece for "*", so "*-5" is read as "*".
  if (low === '*' || low === '?') {
    return {
      start: bounds.min,
      end: bounds.max,
      startText: String(bounds.min),
      endText: String(bounds.max),
      step: 1,
      star: true,
    };
  }
  const isSingleValue = lowAndHigh.length === 1;
  const parsedStart = parseIntOrName(low, bounds);
  if (!parsedStart.ok) {
    return describeIntFailure(parsedStart, low, isSingleValue ? 'value' : 'range start', context);
  }
  if (isSingleValue) {
    return {
      start: parsedStart.value,
      end: parsedStart.value,
      startText: parsedStart.text,
      endText: parsedStart.text,
      step: 1,
      star: false,
    };
  }
  if (lowAndHigh.length > 2) {
    return failure(
      `${where(context)}: ${JSON.stringify(part)} has more than one "-"`,
      'a range is a-b with one hyphen; list several ranges with commas, e.g. 1-3,5-7',
      `too many hyphens: ${part}`,
    );
  }
  const high = lowAndHigh[1] ?? '';
  const parsedEnd = parseIntOrName(high, bounds);
  if (!parsedEnd.ok) return describeIntFailure(parsedEnd, high, 'range end', context);
  return {
    start: parsedStart.value,
    end: parsedEnd.value,
    startText: parsedStart.text,
    endText: parsedEnd.text,
    step: 1,
    star: false,
  };
}

/** robfig's final checks, in its order. */
function checkRange(
  part: string,
  range: RangeResult,
  isSingleValue: boolean,
  context: FieldContext,
): Failure | undefined {
  const { bounds } = context;
  const { start, end, startText, endText } = range;
  if (start < bounds.min) {
    return failure(
      `${where(context)}: value ${start} out of range ${bounds.min}-${bounds.max}`,
      outOfRangeFix(start, context, false, start),
      `beginning of range (${start}) below minimum (${bounds.min}): ${part}`,
    );
  }
  if (end > bounds.max) {
    return failure(
      `${where(context)}: value ${endText} out of range ${bounds.min}-${bounds.max}`,
      outOfRangeFix(end, context, !isSingleValue, start),
      `end of range (${endText}) above maximum (${bounds.max}): ${part}`,
    );
  }
  if (start > end) {
    return failure(
      `${where(context)}: range ${JSON.stringify(part)} starts after it ends (${startText} > ${endText})`,
      `ranges do not wrap around: write ${startText}-${bounds.max},${bounds.min}-${endText}`,
      `beginning of range (${startText}) beyond end of range (${endText}): ${part}`,
    );
  }
  if (range.step === 0) {
    return failure(
      `${where(context)}: step 0 in ${JSON.stringify(part)}`,
      'use a step of at least 1, e.g. */5',
      `step of range should be a positive number: ${part}`,
    );
  }
  return undefined;
}

/** One comma-separated item: `*`, `?`, `a`, `a-b`, `a-b/n`, `*\/n`, `a/n`. Same checks, same order as robfig. */
function parseRange(part: string, context: FieldContext): RangeResult | Failure {
  const rangeAndStep = part.split('/');
  const lowAndHigh = (rangeAndStep[0] ?? '').split('-');
  const isSingleValue = lowAndHigh.length === 1;
  const range = parseLowAndHigh(part, lowAndHigh, context);
  if ('ok' in range) return range;
  if (rangeAndStep.length > 2) {
    return failure(
      `${where(context)}: ${JSON.stringify(part)} has more than one "/"`,
      'a step is written once: a-b/n, */n or a/n',
      `too many slashes: ${part}`,
    );
  }
  if (rangeAndStep.length === 2) {
    const stepText = rangeAndStep[1] ?? '';
    const parsedStep = parseRobfigInt(stepText);
    if (!parsedStep.ok) return describeIntFailure(parsedStep, stepText, 'step', context);
    range.step = parsedStep.value;
    // robfig: "N/step" means "N-max/step".
    if (isSingleValue) {
      range.end = context.bounds.max;
      range.endText = String(context.bounds.max);
    }
    // robfig clears the star bit for steps above 1, which turns on the OR day rule.
    if (range.step > 1) range.star = false;
  }
  return checkRange(part, range, isSingleValue, context) ?? range;
}

function parseField(fieldText: string, bounds: FieldBounds): FieldResult {
  const context: FieldContext = { bounds, fieldText };
  const allowed = new Array<boolean>(bounds.max + 1).fill(false);
  const notes: string[] = [];
  let star = false;
  // robfig uses strings.FieldsFunc on ",", which silently drops empty items.
  const parts = fieldText.split(',').filter((part) => part !== '');
  if (parts.length !== fieldText.split(',').length) {
    notes.push(`${where(context)}: empty list items are ignored`);
  }
  for (const part of parts) {
    const range = parseRange(part, context);
    if ('ok' in range) return range;
    for (let value = range.start; value <= range.end; value += range.step) allowed[value] = true;
    star ||= range.star;
    if (/^[*?]-/.test(part)) {
      const readAs = part.slice(0, 1) + (part.includes('/') ? part.slice(part.indexOf('/')) : '');
      notes.push(
        `${where(context)}: robfig/cron reads ${JSON.stringify(part)} as ${JSON.stringify(readAs)}`,
      );
    }
    if (range.end > range.start && range.step > range.end - range.start) {
      notes.push(
        `${where(context)}: step ${range.step} in ${JSON.stringify(part)} is larger than the range ${range.start}-${range.end}, so it matches only ${range.start}`,
      );
    }
  }
  const values: number[] = [];
  allowed.forEach((isAllowed, value) => {
    if (isAllowed) values.push(value);
  });
  if (values.length === 0) notes.push(`${where(context)}: matches no value`);
  return { ok: true, values, star, notes };
}

// ---------------------------------------------------------------------------
// Descriptors
// ---------------------------------------------------------------------------

function fullRange(min: number, max: number): number[] {
  return Array.from({ length: max - min + 1 }, (_, index) => min + index);
}

interface DescriptorSets {
  minutes: number[];
  hours: number[];
  daysOfMonth: number[];
  months: number[];
  daysOfWeek: number[];
  dayOfMonthStar: boolean;
  dayOfWeekStar: boolean;
}

/** robfig's parseDescriptor tables: fixed values have no star bit, `all()` sets it. */
const DESCRIPTOR_SETS: ReadonlyMap<ScheduleDescriptor, () => DescriptorSets> = new Map<
  ScheduleDescriptor,
  () => DescriptorSets
>([
  ['@yearly', () => fixedDescriptor({ daysOfMonth: [1], months: [1] })],
  ['@annually', () => fixedDescriptor({ daysOfMonth: [1], months: [1] })],
  ['@monthly', () => fixedDescriptor({ daysOfMonth: [1] })],
  ['@weekly', () => fixedDescriptor({ daysOfWeek: [0] })],
  ['@daily', () => fixedDescriptor({})],
  ['@midnight', () => fixedDescriptor({})],
  ['@hourly', () => fixedDescriptor({ hours: fullRange(0, 23) })],
]);

function fixedDescriptor(overrides: Partial<DescriptorSets>): DescriptorSets {
  return {
    minutes: [0],
    hours: overrides.hours ?? [0],
    daysOfMonth: overrides.daysOfMonth ?? fullRange(1, 31),
    months: overrides.months ?? fullRange(1, 12),
    daysOfWeek: overrides.daysOfWeek ?? fullRange(0, 6),
    dayOfMonthStar: overrides.daysOfMonth === undefined,
    dayOfWeekStar: overrides.daysOfWeek === undefined,
  };
}

const DESCRIPTOR_LIST =
  '@yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly or @every <duration>';

function parseEvery(source: string): ScheduleParseResult {
  const durationText = source.slice('@every '.length);
  const parsed = parseGoDuration(durationText);
  if (!parsed.ok) {
    const apiServerMessage = `failed to parse duration ${source}: ${parsed.error}`;
    let fix = 'write a Go duration such as 90s, 15m, 1h30m or 1.5h (units: h, m, s, ms, us, ns)';
    if (parsed.kind === 'unknown-unit' && /\s/.test(parsed.unit ?? '')) {
      fix = `remove the whitespace: "@every ${durationText.trim()}"`;
    } else if (parsed.kind === 'unknown-unit' && /^d(ays?)?$/i.test(parsed.unit ?? '')) {
      fix = 'Go durations have no day unit: write hours, e.g. @every 24h';
    } else if (parsed.kind === 'unknown-unit' && /^(w|y)/i.test(parsed.unit ?? '')) {
      fix =
        'Go durations stop at hours: write e.g. @every 168h for a week, or use a 5-field schedule';
    } else if (parsed.kind === 'missing-unit') {
      fix = `add a unit, e.g. "@every ${durationText.trim()}s" or "@every ${durationText.trim()}m"`;
    } else if (durationText.startsWith(' ') || durationText === '') {
      fix = 'write exactly one space after @every, then the duration, e.g. @every 1h';
    }
    return failure(
      `@every duration ${JSON.stringify(durationText)}: ${parsed.error.replace(/^time: /, '')}`,
      fix,
      apiServerMessage,
    );
  }
  const intervalSeconds = everyDelaySeconds(parsed.nanoseconds);
  const notes: string[] = [];
  const exactSeconds = Number(parsed.nanoseconds) / 1e9;
  if (parsed.nanoseconds <= 0n) {
    notes.push(`@every ${durationText} is not a positive duration; robfig/cron runs it every 1s`);
  } else if (parsed.nanoseconds < 1_000_000_000n) {
    notes.push(`@every ${durationText} is below one second; robfig/cron runs it every 1s`);
  } else if (exactSeconds !== intervalSeconds) {
    notes.push(`@every ${durationText} is truncated to whole seconds: every ${intervalSeconds}s`);
  }
  const schedule: EverySchedule = {
    kind: 'every',
    source,
    duration: durationText,
    intervalSeconds,
    notes,
  };
  return { ok: true, schedule };
}

function parseDescriptor(source: string): ScheduleParseResult {
  const sets = DESCRIPTOR_SETS.get(source as ScheduleDescriptor);
  if (sets !== undefined) {
    const schedule: FieldSchedule = {
      kind: 'fields',
      source,
      descriptor: source as ScheduleDescriptor,
      ...sets(),
      notes: [],
    };
    return { ok: true, schedule };
  }
  if (source.startsWith('@every ')) return parseEvery(source);

  const apiServerMessage = `unrecognized descriptor: ${source}`;
  const trimmed = source.trim();
  if (
    trimmed !== source &&
    (DESCRIPTOR_SETS.has(trimmed as ScheduleDescriptor) || trimmed.startsWith('@every '))
  ) {
    return failure(
      `descriptor ${JSON.stringify(source)} has whitespace around it, which robfig/cron does not strip`,
      `write ${JSON.stringify(trimmed)}`,
      apiServerMessage,
    );
  }
  const lower = trimmed.toLowerCase();
  if (DESCRIPTOR_SETS.has(lower as ScheduleDescriptor)) {
    return failure(
      `unknown descriptor ${JSON.stringify(source)}: descriptors are case-sensitive`,
      `write ${lower}`,
      apiServerMessage,
    );
  }
  if (lower === '@reboot') {
    return failure(
      '@reboot is not supported in Kubernetes schedules',
      `CronJobs run on a clock, not at boot; use ${DESCRIPTOR_LIST} or a 5-field expression`,
      apiServerMessage,
    );
  }
  if (/^@every(\s|$)/i.test(source)) {
    return failure(
      `${JSON.stringify(source)}: @every needs exactly one space and then a duration`,
      'write e.g. "@every 1h30m"',
      apiServerMessage,
    );
  }
  return failure(
    `unknown descriptor ${JSON.stringify(source)}`,
    `use ${DESCRIPTOR_LIST}, or a 5-field expression`,
    apiServerMessage,
  );
}

// ---------------------------------------------------------------------------
// Whole expression
// ---------------------------------------------------------------------------

function tzFailure(expression: string): Failure {
  const prefixed = /^(CRON_TZ|TZ)=(\S+)\s+(.+)$/s.exec(expression);
  const fix =
    prefixed !== null
      ? `set spec.timeZone: ${JSON.stringify(prefixed[2])} and spec.schedule: ${JSON.stringify((prefixed[3] ?? '').trim())}`
      : 'remove TZ= / CRON_TZ= from the schedule and put the zone in spec.timeZone (e.g. timeZone: "Europe/Berlin")';
  return failure(
    'schedule contains "TZ": the API server rejects TZ= and CRON_TZ= in spec.schedule',
    fix,
    TZ_API_MESSAGE,
  );
}

function fieldCountFailure(expression: string, fields: string[]): Failure {
  const apiServerMessage = `expected exactly 5 fields, found ${fields.length}: [${fields.join(' ')}]`;
  const layout = 'minute hour day-of-month month day-of-week';
  if (fields.length === 1 && fields[0]?.startsWith('@')) {
    return failure(
      `descriptor ${JSON.stringify(expression)} has leading whitespace, so it is read as a 5-field expression`,
      `write ${JSON.stringify(expression.trim())}`,
      apiServerMessage,
    );
  }
  if (fields.length === 6) {
    const last = fields[5] ?? '';
    const fix = /^\d{4}(-\d{4})?$/.test(last)
      ? `Kubernetes schedules have no year field: drop ${JSON.stringify(last)}`
      : `Kubernetes schedules have no seconds field: drop the first field ${JSON.stringify(fields[0] ?? '')}`;
    return failure(`expected 5 fields (${layout}), found 6`, fix, apiServerMessage);
  }
  if (fields.length < 5) {
    return failure(
      `expected 5 fields (${layout}), found ${fields.length}`,
      'write all five fields, e.g. "0 3 * * *" for 03:00 every day, or use a descriptor such as @daily',
      apiServerMessage,
    );
  }
  return failure(
    `expected 5 fields (${layout}), found ${fields.length}`,
    'Kubernetes schedules have exactly five fields; remove the extra ones',
    apiServerMessage,
  );
}

function dayRuleNotes(
  fieldTexts: readonly string[],
  schedule: Omit<FieldSchedule, 'notes'>,
): string[] {
  if (schedule.dayOfMonthStar || schedule.dayOfWeekStar) return [];
  const domText = fieldTexts[2] ?? '';
  const dowText = fieldTexts[4] ?? '';
  if (schedule.daysOfMonth.length === 0 || schedule.daysOfWeek.length === 0) return [];
  const domEveryDay = schedule.daysOfMonth.length === 31;
  const dowEveryDay = schedule.daysOfWeek.length === 7;
  if (domEveryDay || dowEveryDay) {
    const whole = domEveryDay
      ? `day-of-month ${JSON.stringify(domText)}`
      : `day-of-week ${JSON.stringify(dowText)}`;
    return [
      `${whole} covers every day without being "*", so the OR day rule makes the schedule run every day`,
    ];
  }
  const stepped = [domText, dowText].some((text) => /(^|,)[*?]/.test(text));
  return [
    `day-of-month ${JSON.stringify(domText)} and day-of-week ${JSON.stringify(dowText)} are both restricted, so a day matching either one runs (OR, not AND)` +
      (stepped ? '; "*" or "?" with a step above 1 counts as restricted' : ''),
  ];
}

function parseFields(expression: string): ScheduleParseResult {
  const fieldTexts = splitGoFields(expression);
  if (fieldTexts.length !== 5) return fieldCountFailure(expression, fieldTexts);
  const minute = parseField(fieldTexts[0] ?? '', MINUTE);
  if (!minute.ok) return minute;
  const hour = parseField(fieldTexts[1] ?? '', HOUR);
  if (!hour.ok) return hour;
  const dayOfMonth = parseField(fieldTexts[2] ?? '', DAY_OF_MONTH);
  if (!dayOfMonth.ok) return dayOfMonth;
  const month = parseField(fieldTexts[3] ?? '', MONTH);
  if (!month.ok) return month;
  const dayOfWeek = parseField(fieldTexts[4] ?? '', DAY_OF_WEEK);
  if (!dayOfWeek.ok) return dayOfWeek;
  const base = {
    kind: 'fields' as const,
    source: expression,
    minutes: minute.values,
    hours: hour.values,
    daysOfMonth: dayOfMonth.values,
    months: month.values,
    daysOfWeek: dayOfWeek.values,
    dayOfMonthStar: dayOfMonth.star,
    dayOfWeekStar: dayOfWeek.star,
  };
  const notes = [
    ...[minute, hour, dayOfMonth, month, dayOfWeek].flatMap((result) => result.notes),
    ...dayRuleNotes(fieldTexts, base),
  ];
  return { ok: true, schedule: { ...base, notes } };
}

function parseUncached(expression: string): ScheduleParseResult {
  if (expression === '') {
    return failure(
      'schedule is empty',
      'write a 5-field expression such as "0 3 * * *" or a descriptor such as @daily',
      'empty spec string',
    );
  }
  // Kubernetes checks the raw string for "TZ" anywhere, on create, before anything else matters.
  if (expression.includes('TZ')) return tzFailure(expression);
  if (expression.startsWith('@')) return parseDescriptor(expression);
  return parseFields(expression);
}

function deepFreeze(result: ScheduleParseResult): ScheduleParseResult {
  if (result.ok) {
    for (const value of Object.values(result.schedule)) {
      if (Array.isArray(value)) Object.freeze(value);
    }
    Object.freeze(result.schedule);
  }
  return Object.freeze(result);
}

const PARSE_CACHE_LIMIT = 4096;
const parseCache = new Map<string, ScheduleParseResult>();

/**
 * Parses a CronJob `spec.schedule` the way the API server validates it on create.
 * Results are frozen and cached (bounded), so repeated schedules cost a map lookup.
 */
export function parseSchedule(expression: string): ScheduleParseResult {
  const cached = parseCache.get(expression);
  if (cached !== undefined) return cached;
  const result = deepFreeze(parseUncached(expression));
  if (parseCache.size >= PARSE_CACHE_LIMIT) {
    const oldest = parseCache.keys().next();
    if (oldest.done !== true) parseCache.delete(oldest.value);
  }
  parseCache.set(expression, result);
  return result;
}

/** Type guard for callers that hold a result and want the schedule. */
export function isFieldSchedule(schedule: ParsedSchedule): schedule is FieldSchedule {
  return schedule.kind === 'fields';
}
