import { describe, expect, it } from 'vitest';
import { parseSchedule } from '../../../src/schedule/index.js';
import type { EverySchedule, FieldSchedule } from '../../../src/schedule/index.js';

function range(min: number, max: number, step = 1): number[] {
  const values: number[] = [];
  for (let value = min; value <= max; value += step) values.push(value);
  return values;
}

function fields(expression: string): FieldSchedule {
  const result = parseSchedule(expression);
  if (!result.ok)
    throw new Error(`expected ${JSON.stringify(expression)} to parse: ${result.error}`);
  if (result.schedule.kind !== 'fields') throw new Error('expected a field schedule');
  return result.schedule;
}

function every(expression: string): EverySchedule {
  const result = parseSchedule(expression);
  if (!result.ok)
    throw new Error(`expected ${JSON.stringify(expression)} to parse: ${result.error}`);
  if (result.schedule.kind !== 'every') throw new Error('expected an @every schedule');
  return result.schedule;
}

function failure(expression: string) {
  const result = parseSchedule(expression);
  if (result.ok) throw new Error(`expected ${JSON.stringify(expression)} to be rejected`);
  return result;
}

describe('parseSchedule: field grammar (robfig/cron v3 ParseStandard)', () => {
  it.each([
    // [expression, field, expected values]
    ['* * * * *', 'minutes', range(0, 59)],
    ['? * * * *', 'minutes', range(0, 59)],
    ['5 * * * *', 'minutes', [5]],
    ['10-15 * * * *', 'minutes', range(10, 15)],
    ['10-30/10 * * * *', 'minutes', [10, 20, 30]],
    ['*/15 * * * *', 'minutes', [0, 15, 30, 45]],
    ['5/20 * * * *', 'minutes', [5, 25, 45]], // a/n means a-max/n
    ['1,2,10-12 * * * *', 'minutes', [1, 2, 10, 11, 12]],
    ['59,0,30 * * * *', 'minutes', [0, 30, 59]],
    ['0 */6 * * *', 'hours', [0, 6, 12, 18]],
    ['0 22-23,0-2 * * *', 'hours', [0, 1, 2, 22, 23]],
    ['0 0 1-31/10 * *', 'daysOfMonth', [1, 11, 21, 31]],
    ['0 0 * jan,JUL,Dec *', 'months', [1, 7, 12]],
    ['0 0 * feb-apr *', 'months', [2, 3, 4]],
    ['0 0 * */3 *', 'months', [1, 4, 7, 10]],
    ['0 0 * * MON-fri', 'daysOfWeek', [1, 2, 3, 4, 5]],
    ['0 0 * * sun,Sat', 'daysOfWeek', [0, 6]],
    ['0 0 * * mon/2', 'daysOfWeek', [1, 3, 5]],
    ['0 0 * * 0', 'daysOfWeek', [0]],
    ['+5 * * * *', 'minutes', [5]], // Go's strconv.Atoi accepts a plus sign
    ['05 * * * *', 'minutes', [5]],
    ['1,,2 * * * *', 'minutes', [1, 2]], // robfig drops empty list items
    ['*-5 * * * *', 'minutes', range(0, 59)], // robfig only looks at the part before "-" for "*"
    ['*/61 * * * *', 'minutes', [0]], // a step beyond the range keeps only the start
    ['*/1 * * * *', 'minutes', range(0, 59)],
  ] as const)('%s → %s %j', (expression, field, expected) => {
    expect(fields(expression)[field]).toEqual(expected);
  });

  it('expands every field and keeps the source text', () => {
    expect(fields('30 2 1,15 */2 mon-fri')).toMatchObject({
      kind: 'fields',
      source: '30 2 1,15 */2 mon-fri',
      minutes: [30],
      hours: [2],
      daysOfMonth: [1, 15],
      months: [1, 3, 5, 7, 9, 11],
      daysOfWeek: [1, 2, 3, 4, 5],
    });
  });

  it('splits on any Go whitespace and ignores it around the fields', () => {
    expect(fields('  0\t3 *\n* *  ').hours).toEqual([3]);
    expect(fields('0\u00a03 * * *').hours).toEqual([3]); // U+00A0 is space for Go's unicode.IsSpace
    expect(fields('0\u00853 * * *').hours).toEqual([3]); // so is U+0085
  });

  it('does not treat U+FEFF as whitespace, unlike JavaScript', () => {
    expect(failure('0 3 * * *\ufeff').error).toContain('day-of-week field');
  });

  describe('star bits (decide AND vs OR for the day fields)', () => {
    it.each([
      ['0 0 * * *', true, true],
      ['0 0 ? * ?', true, true],
      ['0 0 */1 * *', true, true], // step 1 keeps the star bit
      ['0 0 */2 * *', false, true], // step above 1 clears it
      ['0 0 ?/2 * */3', false, false],
      ['0 0 1,* * *', true, true], // any starred item sets it
      ['0 0 1-31 * 0-6', false, false], // full coverage is not a star
      ['0 0 *-5 * 1', true, false],
      ['0 0 1 * mon', false, false],
    ] as const)('%s → dayOfMonthStar %s, dayOfWeekStar %s', (expression, domStar, dowStar) => {
      const schedule = fields(expression);
      expect(schedule.dayOfMonthStar).toBe(domStar);
      expect(schedule.dayOfWeekStar).toBe(dowStar);
    });
  });

  describe('notes on accepted surprises', () => {
    it.each([
      ['0 0 1 * 1', 'both restricted, so a day matching either one runs (OR, not AND)'],
      ['0 0 */2 * 1', '"*" or "?" with a step above 1 counts as restricted'],
      ['0 0 1-31 * 1', 'covers every day without being "*"'],
      ['*/61 * * * *', 'step 61 in "*/61" is larger than the range 0-59, so it matches only 0'],
      ['*-5 * * * *', 'robfig/cron reads "*-5" as "*"'],
      ['*-5/2 * * * *', 'robfig/cron reads "*-5/2" as "*/2"'],
      ['1,,2 * * * *', 'empty list items are ignored'],
      [', * * * *', 'matches no value'],
    ])('%s notes %j', (expression, note) => {
      expect(fields(expression).notes.join('\n')).toContain(note);
    });

    it('has no notes for an ordinary schedule', () => {
      expect(fields('0 3 * * 1-5').notes).toEqual([]);
    });
  });
});

