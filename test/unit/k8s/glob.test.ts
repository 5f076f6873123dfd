import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { globMatch } from '../../../src/util/glob.js';

/** Textbook dynamic-programming matcher, used only as an oracle for the fast one. */
function referenceGlobMatch(pattern: string, text: string): boolean {
  const p = Array.from(pattern);
  const t = Array.from(text);
  // matches[i][j]: does p[0..i) match t[0..j)?
  const matches: boolean[][] = Array.from({ length: p.length + 1 }, () =>
    new Array<boolean>(t.length + 1).fill(false),
  );
  matches[0]![0] = true;
  for (let i = 1; i <= p.length; i++) {
    const char = p[i - 1];
    for (let j = 0; j <= t.length; j++) {
      if (char === '*') {
        matches[i]![j] = matches[i - 1]![j]! || (j > 0 && matches[i]![j - 1]!);
      } else if (j > 0 && (char === '?' || char === t[j - 1])) {
        matches[i]![j] = matches[i - 1]![j - 1]!;
      }
    }
  }
  return matches[p.length]![t.length]!;
}

describe('globMatch', () => {
  it.each([
    ['', '', true],
    ['', 'a', false],
    ['*', '', true],
    ['*', 'anything/with/slashes', true],
    ['**', 'x', true],
    ['abc', 'abc', true],
    ['abc', 'abcd', false],
    ['a*', 'abc', true],
    ['*c', 'abc', true],
    ['*c', 'abcd', false],
    ['a?c', 'abc', true],
    ['a?c', 'ac', false],
    ['a*b*c', 'aXbYc', true],
    ['a*b*c', 'acb', false],
    ['*.gcr.io', 'us.gcr.io', true],
    ['*.gcr.io', 'a.b.gcr.io', true],
    ['*.gcr.io', 'gcr.io', false],
    ['team-*', 'team-a', true],
    ['team-*', 'Team-a', false],
    ['a.b', 'aXb', false],
    ['[a]', '[a]', true],
    ['[a]', 'a', false],
    ['?', '😀', true],
    ['??', '😀', false],
    ['*?', '', false],
  ])('globMatch(%j, %j) is %s', (pattern, text, expected) => {
    expect(globMatch(pattern, text)).toBe(expected);
  });

  it('handles a pattern that makes backtracking matchers exponential', () => {
    const pattern = '*a*a*a*a*a*a*a*a*b';
    const manyAs = 'a'.repeat(10_000);
    expect(globMatch(pattern, manyAs)).toBe(false);
    expect(globMatch(pattern, manyAs + 'b')).toBe(true);
  });

  it('agrees with a dynamic-programming matcher', () => {
    const patternArbitrary = fc.string({ unit: fc.constantFrom('a', 'b', '*', '?'), maxLength: 8 });
    const textArbitrary = fc.string({ unit: fc.constantFrom('a', 'b'), maxLength: 10 });
    fc.assert(
      fc.property(patternArbitrary, textArbitrary, (pattern, text) => {
        expect(globMatch(pattern, text)).toBe(referenceGlobMatch(pattern, text));
      }),
      { numRuns: 2000 },
    );
  });
});
