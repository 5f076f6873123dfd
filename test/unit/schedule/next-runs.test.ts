import { CronExpressionParser } from 'cron-parser';
import { describe, expect, it } from 'vitest';
import {
  formatInTimeZone,
  nextRuns,
  parseSchedule,
  toCronParserExpression,
  type ParsedSchedule,
} from '../../../src/schedule/index.js';
import { robfigRuns } from './robfig-oracle.js';

function schedule(expression: string): ParsedSchedule {
  const result = parseSchedule(expression);
  if (!result.ok) throw new Error(`${expression}: ${result.error}`);
  return result.schedule;
}

function runs(expression: string, from: string, count: number, timeZone?: string): string[] {
  return nextRuns(schedule(expression), {
    from: new Date(from),
    count,
    ...(timeZone ? { timeZone } : {}),
  }).map((run) => (timeZone ? formatInTimeZone(run, timeZone) : run.toISOString()));
}

describe('nextRuns in UTC (hand-computed; 2026-01-01 is a Thursday)', () => {
  const from = '2026-01-01T00:00:00.000Z';

  it('returns runs strictly after `from`', () => {
    expect(runs('0 0 * * *', from, 2)).toEqual([
      '2026-01-02T00:00:00.000Z',
      '2026-01-03T00:00:00.000Z',
    ]);
    expect(runs('0 0 * * *', '2025-12-31T23:59:59.999Z', 1)).toEqual(['2026-01-01T00:00:00.000Z']);
  });

  it.each([
    [
      '*/20 * * * *',
      ['2026-01-01T00:20:00.000Z', '2026-01-01T00:40:00.000Z', '2026-01-01T01:00:00.000Z'],
    ],
    [
      '0 */2 * * 1-5',
      ['2026-01-01T02:00:00.000Z', '2026-01-01T04:00:00.000Z', '2026-01-01T06:00:00.000Z'],
    ],
    [
      '30 9 1,15 * *',
      ['2026-01-01T09:30:00.000Z', '2026-01-15T09:30:00.000Z', '2026-02-01T09:30:00.000Z'],
    ],
    [
      '0 0 * * 0',
      ['2026-01-04T00:00:00.000Z', '2026-01-11T00:00:00.000Z', '2026-01-18T00:00:00.000Z'],
    ],
    [
      '@weekly',
      ['2026-01-04T00:00:00.000Z', '2026-01-11T00:00:00.000Z', '2026-01-18T00:00:00.000Z'],
    ],
    [
      '@monthly',
      ['2026-02-01T00:00:00.000Z', '2026-03-01T00:00:00.000Z', '2026-04-01T00:00:00.000Z'],
    ],
    [
      '@yearly',
      ['2027-01-01T00:00:00.000Z', '2028-01-01T00:00:00.000Z', '2029-01-01T00:00:00.000Z'],
    ],
    [
      '0 0 29 2 *',
      ['2028-02-29T00:00:00.000Z', '2032-02-29T00:00:00.000Z', '2036-02-29T00:00:00.000Z'],
    ],
    [
      '0 0 31 * *',
      ['2026-01-31T00:00:00.000Z', '2026-03-31T00:00:00.000Z', '2026-05-31T00:00:00.000Z'],
    ],
    [
      '59 23 * dec sat',
      ['2026-12-05T23:59:00.000Z', '2026-12-12T23:59:00.000Z', '2026-12-19T23:59:00.000Z'],
    ],
  ])('%s', (expression, expected) => {
    expect(runs(expression, from, 3)).toEqual(expected);
  });

  describe('day-of-month / day-of-week rule (robfig dayMatches)', () => {
    it('ORs the day fields when neither has the star bit: 0 0 1 * 1', () => {
      expect(runs('0 0 1 * 1', from, 6)).toEqual([
        '2026-01-05T00:00:00.000Z', // Monday
        '2026-01-12T00:00:00.000Z',
        '2026-01-19T00:00:00.000Z',
        '2026-01-26T00:00:00.000Z',
        '2026-02-01T00:00:00.000Z', // day 1, a Sunday
        '2026-02-02T00:00:00.000Z', // Monday
      ]);
    });

    it('ORs them for */2 too, because a step above 1 clears the star bit: 0 0 */2 * 1', () => {
      expect(runs('0 0 */2 * 1', from, 7)).toEqual([
        '2026-01-03T00:00:00.000Z', // odd day
        '2026-01-05T00:00:00.000Z', // odd day and Monday
        '2026-01-07T00:00:00.000Z',
        '2026-01-09T00:00:00.000Z',
        '2026-01-11T00:00:00.000Z',
        '2026-01-12T00:00:00.000Z', // even day, but a Monday
        '2026-01-13T00:00:00.000Z',
      ]);
    });

    it.each(['0 0 */1 * 1', '0 0 * * 1', '0 0 ? * mon', '0 0 *,1 * 1', '0 0 *-5 * 1'])(
      'ANDs them when day-of-month has the star bit: %s runs on Mondays only',
      (expression) => {
        expect(runs(expression, from, 3)).toEqual([
          '2026-01-05T00:00:00.000Z',
          '2026-01-12T00:00:00.000Z',
          '2026-01-19T00:00:00.000Z',
        ]);
      },
    );

    it('ANDs them when day-of-week has the star bit: 0 0 */10 * * runs on days 1, 11, 21, 31', () => {
      expect(runs('0 0 */10 * *', from, 4)).toEqual([
        '2026-01-11T00:00:00.000Z',
        '2026-01-21T00:00:00.000Z',
        '2026-01-31T00:00:00.000Z',
        '2026-02-01T00:00:00.000Z',
      ]);
    });

    it('day-of-week */2 with day-of-month * runs on Sun, Tue, Thu, Sat', () => {
      expect(runs('0 0 * * */2', from, 4)).toEqual([
        '2026-01-03T00:00:00.000Z', // Saturday
        '2026-01-04T00:00:00.000Z', // Sunday
        '2026-01-06T00:00:00.000Z', // Tuesday
        '2026-01-08T00:00:00.000Z', // Thursday
      ]);
    });

    it('a complete day-of-month without the star bit makes OR fire every day: 0 0 1-31 * 1', () => {
      expect(runs('0 0 1-31 * 1', from, 3)).toEqual([
        '2026-01-02T00:00:00.000Z',
        '2026-01-03T00:00:00.000Z',
        '2026-01-04T00:00:00.000Z',
      ]);
    });

    it('an impossible day-of-month still fires on the weekday with OR: 0 0 30 2 1', () => {
      expect(runs('0 0 30 2 1', from, 3)).toEqual([
        '2026-02-02T00:00:00.000Z',
        '2026-02-09T00:00:00.000Z',
        '2026-02-16T00:00:00.000Z',
      ]);
    });

    it('an empty day-of-month (",") leaves day-of-week alone under OR', () => {
      expect(runs('0 0 , * 1', from, 2)).toEqual([
        '2026-01-05T00:00:00.000Z',
        '2026-01-12T00:00:00.000Z',
      ]);
    });
  });

  it('returns nothing for a schedule that never fires', () => {
    expect(runs('0 0 30 2 *', from, 3)).toEqual([]);
    expect(runs('0 0 31 4,6,9,11 *', from, 3)).toEqual([]);
  });

  it("stops where robfig's five-year search stops (2100 is not a leap year)", () => {
    expect(runs('0 0 29 2 *', '2095-03-01T00:00:00Z', 3)).toEqual(['2096-02-29T00:00:00.000Z']);
    expect(runs('0 0 29 2 *', '2097-03-01T00:00:00Z', 1)).toEqual([]);
  });

  it('returns nothing for count 0', () => {
    expect(runs('* * * * *', from, 0)).toEqual([]);
  });
});

