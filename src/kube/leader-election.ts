import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import {
  ApiException,
  CoordinationV1Api,
  V1MicroTime,
  Observable,
  V1Lease,
  V1LeaseSpec,
  V1ObjectMeta,
  type KubeConfig,
  type ObservableMiddleware,
  type RequestContext,
  type ResponseContext,
} from '@kubernetes/client-node';
import type { SettableWriteGate } from '../watcher/leadership.js';
import type { KubeLogger } from './log.js';

/**
 * Leader election on a coordination.k8s.io/v1 Lease, following client-go's
 * leaderelection package so that cronguard replicas and client-go tooling read the
 * Lease the same way:
 *
 * - A candidate takes the Lease when it is absent, released (empty holder), or has
 *   not changed for leaseDurationSeconds *as observed on the candidate's own clock*.
 *   The renewTime written by another replica is never compared with our clock, so
 *   clock skew between nodes cannot make a live leader look expired.
 * - Every write is a create or a PUT carrying the resourceVersion that was read, so
 *   of two candidates racing for an expired Lease exactly one wins (the other gets 409).
 * - The leader renews every retryPeriod and steps down once renewDeadline has passed
 *   since the start of its last successful renewal. renewDeadline < leaseDuration, so
 *   it stops writing before any other replica may consider the Lease expired.
 */

