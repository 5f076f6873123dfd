/**
 * Glob matching for policy fields (names, namespaces, registry hosts).
 *
 * Patterns come from policy files and texts from untrusted objects, so the matcher must
 * never go exponential: building a RegExp from the pattern (`*a*a*a*b`) is the classic way
 * to ship a ReDoS. It must not go quadratic either: an object's name can be 3 MiB (the
 * API server's request limit; names are validated only after admission), and the usual
 * "remember the last star and retry" matcher takes O(pattern × text), measured at 6 s for
 * a 253-character glob against such a name, past the webhook's 10 s budget in two globs.
 *
 * So the pattern is split at its stars into segments. The first segment must match at the
 * start of the text and the last at its end; each segment in between is matched at its
 * leftmost occurrence after the previous one. Taking the leftmost is never wrong: any
 * match that uses a later occurrence can use the earlier one instead, since the stars
 * around it absorb the difference. Each search is a bit-parallel Shift-And scan (which
 * handles `?` for free), so matching takes O(text × ⌈segment/32⌉) in total: linear in the
 * text for any glob the policy schema accepts (at most 253 characters).
 *
 * Syntax: `*` matches any run of characters (including none, and including `/`), `?`
 * matches exactly one character, everything else matches itself. There is no escaping and
 * no character classes. Matching is case-sensitive and works on Unicode code points, so
 * `?` matches one emoji rather than half of a surrogate pair.
 */
export function globMatch(pattern: string, text: string): boolean {
  const segments = splitAtStars(pattern);
  const textPoints = codePoints(text);
  const first = segments[0] ?? [];
  if (segments.length === 1) {
    return first.length === textPoints.length && matchesAt(first, textPoints, 0);
  }
  const last = segments[segments.length - 1] ?? [];
  const end = textPoints.length - last.length;
  if (first.length > end) return false;
  if (!matchesAt(first, textPoints, 0) || !matchesAt(last, textPoints, end)) return false;

  let position = first.length;
  for (let index = 1; index < segments.length - 1; index++) {
    const segment = segments[index] ?? [];
    if (segment.length === 0) continue;
    const found = findSegment(segment, textPoints, position, end);
    if (found === -1) return false;
    position = found + segment.length;
  }
  return true;
}

const STAR = 0x2a;
const QUESTION_MARK = 0x3f;
/** Text × segment length up to which a direct search costs less than setting up Shift-And. */
const NAIVE_SEARCH_LIMIT = 4096;

/** The pattern's code points between its stars: `a*b?*` → [[a], [b, ?], []]. */
function splitAtStars(pattern: string): number[][] {
  let current: number[] = [];
  const segments: number[][] = [current];
  for (const character of pattern) {
    const point = character.codePointAt(0) ?? 0;
    if (point === STAR) {
      current = [];
      segments.push(current);
    } else {
      current.push(point);
    }
  }
  return segments;
}

function codePoints(text: string): number[] {
  const points: number[] = [];
  for (const character of text) points.push(character.codePointAt(0) ?? 0);
  return points;
}

/** Whether `segment` matches the text at `start`; the caller ensures it fits. */
function matchesAt(segment: readonly number[], text: readonly number[], start: number): boolean {
  for (let index = 0; index < segment.length; index++) {
    const point = segment[index];
    if (point !== QUESTION_MARK && point !== text[start + index]) return false;
  }
  return true;
}

/**
 * Where `segment` first occurs entirely within text[from, end), or -1. Shift-And: bit i
 * of the state says "the last i+1 characters match the segment's first i+1", with the
 * state spread over 32-bit words so segments of any length work.
 */
function findSegment(
  segment: readonly number[],
  text: readonly number[],
  from: number,
  end: number,
): number {
  const length = segment.length;
  // Short texts (every real name) are searched directly: no allocations, and the work
  // is bounded by the product below, so the scan's linear bound still holds.
  if ((end - from) * length <= NAIVE_SEARCH_LIMIT) {
    for (let start = from; start + length <= end; start++)
      if (matchesAt(segment, text, start)) return start;
    return -1;
  }
  const words = (length + 31) >>> 5;
  // Positions holding `?` match any character, so they are set in every mask.
  const anyCharacter = new Uint32Array(words);
  const masks = new Map<number, Uint32Array>();
  for (let index = 0; index < length; index++) {
    const point = segment[index] ?? 0;
    if (point === QUESTION_MARK) setBit(anyCharacter, index);
  }
  for (let index = 0; index < length; index++) {
    const point = segment[index] ?? 0;
    if (point === QUESTION_MARK) continue;
    let mask = masks.get(point);
    if (mask === undefined) {
      mask = Uint32Array.from(anyCharacter);
      masks.set(point, mask);
    }
    setBit(mask, index);
  }

  const state = new Uint32Array(words);
  const lastWord = (length - 1) >>> 5;
  const lastBit = 1 << ((length - 1) & 31);
  for (let position = from; position < end; position++) {
    const mask = masks.get(text[position] ?? -1) ?? anyCharacter;
    let carry = 1;
    for (let word = 0; word < words; word++) {
      const previous = state[word] ?? 0;
      state[word] = ((previous << 1) | carry) & (mask[word] ?? 0);
      carry = previous >>> 31;
    }
    if (((state[lastWord] ?? 0) & lastBit) !== 0) return position - length + 1;
  }
  return -1;
}

function setBit(bits: Uint32Array, index: number): void {
  const word = index >>> 5;
  bits[word] = (bits[word] ?? 0) | (1 << (index & 31));
}
