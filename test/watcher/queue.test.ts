import { describe, expect, it } from 'vitest';
import { WorkQueue, type QueueClock, type WorkQueueOptions } from '../../src/watcher/queue.js';

/** Timers that fire only when the test advances time, so retry delays can be asserted exactly. */
class FakeClock implements QueueClock {
  private time = 0;
  private nextId = 0;
  private readonly timers = new Map<number, { at: number; callback: () => void }>();

  now(): number {
    return this.time;
  }

  setTimeout(callback: () => void, delayMs: number): unknown {
    this.nextId += 1;
    this.timers.set(this.nextId, { at: this.time + delayMs, callback });
    return this.nextId;
  }

  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }

  /** Delays of pending timers from now, ascending. */
  pending(): number[] {
    return [...this.timers.values()].map((timer) => timer.at - this.time).sort((a, b) => a - b);
  }

  /** Moves time forward, firing due timers in order and letting the work they start settle. */
  async advance(ms: number): Promise<void> {
    const target = this.time + ms;
    for (;;) {
      const due = [...this.timers.entries()]
        .filter(([, timer]) => timer.at <= target)
        .sort(([, a], [, b]) => a.at - b.at)[0];
      if (due === undefined) break;
      const [id, timer] = due;
      this.timers.delete(id);
      this.time = timer.at;
      timer.callback();
      await settle();
    }
    this.time = target;
    await settle();
  }
}

/** Lets every pending promise callback run (setImmediate comes after the microtask queue). */
async function settle(): Promise<void> {
  for (let i = 0; i < 3; i += 1) await new Promise((resolve) => setImmediate(resolve));
}

