/**
 * Time zones as the API server and the CronJob controller see them.
 *
 * `validateTimeZone` mirrors Kubernetes' `validateTimeZone` (batch validation):
 * the IANA naming pattern, no `Local`, and the zone must load. Node has no
 * `time.LoadLocation`, so "loads" means ICU (through Intl) knows the zone.
 *
 * `ZoneOffsets` answers "what is the UTC offset at this instant" and "where are
 * the transitions" from Intl alone, caching transitions per zone and UTC year,
 * so iterating thousands of schedules does not call Intl per candidate time.
 */
import { MS_PER_DAY } from './civil.js';
import type { TimeZoneValidation } from './types.js';

export const DEFAULT_TIME_ZONE = 'UTC';

const MS_PER_SECOND = 1000;

// Same pattern and order of checks as Kubernetes' validTimeZoneCharacters.
const TIME_ZONE_PART = /^[A-Za-z.\-_0-9+]{1,14}$/;

/** ICU canonicalises names ("europe/oslo" → "Europe/Oslo", "Etc/UTC" → "UTC"); null when unknown. */
function icuZoneName(name: string): string | null {
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone;
  } catch {
    return null;
  }
}

const VALIDATION_CACHE_LIMIT = 1024;
const validationCache = new Map<string, TimeZoneValidation>();

/**
 * Mirrors the API server's check of `spec.timeZone`. Go's LoadLocation is
 * case-sensitive (it reads tzdata file names) while ICU is not, so a name ICU
 * accepts only in another spelling is rejected with the right spelling as the fix.
 */
export function validateTimeZone(name: string): TimeZoneValidation {
  let result = validationCache.get(name);
  if (result === undefined) {
    result = Object.freeze(validateUncached(name));
    if (validationCache.size >= VALIDATION_CACHE_LIMIT) {
      const oldest = validationCache.keys().next();
      if (oldest.done !== true) validationCache.delete(oldest.value);
    }
    validationCache.set(name, result);
  }
  return result;
}

function validateUncached(name: string): TimeZoneValidation {
  if (name.length === 0) {
    return {
      ok: false,
      error: 'timeZone must be nil or non-empty string',
      fix: 'omit spec.timeZone, or set an IANA zone name such as "Europe/Berlin"',
    };
  }
  for (const part of name.split('/')) {
    if (part === '.' || part === '..' || part.startsWith('-') || !TIME_ZONE_PART.test(part)) {
      return {
        ok: false,
        error: `unknown time zone ${name}`,
        fix: 'use an IANA zone name such as "Europe/Berlin": parts separated by "/", each 1-14 of A-Z a-z 0-9 . _ - +, not "." or "..", not starting with "-"',
      };
    }
  }
  if (name.toLowerCase() === 'local') {
    return {
      ok: false,
      error: 'timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones',
      fix: 'name the zone the controller should use, e.g. "UTC" or "Europe/Berlin"; "Local" would depend on the controller host',
    };
  }
  const canonical = icuZoneName(name);
  if (canonical === null) {
    return {
      ok: false,
      error: `unknown time zone ${name}`,
      fix: 'use a zone from the IANA tz database, e.g. "UTC", "Europe/Berlin" or "America/New_York"',
    };
  }
  if (!hasTzdataSpelling(name, canonical)) {
    return {
      ok: false,
      error: `unknown time zone ${name}`,
      fix: `zone names are case-sensitive on the API server: write ${JSON.stringify(canonical)}`,
    };
  }
  return { ok: true };
}

/**
 * ICU resolves names case-insensitively, Go does not. When ICU's canonical name
 * equals the input apart from case, the case must match exactly. Aliases (e.g.
 * "US/Eastern" → "America/New_York") cannot be compared that way; for them we
 * require every part to start with a capital letter or a digit, which all tzdata
 * names do, so the common "us/eastern" mistake is still caught.
 */
function hasTzdataSpelling(name: string, canonical: string): boolean {
  if (name.toLowerCase() === canonical.toLowerCase()) return name === canonical;
  return name.split('/').every((part) => /^[A-Z0-9]/.test(part));
}

