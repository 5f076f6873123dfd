/**
 * Who may write to the cluster. The watcher's writers (mesh objects, PolicyReports,
 * Events) ask this before every write and restart their work when it changes, so
 * that with several replicas only the Lease holder writes while every replica keeps
 * its caches warm and serves metrics.
 */
export interface WriteGate {
  /** True while this process may write (holds the Lease, or runs without election). */
  isLeader(): boolean;
  /** Calls the listener on every change; returns a function that unsubscribes. */
  onChange(listener: (leading: boolean) => void): () => void;
}

/** The gate of a watcher that runs without leader election: always writes. */
export const ALWAYS_LEADER: WriteGate = {
  isLeader: () => true,
  onChange: () => () => undefined,
};

/** A gate whose state the owner sets; leader election drives one of these. */
export class SettableWriteGate implements WriteGate {
  private leading: boolean;
  private readonly listeners = new Set<(leading: boolean) => void>();

  constructor(initiallyLeading = false) {
    this.leading = initiallyLeading;
  }

  isLeader(): boolean {
    return this.leading;
  }

  onChange(listener: (leading: boolean) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  set(leading: boolean): void {
    if (leading === this.leading) return;
    this.leading = leading;
    for (const listener of [...this.listeners]) listener(leading);
  }
}