describe('parseSchedule: rejected field expressions', () => {
  it.each([
    // [expression, error, fix, API server message (robfig)]
    [
      '0 0 * * 7',
      'day-of-week field "7": value 7 out of range 0-6',
      'use 0 for Sunday',
      'end of range (7) above maximum (6): 7',
    ],
    [
      '0 0 * * 1-7',
      'day-of-week field "1-7": value 7 out of range 0-6',
      'use 0 for Sunday: write 1-6,0',
      'end of range (7) above maximum (6): 1-7',
    ],
    [
      '60 * * * *',
      'minute field "60": value 60 out of range 0-59',
      'minute values are 0-59',
      'end of range (60) above maximum (59): 60',
    ],
    [
      '0 24 * * *',
      'hour field "24": value 24 out of range 0-23',
      'midnight is hour 0; hours are 0-23',
      'end of range (24) above maximum (23): 24',
    ],
    [
      '0 0 0 * *',
      'day-of-month field "0": value 0 out of range 1-31',
      'days of the month start at 1 (1-31)',
      'beginning of range (0) below minimum (1): 0',
    ],
    [
      '0 0 * 0 *',
      'month field "0": value 0 out of range 1-12',
      'months start at 1 (1-12 or jan-dec)',
      'beginning of range (0) below minimum (1): 0',
    ],
    [
      '0 22-2 * * *',
      'hour field "22-2": range "22-2" starts after it ends (22 > 2)',
      'ranges do not wrap around: write 22-23,0-2',
      'beginning of range (22) beyond end of range (2): 22-2',
    ],
    [
      '*/0 * * * *',
      'minute field "*/0": step 0 in "*/0"',
      'use a step of at least 1, e.g. */5',
      'step of range should be a positive number: */0',
    ],
    [
      '*/-5 * * * *',
      'minute field "*/-5": step "-5" is negative',
      'use a positive step, e.g. */5',
      'negative number (-5) not allowed: -5', // robfig quotes the step, not the item
    ],
    [
      '1-2-3 * * * *',
      'minute field "1-2-3": "1-2-3" has more than one "-"',
      'a range is a-b with one hyphen; list several ranges with commas, e.g. 1-3,5-7',
      'too many hyphens: 1-2-3',
    ],
    [
      '*/2/3 * * * *',
      'minute field "*/2/3": "*/2/3" has more than one "/"',
      'a step is written once: a-b/n, */n or a/n',
      'too many slashes: */2/3',
    ],
    [
      '0 0 L * *',
      'day-of-month field "L": value "L" is not a number',
      'L, W and # are not supported in Kubernetes schedules (robfig/cron); list the days explicitly, e.g. 28-31 or 1-5',
      'failed to parse int from L: strconv.Atoi: parsing "L": invalid syntax',
    ],
    [
      '0 0 * * 5#3',
      'day-of-week field "5#3": value "5#3" is not a number or name',
      'L, W and # are not supported in Kubernetes schedules (robfig/cron); list the days explicitly, e.g. 28-31 or 1-5',
      'failed to parse int from 5#3: strconv.Atoi: parsing "5#3": invalid syntax',
    ],
    [
      '0 0 * * monday',
      'day-of-week field "monday": value "monday" is not a number or name',
      'use 0-6 or sun-sat (0 is Sunday; 7 is not accepted); names are the three-letter English abbreviations',
      'failed to parse int from monday: strconv.Atoi: parsing "monday": invalid syntax',
    ],
    [
      '0 0 * January *',
      'month field "January": value "January" is not a number or name',
      'use 1-12 or jan-dec; names are the three-letter English abbreviations',
      'failed to parse int from January: strconv.Atoi: parsing "January": invalid syntax',
    ],
    [
      'H * * * *',
      'minute field "H": value "H" is not a number',
      'H (hashed values) is a Jenkins extension; write a number instead',
      'failed to parse int from H: strconv.Atoi: parsing "H": invalid syntax',
    ],
    [
      '5- * * * *',
      'minute field "5-": range end is missing',
      'write both ends of a range and a number after "/", e.g. 1-5 or */10',
      'failed to parse int from : strconv.Atoi: parsing "": invalid syntax',
    ],
    [
      '*/ * * * *',
      'minute field "*/": step is missing',
      'write both ends of a range and a number after "/", e.g. 1-5 or */10',
      'failed to parse int from : strconv.Atoi: parsing "": invalid syntax',
    ],
    [
      'mon * * * *',
      'minute field "mon": value "mon" is not a number',
      'use numbers 0-59',
      'failed to parse int from mon: strconv.Atoi: parsing "mon": invalid syntax',
    ],
    [
      '99999999999999999999 * * * *',
      'minute field "99999999999999999999": value "99999999999999999999" is too large to be a number',
      'use 0-59',
      'failed to parse int from 99999999999999999999: strconv.Atoi: parsing "99999999999999999999": value out of range',
    ],
    [
      '0 0 * * */mon',
      'day-of-week field "*/mon": step "mon" is not a number or name',
      'use 0-6 or sun-sat (0 is Sunday; 7 is not accepted); names are the three-letter English abbreviations',
      'failed to parse int from mon: strconv.Atoi: parsing "mon": invalid syntax',
    ],
  ])('%s', (expression, error, fix, apiServerMessage) => {
    expect(failure(expression)).toEqual({ ok: false, error, fix, apiServerMessage });
  });

  it('prints values beyond 2^53 exactly, as Go does', () => {
    expect(failure('9007199254740993 * * * *')).toMatchObject({
      error: 'minute field "9007199254740993": value 9007199254740993 out of range 0-59',
      apiServerMessage: 'end of range (9007199254740993) above maximum (59): 9007199254740993',
    });
  });

  it('reports the first failing field, in robfig order (minute first)', () => {
    expect(failure('60 24 * * 7').error).toContain('minute field');
    expect(failure('0 24 0 * 7').error).toContain('hour field');
  });

  it('checks "too many hyphens" only after parsing the range start, like robfig', () => {
    expect(failure('x-1-2 * * * *').apiServerMessage).toBe(
      'failed to parse int from x: strconv.Atoi: parsing "x": invalid syntax',
    );
  });

  it.each([
    ['', 'schedule is empty', 'empty spec string'],
    [
      '   ',
      'expected 5 fields (minute hour day-of-month month day-of-week), found 0',
      'expected exactly 5 fields, found 0: []',
    ],
    [
      '0 3 * *',
      'expected 5 fields (minute hour day-of-month month day-of-week), found 4',
      'expected exactly 5 fields, found 4: [0 3 * *]',
    ],
    [
      '0 0 3 * * *',
      'expected 5 fields (minute hour day-of-month month day-of-week), found 6',
      'expected exactly 5 fields, found 6: [0 0 3 * * *]',
    ],
    [
      '0 3 * * * * *',
      'expected 5 fields (minute hour day-of-month month day-of-week), found 7',
      'expected exactly 5 fields, found 7: [0 3 * * * * *]',
    ],
  ])('field count: %j', (expression, error, apiServerMessage) => {
    const result = failure(expression);
    expect(result.error).toBe(error);
    expect(result.apiServerMessage).toBe(apiServerMessage);
  });

  it('tells a seconds field from a year field', () => {
    expect(failure('0 0 3 * * *').fix).toBe(
      'Kubernetes schedules have no seconds field: drop the first field "0"',
    );
    expect(failure('0 3 * * * 2026').fix).toBe(
      'Kubernetes schedules have no year field: drop "2026"',
    );
  });
});

