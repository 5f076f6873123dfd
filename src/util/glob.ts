/**
 * Glob matching for policy fields (names, namespaces, registry hosts).
 *
 * Patterns come from policy files and texts from untrusted objects, so the matcher must
 * never go exponential: building a RegExp from the pattern (`*a*a*a*b`) is the classic way
 * to ship a ReDoS. This is the iterative matcher that only ever remembers the most recent
 * `*`: when a later literal fails, it retries from one character further into the text
 * for that star. Earlier stars never need revisiting because the latest star can absorb
 * anything they could have, so the worst case is O(pattern × text) with O(1) extra state.
 *
 * Syntax: `*` matches any run of characters (including none, and including `/`), `?`
 * matches exactly one character, everything else matches itself. There is no escaping and
 * no character classes. Matching is case-sensitive and works on Unicode code points, so
 * `?` matches one emoji rather than half of a surrogate pair.
 */
export function globMatch(pattern: string, text: string): boolean {
  const patternChars = Array.from(pattern);
  const textChars = Array.from(text);

  let patternIndex = 0;
  let textIndex = 0;
  // Position just after the most recent `*`, and the text position that star currently
  // stops at. -1 means no star seen yet, so a mismatch is final.
  let resumePatternIndex = -1;
  let starTextIndex = 0;

  while (textIndex < textChars.length) {
    const patternChar = patternChars[patternIndex];
    if (patternChar === '*') {
      resumePatternIndex = patternIndex + 1;
      starTextIndex = textIndex;
      patternIndex++;
    } else if (
      patternChar !== undefined &&
      (patternChar === '?' || patternChar === textChars[textIndex])
    ) {
      patternIndex++;
      textIndex++;
    } else if (resumePatternIndex !== -1) {
      // Let the last star swallow one more character and retry the rest of the pattern.
      starTextIndex++;
      textIndex = starTextIndex;
      patternIndex = resumePatternIndex;
    } else {
      return false;
    }
  }

  // Text used up: only trailing stars may remain.
  while (patternChars[patternIndex] === '*') patternIndex++;
  return patternIndex === patternChars.length;
}