describe('nextRuns across DST (robfig semantics)', () => {
  it('Europe/Berlin spring forward: 02:30 does not exist on 2026-03-29, so that day has no run', () => {
    expect(runs('30 2 * * *', '2026-03-27T12:00:00Z', 3, 'Europe/Berlin')).toEqual([
      '2026-03-28T02:30:00+01:00',
      '2026-03-30T02:30:00+02:00',
      '2026-03-31T02:30:00+02:00',
    ]);
  });

  it('Europe/Berlin fall back: 02:30 happens twice on 2026-10-25, and runs twice', () => {
    expect(runs('30 2 * * *', '2026-10-24T12:00:00Z', 3, 'Europe/Berlin')).toEqual([
      '2026-10-25T02:30:00+02:00',
      '2026-10-25T02:30:00+01:00',
      '2026-10-26T02:30:00+01:00',
    ]);
  });

  it('Europe/Berlin hourly keeps an hourly cadence through both changes', () => {
    expect(runs('0 * * * *', '2026-03-28T23:30:00Z', 3, 'Europe/Berlin')).toEqual([
      '2026-03-29T01:00:00+01:00',
      '2026-03-29T03:00:00+02:00',
      '2026-03-29T04:00:00+02:00',
    ]);
    expect(runs('0 * * * *', '2026-10-24T23:30:00Z', 3, 'Europe/Berlin')).toEqual([
      '2026-10-25T02:00:00+02:00',
      '2026-10-25T02:00:00+01:00',
      '2026-10-25T03:00:00+01:00',
    ]);
  });

  it('America/New_York fall back: 01:30 runs twice on 2026-11-01', () => {
    expect(runs('30 1 * * *', '2026-10-31T12:00:00Z', 3, 'America/New_York')).toEqual([
      '2026-11-01T01:30:00-04:00',
      '2026-11-01T01:30:00-05:00',
      '2026-11-02T01:30:00-05:00',
    ]);
  });

  it('America/New_York spring forward: 02:30 is skipped on 2026-03-08', () => {
    expect(runs('30 2 * * *', '2026-03-07T12:00:00Z', 2, 'America/New_York')).toEqual([
      '2026-03-09T02:30:00-04:00',
      '2026-03-10T02:30:00-04:00',
    ]);
  });

  it('evaluates in the zone: 0 3 * * * in Europe/Berlin is 02:00Z in winter and 01:00Z in summer', () => {
    const winter = nextRuns(schedule('0 3 * * *'), {
      from: new Date('2026-01-10T00:00:00Z'),
      timeZone: 'Europe/Berlin',
      count: 1,
    });
    const summer = nextRuns(schedule('0 3 * * *'), {
      from: new Date('2026-07-10T00:00:00Z'),
      timeZone: 'Europe/Berlin',
      count: 1,
    });
    expect(winter.map((run) => run.toISOString())).toEqual(['2026-01-10T02:00:00.000Z']);
    expect(summer.map((run) => run.toISOString())).toEqual(['2026-07-10T01:00:00.000Z']);
  });

  // Both quirks come from robfig walking hours in absolute time; the controller really does this.
  it("reproduces robfig's midnight-DST quirk: 0 1 * * 6 in America/Santiago also fires on the Sunday of the change", () => {
    expect(runs('0 1 * * 6', '2026-08-30T12:00:00Z', 3, 'America/Santiago')).toEqual([
      '2026-09-05T01:00:00-04:00',
      '2026-09-06T01:00:00-03:00', // Sunday: 00:00 did not exist, robfig's hour walk slid into it
      '2026-09-12T01:00:00-03:00',
    ]);
  });

  it("reproduces robfig's 30-minute-shift quirk: 0 2 * * * in Australia/Lord_Howe skips 2026-04-05", () => {
    expect(runs('0 2 * * *', '2026-04-03T12:00:00Z', 3, 'Australia/Lord_Howe')).toEqual([
      '2026-04-04T02:00:00+11:00',
      '2026-04-06T02:00:00+10:30',
      '2026-04-07T02:00:00+10:30',
    ]);
  });
});