describe('parseSchedule: TZ and CRON_TZ', () => {
  it.each([
    [
      'TZ=Europe/Berlin 0 3 * * *',
      'set spec.timeZone: "Europe/Berlin" and spec.schedule: "0 3 * * *"',
    ],
    ['CRON_TZ=UTC @daily', 'set spec.timeZone: "UTC" and spec.schedule: "@daily"'],
    [
      '0 3 * * * TZ',
      'remove TZ= / CRON_TZ= from the schedule and put the zone in spec.timeZone (e.g. timeZone: "Europe/Berlin")',
    ],
    [
      'TZ=UTC',
      'remove TZ= / CRON_TZ= from the schedule and put the zone in spec.timeZone (e.g. timeZone: "Europe/Berlin")',
    ],
  ])('%s is rejected with the API server message', (expression, fix) => {
    expect(failure(expression)).toEqual({
      ok: false,
      error: 'schedule contains "TZ": the API server rejects TZ= and CRON_TZ= in spec.schedule',
      fix,
      apiServerMessage: 'cannot use TZ or CRON_TZ in schedule, use timeZone field instead',
    });
  });

  it('matches "TZ" case-sensitively, as the API server does', () => {
    // Lower-case "tz=" is not the TZ rule; it is just a sixth field.
    expect(failure('tz=UTC 0 3 * * *').error).toContain('found 6');
  });
});

