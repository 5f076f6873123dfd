/**
 * A work queue of string keys with the semantics of client-go's rate-limited
 * workqueue, which controllers rely on to stay correct under bursts of events:
 *
 * - A key waiting to be processed is queued once however often it is added, so a
 *   burst of events for one namespace costs one reconcile.
 * - A key is never processed twice at the same time. Adding it while it is being
 *   processed marks it dirty: it runs once more afterwards, so the change that
 *   arrived mid-run is not missed.
 * - Up to `concurrency` different keys are processed at once, in FIFO order.
 * - A failed key is retried after the larger of its own exponential backoff and the
 *   delay of a token bucket shared by all retries, so a broken API server is not
 *   hammered by many failing keys at once. First adds are never rate limited.
 */

/** Time source and timers; tests inject a fake one to control delays exactly. */
export interface QueueClock {
  now(): number;
  setTimeout(callback: () => void, delayMs: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface WorkQueueRetryOptions {
  /** Delay after the first failure of a key, doubled after each further one. Default 5 ms. */
  baseDelayMs?: number;
  /** Upper bound of a key's own backoff. Default 1000 s. */
  maxDelayMs?: number;
  /** Refill rate of the bucket shared by all retries, per second. Default 10. */
  qps?: number;
  /** Retries the bucket allows at once before qps applies. Default 100. */
  burst?: number;
}

export interface WorkQueueOptions {
  /** Processes one key; a rejection (or a throw) schedules a rate-limited retry of it. */
  process: (key: string) => Promise<void>;
  /** Keys processed at once; one at a time per key. Default 4. */
  concurrency?: number;
  /** client-go's defaults: 5 ms doubling to 1000 s per key, 10 qps / 100 burst overall. */
  retry?: WorkQueueRetryOptions;
  /** Told about every scheduled retry, e.g. to log it or count it. */
  onRetry?: (key: string, error: unknown, failures: number, delayMs: number) => void;
  clock?: QueueClock;
}

export const SYSTEM_QUEUE_CLOCK: QueueClock = {
  now: () => Date.now(),
  setTimeout: (callback, delayMs) => setTimeout(callback, delayMs),
  clearTimeout: (handle) => {
    clearTimeout(handle as ReturnType<typeof setTimeout>);
  },
};

const DEFAULT_CONCURRENCY = 4;
const DEFAULT_RETRY: Required<WorkQueueRetryOptions> = {
  baseDelayMs: 5,
  maxDelayMs: 1_000_000,
  qps: 10,
  burst: 100,
};

/** A token bucket like golang.org/x/time/rate: reservations may go into debt, paid off by delay. */
class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly qps: number,
    private readonly burst: number,
    now: number,
  ) {
    this.tokens = burst;
    this.last = now;
  }

  /** Takes one token and returns how long to wait until it is actually available. */
  reserve(now: number): number {
    const elapsedMs = Math.max(0, now - this.last);
    this.tokens = Math.min(this.burst, this.tokens + (elapsedMs * this.qps) / 1000);
    this.last = now;
    this.tokens -= 1;
    if (this.tokens >= 0) return 0;
    // The epsilon keeps float noise (e.g. 100.00000000001) from adding a whole millisecond.
    return Math.ceil((-this.tokens * 1000) / this.qps - 1e-9);
  }
}

interface DelayedKey {
  readyAt: number;
  handle: unknown;
}

export class WorkQueue {
  private readonly process: (key: string) => Promise<void>;
  private readonly concurrency: number;
  private readonly retry: Required<WorkQueueRetryOptions>;
  private readonly onRetry: WorkQueueOptions['onRetry'];
  private readonly clock: QueueClock;
  private readonly bucket: TokenBucket;

  /** Keys ready to run, in order. */
  private readonly ready: string[] = [];
  /** Keys that must run (again): those in `ready` plus processing keys added meanwhile. */
  private readonly dirty = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly running = new Set<Promise<void>>();
  private readonly delayed = new Map<string, DelayedKey>();
  private readonly failureCounts = new Map<string, number>();
  private idleWaiters: (() => void)[] = [];
  private shuttingDown = false;