describe('nextRuns for @every (ConstantDelaySchedule)', () => {
  it('adds the delay to `from` truncated to the second', () => {
    expect(runs('@every 90s', '2026-01-01T00:00:00.500Z', 3)).toEqual([
      '2026-01-01T00:01:30.000Z',
      '2026-01-01T00:03:00.000Z',
      '2026-01-01T00:04:30.000Z',
    ]);
  });

  it('is absolute time: DST does not move it', () => {
    expect(runs('@every 1h', '2026-10-24T23:30:00Z', 2, 'Europe/Berlin')).toEqual([
      '2026-10-25T02:30:00+02:00',
      '2026-10-25T02:30:00+01:00',
    ]);
  });
});

describe('agreement with the step-by-step robfig re-enactment (robfig-oracle.ts)', () => {
  it.each([
    ['30 2 * * *', 'Europe/Berlin', '2026-03-27T12:00:00Z'],
    ['*/20 0-3 * * *', 'America/New_York', '2026-10-31T12:00:00Z'],
    ['0 0 * * *', 'America/Santiago', '2026-09-04T12:00:00Z'],
    ['0 23 * * *', 'America/Santiago', '2026-04-02T12:00:00Z'],
    ['45 1 * * *', 'Australia/Lord_Howe', '2026-04-03T12:00:00Z'],
    ['30 0 * * *', 'America/Havana', '2026-03-07T12:00:00Z'],
    ['0 0 * * 0', 'Asia/Beirut', '2026-03-25T12:00:00Z'],
    ['30 1 * * *', 'Europe/Dublin', '2026-10-24T12:00:00Z'],
    ['0 0 1 * *', 'Europe/London', '2026-01-01T12:00:00Z'],
  ])('%s in %s from %s', (expression, zone, from) => {
    const parsed = schedule(expression);
    if (parsed.kind !== 'fields') throw new Error('expected fields');
    const expected = robfigRuns(parsed, zone, Date.parse(from), 5);
    expect(
      nextRuns(parsed, { from: new Date(from), timeZone: zone, count: 5 }).map((run) =>
        run.getTime(),
      ),
    ).toEqual(expected);
  });
});