describe('parseSchedule: descriptors', () => {
  it.each([
    ['@yearly', [0], [0], [1], [1], range(0, 6), false, true],
    ['@annually', [0], [0], [1], [1], range(0, 6), false, true],
    ['@monthly', [0], [0], [1], range(1, 12), range(0, 6), false, true],
    ['@weekly', [0], [0], range(1, 31), range(1, 12), [0], true, false],
    ['@daily', [0], [0], range(1, 31), range(1, 12), range(0, 6), true, true],
    ['@midnight', [0], [0], range(1, 31), range(1, 12), range(0, 6), true, true],
    ['@hourly', [0], range(0, 23), range(1, 31), range(1, 12), range(0, 6), true, true],
  ] as const)(
    '%s',
    (expression, minutes, hours, daysOfMonth, months, daysOfWeek, domStar, dowStar) => {
      expect(fields(expression)).toEqual({
        kind: 'fields',
        source: expression,
        descriptor: expression,
        minutes,
        hours,
        daysOfMonth,
        months,
        daysOfWeek,
        dayOfMonthStar: domStar,
        dayOfWeekStar: dowStar,
        notes: [],
      });
    },
  );

  it.each([
    ['@reboot', '@reboot is not supported in Kubernetes schedules'],
    ['@Daily', 'unknown descriptor "@Daily": descriptors are case-sensitive'],
    ['@daily ', 'descriptor "@daily " has whitespace around it, which robfig/cron does not strip'],
    ['@fortnightly', 'unknown descriptor "@fortnightly"'],
    ['@every', '"@every": @every needs exactly one space and then a duration'],
    ['@every\t1h', '"@every\\t1h": @every needs exactly one space and then a duration'],
  ])('%j is rejected: %s', (expression, error) => {
    const result = failure(expression);
    expect(result.error).toBe(error);
    expect(result.apiServerMessage).toBe(`unrecognized descriptor: ${expression}`);
  });

  it('suggests the lower-case spelling', () => {
    expect(failure('@DAILY').fix).toBe('write @daily');
  });

  it('reads a descriptor with leading whitespace as fields, like robfig', () => {
    expect(failure(' @daily')).toEqual({
      ok: false,
      error: 'descriptor " @daily" has leading whitespace, so it is read as a 5-field expression',
      fix: 'write "@daily"',
      apiServerMessage: 'expected exactly 5 fields, found 1: [@daily]',
    });
  });
});

