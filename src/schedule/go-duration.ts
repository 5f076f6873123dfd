/**
 * Go's `time.ParseDuration`, reimplemented because `@every <duration>` is parsed
 * with it by robfig/cron on the API server: a policy engine must accept exactly
 * the strings the API server accepts (`1h30m`, `1.5h`, `500ms`, `-1h`, `0`) and
 * reject the ones it rejects (`1d`, `1 h`, `1h `).
 *
 * Arithmetic is done in BigInt nanoseconds so overflow is detected at the same
 * int64 boundary as Go, and fractions go through float64 like Go does.
 */

export type GoDurationResult =
  | { ok: true; nanoseconds: bigint }
  | { ok: false; error: string; kind: 'invalid' | 'missing-unit' | 'unknown-unit'; unit?: string };

const NANOSECONDS_PER_UNIT: ReadonlyMap<string, bigint> = new Map([
  ['ns', 1n],
  ['us', 1_000n],
  ['\u00b5s', 1_000n], // U+00B5 micro sign
  ['\u03bcs', 1_000n], // U+03BC Greek small letter mu
  ['ms', 1_000_000n],
  ['s', 1_000_000_000n],
  ['m', 60_000_000_000n],
  ['h', 3_600_000_000_000n],
]);

const UTF8 = new TextEncoder();
const INT64_OVERFLOW = 1n << 63n;
const INT64_MAX = INT64_OVERFLOW - 1n;
const LEADING_FRACTION_LIMIT = INT64_MAX / 10n;

/**
 * The `quote` helper of Go's time package: ASCII is kept (with `"` and `\\` escaped),
 * control and non-ASCII characters become `\xNN` per UTF-8 byte. Mirrored so our
 * copy of the API server's message is byte-for-byte the same.
 */
export function goQuote(text: string): string {
  let quoted = '"';
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    if (code < 0x20 || code >= 0x80) {
      for (const byte of UTF8.encode(char)) {
        quoted += '\\x' + byte.toString(16).padStart(2, '0');
      }
    } else {
      quoted += char === '"' || char === '\\' ? '\\' + char : char;
    }
  }
  return quoted + '"';
}

function isDigit(char: string | undefined): boolean {
  return char !== undefined && char >= '0' && char <= '9';
}

interface Consumed<T> {
  value: T;
  /** Index just past what was consumed. */
  next: number;
}

/** Go's leadingInt: digits as an integer, or undefined on int64 overflow. */
function leadingInt(text: string, start: number): Consumed<bigint> | undefined {
  let index = start;
  let value = 0n;
  while (isDigit(text[index])) {
    value = value * 10n + BigInt(text.charCodeAt(index) - 48);
    if (value > INT64_OVERFLOW) return undefined;
    index++;
  }
  return { value, next: index };
}

/** Go's leadingFraction: keeps consuming digits but stops accumulating once precision runs out. */
function leadingFraction(
  text: string,
  start: number,
): Consumed<{ fraction: bigint; scale: number }> {
  let index = start;
  let fraction = 0n;
  let scale = 1;
  let saturated = false;
  for (; isDigit(text[index]); index++) {
    if (saturated || fraction > LEADING_FRACTION_LIMIT) {
      saturated = true;
      continue;
    }
    const next = fraction * 10n + BigInt(text.charCodeAt(index) - 48);
    if (next > INT64_OVERFLOW) {
      saturated = true;
      continue;
    }
    fraction = next;
    scale *= 10;
  }
  return { value: { fraction, scale }, next: index };
}

/** One `[0-9]*(\.[0-9]*)?unit` element, in nanoseconds. */
function parseElement(rest: string, original: string): Consumed<bigint> | GoDurationResult {
  const invalid: GoDurationResult = {
    ok: false,
    kind: 'invalid',
    error: `time: invalid duration ${goQuote(original)}`,
  };
  if (!(rest[0] === '.' || isDigit(rest[0]))) return invalid;
  const whole = leadingInt(rest, 0);
  if (whole === undefined) return invalid;
  let index = whole.next;
  let fraction = { fraction: 0n, scale: 1 };
  let hasFraction = false;
  if (rest[index] === '.') {
    const consumed = leadingFraction(rest, index + 1);
    hasFraction = consumed.next > index + 1;
    fraction = consumed.value;
    index = consumed.next;
  }
  if (whole.next === 0 && !hasFraction) return invalid;

  // The unit is everything up to the next digit or dot, so "1h " has the unit "h ".
  const unitStart = index;
  while (index < rest.length && !(rest[index] === '.' || isDigit(rest[index]))) index++;
  if (index === unitStart) {
    return {
      ok: false,
      kind: 'missing-unit',
      error: `time: missing unit in duration ${goQuote(original)}`,
    };
  }
  const unitText = rest.slice(unitStart, index);
  const unit = NANOSECONDS_PER_UNIT.get(unitText);
  if (unit === undefined) {
    return {
      ok: false,
      kind: 'unknown-unit',
      unit: unitText,
      error: `time: unknown unit ${goQuote(unitText)} in duration ${goQuote(original)}`,
    };
  }
  if (whole.value > INT64_OVERFLOW / unit) return invalid;
  let value = whole.value * unit;
  if (fraction.fraction > 0n) {
    // Same float64 computation as Go, truncated toward zero by the uint64 conversion.
    value += BigInt(Math.trunc(Number(fraction.fraction) * (Number(unit) / fraction.scale)));
    if (value > INT64_OVERFLOW) return invalid;
  }
  return { value, next: index };
}

export function parseGoDuration(original: string): GoDurationResult {
  const invalid: GoDurationResult = {
    ok: false,
    kind: 'invalid',
    error: `time: invalid duration ${goQuote(original)}`,
  };
  let rest = original;
  let negative = false;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    negative = rest.startsWith('-');
    rest = rest.slice(1);
  }
  // Go special-cases a bare "0" (no unit needed); "-0" and "+0" take the same path.
  if (rest === '0') return { ok: true, nanoseconds: 0n };
  if (rest === '') return invalid;

  let total = 0n;
  while (rest !== '') {
    const element = parseElement(rest, original);
    if ('ok' in element) return element;
    total += element.value;
    if (total > INT64_OVERFLOW) return invalid;
    rest = rest.slice(element.next);
  }
  if (negative) return { ok: true, nanoseconds: -total };
  if (total > INT64_MAX) return invalid;
  return { ok: true, nanoseconds: total };
}

/**
 * robfig/cron `Every()`: delays under one second become one second, and anything
 * below a second is truncated, so the controller never schedules sub-second steps.
 */
export function everyDelaySeconds(nanoseconds: bigint): number {
  const second = 1_000_000_000n;
  const atLeastOneSecond = nanoseconds < second ? second : nanoseconds;
  return Number(atLeastOneSecond / second);
}
