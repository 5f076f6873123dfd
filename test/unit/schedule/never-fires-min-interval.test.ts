import { describe, expect, it } from 'vitest';
import {
  minInterval,
  neverFires,
  nextRuns,
  parseSchedule,
  type ParsedSchedule,
} from '../../../src/schedule/index.js';

function schedule(expression: string): ParsedSchedule {
  const result = parseSchedule(expression);
  if (!result.ok) throw new Error(`${expression}: ${result.error}`);
  return result.schedule;
}

const HOUR = 3600;
const DAY = 86_400;

describe('neverFires', () => {
  it.each([
    '0 0 30 2 *',
    '0 0 31 2 *',
    '0 0 30,31 2 *',
    '0 0 31 4,6,9,11 *',
    '0 0 31 apr *',
    ', * * * *', // empty minute set
    '0 , * * *',
    '0 0 * , *',
    '0 0 , * *', // empty day-of-month, ANDed with day-of-week *
    '0 0 * * ,',
    '0 0 31 4 ,', // OR, but neither side can match
  ])('%s never fires', (expression) => {
    expect(neverFires(schedule(expression))).toBe(true);
  });

  it.each([
    '0 0 29 2 *', // leap years
    '0 0 30 2 1', // OR: Mondays in February
    '0 0 31 * *',
    '0 0 31 1,4 *',
    '0 0 , * 1', // OR with an empty day-of-month: Mondays
    '0 0 * 2 0',
    '@yearly',
    '@every 1h',
    '* * * * *',
  ])('%s fires', (expression) => {
    expect(neverFires(schedule(expression))).toBe(false);
  });
});

describe('minInterval', () => {
  const from = new Date('2026-01-01T00:00:00Z');

  it.each([
    ['* * * * *', 60],
    ['*/15 * * * *', 15 * 60],
    ['0 * * * *', HOUR],
    ['0 9,17 * * *', 8 * HOUR],
    ['0 22 * * *', DAY],
    ['0,45 0,23 * * *', 15 * 60], // overnight: 23:45 then 00:00
    ['0 0 * * 1', 7 * DAY],
    ['0 0 1 * *', 28 * DAY], // February 1 to March 1
    ['0 0 1 * 1', DAY], // OR: Sunday Feb 1, then Monday Feb 2
    ['0 0 30 2 1', 7 * DAY],
    ['@yearly', 365 * DAY], // 2027-01-01 to 2028-01-01: looks past the horizon for a second run
    ['0 0 29 2 *', 1461 * DAY], // 2028-02-29 to 2032-02-29
    ['@every 90s', 90],
    ['@every 500ms', 1],
  ])('%s → %ds (UTC)', (expression, seconds) => {
    expect(minInterval(schedule(expression), { from })).toBe(seconds);
  });

  it('is undefined for a schedule that never fires', () => {
    expect(minInterval(schedule('0 0 30 2 *'), { from })).toBeUndefined();
  });

  it('is undefined when robfig cannot reach a second run (2096-02-29, then 2104)', () => {
    expect(
      minInterval(schedule('0 0 29 2 *'), { from: new Date('2095-03-01T00:00:00Z') }),
    ).toBeUndefined();
  });

  it('honours `runs`', () => {
    expect(minInterval(schedule('0 9,17 * * *'), { from, runs: 2 })).toBe(8 * HOUR);
    expect(
      minInterval(schedule('0 17,9 * * *'), { from: new Date('2026-01-01T12:00:00Z'), runs: 2 }),
    ).toBe(16 * HOUR);
    expect(minInterval(schedule('0 * * * *'), { from, runs: 1 })).toBeUndefined();
  });

  describe('DST', () => {
    it('0 * * * * in Europe/Berlin stays hourly across both changes', () => {
      expect(
        minInterval(schedule('0 * * * *'), {
          from: new Date('2026-03-28T12:00:00Z'),
          timeZone: 'Europe/Berlin',
          runs: 48,
        }),
      ).toBe(HOUR);
      expect(
        minInterval(schedule('0 * * * *'), {
          from: new Date('2026-10-24T12:00:00Z'),
          timeZone: 'Europe/Berlin',
          runs: 48,
        }),
      ).toBe(HOUR);
    });

    it('30 2 * * * in Europe/Berlin runs twice an hour apart on the October change', () => {
      expect(minInterval(schedule('30 2 * * *'), { from, timeZone: 'Europe/Berlin' })).toBe(HOUR);
      // Over a stretch without a change it is daily.
      expect(
        minInterval(schedule('30 2 * * *'), {
          from: new Date('2026-04-01T00:00:00Z'),
          timeZone: 'Europe/Berlin',
          runs: 30,
        }),
      ).toBe(DAY);
    });

    it('0 1,3 * * * in Europe/Berlin: the March change brings 01:00 and 03:00 an hour apart', () => {
      expect(
        minInterval(schedule('0 1,3 * * *'), {
          from: new Date('2026-03-27T00:00:00Z'),
          timeZone: 'Europe/Berlin',
          runs: 8,
        }),
      ).toBe(HOUR);
      expect(
        minInterval(schedule('0 1,3 * * *'), {
          from: new Date('2026-04-01T00:00:00Z'),
          timeZone: 'Europe/Berlin',
          runs: 8,
        }),
      ).toBe(2 * HOUR);
    });

    it('30 1 * * * in America/New_York runs twice on 2026-11-01', () => {
      expect(
        minInterval(schedule('30 1 * * *'), {
          from: new Date('2026-10-30T00:00:00Z'),
          timeZone: 'America/New_York',
          runs: 5,
        }),
      ).toBe(HOUR);
    });

    it("includes robfig's quirk runs: 0 1 * * 6 in America/Santiago runs Saturday and Sunday of the change", () => {
      expect(
        minInterval(schedule('0 1 * * 6'), {
          from: new Date('2026-08-30T12:00:00Z'),
          timeZone: 'America/Santiago',
          runs: 4,
        }),
      ).toBe(23 * HOUR);
    });
  });

  it('agrees with the gaps between nextRuns', () => {
    const cases: [string, string, string][] = [
      ['*/7 * * * *', '2026-03-28T20:00:00Z', 'Europe/Berlin'],
      ['0,59 1-3 * * *', '2026-10-24T20:00:00Z', 'Europe/Berlin'],
      ['15 0-2 * * 1-5', '2026-11-01T00:00:00Z', 'America/New_York'],
      ['0 0,12 */3 * *', '2026-01-05T00:00:00Z', 'UTC'],
    ];
    for (const [expression, start, timeZone] of cases) {
      const parsed = schedule(expression);
      const runs = nextRuns(parsed, { from: new Date(start), timeZone, count: 200 }).map((run) =>
        run.getTime(),
      );
      const gaps = runs.slice(1).map((run, index) => (run - (runs[index] ?? 0)) / 1000);
      expect(minInterval(parsed, { from: new Date(start), timeZone, runs: 200 })).toBe(
        Math.min(...gaps),
      );
    }
  });
});
