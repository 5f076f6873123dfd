import { describe, expect, it } from 'vitest';
import {
  MemorySink,
  RunTracker,
  type RunTrackerOptions,
} from '../../../../src/watcher/runs/index.js';
import { NS, at, cronJob, job } from './builders.js';

const labels = { namespace: NS, cronjob: 'nightly' };
const STARTED = '2026-03-01T00:00:00Z';

function setup(options: Partial<RunTrackerOptions> = {}) {
  const sink = new MemorySink();
  const tracker = new RunTracker({ startedAt: at(STARTED), sink, ...options });
  tracker.upsertCronJob(cronJob());
  return { sink, tracker };
}

function activeJobs(tracker: RunTracker): number | undefined {
  return tracker.gauges(at('2026-03-01T12:00:00Z'))[0]?.activeJobs;
}

const running = job({ scheduled: '2026-03-01T01:00:00Z', start: '2026-03-01T01:00:05Z' });
const completed = job({
  scheduled: '2026-03-01T01:00:00Z',
  start: '2026-03-01T01:00:05Z',
  complete: '2026-03-01T01:10:05Z',
});

describe('jobs_total, job_duration_seconds, schedule_delay_seconds', () => {
  it('counts a Job once through repeated events and a relist', () => {
    const { sink, tracker } = setup();
    tracker.upsertJob(running);
    tracker.upsertJob(running);
    expect(activeJobs(tracker)).toBe(1);
    tracker.upsertJob(completed);
    tracker.upsertJob(completed);
    // Relist after 410 Gone: the same objects again, CronJob included.
    tracker.upsertCronJob(cronJob());
    tracker.upsertJob(completed);
    expect(sink.jobs(labels, 'succeeded')).toBe(1);
    expect(sink.durations(labels)).toEqual([600]);
    expect(sink.delays(labels)).toEqual([5]);
    expect(activeJobs(tracker)).toBe(0);
  });

  it('counts a Job once when a stale state arrives after the finished one', () => {
    const { sink, tracker } = setup();
    tracker.upsertJob(completed);
    tracker.upsertJob(running);
    tracker.upsertJob(job({ scheduled: '2026-03-01T01:00:00Z' }));
    expect(sink.jobs(labels, 'succeeded')).toBe(1);
    expect(sink.delays(labels)).toEqual([5]);
    // The stale running state does not make it active again.
    expect(activeJobs(tracker)).toBe(0);
  });

  it('labels failures with the Failed condition reason, unknown reasons as other', () => {
    const { sink, tracker } = setup();
    const failed = (hour: string, reason?: string) =>
      job({
        scheduled: `2026-03-01T${hour}:00:00Z`,
        start: `2026-03-01T${hour}:00:01Z`,
        failed: { at: `2026-03-01T${hour}:00:31Z`, ...(reason === undefined ? {} : { reason }) },
      });
    tracker.upsertJob(failed('01', 'BackoffLimitExceeded'));
    tracker.upsertJob(failed('02', 'DeadlineExceeded'));
    tracker.upsertJob(failed('03', 'SomethingNewInKubernetes2030'));
    tracker.upsertJob(failed('04'));
    expect(sink.jobs(labels, 'failed', 'BackoffLimitExceeded')).toBe(1);
    expect(sink.jobs(labels, 'failed', 'DeadlineExceeded')).toBe(1);
    expect(sink.jobs(labels, 'failed', 'other')).toBe(2);
    expect(sink.jobs(labels, 'succeeded')).toBe(0);
    // Failed Jobs have no completionTime: the condition's transition ends them.
    expect(sink.durations(labels)).toEqual([30, 30, 30, 30]);
  });

  it('waits for the terminal condition: SuccessCriteriaMet and FailureTarget are interim', () => {
    const { sink, tracker } = setup();
    const interim = job({
      scheduled: '2026-03-01T01:00:00Z',
      start: '2026-03-01T01:00:01Z',
      interim: ['FailureTarget'],
    });
    tracker.upsertJob(interim);
    expect(sink.snapshot()[`${NS}/nightly`]?.jobs).toEqual({});
    expect(activeJobs(tracker)).toBe(1);
    tracker.upsertJob(
      job({
        scheduled: '2026-03-01T01:00:00Z',
        start: '2026-03-01T01:00:01Z',
        interim: ['FailureTarget'],
        failed: { at: '2026-03-01T01:00:09Z', reason: 'PodFailurePolicy' },
      }),
    );
    expect(sink.jobs(labels, 'failed', 'PodFailurePolicy')).toBe(1);
  });

  it('after a restart, does not count what finished or started before startedAt', () => {
    const sink = new MemorySink();
    const tracker = new RunTracker({ startedAt: at('2026-03-01T02:00:00Z'), sink });
    tracker.upsertCronJob(cronJob());
    // Finished at 01:10, before this process: counted by the previous one.
    tracker.upsertJob(completed);
    // Started before, finishes after: counted (with its full duration), delay not observed again.
    tracker.upsertJob(
      job({
        scheduled: '2026-03-01T01:50:00Z',
        start: '2026-03-01T01:50:02Z',
        complete: '2026-03-01T02:05:02Z',
      }),
    );
    // Entirely new.
    tracker.upsertJob(job({ scheduled: '2026-03-01T02:00:00Z', start: '2026-03-01T02:00:03Z' }));
    expect(sink.jobs(labels, 'succeeded')).toBe(1);
    expect(sink.durations(labels)).toEqual([900]);
    expect(sink.delays(labels)).toEqual([3]);
  });

  it('never counts a deleted uid again, and forgets it after the memory period', () => {
    const { sink, tracker } = setup({ deletedJobMemorySeconds: 600 });
    tracker.upsertJob(completed);
    // A uid never seen alive is remembered as well (a replay of it must not count either).
    tracker.deleteJob(NS, 'never-seen', 'uid-never-seen', { at: at('2026-03-01T01:20:00Z') });
    const uid = completed.metadata?.uid ?? '';
    tracker.deleteJob(NS, 'nightly', uid, { at: at('2026-03-01T01:20:00Z') });
    // A replay from an old list snapshot.
    tracker.upsertJob(completed);
    expect(sink.jobs(labels, 'succeeded')).toBe(1);
    expect(tracker.size()).toMatchObject({ jobs: 0, deletedJobUids: 2 });
    tracker.tick(at('2026-03-01T01:29:59Z'));
    expect(tracker.size().deletedJobUids).toBe(2);
    tracker.tick(at('2026-03-01T01:30:00Z'));
    expect(tracker.size().deletedJobUids).toBe(0);
  });

  it('caps the remembered deleted uids', () => {
    const { tracker } = setup({ maxDeletedJobUids: 3 });
    for (let index = 0; index < 5; index++) tracker.deleteJob(NS, `j${index}`, `uid-${index}`);
    expect(tracker.size().deletedJobUids).toBe(3);
  });

  it('counts a Job whose finish is only known from the final state of its deletion', () => {
    const { sink, tracker } = setup();
    tracker.upsertJob(running);
    tracker.deleteJob(NS, 'x', running.metadata?.uid ?? '', { finalState: completed });
    expect(sink.jobs(labels, 'succeeded')).toBe(1);
    expect(activeJobs(tracker)).toBe(0);
  });

  it('keeps Jobs that arrive before their CronJob and settles them when it arrives', () => {
    const sink = new MemorySink();
    const tracker = new RunTracker({ startedAt: at(STARTED), sink });
    tracker.upsertJob(completed);
    expect(sink.snapshot()).toEqual({});
    tracker.upsertCronJob(cronJob());
    expect(sink.jobs(labels, 'succeeded')).toBe(1);
    tracker.upsertCronJob(cronJob());
    expect(sink.jobs(labels, 'succeeded')).toBe(1);
  });

  it('ignores Jobs without a controller CronJob owner and Jobs of an older CronJob of the same name', () => {
    const { sink, tracker } = setup();
    const finished = { start: '2026-03-01T01:00:00Z', complete: '2026-03-01T01:01:00Z' };
    tracker.upsertJob(job({ ...finished, name: 'a', owner: 'non-controller' }));
    tracker.upsertJob(job({ ...finished, name: 'b', owner: 'none' }));
    tracker.upsertJob(job({ ...finished, name: 'c', cronJobUid: 'previous-incarnation' }));
    expect(sink.snapshot()).toEqual({});
    expect(activeJobs(tracker)).toBe(0);
  });

  it('reads the scheduled time from the annotation in any offset, else from the name', () => {
    const { sink, tracker } = setup();
    tracker.upsertJob(
      job({
        scheduled: '2026-03-01T01:00:00Z',
        annotation: '2026-03-01T02:00:00+01:00',
        start: '2026-03-01T01:00:30Z',
      }),
    );
    tracker.upsertJob(
      job({ scheduled: '2026-03-01T02:00:00Z', annotate: false, start: '2026-03-01T02:00:07Z' }),
    );
    expect(sink.delays(labels)).toEqual([30, 7]);
  });

  it('observes no delay for manual Jobs or names that carry no scheduled minute, but counts them', () => {
    const { sink, tracker } = setup();
    const finished = { start: '2026-03-01T01:00:00Z', complete: '2026-03-01T01:01:00Z' };
    tracker.upsertJob(job({ ...finished, name: 'nightly-29538361', manual: true }));
    tracker.upsertJob(job({ ...finished, name: 'nightly-manual-4fk2x' }));
    expect(sink.delays(labels)).toEqual([]);
    expect(sink.jobs(labels, 'succeeded')).toBe(2);
  });

  it('observes the delay when the Job starts, not when it is created suspended', () => {
    const { sink, tracker } = setup();
    tracker.upsertJob(job({ scheduled: '2026-03-01T01:00:00Z' }));
    expect(sink.delays(labels)).toEqual([]);
    tracker.upsertJob(job({ scheduled: '2026-03-01T01:00:00Z', start: '2026-03-01T01:02:00Z' }));
    expect(sink.delays(labels)).toEqual([120]);
  });

  it('counts active Jobs from live state', () => {
    const { tracker } = setup();
    tracker.upsertJob(running);
    tracker.upsertJob(job({ scheduled: '2026-03-01T02:00:00Z', start: '2026-03-01T02:00:01Z' }));
    tracker.upsertJob(
      job({
        scheduled: '2026-03-01T03:00:00Z',
        start: '2026-03-01T03:00:01Z',
        complete: '2026-03-01T03:00:09Z',
      }),
    );
    expect(activeJobs(tracker)).toBe(2);
    tracker.deleteJob(NS, 'x', running.metadata?.uid ?? '');
    expect(activeJobs(tracker)).toBe(1);
  });
});
