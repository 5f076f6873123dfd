import { describe, expect, it } from 'vitest';
import {
  MemorySink,
  RunTracker,
  type RunTrackerOptions,
} from '../../../../src/watcher/runs/index.js';
import { NS, at, cronJob, job, type CronJobInput } from './builders.js';

const labels = { namespace: NS, cronjob: 'nightly' };

function setup(input: CronJobInput = {}, options: Partial<RunTrackerOptions> = {}) {
  const sink = new MemorySink();
  const tracker = new RunTracker({ startedAt: at('2026-03-01T00:00:00Z'), sink, ...options });
  tracker.upsertCronJob(cronJob(input));
  return { sink, tracker };
}

function nextRun(tracker: RunTracker, now: string): string | undefined {
  const seconds = tracker.gauges(at(now))[0]?.nextScheduleTimestampSeconds;
  return seconds === undefined ? undefined : new Date(seconds * 1000).toISOString();
}

describe('next_schedule_timestamp_seconds', () => {
  it('follows the time zone across the spring DST change (Europe/Berlin)', () => {
    const { tracker } = setup({ schedule: '0 9 * * *', timeZone: 'Europe/Berlin' });
    expect(nextRun(tracker, '2026-03-27T10:00:00Z')).toBe('2026-03-28T08:00:00.000Z');
    expect(nextRun(tracker, '2026-03-28T10:00:00Z')).toBe('2026-03-29T07:00:00.000Z');
    expect(nextRun(tracker, '2026-10-24T10:00:00Z')).toBe('2026-10-25T08:00:00.000Z');
    // Asking again for an earlier time is not answered from the cache.
    expect(nextRun(tracker, '2026-03-27T10:00:00Z')).toBe('2026-03-28T08:00:00.000Z');
  });

  it('uses a CRON_TZ/TZ prefix in the schedule before spec.timeZone, as the controller does', () => {
    const prefixed = setup({ schedule: 'CRON_TZ=Europe/Berlin 0 9 * * *' }).tracker;
    expect(nextRun(prefixed, '2026-03-28T10:00:00Z')).toBe('2026-03-29T07:00:00.000Z');
    const both = setup({ schedule: 'TZ=Europe/Berlin 0 9 * * *', timeZone: 'Asia/Tokyo' }).tracker;
    expect(nextRun(both, '2026-03-28T10:00:00Z')).toBe('2026-03-29T07:00:00.000Z');
  });

  it("uses the controller's zone (an option, UTC by default) without spec.timeZone", () => {
    expect(nextRun(setup({ schedule: '0 9 * * *' }).tracker, '2026-03-28T10:00:00Z')).toBe(
      '2026-03-29T09:00:00.000Z',
    );
    const tokyo = setup({ schedule: '0 9 * * *' }, { defaultTimeZone: 'Asia/Tokyo' }).tracker;
    expect(nextRun(tokyo, '2026-03-28T10:00:00Z')).toBe('2026-03-29T00:00:00.000Z');
  });

  it('counts @every from the creation time, not from now', () => {
    const { tracker } = setup({ schedule: '@every 90m', created: '2026-01-01T00:00:00.600Z' });
    expect(nextRun(tracker, '2026-01-01T02:00:00Z')).toBe('2026-01-01T03:00:00.000Z');
    expect(nextRun(tracker, '2026-01-01T03:00:00Z')).toBe('2026-01-01T04:30:00.000Z');
  });

  it.each([
    ['suspended', { suspend: true }],
    ['an invalid schedule', { schedule: '61 * * * *' }],
    ['a schedule that never fires', { schedule: '0 0 30 2 *' }],
    ['an unknown time zone', { timeZone: 'Mars/Olympus_Mons' }],
  ])('is absent when %s', (_name, input: CronJobInput) => {
    const gauges = setup(input).tracker.gauges(at('2026-03-28T10:00:00Z'));
    expect(gauges).toHaveLength(1);
    expect(gauges[0]).not.toHaveProperty('nextScheduleTimestampSeconds');
  });

  it('ignores a CronJob copy older than one already seen (metadata.generation)', () => {
    const { tracker } = setup({ generation: 3, suspend: true });
    tracker.upsertCronJob(cronJob({ generation: 2, suspend: false }));
    expect(nextRun(tracker, '2026-03-28T10:00:00Z')).toBeUndefined();
    tracker.upsertCronJob(cronJob({ generation: 4, suspend: false }));
    expect(nextRun(tracker, '2026-03-28T10:00:00Z')).toBe('2026-03-28T11:00:00.000Z');
  });
});

