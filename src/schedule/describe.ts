/**
 * Plain-English descriptions of parsed schedules, e.g. "at minute 0 past every
 * 2nd hour on Monday through Friday". Built from the expanded sets (not the
 * source text) so the wording always reflects what the controller will do,
 * including robfig's day-of-month/day-of-week rule.
 */
import type { FieldSchedule, ParsedSchedule } from './types.js';

const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
/** English month names, index 0 = January. */
export const MONTH_NAMES: readonly string[] = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

type SetShape =
  | { kind: 'none' }
  | { kind: 'all' }
  | { kind: 'single'; value: number }
  | { kind: 'step'; start: number; step: number; last: number }
  | { kind: 'range'; start: number; end: number }
  | { kind: 'list'; values: readonly number[] };

function shapeOf(values: readonly number[], min: number, max: number): SetShape {
  const first = values[0];
  const last = values[values.length - 1];
  if (first === undefined || last === undefined) return { kind: 'none' };
  if (values.length === max - min + 1) return { kind: 'all' };
  if (values.length === 1) return { kind: 'single', value: first };
  const step = (values[1] ?? first) - first;
  const isProgression = values.every((value, index) => value === first + index * step);
  if (isProgression && step === 1 && values.length >= 3)
    return { kind: 'range', start: first, end: last };
  if (isProgression && step > 1 && values.length >= 3)
    return { kind: 'step', start: first, step, last };
  return { kind: 'list', values };
}

export function ordinal(value: number): string {
  const lastTwo = value % 100;
  if (lastTwo >= 11 && lastTwo <= 13) return `${value}th`;
  switch (value % 10) {
    case 1:
      return `${value}st`;
    case 2:
      return `${value}nd`;
    case 3:
      return `${value}rd`;
    default:
      return `${value}th`;
  }
}

