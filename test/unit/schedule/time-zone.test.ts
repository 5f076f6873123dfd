import { describe, expect, it } from 'vitest';
import { formatInTimeZone, validateTimeZone } from '../../../src/schedule/index.js';
import { ZoneOffsets } from '../../../src/schedule/time-zone.js';

const HOUR = 3_600_000;

describe('validateTimeZone (mirrors the API server)', () => {
  it.each([
    'UTC',
    'Etc/UTC',
    'Europe/Oslo',
    'Europe/Berlin',
    'America/New_York',
    'America/Argentina/Buenos_Aires',
    'America/Port-au-Prince',
    'Asia/Kolkata',
    'Etc/GMT+5',
    'US/Eastern',
    'EST5EDT',
  ])('accepts %s', (name) => {
    expect(validateTimeZone(name)).toEqual({ ok: true });
  });

  it.each([
    ['', 'timeZone must be nil or non-empty string'],
    ['Mars/Olympus', 'unknown time zone Mars/Olympus'],
    [
      'local',
      'timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones',
    ],
    [
      'Local',
      'timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones',
    ],
    ['../etc', 'unknown time zone ../etc'],
    ['./UTC', 'unknown time zone ./UTC'],
    ['Europe/-Berlin', 'unknown time zone Europe/-Berlin'],
    ['Europe//Berlin', 'unknown time zone Europe//Berlin'],
    ['/UTC', 'unknown time zone /UTC'],
    ['Europe/Berlin ', 'unknown time zone Europe/Berlin '],
    ['America/ABCDEFGHIJKLMNO', 'unknown time zone America/ABCDEFGHIJKLMNO'], // part longer than 14
    ['+01:00', 'unknown time zone +01:00'],
    ['europe/oslo', 'unknown time zone europe/oslo'],
    ['us/eastern', 'unknown time zone us/eastern'],
  ])('rejects %j: %s', (name, error) => {
    const result = validateTimeZone(name);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error).toBe(error);
    expect(result.fix.length).toBeGreaterThan(0);
  });

  it('suggests the right spelling for a wrongly cased zone', () => {
    expect(validateTimeZone('europe/oslo')).toEqual({
      ok: false,
      error: 'unknown time zone europe/oslo',
      fix: 'zone names are case-sensitive on the API server: write "Europe/Oslo"',
    });
  });
});

describe('ZoneOffsets', () => {
  it('finds the 2026 DST transitions of Europe/Berlin to the second', () => {
    const zone = new ZoneOffsets('Europe/Berlin');
    const start = Date.parse('2026-01-01T00:00:00Z');
    const end = Date.parse('2027-01-01T00:00:00Z');
    const spring = zone.nextTransition(start, end);
    expect(spring).toBe(Date.parse('2026-03-29T01:00:00Z'));
    const autumn = zone.nextTransition(spring ?? end, end);
    expect(autumn).toBe(Date.parse('2026-10-25T01:00:00Z'));
    expect(zone.nextTransition(autumn ?? end, end)).toBeUndefined();
    expect(zone.offsetAt(Date.parse('2026-03-29T00:59:59Z'))).toBe(1 * HOUR);
    expect(zone.offsetAt(Date.parse('2026-03-29T01:00:00Z'))).toBe(2 * HOUR);
    expect(zone.offsetAt(Date.parse('2026-10-25T00:59:59Z'))).toBe(2 * HOUR);
    expect(zone.offsetAt(Date.parse('2026-10-25T01:00:00Z'))).toBe(1 * HOUR);
  });

  it('finds the 2026 DST transitions of America/New_York', () => {
    const zone = new ZoneOffsets('America/New_York');
    const start = Date.parse('2026-01-01T00:00:00Z');
    const spring = zone.nextTransition(start, Date.parse('2026-12-31T00:00:00Z'));
    expect(spring).toBe(Date.parse('2026-03-08T07:00:00Z'));
    expect(zone.nextTransition(spring ?? 0, Date.parse('2026-12-31T00:00:00Z'))).toBe(
      Date.parse('2026-11-01T06:00:00Z'),
    );
  });

  it('knows fixed zones have no transitions', () => {
    const zone = new ZoneOffsets('Etc/GMT+5');
    expect(zone.offsetAt(Date.parse('2026-07-01T00:00:00Z'))).toBe(-5 * HOUR);
    expect(zone.nextTransition(0, Date.parse('2030-01-01T00:00:00Z'))).toBeUndefined();
  });

  it('extends its tables backwards as well as forwards', () => {
    const zone = new ZoneOffsets('Europe/Berlin');
    expect(zone.offsetAt(Date.parse('2030-07-01T00:00:00Z'))).toBe(2 * HOUR);
    expect(zone.offsetAt(Date.parse('2020-01-15T00:00:00Z'))).toBe(1 * HOUR);
    expect(
      zone.nextTransition(Date.parse('2020-01-01T00:00:00Z'), Date.parse('2020-12-31T00:00:00Z')),
    ).toBe(Date.parse('2020-03-29T01:00:00Z'));
  });
});

describe('formatInTimeZone (Go RFC 3339 style)', () => {
  it.each([
    ['2026-11-25T02:00:00Z', 'Europe/Berlin', '2026-11-25T03:00:00+01:00'],
    ['2026-07-01T12:00:00Z', 'Europe/Berlin', '2026-07-01T14:00:00+02:00'],
    ['2026-07-01T12:00:00Z', 'UTC', '2026-07-01T12:00:00Z'],
    ['2026-01-15T12:00:00Z', 'Europe/London', '2026-01-15T12:00:00Z'], // zero offset prints Z, like Go
    ['2026-07-01T12:00:00Z', 'America/New_York', '2026-07-01T08:00:00-04:00'],
    ['2026-07-01T12:00:00Z', 'Asia/Kolkata', '2026-07-01T17:30:00+05:30'],
    ['2026-01-01T12:00:00Z', 'America/St_Johns', '2026-01-01T08:30:00-03:30'],
    ['2026-07-01T12:00:00.999Z', 'UTC', '2026-07-01T12:00:00Z'],
  ])('%s in %s → %s', (instant, zone, expected) => {
    expect(formatInTimeZone(new Date(instant), zone)).toBe(expected);
  });
});