// ---------------------------------------------------------------------------
// Offsets and transitions
// ---------------------------------------------------------------------------

interface Transition {
  /** First instant (ms) at which `offsetMs` applies. */
  readonly at: number;
  readonly offsetMs: number;
}

const DATE_PARTS_OPTIONS: Intl.DateTimeFormatOptions = {
  hourCycle: 'h23',
  era: 'short',
  year: 'numeric',
  month: 'numeric',
  day: 'numeric',
  hour: 'numeric',
  minute: 'numeric',
  second: 'numeric',
};

/** Zones whose offset never changes, so no transition search is needed. */
function isKnownFixedZone(name: string): boolean {
  return /^(UTC|UCT|GMT|GMT0|Zulu|Universal|Greenwich|Etc\/.*)$/.test(name);
}

function utcYearStart(year: number): number {
  return Date.UTC(year, 0, 1);
}

/**
 * Offsets and DST transitions of one IANA zone. Transitions are found by sampling
 * the offset once per day and bisecting each change to the second, one UTC year
 * at a time, on demand; two transitions less than a day apart would be missed,
 * which no current zone has. Lookups after that are binary searches.
 */
export class ZoneOffsets {
  readonly #formatter: Intl.DateTimeFormat;
  readonly #fixedOffsetMs: number | undefined;
  /** Sorted transitions inside [#firstYear, #lastYear]. */
  #transitions: Transition[] = [];
  #firstYear = 0;
  #lastYear = -1;
  /** Offset in force at the start of #firstYear. */
  #offsetBeforeFirst = 0;
  /** [#coveredStart, #coveredEnd) is the instant range of the scanned years. */
  #coveredStart = Infinity;
  #coveredEnd = -Infinity;

  constructor(readonly timeZone: string) {
    this.#formatter = new Intl.DateTimeFormat('en-US', { ...DATE_PARTS_OPTIONS, timeZone });
    this.#fixedOffsetMs = isKnownFixedZone(timeZone) ? this.#intlOffset(0) : undefined;
  }

