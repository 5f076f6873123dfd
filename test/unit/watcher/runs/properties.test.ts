import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../../../src/k8s/types.js';
import { MemorySink, RunTracker } from '../../../../src/watcher/runs/index.js';
import { at, cronJob, job, type JobInput } from './builders.js';

type Event =
  | { kind: 'upsert'; object: KubeObject }
  | { kind: 'delete'; uid: string; at: string }
  | { kind: 'tick'; at: string };

interface JobSpec {
  hour: number;
  startDelaySeconds: number;
  durationSeconds: number;
  outcome: 'running' | 'succeeded' | 'failed';
  reason: string;
  annotate: boolean;
  deleted: boolean;
}

const jobSpec: fc.Arbitrary<JobSpec> = fc.record({
  hour: fc.integer({ min: 0, max: 9 }),
  startDelaySeconds: fc.integer({ min: 0, max: 120 }),
  durationSeconds: fc.integer({ min: 1, max: 5000 }),
  outcome: fc.constantFrom('running', 'succeeded', 'failed'),
  reason: fc.constantFrom('BackoffLimitExceeded', 'DeadlineExceeded', 'Whatever'),
  annotate: fc.boolean(),
  deleted: fc.boolean(),
});

function iso(ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}

/** The states a Job goes through, oldest first: created, started, finished. */
function jobStates(spec: JobSpec, index: number): KubeObject[] {
  const scheduledMs = Date.parse('2026-03-01T00:00:00Z') + spec.hour * 3_600_000;
  const startMs = scheduledMs + spec.startDelaySeconds * 1000;
  const endMs = startMs + spec.durationSeconds * 1000;
  const base: JobInput = {
    scheduled: iso(scheduledMs),
    annotate: spec.annotate,
    uid: `job-${index}`,
    created: iso(startMs),
  };
  const states = [job(base), job({ ...base, start: iso(startMs) })];
  if (spec.outcome === 'succeeded')
    states.push(job({ ...base, start: iso(startMs), complete: iso(endMs) }));
  if (spec.outcome === 'failed') {
    states.push(
      job({ ...base, start: iso(startMs), failed: { at: iso(endMs), reason: spec.reason } }),
    );
  }
  return states;
}

function upserts(specs: JobSpec[]): Event[] {
  return specs.flatMap((spec, index) =>
    jobStates(spec, index).map((object): Event => ({ kind: 'upsert', object })),
  );
}

const TICKS: Event[] = ['04:00', '08:00', '12:00'].map((time) => ({
  kind: 'tick',
  at: `2026-03-01T${time}:00Z`,
}));

function run(events: Event[]) {
  const sink = new MemorySink();
  const tracker = new RunTracker({ startedAt: at('2026-03-01T03:00:00Z'), sink });
  tracker.upsertCronJob(cronJob({ schedule: '0 * * * *', concurrencyPolicy: 'Forbid' }));
  for (const event of events) {
    if (event.kind === 'upsert') tracker.upsertJob(event.object);
    else if (event.kind === 'delete')
      tracker.deleteJob('team-a', 'x', event.uid, { at: at(event.at) });
    else tracker.tick(at(event.at));
  }
  return { counters: sink.snapshot(), gauges: tracker.gauges(at('2026-03-01T12:00:00Z')) };
}

describe('run metrics properties', () => {
  // Deleted uids are remembered for 10 minutes (deletedJobMemorySeconds), so the
  // replay comes within that period, as a relist after a dropped watch does.
  it('feeding the same event sequence twice gives the same metrics as once', () => {
    fc.assert(
      fc.property(fc.array(jobSpec, { minLength: 1, maxLength: 8 }), (specs) => {
        const deletes = specs.flatMap((spec, index): Event[] =>
          spec.deleted ? [{ kind: 'delete', uid: `job-${index}`, at: '2026-03-01T11:55:00Z' }] : [],
        );
        const events = [...upserts(specs), TICKS[0]!, TICKS[1]!, ...deletes, TICKS[2]!];
        expect(run([...events, ...events])).toEqual(run(events));
      }),
    );
  });

  it('shuffled, duplicated events give the same metrics as the ordered ones', () => {
    const scenario = fc.array(jobSpec, { minLength: 1, maxLength: 8 }).chain((specs) => {
      const events = upserts(specs);
      const duplicated = fc
        .array(fc.integer({ min: 0, max: events.length - 1 }), { maxLength: 12 })
        .map((picks) => [...events, ...picks.map((pick) => events[pick]!)]);
      return fc.tuple(
        fc.constant(events),
        duplicated.chain((all) =>
          fc.shuffledSubarray(all, { minLength: all.length, maxLength: all.length }),
        ),
      );
    });
    fc.assert(
      fc.property(scenario, ([ordered, shuffled]) => {
        expect(run([...shuffled, ...TICKS])).toEqual(run([...ordered, ...TICKS]));
      }),
    );
  });

  it('the properties can fail: a Job seen finished is counted, one never finished is not', () => {
    const spec: JobSpec = {
      hour: 5,
      startDelaySeconds: 1,
      durationSeconds: 10,
      outcome: 'succeeded',
      reason: 'x',
      annotate: true,
      deleted: false,
    };
    const once = run(upserts([spec]));
    const withoutFinish = run(upserts([{ ...spec, outcome: 'running' }]));
    expect(once.counters).not.toEqual(withoutFinish.counters);
  });
});