/** Time source and timers; tests may inject their own. */
export interface ElectionClock {
  now(): number;
  setTimeout(callback: () => void, delayMs: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface LeaderElectionOptions {
  kubeConfig: KubeConfig;
  namespace: string;
  /** Name of the Lease object. */
  name: string;
  /** Unique per replica: the pod name in a cluster (see defaultLeaderIdentity). */
  identity: string;
  /** How long others wait after the Lease last changed before taking it. Default 15. */
  leaseDurationSeconds?: number;
  /** How long the leader keeps trying to renew before it steps down. Default 10. */
  renewDeadlineSeconds?: number;
  /** Interval between attempts to acquire or renew. Default 2. */
  retryPeriodSeconds?: number;
  gate: SettableWriteGate;
  logger: KubeLogger;
  clock?: ElectionClock;
  /** Jitter source for acquisition attempts; tests may pin it. */
  random?: () => number;
  /** fieldManager of the Lease writes. Default 'cronguard'. */
  fieldManager?: string;
}

export interface LeaderElection {
  isLeader(): boolean;
  /** The holder identity last seen in the Lease; undefined when none was seen or it was released. */
  holder(): string | undefined;
  /** Stops electing; a leader first closes its gate, then releases the Lease for a prompt handover. */
  stop(): Promise<void>;
}

const SYSTEM_CLOCK: ElectionClock = {
  now: () => Date.now(),
  setTimeout: (callback, delayMs) => setTimeout(callback, delayMs),
  clearTimeout: (handle) => {
    clearTimeout(handle as ReturnType<typeof setTimeout>);
  },
};

/** client-go's JitterFactor for acquisition retries: waits retryPeriod * [1, 2.2). */
const ACQUIRE_JITTER = 1.2;

/**
 * The identity of this replica: the pod name (POD_NAME, set from the downward API)
 * else the hostname plus a random suffix, which keeps two processes on one host
 * (or a restarted process whose old Lease is still live) from sharing an identity.
 */
export function defaultLeaderIdentity(
  env: Readonly<Record<string, string | undefined>>,
  host: string = hostname(),
  suffix: string = randomBytes(4).toString('hex'),
): string {
  const podName = env.POD_NAME?.trim();
  if (podName !== undefined && podName !== '') return podName;
  return `${host}_${suffix}`;
}

/** The fields of a Lease that make up client-go's leader election record. */
interface LeaderRecord {
  holderIdentity: string;
  leaseDurationSeconds: number;
  acquireTime: string;
  renewTime: string;
  leaseTransitions: number;
}

type AttemptOutcome = 'acquired' | 'held-by-other' | 'failed';

export function startLeaderElection(options: LeaderElectionOptions): LeaderElection {
  const elector = new LeaseElector(options);
  elector.start();
  return elector;
}

class LeaseElector implements LeaderElection {
  private readonly api: CoordinationV1Api;
  private readonly clock: ElectionClock;
  private readonly random: () => number;
  private readonly leaseDurationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private readonly leaseDurationSeconds: number;
  private readonly fieldManager: string;
  private readonly leaseRef: string;

  private leading = false;
  private stopped = false;
  /** The last record read or written, and when (our clock) it was first seen in that state. */
  private observed: LeaderRecord | undefined;
  private observedAt = 0;
  /** The Lease as last read or written, for the release on stop(). */
  private lastLease: V1Lease | undefined;
  private deadlineHandle: unknown;
  private wakeSleeper: (() => void) | undefined;
  private inFlight: AbortController | undefined;
  private failing = false;
  private loop: Promise<void> = Promise.resolve();

  constructor(private readonly options: LeaderElectionOptions) {
    this.leaseDurationSeconds = options.leaseDurationSeconds ?? 15;
    const renewDeadlineSeconds = options.renewDeadlineSeconds ?? 10;
    const retryPeriodSeconds = options.retryPeriodSeconds ?? 2;
    if (!Number.isInteger(this.leaseDurationSeconds) || this.leaseDurationSeconds < 1) {
      // The field is an int32 on the wire.
      throw new RangeError('leaseDurationSeconds must be a positive integer');
    }
    if (!(renewDeadlineSeconds < this.leaseDurationSeconds)) {
      throw new RangeError('renewDeadlineSeconds must be less than leaseDurationSeconds');
    }
    if (!(retryPeriodSeconds > 0 && ACQUIRE_JITTER * retryPeriodSeconds < renewDeadlineSeconds)) {
      throw new RangeError('renewDeadlineSeconds must exceed 1.2 * retryPeriodSeconds (> 0)');
    }
    this.leaseDurationMs = this.leaseDurationSeconds * 1000;
    this.renewDeadlineMs = renewDeadlineSeconds * 1000;
    this.retryPeriodMs = retryPeriodSeconds * 1000;
    this.api = options.kubeConfig.makeApiClient(CoordinationV1Api);
    this.clock = options.clock ?? SYSTEM_CLOCK;
    this.random = options.random ?? Math.random;
    this.fieldManager = options.fieldManager ?? 'cronguard';
    this.leaseRef = `${options.namespace}/${options.name}`;
  }

  start(): void {
    this.loop = this.run();
  }

  isLeader(): boolean {
    return this.leading;
  }

  holder(): string | undefined {
    const holder = this.observed?.holderIdentity;
    return holder === undefined || holder === '' ? undefined : holder;
  }

  async stop(): Promise<void> {
    if (this.stopped) {
      await this.loop;
      return;
    }
    this.stopped = true;
    const wasLeading = this.leading;
    // Writers stop before the Lease is released, so the next leader never overlaps us.
    this.stepDown('stopping');
    this.inFlight?.abort();
    this.wakeSleeper?.();
    await this.loop;
    if (wasLeading) await this.release();
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      try {
        const attemptStart = this.clock.now();
        const outcome = await this.attempt();
        if (this.stopped) return;
        if (outcome === 'acquired' && this.clock.now() - attemptStart < this.renewDeadlineMs) {
          this.becomeLeader(attemptStart);
          await this.renewWhileLeading();
          continue;
        }
      } catch (error) {
        // Only a bug (e.g. a gate listener that throws) gets here; the loop must survive it.
        this.options.logger.log('error', 'leader election failed unexpectedly', {
          lease: this.leaseRef,
          identity: this.options.identity,
          error: describe(error),
        });
        this.stepDown('unexpected error');
      }
      await this.sleep(this.retryPeriodMs * (1 + this.random() * ACQUIRE_JITTER));
    }
  }

  /** One acquire-or-renew attempt; never rejects. */
  private async attempt(): Promise<AttemptOutcome> {
    try {
      return await this.tryAcquireOrRenew();
    } catch (error) {
      return this.failed('attempt', error);
    }
  }

  private becomeLeader(renewedAt: number): void {
    this.leading = true;
    this.armDeadline(renewedAt);
    this.options.logger.log('info', 'became leader', {
      lease: this.leaseRef,
      identity: this.options.identity,
      holder: this.options.identity,
    });
    this.options.gate.set(true);
  }

  private async renewWhileLeading(): Promise<void> {
    while (this.leading && !this.stopped) {
      await this.sleep(this.retryPeriodMs);
      if (!this.leading || this.stopped) return;
      const attemptStart = this.clock.now();
      const outcome = await this.attempt();
      if (!this.leading || this.stopped) return;
      if (outcome === 'acquired') this.armDeadline(attemptStart);
      else if (outcome === 'held-by-other') this.stepDown('the lease is held by another replica');
      // On 'failed' keep trying every retryPeriod until the deadline timer steps us down.
    }
  }

  /**
   * Steps down renewDeadline after the start of the last successful renewal. A timer,
   * not a check after each request, because a request to an unreachable server can
   * hang for longer than the deadline.
   */
  private armDeadline(renewedAt: number): void {
    if (this.deadlineHandle !== undefined) this.clock.clearTimeout(this.deadlineHandle);
    const remainingMs = Math.max(0, renewedAt + this.renewDeadlineMs - this.clock.now());
    this.deadlineHandle = this.clock.setTimeout(() => {
      this.deadlineHandle = undefined;
      this.stepDown(`could not renew the lease within ${this.renewDeadlineMs} ms`);
    }, remainingMs);
  }

  private stepDown(reason: string): void {
    if (this.deadlineHandle !== undefined) {
      this.clock.clearTimeout(this.deadlineHandle);
      this.deadlineHandle = undefined;
    }
    if (!this.leading) return;
    this.leading = false;
    this.options.gate.set(false);
    this.inFlight?.abort();
    this.wakeSleeper?.();
    this.options.logger.log('info', 'lost leadership', {
      lease: this.leaseRef,
      identity: this.options.identity,
      holder: this.holder(),
      reason,
    });
  }

  private async tryAcquireOrRenew(): Promise<AttemptOutcome> {
    const now = this.clock.now();
    let lease: V1Lease;
    try {
      lease = await this.request((signal) =>
        this.api.readNamespacedLease(
          { name: this.options.name, namespace: this.options.namespace },
          withSignal(signal),
        ),
      );
    } catch (error) {
      if (statusOf(error) === 404) return this.create(now);
      return this.failed('read', error);
    }
    const record = recordOf(lease);
    this.observe(record);
    this.lastLease = lease;
    const holder = record.holderIdentity;
    const durationMs =
      record.leaseDurationSeconds > 0 ? record.leaseDurationSeconds * 1000 : this.leaseDurationMs;
    if (holder !== '' && holder !== this.options.identity && this.observedAt + durationMs > now) {
      this.succeeded();
      return 'held-by-other';
    }
    const renewing = holder === this.options.identity;
    const spec = leaseSpec(lease.spec, {
      holderIdentity: this.options.identity,
      leaseDurationSeconds: this.leaseDurationSeconds,
      // Keep the original acquireTime across renewals, as client-go does.
      acquireTime: renewing && record.acquireTime !== '' ? record.acquireTime : now,
      renewTime: now,
      leaseTransitions: renewing ? record.leaseTransitions : record.leaseTransitions + 1,
    });
    return this.replace(lease, spec, renewing ? 'renew' : 'acquire');
  }

  private async create(now: number): Promise<AttemptOutcome> {
    const metadata = new V1ObjectMeta();
    metadata.name = this.options.name;
    metadata.namespace = this.options.namespace;
    const body = leaseObject(
      metadata,
      leaseSpec(undefined, {
        holderIdentity: this.options.identity,
        leaseDurationSeconds: this.leaseDurationSeconds,
        acquireTime: now,
        renewTime: now,
        leaseTransitions: 0,
      }),
    );
    try {
      const created = await this.request((signal) =>
        this.api.createNamespacedLease(
          { namespace: this.options.namespace, body, fieldManager: this.fieldManager },
          withSignal(signal),
        ),
      );
      this.wrote(created);
      return 'acquired';
    } catch (error) {
      // 409 AlreadyExists: another replica created it first; read it on the next attempt.
      if (statusOf(error) === 409) return this.lostRace('create');
      return this.failed('create', error);
    }
  }

  private async replace(
    lease: V1Lease,
    spec: V1LeaseSpec,
    operation: 'renew' | 'acquire',
  ): Promise<AttemptOutcome> {
    try {
      this.wrote(await this.put(lease, spec));
      return 'acquired';
    } catch (error) {
      if (statusOf(error) === 409) return this.lostRace(operation);
      return this.failed(operation, error);
    }
  }

  /** client-go's release: an empty holder and a 1 s duration let the next replica take over at once. */
  private async release(): Promise<void> {
    const lease = this.lastLease;
    if (lease === undefined || recordOf(lease).holderIdentity !== this.options.identity) return;
    const now = this.clock.now();
    const spec = leaseSpec(lease.spec, {
      holderIdentity: '',
      leaseDurationSeconds: 1,
      acquireTime: now,
      renewTime: now,
      leaseTransitions: recordOf(lease).leaseTransitions,
    });
    try {
      await this.put(lease, spec);
      this.options.logger.log('info', 'released the lease', {
        lease: this.leaseRef,
        identity: this.options.identity,
      });
    } catch (error) {
      // Not fatal: the others take over once the lease expires.
      this.options.logger.log('warn', 'could not release the lease', {
        lease: this.leaseRef,
        identity: this.options.identity,
        error: describe(error),
      });
    }
  }

  /** PUT with the metadata (so the resourceVersion) we read: a concurrent write makes it 409. */
  private put(lease: V1Lease, spec: V1LeaseSpec): Promise<V1Lease> {
    const body = leaseObject(lease.metadata ?? new V1ObjectMeta(), spec);
    return this.request((signal) =>
      this.api.replaceNamespacedLease(
        {
          name: this.options.name,
          namespace: this.options.namespace,
          body,
          fieldManager: this.fieldManager,
        },
        withSignal(signal),
      ),
    );
  }

  /** Runs one API call, aborted after renewDeadline or when we step down or stop. */
  private async request<T>(call: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const controller = new AbortController();
    this.inFlight = controller;
    const timeout = this.clock.setTimeout(() => {
      controller.abort();
    }, this.renewDeadlineMs);
    try {
      return await call(controller.signal);
    } finally {
      this.clock.clearTimeout(timeout);
      if (this.inFlight === controller) this.inFlight = undefined;
    }
  }

  private observe(record: LeaderRecord): void {
    if (this.observed !== undefined && sameRecord(this.observed, record)) return;
    const previousHolder = this.holder();
    this.observed = record;
    this.observedAt = this.clock.now();
    const holder = this.holder();
    if (holder !== previousHolder && holder !== undefined && holder !== this.options.identity) {
      this.options.logger.log('info', 'observed a new leader', {
        lease: this.leaseRef,
        identity: this.options.identity,
        holder,
      });
    }
  }

  private wrote(lease: V1Lease): void {
    this.lastLease = lease;
    this.observed = recordOf(lease);
    this.observedAt = this.clock.now();
    this.succeeded();
  }

  private succeeded(): void {
    if (this.failing) {
      this.failing = false;
      this.options.logger.log('info', 'lease requests succeed again', { lease: this.leaseRef });
    }
  }

  private lostRace(operation: string): AttemptOutcome {
    this.succeeded();
    this.options.logger.log('debug', 'another replica wrote the lease first', {
      lease: this.leaseRef,
      identity: this.options.identity,
      operation,
    });
    return 'held-by-other';
  }

  private failed(operation: string, error: unknown): AttemptOutcome {
    // Warn once per outage; while it lasts every retry period would repeat the line.
    const level = this.failing ? 'debug' : 'warn';
    this.failing = true;
    if (!this.stopped) {
      this.options.logger.log(level, 'lease request failed', {
        lease: this.leaseRef,
        identity: this.options.identity,
        operation,
        status: statusOf(error),
        error: describe(error),
      });
    }
    return 'failed';
  }

  private sleep(delayMs: number): Promise<void> {
    return new Promise((resolve) => {
      const handle = this.clock.setTimeout(() => {
        this.wakeSleeper = undefined;
        resolve();
      }, delayMs);
      this.wakeSleeper = () => {
        this.clock.clearTimeout(handle);
        this.wakeSleeper = undefined;
        resolve();
      };
    });
  }
}

/**
 * client-node 1.4 passes a V1MicroTime through its serializer untouched and
 * JSON.stringify calls its toISOString, which pads milliseconds to the six
 * fractional digits MicroTime requires; a plain Date would send three and get 400.
 */
function microTime(time: number | string, fallback: number): V1MicroTime {
  const milliseconds = typeof time === 'number' ? time : Date.parse(time);
  // An unparseable time from another writer must not make toISOString() throw later.
  return new V1MicroTime(Number.isNaN(milliseconds) ? fallback : milliseconds);
}

/**
 * The typed client does not deserialize MicroTime (the fields arrive as the server's
 * strings despite their declared type); accept either form.
 */
function timeText(value: unknown): string {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? '' : value.toISOString();
  return typeof value === 'string' ? value : '';
}

/** A spec with the record's fields set; other fields of `base` (strategy, preferredHolder) are kept. */
function leaseSpec(
  base: V1LeaseSpec | undefined,
  record: Omit<LeaderRecord, 'acquireTime' | 'renewTime'> & {
    acquireTime: number | string;
    renewTime: number;
  },
): V1LeaseSpec {
  const spec = Object.assign(new V1LeaseSpec(), base);
  spec.holderIdentity = record.holderIdentity;
  spec.leaseDurationSeconds = record.leaseDurationSeconds;
  spec.acquireTime = microTime(record.acquireTime, record.renewTime);
  spec.renewTime = microTime(record.renewTime, record.renewTime);
  spec.leaseTransitions = record.leaseTransitions;
  return spec;
}

function leaseObject(metadata: V1ObjectMeta, spec: V1LeaseSpec): V1Lease {
  const lease = new V1Lease();
  lease.apiVersion = 'coordination.k8s.io/v1';
  lease.kind = 'Lease';
  lease.metadata = metadata;
  lease.spec = spec;
  return lease;
}

function recordOf(lease: V1Lease): LeaderRecord {
  const spec = lease.spec ?? new V1LeaseSpec();
  return {
    holderIdentity: spec.holderIdentity ?? '',
    leaseDurationSeconds: spec.leaseDurationSeconds ?? 0,
    acquireTime: timeText(spec.acquireTime),
    renewTime: timeText(spec.renewTime),
    leaseTransitions: spec.leaseTransitions ?? 0,
  };
}

function sameRecord(a: LeaderRecord, b: LeaderRecord): boolean {
  return (
    a.holderIdentity === b.holderIdentity &&
    a.leaseDurationSeconds === b.leaseDurationSeconds &&
    a.acquireTime === b.acquireTime &&
    a.renewTime === b.renewTime &&
    a.leaseTransitions === b.leaseTransitions
  );
}

/**
 * Per-call options that let an AbortSignal cancel the request. The object-style API
 * forwards them to the Observable API, so the middleware returns client-node's Observable.
 */
function withSignal(signal: AbortSignal): {
  middleware: ObservableMiddleware[];
  middlewareMergeStrategy: 'append';
} {
  const middleware: ObservableMiddleware = {
    pre: (context: RequestContext) => {
      context.setSignal(signal);
      return new Observable(Promise.resolve(context));
    },
    post: (context: ResponseContext) => new Observable(Promise.resolve(context)),
  };
  return { middleware: [middleware], middlewareMergeStrategy: 'append' };
}

function statusOf(error: unknown): number | undefined {
  return error instanceof ApiException ? (error as ApiException<unknown>).code : undefined;
}

function describe(error: unknown): string {
  if (error instanceof ApiException) {
    const body = (error as ApiException<unknown>).body;
    const message =
      typeof body === 'object' && body !== null && 'message' in body ? String(body.message) : '';
    return `HTTP ${(error as ApiException<unknown>).code}${message === '' ? '' : `: ${message}`}`;
  }
  return error instanceof Error ? error.message : String(error);
}
