import { CronExpressionParser } from 'cron-parser';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  minInterval,
  nextRuns,
  parseSchedule,
  toCronParserExpression,
  type FieldSchedule,
} from '../../../src/schedule/index.js';
import { robfigRuns, wallClock } from './robfig-oracle.js';

/** One comma item, with the values and star bit robfig gives it (the model). */
interface ItemModel {
  text: string;
  values: number[];
  star: boolean;
}

interface FieldSpec {
  min: number;
  max: number;
  names?: readonly string[];
}

const MINUTE: FieldSpec = { min: 0, max: 59 };
const HOUR: FieldSpec = { min: 0, max: 23 };
const DAY_OF_MONTH: FieldSpec = { min: 1, max: 31 };
const MONTH: FieldSpec = {
  min: 1,
  max: 12,
  names: ['', 'jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'],
};
const DAY_OF_WEEK: FieldSpec = {
  min: 0,
  max: 6,
  names: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'],
};

function stepped(start: number, end: number, step: number): number[] {
  const values: number[] = [];
  for (let value = start; value <= end; value += step) values.push(value);
  return values;
}

/** A number, or (where the field has names) sometimes its name in random case. */
function valueText(spec: FieldSpec): (value: number) => fc.Arbitrary<string> {
  return (value) => {
    const name = spec.names?.[value];
    if (name === undefined || name === '') return fc.constant(String(value));
    return fc.constantFrom(
      String(value),
      name,
      name.toUpperCase(),
      `${name.charAt(0).toUpperCase()}${name.slice(1)}`,
    );
  };
}

function itemArbitrary(spec: FieldSpec): fc.Arbitrary<ItemModel> {
  const { min, max } = spec;
  const value = fc.integer({ min, max });
  const text = valueText(spec);
  const span = max - min + 1;
  return fc.oneof(
    fc
      .constantFrom('*', '?')
      .map((star) => ({ text: star, values: stepped(min, max, 1), star: true })),
    value.chain((single) =>
      text(single).map((written) => ({ text: written, values: [single], star: false })),
    ),
    fc
      .tuple(value, value)
      .map(([a, b]) => [Math.min(a, b), Math.max(a, b)] as const)
      .chain(([a, b]) =>
        fc
          .tuple(text(a), text(b))
          .map(([from, to]) => ({ text: `${from}-${to}`, values: stepped(a, b, 1), star: false })),
      ),
    fc
      .tuple(value, value, fc.integer({ min: 1, max: span + 1 }))
      .map(([a, b, step]) => [Math.min(a, b), Math.max(a, b), step] as const)
      .map(([a, b, step]) => ({
        text: `${a}-${b}/${step}`,
        values: stepped(a, b, step),
        star: false,
      })),
    fc
      .tuple(fc.constantFrom('*', '?'), fc.integer({ min: 1, max: span + 1 }))
      .map(([star, step]) => ({
        text: `${star}/${step}`,
        values: stepped(min, max, step),
        star: step <= 1,
      })),
    fc.tuple(value, fc.integer({ min: 1, max: span })).map(([start, step]) => ({
      text: `${start}/${step}`,
      values: stepped(start, max, step),
      star: false,
    })),
  );
}

interface FieldModel {
  text: string;
  values: number[];
  star: boolean;
}

function fieldArbitrary(spec: FieldSpec): fc.Arbitrary<FieldModel> {
  return fc.array(itemArbitrary(spec), { minLength: 1, maxLength: 3 }).map((items) => ({
    text: items.map((item) => item.text).join(','),
    values: [...new Set(items.flatMap((item) => item.values))].sort((left, right) => left - right),
    star: items.some((item) => item.star),
  }));
}

const expressionArbitrary = fc
  .tuple(
    fieldArbitrary(MINUTE),
    fieldArbitrary(HOUR),
    fieldArbitrary(DAY_OF_MONTH),
    fieldArbitrary(MONTH),
    fieldArbitrary(DAY_OF_WEEK),
  )
  .map(([minute, hour, dayOfMonth, month, dayOfWeek]) => ({
    expression: [minute, hour, dayOfMonth, month, dayOfWeek].map((field) => field.text).join(' '),
    minute,
    hour,
    dayOfMonth,
    month,
    dayOfWeek,
  }));

function fields(expression: string): FieldSchedule {
  const result = parseSchedule(expression);
  if (!result.ok) throw new Error(`${expression}: ${result.error}`);
  if (result.schedule.kind !== 'fields') throw new Error('expected fields');
  return result.schedule;
}

/** robfig's dayMatches, written from its definition, against the wall clock Intl reports. */
function matchesUnderRobfigRule(schedule: FieldSchedule, instant: number, zone: string): boolean {
  const wall = wallClock(instant, zone);
  const domMatch = schedule.daysOfMonth.includes(wall.day);
  const dowMatch = schedule.daysOfWeek.includes(wall.weekday);
  const dayMatch =
    schedule.dayOfMonthStar || schedule.dayOfWeekStar ? domMatch && dowMatch : domMatch || dowMatch;
  return (
    wall.second === 0 &&
    schedule.minutes.includes(wall.minute) &&
    schedule.hours.includes(wall.hour) &&
    schedule.months.includes(wall.month) &&
    dayMatch
  );
}

