/**
 * Text hygiene for strings that leave cronguard inside an AdmissionReview. Finding
 * messages quote user data (image names, schedules, annotation values), and the
 * API server silently drops a warning that holds a control character or invalid
 * UTF-8, so every outgoing line goes through here.
 */

// Lone UTF-16 surrogates cannot be encoded as UTF-8; Go would see U+FFFD or reject.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
// C0, DEL, C1 (what Go's unicode.IsControl rejects), the Unicode line separators, and
// bidi overrides, which would let a quoted value reorder the text a terminal shows.
// eslint-disable-next-line no-control-regex
const CONTROL_OR_BREAK = /[\u0000-\u001F\u007F-\u009F\u2028\u2029\u202A-\u202E\u2066-\u2069]+/g;
const SPACE_RUN = / {2,}/g;

/** One line of printable text: control characters and line breaks become single spaces. */
export function toSingleLine(text: string): string {
  return text
    .replace(LONE_SURROGATE, '\uFFFD')
    .replace(CONTROL_OR_BREAK, ' ')
    .replace(SPACE_RUN, ' ')
    .trim();
}

/** Length in Unicode code points, which is what Go counts as runes. */
export function runeLength(text: string): number {
  let count = 0;
  // A surrogate pair is one code point; counted without allocating (hot on every warning).
  for (let index = 0; index < text.length; index++) {
    const unit = text.charCodeAt(index);
    if (unit >= 0xd800 && unit <= 0xdbff && index + 1 < text.length) {
      const next = text.charCodeAt(index + 1);
      if (next >= 0xdc00 && next <= 0xdfff) index++;
    }
    count++;
  }
  return count;
}

const ELLIPSIS = '…';

/** Cuts `text` to at most `maxRunes` code points, marking the cut with an ellipsis. */
export function truncateRunes(text: string, maxRunes: number): string {
  if (maxRunes <= 0) return '';
  if (text.length <= maxRunes) return text; // UTF-16 length ≥ rune length
  const runes = Array.from(text);
  if (runes.length <= maxRunes) return text;
  return (
    runes
      .slice(0, maxRunes - 1)
      .join('')
      .trimEnd() + ELLIPSIS
  );
}

/** Cuts `text` to at most `maxBytes` UTF-8 bytes without splitting a code point. */
export function truncateUtf8Bytes(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text, 'utf8') <= maxBytes) return text;
  const budget = maxBytes - Buffer.byteLength(ELLIPSIS, 'utf8');
  let used = 0;
  let out = '';
  for (const rune of text) {
    const size = Buffer.byteLength(rune, 'utf8');
    if (used + size > budget) break;
    out += rune;
    used += size;
  }
  return out.trimEnd() + ELLIPSIS;
}