describe('parseSchedule: @every', () => {
  it.each([
    ['@every 1h30m', 5400],
    ['@every 90s', 90],
    ['@every 1.5h', 5400],
    ['@every 2h45m30s', 9930],
    ['@every 1m0.5s', 60], // sub-second part truncated
    ['@every 1.999s', 1],
    ['@every 500ms', 1], // below one second → one second
    ['@every 0', 1],
    ['@every 0s', 1],
    ['@every -1h', 1], // negative durations parse; robfig raises them to one second
    ['@every 1000000us', 1],
    ['@every 1000000µs', 1],
    ['@every .5m', 30],
    ['@every 5.m', 300],
    ['@every 2562047h', 2562047 * 3600],
  ])('%s → every %ds', (expression, seconds) => {
    expect(every(expression).intervalSeconds).toBe(seconds);
  });

  it('notes rounding to whole seconds', () => {
    expect(every('@every 500ms').notes).toEqual([
      '@every 500ms is below one second; robfig/cron runs it every 1s',
    ]);
    expect(every('@every 1m0.5s').notes).toEqual([
      '@every 1m0.5s is truncated to whole seconds: every 60s',
    ]);
    expect(every('@every -1h').notes).toEqual([
      '@every -1h is not a positive duration; robfig/cron runs it every 1s',
    ]);
    expect(every('@every 1h').notes).toEqual([]);
  });

  it.each([
    [
      '@every 1d',
      '@every duration "1d": unknown unit "d" in duration "1d"',
      'Go durations have no day unit: write hours, e.g. @every 24h',
      'failed to parse duration @every 1d: time: unknown unit "d" in duration "1d"',
    ],
    [
      '@every 1h ',
      '@every duration "1h ": unknown unit "h " in duration "1h "',
      'remove the whitespace: "@every 1h"',
      'failed to parse duration @every 1h : time: unknown unit "h " in duration "1h "',
    ],
    [
      '@every  1h',
      '@every duration " 1h": invalid duration " 1h"',
      'write exactly one space after @every, then the duration, e.g. @every 1h',
      'failed to parse duration @every  1h: time: invalid duration " 1h"',
    ],
    [
      '@every 10',
      '@every duration "10": missing unit in duration "10"',
      'add a unit, e.g. "@every 10s" or "@every 10m"',
      'failed to parse duration @every 10: time: missing unit in duration "10"',
    ],
    [
      '@every 1w',
      '@every duration "1w": unknown unit "w" in duration "1w"',
      'Go durations stop at hours: write e.g. @every 168h for a week, or use a 5-field schedule',
      'failed to parse duration @every 1w: time: unknown unit "w" in duration "1w"',
    ],
    [
      '@every 2562048h',
      '@every duration "2562048h": invalid duration "2562048h"',
      'write a Go duration such as 90s, 15m, 1h30m or 1.5h (units: h, m, s, ms, us, ns)',
      'failed to parse duration @every 2562048h: time: invalid duration "2562048h"',
    ],
    [
      '@every .s',
      '@every duration ".s": invalid duration ".s"',
      'write a Go duration such as 90s, 15m, 1h30m or 1.5h (units: h, m, s, ms, us, ns)',
      'failed to parse duration @every .s: time: invalid duration ".s"',
    ],
    [
      '@every ',
      '@every duration "": invalid duration ""',
      'write exactly one space after @every, then the duration, e.g. @every 1h',
      'failed to parse duration @every : time: invalid duration ""',
    ],
  ])('%j is rejected', (expression, error, fix, apiServerMessage) => {
    expect(failure(expression)).toEqual({ ok: false, error, fix, apiServerMessage });
  });
});

describe('parseSchedule: results', () => {
  it('returns the same frozen result for the same expression (cached)', () => {
    const first = parseSchedule('0 3 * * *');
    const second = parseSchedule('0 3 * * *');
    expect(second).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
    if (!first.ok) throw new Error('expected success');
    expect(Object.isFrozen(first.schedule)).toBe(true);
    expect(Object.isFrozen(first.schedule.kind === 'fields' ? first.schedule.minutes : [])).toBe(
      true,
    );
  });

  it('errors are one line', () => {
    for (const expression of ['0 0 * * 7', '@every 1d', 'TZ=UTC 0 0 * * *', '0\n0 * *']) {
      const result = failure(expression);
      expect(result.error).not.toContain('\n');
      expect(result.fix).not.toContain('\n');
    }
  });
});