/** "a", "a and b", "a, b and c"; runs of three or more consecutive values become "x through y". */
function joinValues(values: readonly number[], name: (value: number) => string): string {
  const items: string[] = [];
  let index = 0;
  while (index < values.length) {
    let end = index;
    while (end + 1 < values.length && values[end + 1] === (values[end] ?? 0) + 1) end++;
    const start = values[index] ?? 0;
    if (end - index >= 2) {
      items.push(`${name(start)} through ${name(values[end] ?? 0)}`);
      index = end + 1;
    } else {
      items.push(name(start));
      index++;
    }
  }
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1] ?? ''}`;
}

interface Unit {
  singular: string;
  plural: string;
  min: number;
  max: number;
  name: (value: number) => string;
}

const MINUTE_UNIT: Unit = { singular: 'minute', plural: 'minutes', min: 0, max: 59, name: String };
const HOUR_UNIT: Unit = { singular: 'hour', plural: 'hours', min: 0, max: 23, name: String };
const DAY_OF_MONTH_UNIT: Unit = {
  singular: 'day-of-month',
  plural: 'day-of-month',
  min: 1,
  max: 31,
  name: String,
};

/** "every 15th minute", "every hour from 9 through 17", "minutes 0 and 30", "hour 3". */
function phrase(values: readonly number[], unit: Unit): string {
  const shape = shapeOf(values, unit.min, unit.max);
  switch (shape.kind) {
    case 'none':
      return `no ${unit.singular}`;
    case 'all':
      return `every ${unit.singular}`;
    case 'single':
      return `${unit.singular} ${unit.name(shape.value)}`;
    case 'range':
      return `every ${unit.singular} from ${unit.name(shape.start)} through ${unit.name(shape.end)}`;
    case 'step': {
      const reachesEnd = shape.last + shape.step > unit.max;
      const startsAtBeginning = shape.start === unit.min;
      const base = `every ${ordinal(shape.step)} ${unit.singular}`;
      return startsAtBeginning && reachesEnd
        ? base
        : `${base} from ${unit.name(shape.start)} through ${unit.name(shape.last)}`;
    }
    case 'list':
      return `${unit.plural} ${joinValues(shape.values, unit.name)}`;
  }
}

function namedList(values: readonly number[], names: readonly string[]): string {
  return joinValues(values, (value) => names[value] ?? String(value));
}

function clock(minuteOfDay: number): string {
  const hours = String(Math.floor(minuteOfDay / 60)).padStart(2, '0');
  const minutes = String(minuteOfDay % 60).padStart(2, '0');
  return `${hours}:${minutes}`;
}

function timePart(schedule: FieldSchedule): string {
  const { minutes, hours } = schedule;
  const hoursShape = shapeOf(hours, 0, 23);
  // A handful of fixed clock times reads best as a list: "at 09:00 and 17:30".
  if (hoursShape.kind !== 'all' && minutes.length * hours.length <= 4 && minutes.length <= 2) {
    const times = hours.flatMap((hour) => minutes.map((minute) => hour * 60 + minute));
    return `at ${joinTimes(times)}`;
  }
  const minuteShape = shapeOf(minutes, 0, 59);
  const minutePhrase = phrase(minutes, MINUTE_UNIT);
  const lead =
    minuteShape.kind === 'single' || minuteShape.kind === 'list'
      ? `at ${minutePhrase}`
      : minutePhrase;
  if (hoursShape.kind === 'all') {
    return minuteShape.kind === 'single' || minuteShape.kind === 'list'
      ? `${lead} past every hour`
      : lead;
  }
  return `${lead} past ${phrase(hours, HOUR_UNIT)}`;
}

function joinTimes(times: readonly number[]): string {
  const labels = times.map(clock);
  if (labels.length <= 1) return labels.join('');
  return `${labels.slice(0, -1).join(', ')} and ${labels[labels.length - 1] ?? ''}`;
}

function dayOfWeekPhrase(values: readonly number[]): string {
  return values.length === 0 ? 'no day-of-week' : namedList(values, WEEKDAYS);
}

function dayPart(schedule: FieldSchedule): string {
  const domAll = schedule.daysOfMonth.length === 31;
  const dowAll = schedule.daysOfWeek.length === 7;
  const domPhrase = `on ${phrase(schedule.daysOfMonth, DAY_OF_MONTH_UNIT)}`;
  const dowPhrase = `on ${dayOfWeekPhrase(schedule.daysOfWeek)}`;
  if (schedule.dayOfMonthStar || schedule.dayOfWeekStar) {
    // AND, and the starred field allows every day, so the other one alone restricts.
    if (dowAll) return domAll ? '' : ` ${domPhrase}`;
    return ` ${dowPhrase}`;
  }
  // OR: a complete field makes every day match; an empty one leaves the other.
  if (domAll || dowAll) return '';
  if (schedule.daysOfMonth.length === 0) return ` ${dowPhrase}`;
  if (schedule.daysOfWeek.length === 0) return ` ${domPhrase}`;
  return ` ${domPhrase} or ${dowPhrase}`;
}

function monthPart(schedule: FieldSchedule): string {
  if (schedule.months.length === 12) return '';
  if (schedule.months.length === 0) return ' in no month';
  return ` in ${namedList(
    schedule.months.map((month) => month - 1),
    MONTH_NAMES,
  )}`;
}

/** "1 hour 30 minutes", "45 seconds". */
export function describeSeconds(totalSeconds: number): string {
  const parts: string[] = [];
  const units: [number, string][] = [
    [86_400, 'day'],
    [3_600, 'hour'],
    [60, 'minute'],
    [1, 'second'],
  ];
  let rest = totalSeconds;
  for (const [size, name] of units) {
    const amount = Math.floor(rest / size);
    if (amount > 0) {
      parts.push(`${amount} ${name}${amount === 1 ? '' : 's'}`);
      rest -= amount * size;
    }
  }
  return parts.length === 0 ? '0 seconds' : parts.join(' ');
}

export function describeSchedule(schedule: ParsedSchedule): string {
  if (schedule.kind === 'every') {
    return `every ${describeSeconds(schedule.intervalSeconds)}, counted from the previous scheduled run`;
  }
  return `${timePart(schedule)}${dayPart(schedule)}${monthPart(schedule)}`;
}