  constructor(options: WorkQueueOptions) {
    const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      throw new RangeError(`WorkQueue concurrency must be a positive integer, got ${concurrency}`);
    }
    this.process = options.process;
    this.concurrency = concurrency;
    const retry = options.retry ?? {};
    this.retry = {
      baseDelayMs: retry.baseDelayMs ?? DEFAULT_RETRY.baseDelayMs,
      maxDelayMs: retry.maxDelayMs ?? DEFAULT_RETRY.maxDelayMs,
      qps: retry.qps ?? DEFAULT_RETRY.qps,
      burst: retry.burst ?? DEFAULT_RETRY.burst,
    };
    if (this.retry.qps <= 0 || this.retry.burst < 1) {
      throw new RangeError('WorkQueue retry qps must be > 0 and burst >= 1');
    }
    this.onRetry = options.onRetry;
    this.clock = options.clock ?? SYSTEM_QUEUE_CLOCK;
    this.bucket = new TokenBucket(this.retry.qps, this.retry.burst, this.clock.now());
  }

  /** Keys waiting to run (not processing, not delayed). */
  get length(): number {
    return this.ready.length;
  }

  add(key: string): void {
    if (this.shuttingDown || this.dirty.has(key)) return;
    this.dirty.add(key);
    // A processing key is queued again when its run ends (see finish()).
    if (this.processing.has(key)) return;
    this.ready.push(key);
    this.pump();
  }

  /** Adds the key once `delayMs` has passed; an earlier pending delay of the key wins. */
  addAfter(key: string, delayMs: number): void {
    if (this.shuttingDown) return;
    if (delayMs <= 0) {
      this.add(key);
      return;
    }
    const readyAt = this.clock.now() + delayMs;
    const pending = this.delayed.get(key);
    if (pending !== undefined) {
      if (pending.readyAt <= readyAt) return;
      this.clock.clearTimeout(pending.handle);
    }
    const handle = this.clock.setTimeout(() => {
      this.delayed.delete(key);
      this.add(key);
      this.checkIdle();
    }, delayMs);
    this.delayed.set(key, { readyAt, handle });
  }

  /** Resets the key's failure count, so its next failure is retried after the base delay. */
  forget(key: string): void {
    this.failureCounts.delete(key);
  }

  failures(key: string): number {
    return this.failureCounts.get(key) ?? 0;
  }

  /** Resolves when nothing waits, runs, or is scheduled for a retry or a delayed add. */
  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => {
      this.idleWaiters.push(resolve);
    });
  }

  /** Refuses new keys, drops waiting and delayed ones, and waits for the running ones. */
  async shutDown(): Promise<void> {
    this.shuttingDown = true;
    this.ready.length = 0;
    this.dirty.clear();
    for (const { handle } of this.delayed.values()) this.clock.clearTimeout(handle);
    this.delayed.clear();
    await Promise.all([...this.running]);
    this.checkIdle();
  }

  private pump(): void {
    while (this.processing.size < this.concurrency) {
      const key = this.ready.shift();
      if (key === undefined) return;
      this.dirty.delete(key);
      this.processing.add(key);
      const run = this.runKey(key);
      this.running.add(run);
      void run.finally(() => this.running.delete(run));
    }
  }

  private async runKey(key: string): Promise<void> {
    let failed = false;
    let failure: unknown;
    try {
      // Inside an async function a synchronous throw becomes a rejection, handled alike.
      await this.process(key);
    } catch (error) {
      failed = true;
      failure = error;
    }
    if (this.shuttingDown) {
      this.processing.delete(key);
      this.checkIdle();
      return;
    }
    if (failed) this.scheduleRetry(key, failure);
    else this.forget(key);
    this.processing.delete(key);
    if (this.dirty.has(key)) this.ready.push(key);
    this.pump();
    this.checkIdle();
  }

  private scheduleRetry(key: string, error: unknown): void {
    const failures = this.failures(key) + 1;
    this.failureCounts.set(key, failures);
    const ownDelay = Math.min(this.retry.maxDelayMs, this.retry.baseDelayMs * 2 ** (failures - 1));
    const delayMs = Math.max(ownDelay, this.bucket.reserve(this.clock.now()));
    try {
      this.onRetry?.(key, error, failures, delayMs);
    } catch {
      // An observer that throws must not stall the queue; the retry is scheduled anyway.
    }
    this.addAfter(key, delayMs);
  }

  private isIdle(): boolean {
    return this.ready.length === 0 && this.processing.size === 0 && this.delayed.size === 0;
  }

  private checkIdle(): void {
    if (!this.isIdle() || this.idleWaiters.length === 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
