/**
 * Durations in generated Istio objects.
 *
 * Reading uses Istio's own rule (Go `time.ParseDuration`, at least 1ms, whole
 * milliseconds: `validateIstioDuration` in ../istio/validate.ts). Writing is
 * narrower: only the units h, m, s and ms, and always one unit, so every value we
 * emit reads the same to istiod, to the CRD's CEL rule and to a person, and two
 * runs over equivalent input print identical text ("90s", never "1m30s" in one
 * run and "1.5m" in another).
 */
import { parseGoDuration } from '../../schedule/go-duration.js';
import { validateIstioDuration } from '../istio/validate.js';

export type DurationResult = { ok: true; milliseconds: number } | { ok: false; error: string };

/** Units we accept from authors; `us`/`ns` cannot express whole milliseconds reliably to a reader. */
const ALLOWED_UNITS: ReadonlySet<string> = new Set(['h', 'm', 's', 'ms']);

/**
 * A duration as written in a policy for a generated object: a Go duration with
 * units h, m, s or ms only, at least 1ms, whole milliseconds.
 */
export function parseTrafficDuration(text: string): DurationResult {
  const istioError = validateIstioDuration(text);
  if (istioError !== undefined) return { ok: false, error: istioError };
  const units = text.split(/[-+0-9.]+/).filter((unit) => unit !== '');
  const foreign = units.find((unit) => !ALLOWED_UNITS.has(unit));
  if (foreign !== undefined)
    return {
      ok: false,
      error: `${JSON.stringify(text)} uses the unit "${foreign}"; use h, m, s or ms, e.g. "250ms"`,
    };
  const parsed = parseGoDuration(text);
  // validateIstioDuration already proved it parses; the guard keeps the types honest.
  if (!parsed.ok) return { ok: false, error: parsed.error };
  return { ok: true, milliseconds: Number(parsed.nanoseconds / 1_000_000n) };
}

const MS_PER_UNIT: readonly (readonly [string, number])[] = [
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1_000],
];

/** Whole milliseconds (>= 1) in the largest unit that divides them exactly: 90000 -> "90s", 120000 -> "2m". */
export function formatMilliseconds(milliseconds: number): string {
  for (const [unit, size] of MS_PER_UNIT) {
    if (milliseconds % size === 0) return `${milliseconds / size}${unit}`;
  }
  return `${milliseconds}ms`;
}