// Starting points: around the 2026 DST changes of the zones below, or anywhere in 2026-2027.
const TRANSITIONS = [
  '2026-03-08T07:00:00Z', // America/New_York
  '2026-11-01T06:00:00Z',
  '2026-03-29T01:00:00Z', // Europe/Berlin, Europe/London
  '2026-10-25T01:00:00Z',
  '2026-04-04T15:00:00Z', // Australia/Lord_Howe
  '2026-10-03T15:30:00Z',
  '2026-04-05T03:00:00Z', // America/Santiago
  '2026-09-06T04:00:00Z',
].map((instant) => Date.parse(instant));

const fromArbitrary = fc.oneof(
  fc
    .tuple(fc.constantFrom(...TRANSITIONS), fc.integer({ min: -3 * 86_400_000, max: 86_400_000 }))
    .map(([at, shift]) => at + shift),
  fc.integer({ min: Date.parse('2026-01-01T00:00:00Z'), max: Date.parse('2027-12-31T00:00:00Z') }),
);

/** Schedules dense enough around the changes to hit the interesting hours within a few runs. */
const nearTransitionExpression = expressionArbitrary.map((model) => ({
  ...model,
  expression: [model.minute.text, '0-4,22-23', '*', '*', model.dayOfWeek.text].join(' '),
}));

describe('properties', () => {
  it('parses random field expressions to the sets and star bits robfig gives them', () => {
    fc.assert(
      fc.property(expressionArbitrary, (model) => {
        const schedule = fields(model.expression);
        expect(schedule.minutes).toEqual(model.minute.values);
        expect(schedule.hours).toEqual(model.hour.values);
        expect(schedule.daysOfMonth).toEqual(model.dayOfMonth.values);
        expect(schedule.months).toEqual(model.month.values);
        expect(schedule.daysOfWeek).toEqual(model.dayOfWeek.values);
        expect(schedule.dayOfMonthStar).toBe(model.dayOfMonth.star);
        expect(schedule.dayOfWeekStar).toBe(model.dayOfWeek.star);
      }),
      { numRuns: 500 },
    );
  });

  it('every run matches the sets under robfig’s day rule, and runs strictly increase', () => {
    fc.assert(
      fc.property(
        expressionArbitrary,
        fromArbitrary,
        fc.constantFrom('UTC', 'Europe/Berlin', 'America/New_York'),
        (model, from, zone) => {
          const schedule = fields(model.expression);
          const runs = nextRuns(schedule, { from: new Date(from), timeZone: zone, count: 8 }).map(
            (run) => run.getTime(),
          );
          let previous = from;
          for (const run of runs) {
            expect(run).toBeGreaterThan(previous);
            expect(matchesUnderRobfigRule(schedule, run, zone)).toBe(true);
            previous = run;
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('equals the step-by-step robfig re-enactment, DST quirks included', () => {
    fc.assert(
      fc.property(
        fc.oneof(nearTransitionExpression, expressionArbitrary),
        fromArbitrary,
        fc.constantFrom(
          'UTC',
          'Europe/Berlin',
          'America/New_York',
          'America/Santiago',
          'Australia/Lord_Howe',
        ),
        (model, from, zone) => {
          const schedule = fields(model.expression);
          const expected = robfigRuns(schedule, zone, from, 4);
          const actual = nextRuns(schedule, { from: new Date(from), timeZone: zone, count: 4 }).map(
            (run) => run.getTime(),
          );
          expect(actual).toEqual(expected);
        },
      ),
      { numRuns: 120 },
    );
  });

  it('in UTC equals cron-parser run on toCronParserExpression', () => {
    fc.assert(
      fc.property(expressionArbitrary, fromArbitrary, (model, from) => {
        const schedule = fields(model.expression);
        const expression = toCronParserExpression(schedule);
        const actual = nextRuns(schedule, { from: new Date(from), count: 5 }).map((run) =>
          run.getTime(),
        );
        if (expression === undefined) {
          expect(actual).toEqual([]);
          return;
        }
        const iterator = CronExpressionParser.parse(expression, {
          currentDate: new Date(from),
          tz: 'UTC',
        });
        // cron-parser has no five-year limit; compare only what robfig reaches.
        const expected = iterator
          .take(5)
          .map((date) => date.getTime())
          .slice(0, actual.length);
        expect(actual).toEqual(expected);
      }),
      { numRuns: 150 },
    );
  });

  it('minInterval equals the smallest gap between the same runs from nextRuns', () => {
    fc.assert(
      fc.property(
        fc.oneof(nearTransitionExpression, expressionArbitrary),
        fromArbitrary,
        fc.constantFrom(
          'UTC',
          'Europe/Berlin',
          'America/New_York',
          'America/Santiago',
          'Australia/Lord_Howe',
        ),
        fc.integer({ min: 2, max: 60 }),
        (model, from, zone, count) => {
          const schedule = fields(model.expression);
          const runs = nextRuns(schedule, { from: new Date(from), timeZone: zone, count }).map(
            (run) => run.getTime(),
          );
          const last = runs[runs.length - 1];
          // minInterval looks 366 days ahead; compare when these runs end inside that window.
          fc.pre(runs.length === count && last !== undefined && last <= from + 366 * 86_400_000);
          const gaps = runs.slice(1).map((run, index) => (run - (runs[index] ?? 0)) / 1000);
          expect(minInterval(schedule, { from: new Date(from), timeZone: zone, runs: count })).toBe(
            Math.min(...gaps),
          );
        },
      ),
      { numRuns: 200 },
    );
  });
});
