/**
 * The run metrics of CronJobs, computed from informer events (pure: no clock, no
 * I/O). Feed it CronJob, Job and Pod upserts and deletes in any order, repeated
 * or relisted, and call tick(now) periodically; counter increments and histogram
 * observations go to a RunMetricsSink, gauges are read with gauges(now).
 *
 * Counting rules (docs/metrics.md has the reasoning):
 * - A Job belongs to a CronJob through its controller ownerReference (by uid, so a
 *   CronJob deleted and created again under the same name does not inherit the old
 *   Jobs). Jobs whose CronJob is not known yet are kept and settled when it arrives.
 * - Each Job uid is counted at most once: its start (schedule delay) once, its
 *   finish (jobs_total, duration) once. State only moves forward (a stale event
 *   cannot un-finish a Job), deleted uids are remembered for a while so a late
 *   replay cannot count them again.
 * - A start or finish that happened before `startedAt` belongs to a previous
 *   watcher process (or to history) and is not counted.
 */
import type { KubeObject } from '../../k8s/types.js';
import type { CronJobLabels, JobOutcome, MissedReason } from './definitions.js';
import {
  controllerOwner,
  creationMs,
  DEFAULT_PROXY_CONTAINER_NAMES,
  identity,
  isSidecarBlocked,
  jobFinish,
  jobStartMs,
  podJobUid,
  scheduledTimeMs,
  type JobFinish,
} from './objects.js';
import { nextRunAfter, resolveSchedule, runsInWindow, type CronJobSchedule } from './schedule.js';
import type { RunMetricsSink } from './sink.js';

const MS_PER_SECOND = 1000;
const MS_PER_MINUTE = 60_000;
/** Clock skew between the API server and the controller makes tiny negative delays real. */
const NEGATIVE_DELAY_TOLERANCE_MS = 60_000;

export interface RunTrackerOptions {
  /** When this watcher process started: starts and finishes before it are not counted. */
  startedAt: Date;
  sink?: RunMetricsSink;
  /** The zone of CronJobs without spec.timeZone: kube-controller-manager's local zone. Default UTC. */
  defaultTimeZone?: string;
  /** How long after its scheduled time a run without startingDeadlineSeconds may still start. Default 60. */
  defaultStartingDeadlineSeconds?: number;
  /** Added to the deadline for the controller's and the informers' latency. Default 15. */
  controllerSlackSeconds?: number;
  /** At most this many scheduled times are judged per CronJob and tick (the controller's 100). */
  maxMissedRunsPerTick?: number;
  /** How long the uid of a deleted Job is remembered against late replays. Default 600. */
  deletedJobMemorySeconds?: number;
  /** Cap on remembered deleted uids (oldest forgotten first). Default 10 000. */
  maxDeletedJobUids?: number;
  /** Containers that are mesh proxies when they run in spec.containers. */
  proxyContainerNames?: readonly string[];
}

export interface CronJobGauges {
  labels: CronJobLabels;
  /** cronjob_active_jobs */
  activeJobs: number;
  /** cronjob_sidecar_blocked_jobs */
  sidecarBlockedJobs: number;
  /** cronjob_next_schedule_timestamp_seconds; absent when suspended or nothing would run. */
  nextScheduleTimestampSeconds?: number;
}

export interface RunTrackerSize {
  cronJobs: number;
  jobs: number;
  deletedJobUids: number;
  blockedPods: number;
}

interface JobState {
  uid: string;
  ownerUid: string;
  scheduledMs?: number;
  createdMs?: number;
  startedMs?: number;
  finish?: JobFinish;
  startSettled: boolean;
  finishSettled: boolean;
}

/** What is left of a deleted Job for the missed-run decisions still to come. */
interface JobRemnant {
  scheduledMs?: number;
  activeFromMs?: number;
  activeUntilMs: number;
}