describe('missed_schedules_total', () => {
  it('counts scheduled runs without a Job once their deadline (60 s + 15 s slack) has passed', () => {
    const { sink, tracker } = setup({ schedule: '0 * * * *' });
    tracker.upsertJob(job({ scheduled: '2026-03-01T01:00:00Z', start: '2026-03-01T01:00:02Z' }));
    // Name suffix only (no annotation) identifies the run as well.
    tracker.upsertJob(job({ scheduled: '2026-03-01T03:00:00Z', annotate: false }));
    tracker.tick(at('2026-03-01T04:01:00Z'));
    expect(sink.missed(labels, 'not_started')).toBe(1); // 02:00; 04:00 is still within its deadline
    tracker.upsertJob(job({ scheduled: '2026-03-01T04:00:00Z', start: '2026-03-01T04:01:10Z' }));
    tracker.tick(at('2026-03-01T04:30:00Z'));
    tracker.tick(at('2026-03-01T04:30:00Z'));
    tracker.tick(at('2026-03-01T04:20:00Z'));
    expect(sink.missed(labels, 'not_started')).toBe(1);
    tracker.tick(at('2026-03-01T05:30:00Z'));
    expect(sink.missed(labels, 'not_started')).toBe(2);
    expect(sink.missed(labels, 'forbid')).toBe(0);
  });

  it('waits for startingDeadlineSeconds (plus slack) when it is set', () => {
    const { sink, tracker } = setup({ schedule: '0 * * * *', startingDeadlineSeconds: 300 });
    tracker.upsertJob(job({ scheduled: '2026-03-01T01:00:00Z' }));
    tracker.upsertJob(job({ scheduled: '2026-03-01T02:00:00Z' }));
    tracker.upsertJob(job({ scheduled: '2026-03-01T03:00:00Z' }));
    tracker.tick(at('2026-03-01T04:05:14Z'));
    expect(sink.missed(labels, 'not_started')).toBe(0);
    tracker.tick(at('2026-03-01T04:05:15Z'));
    expect(sink.missed(labels, 'not_started')).toBe(1);
  });

  it('tells runs skipped by concurrencyPolicy Forbid from runs that did not start', () => {
    const jobs = [
      job({
        scheduled: '2026-03-01T01:00:00Z',
        start: '2026-03-01T01:00:01Z',
        complete: '2026-03-01T01:25:00Z',
      }),
      job({ scheduled: '2026-03-01T01:30:00Z', start: '2026-03-01T01:30:01Z' }),
    ];
    const forbid = setup({ schedule: '*/10 * * * *', concurrencyPolicy: 'Forbid' });
    const allow = setup({ schedule: '*/10 * * * *', concurrencyPolicy: 'Allow' });
    for (const { tracker } of [forbid, allow]) {
      for (const object of jobs) tracker.upsertJob(object);
      tracker.upsertJob(
        job({
          scheduled: '2026-03-01T01:30:00Z',
          start: '2026-03-01T01:30:01Z',
          complete: '2026-03-01T01:35:00Z',
        }),
      );
      tracker.tick(at('2026-03-01T00:59:00Z'));
      tracker.tick(at('2026-03-01T02:00:00Z'));
    }
    // 00:10…00:50: nothing was active. 01:10, 01:20: the 01:00 Job was. 01:40, 01:50: nothing.
    expect(forbid.sink.missed(labels, 'forbid')).toBe(2);
    expect(forbid.sink.missed(labels, 'not_started')).toBe(5 + 2);
    expect(allow.sink.missed(labels, 'forbid')).toBe(0);
    expect(allow.sink.missed(labels, 'not_started')).toBe(9);
  });

  it('remembers a deleted Job as a run (and as active time for Forbid)', () => {
    const { sink, tracker } = setup({ schedule: '*/10 * * * *', concurrencyPolicy: 'Forbid' });
    const long = job({ scheduled: '2026-03-01T00:10:00Z', start: '2026-03-01T00:10:01Z' });
    tracker.upsertJob(long);
    tracker.deleteJob(NS, 'x', long.metadata?.uid ?? '', { at: at('2026-03-01T00:25:00Z') });
    tracker.tick(at('2026-03-01T00:40:00Z'));
    // 00:10 ran; 00:20 was skipped under Forbid (the Job ran until its deletion at 00:25); 00:30 missed.
    expect(sink.missed(labels, 'forbid')).toBe(1);
    expect(sink.missed(labels, 'not_started')).toBe(1);
  });

  it('does not count runs while suspended (suspend and resume as observed)', () => {
    const { sink, tracker } = setup({ schedule: '0 * * * *' });
    tracker.upsertCronJob(cronJob({ generation: 2, suspend: true }), at('2026-03-01T01:30:00Z'));
    tracker.tick(at('2026-03-01T03:00:00Z'));
    tracker.upsertCronJob(cronJob({ generation: 3, suspend: false }), at('2026-03-01T03:30:00Z'));
    tracker.tick(at('2026-03-01T04:30:00Z'));
    // 01:00 and 04:00 missed; 02:00 and 03:00 were suspended.
    expect(sink.missed(labels, 'not_started')).toBe(2);
  });

  it('does not count runs of a CronJob first seen suspended', () => {
    const { sink, tracker } = setup({ schedule: '0 * * * *', suspend: true });
    tracker.tick(at('2026-03-01T05:00:00Z'));
    expect(sink.snapshot()).toEqual({});
  });

  it('never counts runs before the CronJob was created or before the watcher started', () => {
    const young = setup({ schedule: '0 * * * *', created: '2026-03-01T02:30:00Z' });
    young.tracker.tick(at('2026-03-01T04:30:00Z'));
    expect(young.sink.missed(labels, 'not_started')).toBe(2); // 03:00, 04:00
    const restarted = setup({ schedule: '0 * * * *' }, { startedAt: at('2026-03-01T02:10:00Z') });
    restarted.tracker.tick(at('2026-03-01T04:30:00Z'));
    expect(restarted.sink.missed(labels, 'not_started')).toBe(2); // 03:00, 04:00
  });

  it('does not count the period of an invalid schedule once it is fixed', () => {
    const { sink, tracker } = setup({ schedule: '0 25 * * *' });
    tracker.tick(at('2026-03-01T04:30:00Z'));
    tracker.upsertCronJob(cronJob({ generation: 2, schedule: '0 * * * *' }));
    tracker.tick(at('2026-03-01T05:30:00Z'));
    expect(sink.missed(labels, 'not_started')).toBe(1);
  });

  it('judges at most the last 100 runs per tick after a long pause', () => {
    const { sink, tracker } = setup({ schedule: '* * * * *' });
    tracker.tick(at('2026-03-01T10:00:00Z'));
    expect(sink.missed(labels, 'not_started')).toBe(100);
    tracker.tick(at('2026-03-01T10:05:00Z'));
    expect(sink.missed(labels, 'not_started')).toBe(105);
  });

  it('bounds the schedule walk and still judges the last runs (restart near the window end)', () => {
    const { sink, tracker } = setup({ schedule: '* * * * *' }, { maxMissedRunsPerTick: 10 });
    tracker.upsertJob(job({ scheduled: '2026-03-01T09:58:00Z' }));
    tracker.tick(at('2026-03-01T10:00:00Z'));
    // Runs 09:49 … 09:58 are the last ten whose deadline passed (judged until 09:58:45).
    expect(sink.missed(labels, 'not_started')).toBe(9);
  });

  it('follows the zone across DST: a skipped local time does not run, a repeated one runs twice', () => {
    const spring = setup(
      { schedule: '30 2 * * *', timeZone: 'Europe/Berlin' },
      { startedAt: at('2026-03-28T00:00:00Z') },
    );
    spring.tracker.tick(at('2026-03-31T00:00:00Z'));
    // 2026-03-28 02:30 CET and 2026-03-30 02:30 CEST; 2026-03-29 02:30 does not exist.
    expect(spring.sink.missed(labels, 'not_started')).toBe(2);

    const autumn = setup(
      { schedule: '30 2 * * *', timeZone: 'Europe/Berlin' },
      { startedAt: at('2026-10-24T12:00:00Z') },
    );
    autumn.tracker.upsertJob(
      job({ scheduled: '2026-10-25T00:30:00Z', annotation: '2026-10-25T02:30:00+02:00' }),
    );
    autumn.tracker.tick(at('2026-10-26T00:00:00Z'));
    // 02:30 CEST ran; 02:30 CET (an hour later, a different minute) did not.
    expect(autumn.sink.missed(labels, 'not_started')).toBe(1);
  });
});
