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

const SECONDS_PER_UNIT: Readonly<Record<string, number>> = {
  h: 3600,
  m: 60,
  s: 1,
  ms: 0.001,
};

/** One `<number><unit>` component; `ms` is listed before `m` so it wins. */
const COMPONENT = /(\d+(?:\.\d*)?|\.\d+)(ms|h|m|s)/y;

/** Far longer than any real duration; bounds the work on hostile input. */
const MAX_DURATION_TEXT_LENGTH = 64;

/** Parses a duration into seconds, or returns undefined when the text is not a valid duration. */
export function parseDuration(text: string): number | undefined {
  if (text.length === 0 || text.length > MAX_DURATION_TEXT_LENGTH) return undefined;
  let totalSeconds = 0;
  COMPONENT.lastIndex = 0;
  while (COMPONENT.lastIndex < text.length) {
    const match = COMPONENT.exec(text);
    if (match === null) return undefined;
    const [, amount, unit] = match;
    if (amount === undefined || unit === undefined) return undefined;
    const secondsPerUnit = SECONDS_PER_UNIT[unit];
    if (secondsPerUnit === undefined) return undefined;
    totalSeconds += Number(amount) * secondsPerUnit;
  }
  if (!Number.isFinite(totalSeconds)) return undefined;
  // Fractions such as `0.7h` pick up binary floating-point noise; Go's own
  // resolution is the nanosecond, so round to that.
  return Math.round(totalSeconds * 1e9) / 1e9;
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
