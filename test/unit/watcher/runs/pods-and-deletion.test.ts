import { describe, expect, it } from 'vitest';
import { MemorySink, RunTracker } from '../../../../src/watcher/runs/index.js';
import { NS, at, cronJob, job, pod } from './builders.js';

const labels = { namespace: NS, cronjob: 'nightly' };
const NOW = at('2026-03-01T12:00:00Z');

function setup() {
  const sink = new MemorySink();
  const tracker = new RunTracker({ startedAt: at('2026-03-01T00:00:00Z'), sink });
  tracker.upsertCronJob(cronJob());
  const running = job({
    scheduled: '2026-03-01T01:00:00Z',
    start: '2026-03-01T01:00:01Z',
    uid: 'job-1',
  });
  tracker.upsertJob(running);
  return { sink, tracker };
}

function blocked(tracker: RunTracker): number | undefined {
  return tracker.gauges(NOW)[0]?.sidecarBlockedJobs;
}

describe('sidecar_blocked_jobs', () => {
  it('counts a Job whose app containers ended while the classic istio-proxy runs on', () => {
    const { tracker } = setup();
    tracker.upsertPod(
      pod({ uid: 'p1', jobUid: 'job-1', containers: { app: 'running', 'istio-proxy': 'running' } }),
    );
    expect(blocked(tracker)).toBe(0);
    tracker.upsertPod(
      pod({
        uid: 'p1',
        jobUid: 'job-1',
        containers: { app: 'terminated', 'istio-proxy': 'running' },
      }),
    );
    expect(blocked(tracker)).toBe(1);
    // The proxy told to quit (/quitquitquit): the pod finishes.
    tracker.upsertPod(
      pod({
        uid: 'p1',
        jobUid: 'job-1',
        containers: { app: 'terminated', 'istio-proxy': 'terminated' },
        phase: 'Succeeded',
      }),
    );
    expect(blocked(tracker)).toBe(0);
  });

  it('does not count native sidecars (init containers with restartPolicy Always)', () => {
    const { tracker } = setup();
    tracker.upsertPod(
      pod({
        uid: 'p1',
        jobUid: 'job-1',
        containers: { app: 'terminated' },
        nativeSidecars: { 'istio-proxy': 'running' },
      }),
    );
    expect(blocked(tracker)).toBe(0);
  });

  it('counts linkerd-proxy too, also while it restarts, and each Job once', () => {
    const { tracker } = setup();
    tracker.upsertPod(
      pod({
        uid: 'p1',
        jobUid: 'job-1',
        containers: { app: 'terminated', helper: 'terminated', 'linkerd-proxy': 'waiting' },
      }),
    );
    tracker.upsertPod(
      pod({
        uid: 'p2',
        jobUid: 'job-1',
        containers: { app: 'terminated', 'linkerd-proxy': 'running' },
      }),
    );
    expect(blocked(tracker)).toBe(1);
    tracker.deletePod(NS, 'pod-p1', 'p1');
    expect(blocked(tracker)).toBe(1);
    tracker.deletePod(NS, 'pod-p2', 'p2');
    expect(blocked(tracker)).toBe(0);
    expect(tracker.size().blockedPods).toBe(0);
  });

  it('ignores pods of finished Jobs, of other Jobs and pods without a proxy', () => {
    const { tracker } = setup();
    tracker.upsertPod(pod({ uid: 'p1', jobUid: 'job-1', containers: { app: 'terminated' } }));
    tracker.upsertPod(
      pod({
        uid: 'p2',
        jobUid: 'other',
        containers: { app: 'terminated', 'istio-proxy': 'running' },
      }),
    );
    expect(blocked(tracker)).toBe(0);
    tracker.upsertPod(
      pod({
        uid: 'p3',
        jobUid: 'job-1',
        containers: { app: 'terminated', 'istio-proxy': 'running' },
      }),
    );
    expect(blocked(tracker)).toBe(1);
    tracker.upsertJob(
      job({
        scheduled: '2026-03-01T01:00:00Z',
        start: '2026-03-01T01:00:01Z',
        failed: { at: '2026-03-01T02:00:01Z', reason: 'DeadlineExceeded' },
        uid: 'job-1',
      }),
    );
    expect(blocked(tracker)).toBe(0);
  });
});

describe('deleting a CronJob', () => {
  it('removes its series and stops counting its Jobs and runs', () => {
    const { sink, tracker } = setup();
    tracker.upsertJob(
      job({
        scheduled: '2026-03-01T02:00:00Z',
        start: '2026-03-01T02:00:01Z',
        complete: '2026-03-01T02:00:11Z',
      }),
    );
    tracker.tick(at('2026-03-01T03:30:00Z'));
    expect(sink.jobs(labels, 'succeeded')).toBe(1);
    expect(sink.missed(labels, 'not_started')).toBe(1);

    tracker.deleteCronJob(NS, 'nightly');
    expect(sink.removed).toEqual([labels]);
    expect(tracker.labelSets()).toEqual([]);
    expect(tracker.gauges(NOW)).toEqual([]);
    // A stale copy of the deleted CronJob (same uid) does not bring it back.
    tracker.upsertCronJob(cronJob());
    expect(tracker.labelSets()).toEqual([]);
    // Its Jobs finishing afterwards (before garbage collection) create no series again.
    tracker.upsertJob(
      job({
        scheduled: '2026-03-01T01:00:00Z',
        start: '2026-03-01T01:00:01Z',
        complete: '2026-03-01T03:40:00Z',
        uid: 'job-1',
      }),
    );
    tracker.tick(at('2026-03-01T06:00:00Z'));
    expect(sink.snapshot()).toEqual({});
    tracker.deleteCronJob(NS, 'nightly');
    expect(sink.removed).toHaveLength(1);
  });

  it('treats a CronJob seen again under a new uid as a new CronJob', () => {
    const { sink, tracker } = setup();
    tracker.upsertCronJob(cronJob({ uid: 'cj-uid-2', created: '2026-03-01T05:00:00Z' }));
    expect(sink.removed).toEqual([labels]);
    // The old incarnation's running Job is not this CronJob's.
    expect(tracker.gauges(NOW)[0]?.activeJobs).toBe(0);
    tracker.upsertJob(
      job({
        scheduled: '2026-03-01T06:00:00Z',
        start: '2026-03-01T06:00:01Z',
        cronJobUid: 'cj-uid-2',
      }),
    );
    expect(tracker.gauges(NOW)[0]?.activeJobs).toBe(1);
  });
});