describe('cron-parser, the library the rest of the product uses', () => {
  function cronParserRuns(
    expression: string,
    from: string,
    count: number,
    timeZone = 'UTC',
  ): string[] {
    const iterator = CronExpressionParser.parse(expression, {
      currentDate: new Date(from),
      tz: timeZone,
    });
    return iterator.take(count).map((date) => new Date(date.getTime()).toISOString());
  }

  it('disagrees with robfig on the day rule for */1 (OR instead of AND), so nextRuns does not use raw expressions', () => {
    expect(cronParserRuns('0 0 0 */1 * 1', '2026-01-01T00:00:00Z', 2)).toEqual([
      '2026-01-02T00:00:00.000Z',
      '2026-01-03T00:00:00.000Z',
    ]);
    expect(runs('0 0 */1 * 1', '2026-01-01T00:00:00Z', 2)).toEqual([
      '2026-01-05T00:00:00.000Z',
      '2026-01-12T00:00:00.000Z',
    ]);
  });

  it('agrees once the day fields are rewritten by toCronParserExpression', () => {
    const expression = toCronParserExpression(schedule('0 0 */1 * 1'));
    expect(expression).toBe('0 0 0 * * 1');
    expect(cronParserRuns(expression ?? '', '2026-01-01T00:00:00Z', 2)).toEqual(
      runs('0 0 */1 * 1', '2026-01-01T00:00:00Z', 2),
    );
  });

  it.each([
    ['0 0 *,1 * 1', '0 0 0 * * 1'],
    ['0 0 1-31 * 1', '0 0 0 * * *'],
    ['0 0 , * 1', '0 0 0 * * 1'],
    ['0 0 */2 * 1', '0 0 0 1,3,5,7,9,11,13,15,17,19,21,23,25,27,29,31 * 1'],
    ['0 0 */10 * *', '0 0 0 1,11,21,31 * *'],
    ['*/15 9-17 * jan-mar mon-fri', '0 0,15,30,45 9,10,11,12,13,14,15,16,17 * 1,2,3 1,2,3,4,5'],
  ])('toCronParserExpression(%s) = %s', (expression, expected) => {
    expect(toCronParserExpression(schedule(expression))).toBe(expected);
  });

  it('has no expression for @every or a schedule that never fires', () => {
    expect(toCronParserExpression(schedule('@every 1h'))).toBeUndefined();
    expect(toCronParserExpression(schedule('0 0 30 2 *'))).toBeUndefined();
  });

  it('handles DST differently (moves the skipped run, fires the repeated hour once), which is why nextRuns does not use it', () => {
    expect(cronParserRuns('0 30 2 * * *', '2026-03-28T12:00:00Z', 1, 'Europe/Berlin')).not.toEqual(
      nextRuns(schedule('30 2 * * *'), {
        from: new Date('2026-03-28T12:00:00Z'),
        timeZone: 'Europe/Berlin',
        count: 1,
      }).map((run) => run.toISOString()),
    );
  });
});
