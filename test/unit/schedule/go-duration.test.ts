import { describe, expect, it } from 'vitest';
import { parseGoDuration } from '../../../src/schedule/index.js';
import { goQuote } from '../../../src/schedule/go-duration.js';

describe('parseGoDuration (Go time.ParseDuration)', () => {
  it.each([
    ['0', 0n],
    ['-0', 0n],
    ['+5s', 5_000_000_000n],
    ['1h30m', 5_400_000_000_000n],
    ['1.5h', 5_400_000_000_000n],
    ['-1.5h', -5_400_000_000_000n],
    ['90s', 90_000_000_000n],
    ['500ms', 500_000_000n],
    ['1us', 1_000n],
    ['1\u00b5s', 1_000n],
    ['1\u03bcs', 1_000n],
    ['1ns', 1n],
    ['.5s', 500_000_000n],
    ['5.s', 5_000_000_000n],
    ['1h1m1s1ms1us1ns', 3_661_001_001_001n],
    ['0.000000001s', 1n],
    ['1.0000000001s', 1_000_000_000n], // below a nanosecond is dropped, as in Go
    ['9223372036854775807ns', 9_223_372_036_854_775_807n],
    ['2562047h47m16.854775807s', 9_223_372_036_854_775_807n],
    ['-9223372036854775808ns', -9_223_372_036_854_775_808n],
  ])('%s → %s ns', (text, nanoseconds) => {
    expect(parseGoDuration(text)).toEqual({ ok: true, nanoseconds });
  });

  it.each([
    ['', 'time: invalid duration ""'],
    ['-', 'time: invalid duration "-"'],
    ['s', 'time: invalid duration "s"'],
    ['.s', 'time: invalid duration ".s"'],
    ['1', 'time: missing unit in duration "1"'],
    ['1d', 'time: unknown unit "d" in duration "1d"'],
    ['1h ', 'time: unknown unit "h " in duration "1h "'],
    [' 1h', 'time: invalid duration " 1h"'],
    ['9223372036854775808ns', 'time: invalid duration "9223372036854775808ns"'],
    ['2562048h', 'time: invalid duration "2562048h"'],
    ['1é', 'time: unknown unit "\\xc3\\xa9" in duration "1\\xc3\\xa9"'],
  ])('%j is rejected: %s', (text, error) => {
    const result = parseGoDuration(text);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toBe(error);
  });

  it('quotes like Go: ASCII kept with " and \\ escaped, other bytes as \\xNN', () => {
    expect(goQuote('a"b\\c')).toBe('"a\\"b\\\\c"');
    expect(goQuote('\t')).toBe('"\\x09"');
  });
});
