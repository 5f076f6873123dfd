import { describe, expect, it } from 'vitest';
import { describeSchedule, explainSchedule, parseSchedule } from '../../../src/schedule/index.js';

const now = new Date('2026-11-24T19:14:00Z');

function describeExpression(expression: string): string {
  const result = parseSchedule(expression);
  if (!result.ok) throw new Error(result.error);
  return describeSchedule(result.schedule);
}

describe('describeSchedule', () => {
  it.each([
    ['0 */2 * * 1-5', 'at minute 0 past every 2nd hour on Monday through Friday'],
    ['* * * * *', 'every minute'],
    ['*/15 * * * *', 'every 15th minute'],
    ['5/15 * * * *', 'every 15th minute from 5 through 50'],
    ['0 * * * *', 'at minute 0 past every hour'],
    ['0,30 * * * *', 'at minutes 0 and 30 past every hour'],
    ['* 3 * * *', 'every minute past hour 3'],
    ['0 3 * * *', 'at 03:00'],
    ['30 9,17 * * *', 'at 09:30 and 17:30'],
    ['0 9-17 * * *', 'at minute 0 past every hour from 9 through 17'],
    ['0 0 1 * *', 'at 00:00 on day-of-month 1'],
    ['0 0 1,15 * *', 'at 00:00 on day-of-month 1 and 15'],
    ['0 0 1 * 1', 'at 00:00 on day-of-month 1 or on Monday'],
    ['0 0 */1 * 1', 'at 00:00 on Monday'],
    ['0 0 1-31 * 1', 'at 00:00'],
    ['0 0 * * 0,6', 'at 00:00 on Sunday and Saturday'],
    ['0 0 * * 1,3,5', 'at 00:00 on Monday, Wednesday and Friday'],
    ['0 12 * jan-mar,dec *', 'at 12:00 in January through March and December'],
    ['0 0 30 2 *', 'at 00:00 on day-of-month 30 in February'],
    ['@yearly', 'at 00:00 on day-of-month 1 in January'],
    ['@weekly', 'at 00:00 on Sunday'],
    ['@hourly', 'at minute 0 past every hour'],
    ['@every 1h30m', 'every 1 hour 30 minutes, counted from the previous scheduled run'],
    ['@every 90s', 'every 1 minute 30 seconds, counted from the previous scheduled run'],
    ['@every 48h', 'every 2 days, counted from the previous scheduled run'],
  ])('%s → %s', (expression, description) => {
    expect(describeExpression(expression)).toBe(description);
  });
});

