/** Capped exponential backoff for reconnecting to the API server. */
export interface BackoffOptions {
  /** Delay before the first retry, in milliseconds. */
  initialMs: number;
  /** Upper bound of the delay, in milliseconds. */
  maxMs: number;
}

export const DEFAULT_BACKOFF: Readonly<BackoffOptions> = { initialMs: 500, maxMs: 30_000 };

/**
 * Doubles the delay after each failure up to `maxMs`, with "equal jitter" (half the
 * delay fixed, half random) so that many replicas restarted by the same API server
 * outage do not reconnect in lockstep, while each still waits at least half the step.
 */
export class Backoff {
  private failures = 0;

  constructor(
    private readonly options: Readonly<BackoffOptions> = DEFAULT_BACKOFF,
    private readonly random: () => number = Math.random,
  ) {}

  /** The delay to wait before the next attempt; each call counts one more failure. */
  next(): number {
    const step = Math.min(this.options.maxMs, this.options.initialMs * 2 ** this.failures);
    if (step < this.options.maxMs) this.failures += 1;
    return Math.round(step / 2 + (this.random() * step) / 2);
  }

  /** Called once the connection has proven healthy again. */
  reset(): void {
    this.failures = 0;
  }
}