interface CronJobState {
  labels: CronJobLabels;
  uid: string;
  generation: number;
  schedule: CronJobSchedule | undefined;
  startingDeadlineSeconds: number | undefined;
  forbid: boolean;
  /** Set while suspended: since when, as observed (-Infinity: suspended when first seen). */
  suspendedSinceMs: number | undefined;
  /** Past suspensions [from, to) that may still cover runs not yet judged. */
  suspensions: [number, number][];
  /** Scheduled times up to here have been judged (missed or not). */
  judgedUntilMs: number;
  remnants: JobRemnant[];
  /** The first run after judgedUntilMs, so ticks between runs cost no schedule walk. */
  firstUnjudgedRunMs?: number | undefined;
  nextRun?: { afterMs: number; nextMs: number | undefined };
}

const MAX_REMNANTS_PER_CRONJOB = 1000;

function keyOf(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

function readGeneration(object: KubeObject): number {
  const generation = object.metadata?.generation;
  return typeof generation === 'number' ? generation : 0;
}

function readSpec(object: KubeObject): Record<string, unknown> {
  const spec = object.spec;
  return typeof spec === 'object' && spec !== null && !Array.isArray(spec)
    ? (spec as Record<string, unknown>)
    : {};
}

function minuteOf(ms: number): number {
  return Math.floor(ms / MS_PER_MINUTE);
}

export class RunTracker {
  readonly #startedAtMs: number;
  readonly #sink: RunMetricsSink | undefined;
  readonly #defaultTimeZone: string;
  readonly #defaultDeadlineSeconds: number;
  readonly #slackSeconds: number;
  readonly #maxMissedRunsPerTick: number;
  readonly #deletedMemoryMs: number;
  readonly #maxDeletedUids: number;
  readonly #proxyNames: ReadonlySet<string>;

  /** Latest tick: the default time of events that do not carry one. */
  #lastTickMs: number;
  readonly #cronJobs = new Map<string, CronJobState>();
  readonly #cronJobKeysByUid = new Map<string, string>();
  readonly #jobs = new Map<string, JobState>();
  readonly #jobsByOwner = new Map<string, Set<string>>();
  /** Deleted Job (and CronJob) uid → when; insertion order is deletion order. */
  readonly #deletedJobs = new Map<string, number>();
  /** Pod uid → Job uid, for pods blocked by a proxy only. */
  readonly #blockedPods = new Map<string, string>();

  constructor(options: RunTrackerOptions) {
    this.#startedAtMs = options.startedAt.getTime();
    this.#lastTickMs = this.#startedAtMs;
    this.#sink = options.sink;
    this.#defaultTimeZone = options.defaultTimeZone ?? 'UTC';
    this.#defaultDeadlineSeconds = options.defaultStartingDeadlineSeconds ?? 60;
    this.#slackSeconds = options.controllerSlackSeconds ?? 15;
    this.#maxMissedRunsPerTick = options.maxMissedRunsPerTick ?? 100;
    this.#deletedMemoryMs = (options.deletedJobMemorySeconds ?? 600) * MS_PER_SECOND;
    this.#maxDeletedUids = options.maxDeletedJobUids ?? 10_000;
    this.#proxyNames = new Set(options.proxyContainerNames ?? DEFAULT_PROXY_CONTAINER_NAMES);
  }

  #eventMs(at: Date | undefined): number {
    return at?.getTime() ?? this.#lastTickMs;
  }

  // ---- CronJobs ----------------------------------------------------------

  /** ADDED or MODIFIED (or a relisted) CronJob. `at`: when the event was received (default: last tick). */
  upsertCronJob(object: KubeObject, at?: Date): void {
    const id = identity(object);
    // A replay of a deleted CronJob must not bring its series back.
    if (id === undefined || this.#deletedJobs.has(id.uid)) return;
    const key = keyOf(id.namespace, id.name);
    let state = this.#cronJobs.get(key);
    if (state !== undefined && state.uid !== id.uid) {
      // Deleted and created again while we were not watching: the old one is gone.
      this.deleteCronJob(id.namespace, id.name);
      state = undefined;
    }
    const eventMs = this.#eventMs(at);
    const created = creationMs(object) ?? eventMs;
    const generation = readGeneration(object);
    const spec = readSpec(object);
    const suspended = spec.suspend === true;
    if (state === undefined) {
      state = {
        labels: { namespace: id.namespace, cronjob: id.name },
        uid: id.uid,
        generation,
        schedule: undefined,
        startingDeadlineSeconds: undefined,
        forbid: false,
        suspendedSinceMs: suspended ? -Infinity : undefined,
        suspensions: [],
        judgedUntilMs: Math.max(this.#startedAtMs, created),
        remnants: [],
      };
      this.#cronJobs.set(key, state);
      this.#cronJobKeysByUid.set(id.uid, key);
    } else if (generation < state.generation) {
      // metadata.generation grows with every spec change: this is a stale copy.
      return;
    } else {
      this.#observeSuspend(state, suspended, eventMs);
      state.generation = generation;
    }
    state.schedule = resolveSchedule(object, this.#defaultTimeZone, created);
    const deadline = spec.startingDeadlineSeconds;
    state.startingDeadlineSeconds =
      typeof deadline === 'number' && deadline >= 0 ? deadline : undefined;
    state.forbid = spec.concurrencyPolicy === 'Forbid';
    delete state.nextRun;
    delete state.firstUnjudgedRunMs;
    for (const jobUid of this.#jobsByOwner.get(id.uid) ?? []) {
      const job = this.#jobs.get(jobUid);
      if (job !== undefined) this.#settle(job, state);
    }
  }

  #observeSuspend(state: CronJobState, suspended: boolean, eventMs: number): void {
    if (suspended && state.suspendedSinceMs === undefined) {
      state.suspendedSinceMs = eventMs;
    } else if (!suspended && state.suspendedSinceMs !== undefined) {
      state.suspensions.push([state.suspendedSinceMs, eventMs]);
      state.suspendedSinceMs = undefined;
    }
  }

  /** DELETED CronJob: its series are removed (sink.removeSeries) and it is forgotten. */
  deleteCronJob(namespace: string, name: string): void {
    const key = keyOf(namespace, name);
    const state = this.#cronJobs.get(key);
    if (state === undefined) return;
    this.#cronJobs.delete(key);
    this.#cronJobKeysByUid.delete(state.uid);
    this.#rememberDeleted(state.uid, this.#lastTickMs);
    this.#sink?.removeSeries(state.labels);
  }

  #cronJobByUid(uid: string): CronJobState | undefined {
    const key = this.#cronJobKeysByUid.get(uid);
    return key === undefined ? undefined : this.#cronJobs.get(key);
  }

  // ---- Jobs ----------------------------------------------------------------

  /** ADDED or MODIFIED (or a relisted) Job. */
  upsertJob(object: KubeObject): void {
    const id = identity(object);
    if (id === undefined || this.#deletedJobs.has(id.uid)) return;
    const owner = controllerOwner(object, 'CronJob');
    let job = this.#jobs.get(id.uid);
    if (owner === undefined) {
      // Orphaned (or never a CronJob's): not a run of anything. Remember the uid so a
      // stale event with the old owner cannot count it a second time.
      if (job !== undefined) this.#forgetJob(job, this.#lastTickMs);
      return;
    }
    if (job !== undefined && job.ownerUid !== owner.uid) {
      // Owners do not change in practice; if one does, the Job moves with its flags.
      this.#unindex(job);
      job.ownerUid = owner.uid;
      this.#index(job);
    }
    if (job === undefined) {
      job = { uid: id.uid, ownerUid: owner.uid, startSettled: false, finishSettled: false };
      this.#jobs.set(id.uid, job);
      this.#index(job);
    }
    // Merge forward only: a stale event lacking a field never erases what we know.
    job.scheduledMs ??= scheduledTimeMs(object, owner.name);
    job.createdMs ??= creationMs(object);
    job.startedMs ??= jobStartMs(object);
    job.finish ??= jobFinish(object);
    const cronJob = this.#cronJobByUid(owner.uid);
    if (cronJob !== undefined) this.#settle(job, cronJob);
  }

  /**
   * DELETED Job. Pass the last known object as `finalState` when the informer
   * gives one: a Job that finished and was deleted while the watch was down is
   * then still counted. `at`: when the deletion was received (default: last tick).
   */
  deleteJob(
    namespace: string,
    name: string,
    uid: string,
    options: { finalState?: KubeObject; at?: Date } = {},
  ): void {
    if (options.finalState !== undefined) this.upsertJob(options.finalState);
    const eventMs = this.#eventMs(options.at);
    const job = this.#jobs.get(uid);
    if (job !== undefined) {
      const cronJob = this.#cronJobByUid(job.ownerUid);
      if (cronJob !== undefined && cronJob.remnants.length < MAX_REMNANTS_PER_CRONJOB) {
        cronJob.remnants.push(this.#remnantOf(job, eventMs));
      }
    }
    if (job !== undefined) this.#forgetJob(job, eventMs);
    else this.#rememberDeleted(uid, eventMs);
  }

  #rememberDeleted(uid: string, deletedMs: number): void {
    this.#deletedJobs.delete(uid);
    this.#deletedJobs.set(uid, deletedMs);
    if (this.#deletedJobs.size > this.#maxDeletedUids) {
      const oldest = this.#deletedJobs.keys().next();
      if (oldest.done !== true) this.#deletedJobs.delete(oldest.value);
    }
  }

  #remnantOf(job: JobState, deletedMs: number): JobRemnant {
    const remnant: JobRemnant = {
      activeUntilMs: job.finish === undefined ? deletedMs : (job.finish.finishedMs ?? -Infinity),
    };
    if (job.scheduledMs !== undefined) remnant.scheduledMs = job.scheduledMs;
    const activeFromMs = job.createdMs ?? job.startedMs;
    if (activeFromMs !== undefined) remnant.activeFromMs = activeFromMs;
    return remnant;
  }

  #forgetJob(job: JobState, atMs: number): void {
    this.#jobs.delete(job.uid);
    this.#unindex(job);
    this.#rememberDeleted(job.uid, atMs);
  }

  #index(job: JobState): void {
    let siblings = this.#jobsByOwner.get(job.ownerUid);
    if (siblings === undefined) {
      siblings = new Set();
      this.#jobsByOwner.set(job.ownerUid, siblings);
    }
    siblings.add(job.uid);
  }

  #unindex(job: JobState): void {
    const siblings = this.#jobsByOwner.get(job.ownerUid);
    siblings?.delete(job.uid);
    if (siblings?.size === 0) this.#jobsByOwner.delete(job.ownerUid);
  }

  /** Emits what this Job state newly allows, each part at most once per uid. */
  #settle(job: JobState, cronJob: CronJobState): void {
    // The controller sets startTime at once unless the Job is suspended; a Job that
    // finished without one falls back to its creation.
    const startMs = job.startedMs ?? (job.finish === undefined ? undefined : job.createdMs);
    if (!job.startSettled && (startMs !== undefined || job.finish !== undefined)) {
      job.startSettled = true;
      this.#observeStart(job, cronJob.labels, startMs);
    }
    if (!job.finishSettled && job.finish !== undefined) {
      job.finishSettled = true;
      this.#countFinish(job.finish, cronJob.labels, startMs);
    }
  }

  #observeStart(job: JobState, labels: CronJobLabels, startMs: number | undefined): void {
    if (startMs === undefined || startMs < this.#startedAtMs || job.scheduledMs === undefined) {
      return;
    }
    const delayMs = startMs - job.scheduledMs;
    // Far earlier than scheduled means the name or annotation is not a scheduled time.
    if (delayMs < -NEGATIVE_DELAY_TOLERANCE_MS) return;
    this.#sink?.scheduleDelay(labels, Math.max(0, delayMs) / MS_PER_SECOND);
  }

  #countFinish(finish: JobFinish, labels: CronJobLabels, startMs: number | undefined): void {
    const finishedMs = finish.finishedMs;
    // No timestamp at all cannot be placed in time; it is new to us, so it counts.
    if (finishedMs !== undefined && finishedMs < this.#startedAtMs) return;
    const outcome: JobOutcome = finish.outcome;
    this.#sink?.jobFinished(labels, outcome, outcome === 'failed' ? finish.reason : undefined);
    if (startMs !== undefined && finishedMs !== undefined && finishedMs >= startMs) {
      this.#sink?.jobDuration(labels, (finishedMs - startMs) / MS_PER_SECOND);
    }
  }

  // ---- Pods ----------------------------------------------------------------

  /** ADDED or MODIFIED Pod (only pods of CronJob Jobs matter; others are ignored cheaply). */
  upsertPod(object: KubeObject): void {
    const id = identity(object);
    if (id === undefined) return;
    const jobUid = podJobUid(object);
    if (jobUid !== undefined && isSidecarBlocked(object, this.#proxyNames)) {
      this.#blockedPods.set(id.uid, jobUid);
    } else {
      this.#blockedPods.delete(id.uid);
    }
  }

  deletePod(namespace: string, name: string, uid: string): void {
    this.#blockedPods.delete(uid);
  }

  // ---- Time ------------------------------------------------------------------

  /**
   * Judges the scheduled runs whose starting deadline has passed by `now` and
   * forgets deleted uids older than the memory period. Call it periodically
   * (e.g. every 10–30 s); calling it with an earlier time than before is harmless.
   */
  tick(now: Date): void {
    const nowMs = now.getTime();
    this.#lastTickMs = Math.max(this.#lastTickMs, nowMs);
    for (const [uid, deletedMs] of this.#deletedJobs) {
      if (nowMs - deletedMs < this.#deletedMemoryMs) break;
      this.#deletedJobs.delete(uid);
    }
    for (const cronJob of this.#cronJobs.values()) this.#judgeRuns(cronJob, nowMs);
  }

  #judgeRuns(cronJob: CronJobState, nowMs: number): void {
    const deadlineSeconds = cronJob.startingDeadlineSeconds ?? this.#defaultDeadlineSeconds;
    const judgeUntilMs = nowMs - (deadlineSeconds + this.#slackSeconds) * MS_PER_SECOND;
    if (judgeUntilMs <= cronJob.judgedUntilMs) return;
    const missed: Record<MissedReason, number> = { not_started: 0, forbid: 0 };
    const schedule = cronJob.schedule;
    if (schedule !== undefined && !('firstUnjudgedRunMs' in cronJob)) {
      cronJob.firstUnjudgedRunMs = nextRunAfter(schedule, cronJob.judgedUntilMs);
    }
    const firstRunMs = cronJob.firstUnjudgedRunMs;
    if (schedule !== undefined && firstRunMs !== undefined && firstRunMs <= judgeUntilMs) {
      const { runs } = runsInWindow(
        schedule,
        cronJob.judgedUntilMs,
        judgeUntilMs,
        this.#maxMissedRunsPerTick,
      );
      for (const runMs of runs) {
        if (this.#suspendedAt(cronJob, runMs) || this.#hasJobFor(cronJob, runMs)) continue;
        missed[cronJob.forbid && this.#activeAt(cronJob, runMs) ? 'forbid' : 'not_started']++;
      }
    }
    // An invalid schedule runs nothing, so its time is judged too: fixing it later
    // must not make the broken period count as missed.
    cronJob.judgedUntilMs = judgeUntilMs;
    if (firstRunMs !== undefined && firstRunMs <= judgeUntilMs) delete cronJob.firstUnjudgedRunMs;
    cronJob.suspensions = cronJob.suspensions.filter(([, to]) => to > judgeUntilMs);
    cronJob.remnants = cronJob.remnants.filter(
      (remnant) =>
        remnant.activeUntilMs > judgeUntilMs ||
        (remnant.scheduledMs !== undefined && remnant.scheduledMs > judgeUntilMs - MS_PER_MINUTE),
    );
    for (const reason of ['not_started', 'forbid'] as const) {
      if (missed[reason] > 0) this.#sink?.missedSchedules(cronJob.labels, reason, missed[reason]);
    }
  }

  #suspendedAt(cronJob: CronJobState, runMs: number): boolean {
    if (cronJob.suspendedSinceMs !== undefined && runMs >= cronJob.suspendedSinceMs) return true;
    return cronJob.suspensions.some(([from, to]) => runMs >= from && runMs < to);
  }

  /** Job names carry the scheduled minute only, so runs are matched by minute. */
  #hasJobFor(cronJob: CronJobState, runMs: number): boolean {
    const minute = minuteOf(runMs);
    for (const job of this.#ownedJobs(cronJob)) {
      if (job.scheduledMs !== undefined && minuteOf(job.scheduledMs) === minute) return true;
    }
    return cronJob.remnants.some(
      (remnant) => remnant.scheduledMs !== undefined && minuteOf(remnant.scheduledMs) === minute,
    );
  }

  /** Was another Job of the CronJob running at `runMs` (what Forbid checks)? */
  #activeAt(cronJob: CronJobState, runMs: number): boolean {
    for (const job of this.#ownedJobs(cronJob)) {
      const fromMs = job.createdMs ?? job.startedMs;
      const untilMs = job.finish === undefined ? Infinity : (job.finish.finishedMs ?? -Infinity);
      if (fromMs !== undefined && fromMs <= runMs && runMs < untilMs) return true;
    }
    return cronJob.remnants.some(
      (remnant) =>
        remnant.activeFromMs !== undefined &&
        remnant.activeFromMs <= runMs &&
        runMs < remnant.activeUntilMs,
    );
  }

  *#ownedJobs(cronJob: CronJobState): Generator<JobState> {
    for (const uid of this.#jobsByOwner.get(cronJob.uid) ?? []) {
      const job = this.#jobs.get(uid);
      if (job !== undefined) yield job;
    }
  }

  // ---- Reading -----------------------------------------------------------------

  /** The gauges of every known CronJob at `now`, sorted by namespace and name. */
  gauges(now: Date): CronJobGauges[] {
    const nowMs = now.getTime();
    const blockedJobs = new Set(this.#blockedPods.values());
    const result: CronJobGauges[] = [];
    for (const cronJob of this.#cronJobs.values()) {
      let activeJobs = 0;
      let sidecarBlockedJobs = 0;
      for (const job of this.#ownedJobs(cronJob)) {
        if (job.finish !== undefined) continue;
        activeJobs++;
        if (blockedJobs.has(job.uid)) sidecarBlockedJobs++;
      }
      const gauges: CronJobGauges = {
        labels: { ...cronJob.labels },
        activeJobs,
        sidecarBlockedJobs,
      };
      const nextMs = this.#nextRun(cronJob, nowMs);
      if (nextMs !== undefined) gauges.nextScheduleTimestampSeconds = nextMs / MS_PER_SECOND;
      result.push(gauges);
    }
    return result.sort(
      (a, b) =>
        a.labels.namespace.localeCompare(b.labels.namespace) ||
        a.labels.cronjob.localeCompare(b.labels.cronjob),
    );
  }

  #nextRun(cronJob: CronJobState, nowMs: number): number | undefined {
    if (cronJob.schedule === undefined || cronJob.suspendedSinceMs !== undefined) return undefined;
    const cached = cronJob.nextRun;
    // Reuse while `now` lies between the time it was computed for and the run itself.
    if (
      cached !== undefined &&
      cached.afterMs <= nowMs &&
      (cached.nextMs === undefined ? cached.afterMs === nowMs : nowMs < cached.nextMs)
    ) {
      return cached.nextMs;
    }
    const nextMs = nextRunAfter(cronJob.schedule, nowMs);
    cronJob.nextRun = { afterMs: nowMs, nextMs };
    return nextMs;
  }

  /** The label sets with series right now (known CronJobs). */
  labelSets(): CronJobLabels[] {
    return [...this.#cronJobs.values()].map((cronJob) => ({ ...cronJob.labels }));
  }

  /** How much the tracker holds, for benchmarks and leak tests. */
  size(): RunTrackerSize {
    return {
      cronJobs: this.#cronJobs.size,
      jobs: this.#jobs.size,
      deletedJobUids: this.#deletedJobs.size,
      blockedPods: this.#blockedPods.size,
    };
  }
}