describe('explainSchedule', () => {
  it('explains a valid schedule without a time zone', () => {
    expect(explainSchedule('0 */2 * * 1-5', { count: 3, now })).toEqual({
      valid: true,
      description: 'at minute 0 past every 2nd hour on Monday through Friday',
      timeZone: 'UTC',
      nextRuns: ['2026-11-24T20:00:00Z', '2026-11-24T22:00:00Z', '2026-11-25T00:00:00Z'],
      minIntervalSeconds: 7200,
      warnings: [
        'no time zone given: without spec.timeZone the kube-controller-manager uses its own local time zone (shown here as UTC, the usual setting); set spec.timeZone to make it explicit',
      ],
    });
  });

  it('renders runs with the zone offset', () => {
    const explanation = explainSchedule('0 3 * * *', { timeZone: 'Europe/Berlin', count: 2, now });
    expect(explanation.nextRuns).toEqual([
      '2026-11-25T03:00:00+01:00',
      '2026-11-26T03:00:00+01:00',
    ]);
    expect(explanation.timeZone).toBe('Europe/Berlin');
    expect(explanation.warnings).toEqual([]);
  });

  it('warns about DST skips and repeats in the next year', () => {
    const explanation = explainSchedule('30 2 * * *', { timeZone: 'Europe/Berlin', count: 1, now });
    expect(explanation.warnings).toEqual([
      'DST in Europe/Berlin on 2027-03-28: the 02:30 run is skipped (local times 02:00-02:59 do not exist)',
      'DST in Europe/Berlin on 2027-10-31: the 02:30 run happens twice (local times 02:00-02:59 happen twice)',
    ]);
    expect(explanation.minIntervalSeconds).toBe(3600);
  });

  it("warns about robfig's quirks at a change, from the runs the controller would make", () => {
    const santiago = explainSchedule('0 1 * * 6', {
      timeZone: 'America/Santiago',
      count: 1,
      now: new Date('2026-08-01T00:00:00Z'),
    });
    expect(santiago.warnings).toContain(
      "DST in America/Santiago on 2026-09-06: robfig/cron also runs at 2026-09-06 01:00, which the schedule does not name (a quirk of robfig/cron's search across the change, which the controller uses)",
    );
    const lordHowe = explainSchedule('0 2 * * *', {
      timeZone: 'Australia/Lord_Howe',
      count: 1,
      now: new Date('2026-03-01T00:00:00Z'),
    });
    expect(lordHowe.warnings[0]).toBe(
      "DST in Australia/Lord_Howe on 2026-04-05: the 02:00 run is skipped (a quirk of robfig/cron's search across the change, which the controller uses)",
    );
  });

  it('does not warn about DST for schedules that run every hour', () => {
    expect(
      explainSchedule('*/10 * * * *', { timeZone: 'Europe/Berlin', count: 1, now }).warnings,
    ).toEqual([]);
  });

  it('reports an invalid schedule with its fix', () => {
    expect(explainSchedule('0 0 * * 7', { count: 3, now })).toEqual({
      valid: false,
      error: 'day-of-week field "7": value 7 out of range 0-6',
      fix: 'use 0 for Sunday',
      description: '',
      timeZone: 'UTC',
      nextRuns: [],
      warnings: [],
    });
  });

  it('reports an invalid time zone', () => {
    const explanation = explainSchedule('@daily', { timeZone: 'Mars/Olympus', count: 3, now });
    expect(explanation.valid).toBe(false);
    expect(explanation.error).toBe('timeZone "Mars/Olympus": unknown time zone Mars/Olympus');
    expect(explanation.nextRuns).toEqual([]);
  });

  it('warns when the schedule never fires', () => {
    const explanation = explainSchedule('0 0 31 4,6,9,11 *', { timeZone: 'UTC', count: 3, now });
    expect(explanation.valid).toBe(true);
    expect(explanation.nextRuns).toEqual([]);
    expect(explanation.minIntervalSeconds).toBeUndefined();
    expect(explanation.warnings).toEqual([
      'never fires: no allowed month has day-of-month 31. The API server accepts it, but the CronJob controller never creates a Job and reports InvalidSchedule',
    ]);
  });

  it('warns about @every: undocumented, and below one minute', () => {
    const explanation = explainSchedule('@every 30s', { count: 2, now });
    expect(explanation.nextRuns).toEqual(['2026-11-24T19:14:30Z', '2026-11-24T19:15:00Z']);
    expect(explanation.minIntervalSeconds).toBe(30);
    expect(explanation.warnings).toHaveLength(2);
    expect(explanation.warnings[0]).toContain(
      '@every is accepted by the API server and the CronJob controller but is not documented',
    );
    expect(explanation.warnings[1]).toContain('below one minute');
    expect(explanation.warnings[1]).toContain('inferred from the naming rule');
  });

  it('does not warn below one minute for @every 1m', () => {
    const explanation = explainSchedule('@every 1m', { count: 1, now });
    expect(explanation.warnings.some((warning) => warning.includes('below one minute'))).toBe(
      false,
    );
  });

  it('passes parse notes on as warnings', () => {
    expect(explainSchedule('0 0 1 * 1', { timeZone: 'UTC', count: 1, now }).warnings).toEqual([
      'day-of-month "1" and day-of-week "1" are both restricted, so a day matching either one runs (OR, not AND)',
    ]);
  });
});
