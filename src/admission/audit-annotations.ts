import { toSingleLine, truncateRunes } from './text.js';

/**
 * auditAnnotations keys become `<webhook name>/<key>`, which must be a qualified
 * name with exactly one `/`: the key itself is a name segment. Invalid keys are
 * dropped by the API server with only a log line, so we never send one.
 */
const KEY_MAX_LENGTH = 63;
const VALID_KEY = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

export function isValidAuditAnnotationKey(key: string): boolean {
  return key.length <= KEY_MAX_LENGTH && VALID_KEY.test(key);
}

/**
 * Makes a valid key from arbitrary text (e.g. a policy name), or undefined when
 * nothing usable remains. Characters outside the alphabet become `-`.
 */
export function toAuditAnnotationKey(raw: string): string | undefined {
  const replaced = raw.replace(/[^-A-Za-z0-9_.]+/g, '-');
  const trimmed = replaced.slice(0, KEY_MAX_LENGTH).replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '');
  return trimmed === '' ? undefined : trimmed;
}

/**
 * Final gate for the annotations map: valid keys only (first one wins on a
 * collision after sanitising), single-line values bounded in runes, empty values left out.
 */
export function boundAuditAnnotations(
  entries: Iterable<readonly [string, string]>,
  maxValueRunes: number,
): Record<string, string> {
  const annotations: Record<string, string> = {};
  for (const [rawKey, rawValue] of entries) {
    const key = toAuditAnnotationKey(rawKey);
    if (key === undefined || Object.prototype.hasOwnProperty.call(annotations, key)) continue;
    const value = truncateRunes(toSingleLine(rawValue), maxValueRunes);
    if (value === '') continue;
    annotations[key] = value;
  }
  return annotations;
}
