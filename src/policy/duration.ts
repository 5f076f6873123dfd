/**
 * Durations as policies write them: a subset of Go's `time.ParseDuration`
 * syntax (`90s`, `5m`, `1h30m`, `0.5h`, `250ms`), because Kubernetes users
 * already read and write that form in kubectl flags and controller settings.
 *
 * Deliberately narrower than Go: no sign (a negative interval is always a
 * mistake in a policy), no `us`/`ns` (nothing in a CronJob is that precise),
 * no unitless numbers, not even `0` (a bare number is ambiguous between
 * seconds and minutes, so every number needs its unit), and no `d` (Go has no
 * day unit; `24h` says the same thing without hiding daylight-saving questions).
 */

const NANOSECONDS_PER_UNIT: Readonly<Record<string, bigint>> = {
  h: 3_600_000_000_000n,
  m: 60_000_000_000n,
  s: 1_000_000_000n,
  ms: 1_000_000n,
};

/** One `<whole>.<fraction><unit>` component; `ms` is listed before `m` so it wins. */
const COMPONENT = /(\d*)(?:\.(\d*))?(ms|h|m|s)/y;

/** Far longer than any real duration; bounds the work on hostile input. */
const MAX_DURATION_TEXT_LENGTH = 64;
/** Go's limit: a duration is an int64 of nanoseconds (about 292 years). */
const MAX_NANOSECONDS = (1n << 63n) - 1n;

/** Parses a duration into seconds, or returns undefined when the text is not a valid duration. */
export function parseDuration(text: string): number | undefined {
  if (text.length === 0 || text.length > MAX_DURATION_TEXT_LENGTH) return undefined;
  // Summed exactly in integer nanoseconds (Go's resolution), so `0.7h` is
  // exactly 2520 seconds rather than 2520.0000000000005.
  let totalNanoseconds = 0n;
  let position = 0;
  while (position < text.length) {
    COMPONENT.lastIndex = position;
    const match = COMPONENT.exec(text);
    if (match === null) return undefined;
    const [, whole = '', fraction = '', unit = ''] = match;
    const unitNanoseconds = NANOSECONDS_PER_UNIT[unit];
    if (unitNanoseconds === undefined || (whole === '' && fraction === '')) return undefined;
    totalNanoseconds += BigInt(whole === '' ? '0' : whole) * unitNanoseconds;
    if (fraction !== '') {
      // Truncated below the nanosecond, as Go does.
      totalNanoseconds += (BigInt(fraction) * unitNanoseconds) / 10n ** BigInt(fraction.length);
    }
    if (totalNanoseconds > MAX_NANOSECONDS) return undefined;
    position = COMPONENT.lastIndex;
  }
  const seconds = totalNanoseconds / 1_000_000_000n;
  const nanoseconds = totalNanoseconds % 1_000_000_000n;
  // Through decimal text, so the result is the double nearest the exact value.
  return Number(`${seconds}.${nanoseconds.toString().padStart(9, '0')}`);
}

/**
 * Formats seconds the way a person would write them in a policy: `1h30m`,
 * `5m`, `45s`, `1m30.5s`, `250ms`. Zero components are left out, unlike Go's
 * `1h30m0s`, so messages echo what the author most likely wrote.
 */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return String(seconds);
  if (seconds < 0) return '-' + formatDuration(-seconds);
  if (seconds === 0) return '0s';
  if (seconds < 1) return `${trimFloat(seconds * 1000)}ms`;
  const hours = Math.floor(seconds / 3600);
  const minutes = Math.floor((seconds - hours * 3600) / 60);
  const rest = seconds - hours * 3600 - minutes * 60;
  let text = '';
  if (hours > 0) text += `${hours}h`;
  if (minutes > 0) text += `${minutes}m`;
  if (rest > 0) text += `${trimFloat(rest)}s`;
  return text;
}

/** Drops floating-point noise below the nanosecond so `0.1 + 0.2` prints as `0.3`. */
function trimFloat(value: number): string {
  return String(Math.round(value * 1e9) / 1e9);
}