/** A promise the test resolves or rejects by hand. */
function deferred(): { promise: Promise<void>; resolve: () => void; reject: (e: Error) => void } {
  let resolve!: () => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

function queueWith(
  clock: FakeClock,
  process: WorkQueueOptions['process'],
  options: Partial<WorkQueueOptions> = {},
): WorkQueue {
  return new WorkQueue({ process, clock, ...options });
}

describe('WorkQueue', () => {
  it('queues a waiting key once however often it is added, in FIFO order', async () => {
    const clock = new FakeClock();
    const blocker = deferred();
    const calls: string[] = [];
    const queue = queueWith(
      clock,
      async (key) => {
        calls.push(key);
        if (key === 'first') await blocker.promise;
      },
      { concurrency: 1 },
    );
    queue.add('first');
    queue.add('a');
    queue.add('b');
    queue.add('a');
    queue.add('b');
    queue.add('c');
    expect(queue.length).toBe(3);
    blocker.resolve();
    await queue.idle();
    expect(calls).toEqual(['first', 'a', 'b', 'c']);
  });

  it('never runs one key twice at once and stays within the concurrency', async () => {
    const clock = new FakeClock();
    const inFlightPerKey = new Map<string, number>();
    let inFlight = 0;
    let maxInFlight = 0;
    let maxPerKey = 0;
    const lastAdd = new Map<string, number>();
    const lastStart = new Map<string, number>();
    let sequence = 0;
    const queue = queueWith(
      clock,
      async (key) => {
        sequence += 1;
        lastStart.set(key, sequence);
        const forKey = (inFlightPerKey.get(key) ?? 0) + 1;
        inFlightPerKey.set(key, forKey);
        inFlight += 1;
        maxPerKey = Math.max(maxPerKey, forKey);
        maxInFlight = Math.max(maxInFlight, inFlight);
        await new Promise((resolve) => setImmediate(resolve));
        inFlightPerKey.set(key, forKey - 1);
        inFlight -= 1;
      },
      { concurrency: 3 },
    );
    for (let round = 0; round < 40; round += 1) {
      for (const key of ['a', 'b', 'c', 'd', 'e']) {
        if ((round + key.charCodeAt(0)) % 3 === 0) continue;
        sequence += 1;
        lastAdd.set(key, sequence);
        queue.add(key);
      }
      if (round % 2 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    await queue.idle();
    expect(maxPerKey).toBe(1);
    expect(maxInFlight).toBe(3);
    // Every key ran after its last add: no change was swallowed by deduplication.
    for (const [key, added] of lastAdd) expect(lastStart.get(key)).toBeGreaterThan(added);
  });

  it('runs a key added while it was processing once more afterwards', async () => {
    const clock = new FakeClock();
    const blocker = deferred();
    let calls = 0;
    const queue = queueWith(clock, async () => {
      calls += 1;
      if (calls === 1) await blocker.promise;
    });
    queue.add('a');
    await settle();
    queue.add('a');
    queue.add('a');
    // Dirty, not waiting: it must not start a second, concurrent run.
    expect(queue.length).toBe(0);
    expect(calls).toBe(1);
    blocker.resolve();
    await queue.idle();
    expect(calls).toBe(2);
  });

  it('retries a failing key after exponential delays capped at maxDelayMs', async () => {
    const clock = new FakeClock();
    const retries: { failures: number; delayMs: number; error: unknown }[] = [];
    let calls = 0;
    const queue = queueWith(
      clock,
      () => {
        calls += 1;
        return Promise.reject(new Error(`failure ${calls}`));
      },
      {
        retry: { baseDelayMs: 10, maxDelayMs: 50 },
        onRetry: (_key, error, failures, delayMs) => retries.push({ failures, delayMs, error }),
      },
    );
    queue.add('a');
    await settle();
    expect(calls).toBe(1);
    expect(clock.pending()).toEqual([10]);
    await clock.advance(9);
    expect(calls).toBe(1);
    await clock.advance(1);
    expect(calls).toBe(2);
    for (const delay of [20, 40, 50]) await clock.advance(delay);
    expect(calls).toBe(5);
    expect(retries.map((retry) => [retry.failures, retry.delayMs])).toEqual([
      [1, 10],
      [2, 20],
      [3, 40],
      [4, 50],
      [5, 50],
    ]);
    expect((retries[0]?.error as Error).message).toBe('failure 1');
    expect(queue.failures('a')).toBe(5);
    await queue.shutDown();
  });

  it('limits a burst of failing keys with the shared token bucket', async () => {
    const clock = new FakeClock();
    const delays = new Map<string, number>();
    const queue = queueWith(clock, () => Promise.reject(new Error('down')), {
      concurrency: 4,
      retry: { baseDelayMs: 1, qps: 10, burst: 2 },
      onRetry: (key, _error, _failures, delayMs) => delays.set(key, delayMs),
    });
    for (const key of ['a', 'b', 'c', 'd']) queue.add(key);
    await settle();
    // Two tokens cover a and b; c and d wait for the bucket to refill at 10 per second.
    expect(Object.fromEntries(delays)).toEqual({ a: 1, b: 1, c: 100, d: 200 });
    expect(clock.pending()).toEqual([1, 1, 100, 200]);
    await queue.shutDown();
  });

  it('does not rate limit first adds', async () => {
    const clock = new FakeClock();
    const calls: string[] = [];
    const queue = queueWith(
      clock,
      (key) => {
        calls.push(key);
        return Promise.resolve();
      },
      { retry: { qps: 1, burst: 1 } },
    );
    for (let i = 0; i < 10; i += 1) queue.add(`key-${i}`);
    await queue.idle();
    expect(calls).toHaveLength(10);
    expect(clock.pending()).toEqual([]);
  });

  it('forgets the failures of a key after it succeeds, or when told to', async () => {
    const clock = new FakeClock();
    const outcomes = ['fail', 'fail', 'ok', 'fail', 'fail', 'fail'];
    const delays: number[] = [];
    const queue = queueWith(
      clock,
      () => (outcomes.shift() === 'ok' ? Promise.resolve() : Promise.reject(new Error('failed'))),
      {
        retry: { baseDelayMs: 10 },
        onRetry: (_key, _error, _failures, delayMs) => delays.push(delayMs),
      },
    );
    queue.add('a');
    await settle();
    await clock.advance(10);
    await clock.advance(20);
    expect(queue.failures('a')).toBe(0);
    queue.add('a');
    await settle();
    await clock.advance(10);
    expect(queue.failures('a')).toBe(2);
    queue.forget('a');
    await clock.advance(20);
    expect(delays).toEqual([10, 20, 10, 20, 10]);
    await queue.shutDown();
  });

  it('resolves idle() only once scheduled retries have finished', async () => {
    const clock = new FakeClock();
    let calls = 0;
    const queue = queueWith(
      clock,
      () => {
        calls += 1;
        return calls === 1 ? Promise.reject(new Error('once')) : Promise.resolve();
      },
      { retry: { baseDelayMs: 100 } },
    );
    let idle = false;
    queue.add('a');
    void queue.idle().then(() => {
      idle = true;
    });
    await settle();
    expect(calls).toBe(1);
    expect(idle).toBe(false);
    await clock.advance(99);
    expect(idle).toBe(false);
    await clock.advance(1);
    expect(calls).toBe(2);
    expect(idle).toBe(true);
  });

  it('waits in idle() for keys added with addAfter, keeping the earliest delay', async () => {
    const clock = new FakeClock();
    const calls: string[] = [];
    const queue = queueWith(clock, (key) => {
      calls.push(key);
      return Promise.resolve();
    });
    queue.addAfter('a', 50);
    queue.addAfter('a', 80);
    queue.addAfter('b', 30);
    queue.addAfter('b', 20);
    let idle = false;
    void queue.idle().then(() => {
      idle = true;
    });
    await clock.advance(20);
    expect(calls).toEqual(['b']);
    expect(idle).toBe(false);
    await clock.advance(30);
    expect(calls).toEqual(['b', 'a']);
    expect(idle).toBe(true);
    expect(clock.pending()).toEqual([]);
  });

  it('shuts down after running work finishes, dropping waiting and delayed keys', async () => {
    const clock = new FakeClock();
    const blocker = deferred();
    const calls: string[] = [];
    const queue = queueWith(
      clock,
      async (key) => {
        calls.push(key);
        if (key === 'running') await blocker.promise;
      },
      { concurrency: 1 },
    );
    queue.add('running');
    queue.add('waiting');
    queue.addAfter('delayed', 100);
    await settle();
    let shutDown = false;
    void queue.shutDown().then(() => {
      shutDown = true;
    });
    queue.add('late');
    await settle();
    expect(shutDown).toBe(false);
    // The running key fails: a queue that is shutting down must not schedule its retry.
    blocker.reject(new Error('failed while shutting down'));
    await settle();
    expect(shutDown).toBe(true);
    await clock.advance(1000);
    expect(calls).toEqual(['running']);
    expect(clock.pending()).toEqual([]);
    await queue.idle();
  });

  it('treats a process function that throws synchronously like a rejection', async () => {
    const clock = new FakeClock();
    const errors: unknown[] = [];
    let calls = 0;
    const queue = queueWith(
      clock,
      () => {
        calls += 1;
        throw new Error('sync');
      },
      {
        retry: { baseDelayMs: 10 },
        onRetry: (_key, error) => errors.push(error),
      },
    );
    expect(() => {
      queue.add('a');
    }).not.toThrow();
    await settle();
    expect(errors).toEqual([new Error('sync')]);
    expect(clock.pending()).toEqual([10]);
    await clock.advance(10);
    expect(calls).toBe(2);
    await queue.shutDown();
  });
});
