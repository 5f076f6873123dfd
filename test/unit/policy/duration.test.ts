import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../../../src/policy/duration.js';

describe('parseDuration', () => {
  it.each([
    ['90s', 90],
    ['5m', 300],
    ['1h', 3600],
    ['1h30m', 5400],
    ['0.5h', 1800],
    ['.5m', 30],
    ['1.s', 1],
    ['250ms', 0.25],
    ['1m30.5s', 90.5],
    ['0s', 0],
    ['30s1h', 3630],
    ['0.7h', 2520],
  ])('reads %s as %d seconds', (text, seconds) => {
    expect(parseDuration(text)).toBe(seconds);
  });

  it.each([
    '',
    '0',
    '5',
    '-5m',
    '+5m',
    '1d',
    '1 h',
    '1h ',
    ' 1h',
    'h',
    '.h',
    '5us',
    '5ns',
    '1hh',
    '1H',
    'm5',
  ])('rejects %j', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });

  it('rejects absurdly long input without scanning it', () => {
    expect(parseDuration('1s'.repeat(1000))).toBeUndefined();
  });
});

describe('formatDuration', () => {
  it.each([
    [5400, '1h30m'],
    [300, '5m'],
    [45, '45s'],
    [3600, '1h'],
    [3661, '1h1m1s'],
    [90.5, '1m30.5s'],
    [0.25, '250ms'],
    [0, '0s'],
  ])('formats %d seconds as %s', (seconds, text) => {
    expect(formatDuration(seconds)).toBe(text);
  });

  it('round-trips through parseDuration for whole seconds and milliseconds', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000_000_000 }), (milliseconds) => {
        const seconds = milliseconds / 1000;
        expect(parseDuration(formatDuration(seconds))).toBe(seconds);
      }),
    );
  });
});