  /** UTC offset in ms at `instant` (wall clock = instant + offset), straight from Intl. */
  #intlOffset(instant: number): number {
    const wholeSecond = Math.floor(instant / MS_PER_SECOND) * MS_PER_SECOND;
    const fields = { year: 0, month: 1, day: 1, hour: 0, minute: 0, second: 0 };
    let beforeCommonEra = false;
    for (const part of this.#formatter.formatToParts(wholeSecond)) {
      if (part.type === 'era') beforeCommonEra = part.value === 'BC' || part.value === 'B';
      else if (part.type in fields) fields[part.type as keyof typeof fields] = Number(part.value);
    }
    const wall = new Date(0);
    wall.setUTCFullYear(
      beforeCommonEra ? 1 - fields.year : fields.year,
      fields.month - 1,
      fields.day,
    );
    wall.setUTCHours(fields.hour % 24, fields.minute, fields.second, 0);
    return wall.getTime() - wholeSecond;
  }

  #scanYear(year: number): Transition[] {
    const yearStart = utcYearStart(year);
    const yearEnd = utcYearStart(year + 1);
    const found: Transition[] = [];
    let previousInstant = yearStart;
    let previousOffset = this.#intlOffset(yearStart);
    while (previousInstant < yearEnd) {
      const probe = Math.min(previousInstant + MS_PER_DAY, yearEnd);
      const offset = this.#intlOffset(probe);
      if (offset !== previousOffset)
        found.push(this.#bisect(previousInstant, probe, previousOffset));
      previousInstant = probe;
      previousOffset = offset;
    }
    // A change exactly at yearEnd belongs to the next year.
    return found.filter((transition) => transition.at < yearEnd);
  }

  /** Finds the first second in (low, high] whose offset differs from `lowOffset`. */
  #bisect(low: number, high: number, lowOffset: number): Transition {
    let before = low;
    let after = high;
    while (after - before > MS_PER_SECOND) {
      const middle = before + Math.floor((after - before) / 2 / MS_PER_SECOND) * MS_PER_SECOND;
      if (this.#intlOffset(middle) === lowOffset) before = middle;
      else after = middle;
    }
    return { at: after, offsetMs: this.#intlOffset(after) };
  }

  /** Makes sure every transition of the UTC years spanning [from, until] is known. */
  #cover(from: number, until: number): void {
    if (from >= this.#coveredStart && until < this.#coveredEnd) return;
    const fromYear = new Date(from).getUTCFullYear();
    const untilYear = new Date(until).getUTCFullYear();
    if (this.#lastYear < this.#firstYear) {
      this.#firstYear = fromYear;
      this.#lastYear = fromYear - 1;
      this.#offsetBeforeFirst = this.#intlOffset(utcYearStart(fromYear));
    }
    while (fromYear < this.#firstYear) {
      this.#firstYear--;
      this.#transitions = [...this.#scanYear(this.#firstYear), ...this.#transitions];
      this.#offsetBeforeFirst = this.#intlOffset(utcYearStart(this.#firstYear));
    }
    while (untilYear > this.#lastYear) {
      this.#lastYear++;
      this.#transitions.push(...this.#scanYear(this.#lastYear));
    }
    this.#coveredStart = utcYearStart(this.#firstYear);
    this.#coveredEnd = utcYearStart(this.#lastYear + 1);
  }

  /** Index of the first transition strictly after `instant`. */
  #firstTransitionAfter(instant: number): number {
    let low = 0;
    let high = this.#transitions.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((this.#transitions[middle]?.at ?? Infinity) <= instant) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  /** UTC offset (ms) in force at `instant`. */
  offsetAt(instant: number): number {
    if (this.#fixedOffsetMs !== undefined) return this.#fixedOffsetMs;
    this.#cover(instant, instant);
    const index = this.#firstTransitionAfter(instant);
    return index === 0 ? this.#offsetBeforeFirst : (this.#transitions[index - 1]?.offsetMs ?? 0);
  }

  /** The first transition instant in (after, until], or undefined. */
  nextTransition(after: number, until: number): number | undefined {
    if (this.#fixedOffsetMs !== undefined || until <= after) return undefined;
    this.#cover(after, until);
    const next = this.#transitions[this.#firstTransitionAfter(after)];
    return next !== undefined && next.at <= until ? next.at : undefined;
  }

  /** Wall clock (ms as if UTC) at `instant`. */
  wallAt(instant: number): number {
    return instant + this.offsetAt(instant);
  }
}

const ZONE_CACHE_LIMIT = 256;
const zoneCache = new Map<string, ZoneOffsets>();

/** Shared, bounded cache: transition tables are the expensive part and are per zone. */
export function zoneOffsets(timeZone: string): ZoneOffsets {
  const cached = zoneCache.get(timeZone);
  if (cached !== undefined) return cached;
  const zone = new ZoneOffsets(timeZone);
  if (zoneCache.size >= ZONE_CACHE_LIMIT) {
    const oldest = zoneCache.keys().next();
    if (oldest.done !== true) zoneCache.delete(oldest.value);
  }
  zoneCache.set(timeZone, zone);
  return zone;
}

/**
 * RFC 3339 in the zone, the way Go's time.RFC3339 renders it (the format of the
 * controller's scheduled-timestamp annotation): offset `+01:00`, or `Z` when zero.
 */
export function formatInTimeZone(date: Date, timeZone: string = DEFAULT_TIME_ZONE): string {
  const instant = Math.floor(date.getTime() / MS_PER_SECOND) * MS_PER_SECOND;
  const offsetMs = zoneOffsets(timeZone).offsetAt(instant);
  const wallText = new Date(instant + offsetMs).toISOString().slice(0, 19);
  if (offsetMs === 0) return `${wallText}Z`;
  const sign = offsetMs > 0 ? '+' : '-';
  const totalMinutes = Math.floor(Math.abs(offsetMs) / 60_000);
  const hours = String(Math.floor(totalMinutes / 60)).padStart(2, '0');
  const minutes = String(totalMinutes % 60).padStart(2, '0');
  return `${wallText}${sign}${hours}:${minutes}`;
}
