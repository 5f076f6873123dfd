import {
  ApiException,
  CustomObjectsApi,
  PatchStrategy,
  setHeaderOptions,
  V1DeleteOptions,
  V1Preconditions,
  type KubeConfig,
} from '@kubernetes/client-node';
import type { Registry } from 'prom-client';
import type { KubeObject } from '../../k8s/types.js';
import { isPlainObject } from '../../k8s/types.js';
import type { PolicySet } from '../../policy/types.js';
import type { Rule } from '../../rules/rule.js';
import type { Logger } from '../../server/log.js';
import type { WriteGate } from '../leadership.js';
import { SYSTEM_QUEUE_CLOCK, WorkQueue, type QueueClock } from '../queue.js';
import { assessCronJob, type AssessmentContext, type CronJobAssessment } from './assess.js';
import { AuditMetrics, type AuditRunResult } from './metrics.js';
import {
  buildPolicyReport,
  isManagedReport,
  MANAGED_BY,
  MANAGED_BY_LABEL,
  POLICY_REPORT_NAME,
  reportIsCurrent,
  type PolicyReport,
} from './report.js';

/**
 * Audits the CronJobs that already run against the current policies and publishes the
 * result as one PolicyReport per namespace (see docs/policy-reports.md).
 *
 * Every replica evaluates and keeps the results gauge current; only the leader writes.
 * A namespace is audited when start() is called, 2 s after its CronJobs last changed
 * (a burst becomes one audit), on every policy change and leadership gain (all
 * namespaces), and every `intervalMs`. A write happens only when the report differs
 * from what was last written or read, so a quiet cluster costs one list per period.
 */
export interface PolicyAuditorOptions {
  kubeConfig: KubeConfig;
  /** Namespaces to audit; empty means all. */
  namespaces: readonly string[];
  /** The lead's CronJob cache: the CronJobs of one namespace, or of all. */
  cronJobs(namespace?: string): readonly KubeObject[];
  policies(): PolicySet;
  namespaceLabels(namespace: string): Readonly<Record<string, string>> | undefined;
  kubernetesVersion(): string | undefined;
  gate: WriteGate;
  logger: Logger;
  registry: Registry;
  /** Full audit period. Default 10 minutes. */
  intervalMs?: number;
  /** Quiet time after a CronJob change before its namespace is audited. Default 2 s. */
  debounceMs?: number;
  clock?: QueueClock;
  /** Rules to run; the built-in set unless a test says otherwise. */
  rules?: readonly Rule[];
  /** Results per report; default MAX_REPORT_RESULTS. */
  maxResults?: number;
}

export interface PolicyAuditor {
  /** Starts auditing; the lead calls it once the CronJob cache has synced. */
  start(): void;
  cronJobChanged(namespace: string): void;
  policiesChanged(): void;
  /** Resolves when every scheduled audit has run once (failed ones are retried later, on timers). */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

export const DEFAULT_AUDIT_INTERVAL_MS = 10 * 60 * 1000;
export const DEFAULT_AUDIT_DEBOUNCE_MS = 2000;
export const FIELD_MANAGER = 'cronguard';

const GROUP = 'wgpolicyk8s.io';
const VERSION = 'v1alpha2';
const PLURAL = 'policyreports';
/** Not a valid namespace name, so it cannot collide with one. */
const FULL_AUDIT_KEY = '*all namespaces*';
const FIRST_RETRY_MS = 1000;
const CRD_HINT =
  'install the wgpolicyk8s.io/v1alpha2 PolicyReport CRD (it ships with Kyverno and Kubewarden, and in kubernetes-sigs/wg-policy-prototypes under policy-report/crd/v1alpha2); cronguard keeps auditing into metrics and retries every period';

/** What cronguard knows about the report named POLICY_REPORT_NAME in a namespace. */
type Observed = { state: 'ours'; report: unknown } | { state: 'absent' } | { state: 'foreign' };

class CrdMissing extends Error {}

export function startPolicyAuditor(options: PolicyAuditorOptions): PolicyAuditor {
  const clock = options.clock ?? SYSTEM_QUEUE_CLOCK;
  const intervalMs = options.intervalMs ?? DEFAULT_AUDIT_INTERVAL_MS;
  const debounceMs = options.debounceMs ?? DEFAULT_AUDIT_DEBOUNCE_MS;
  const { logger, gate } = options;
  const metrics = new AuditMetrics(options.registry);
  const reports = new ReportClient(options.kubeConfig);
  const scope = new Set(options.namespaces);
  const inScope = (namespace: string): boolean => scope.size === 0 || scope.has(namespace);

  /** Namespace → what was last written or read; missing means unknown (read before use). */
  const observed = new Map<string, Observed>();
  const foreignLogged = new Set<string>();
  let crdMissing = false;
  let started = false;
  let stopped = false;
  let periodTimer: unknown;
  const retryTimers = new Map<string, unknown>();
  const failures = new Map<string, number>();

  const queue = new WorkQueue({
    clock,
    // Failures are handled in runKey (retried on our own timers), so that idle() means
    // "everything ran once" even while the API server refuses us.
    process: (key) => runKey(key),
  });

  async function runKey(key: string): Promise<void> {
    try {
      if (key === FULL_AUDIT_KEY) await auditAll();
      else await auditNamespace(key);
      failures.delete(key);
    } catch (error) {
      const count = (failures.get(key) ?? 0) + 1;
      failures.set(key, count);
      const delayMs = Math.min(intervalMs, FIRST_RETRY_MS * 2 ** (count - 1));
      logger.log('warn', 'policy audit failed; retrying', {
        namespace: key === FULL_AUDIT_KEY ? undefined : key,
        error: describeError(error),
        failures: count,
        retryInMs: delayMs,
      });
      if (key !== FULL_AUDIT_KEY) metrics.recordRun('error', 0);
      retryLater(key, delayMs);
    }
  }

  function retryLater(key: string, delayMs: number): void {
    if (stopped || retryTimers.has(key)) return;
    retryTimers.set(
      key,
      clock.setTimeout(() => {
        retryTimers.delete(key);
        if (!stopped) queue.add(key);
      }, delayMs),
    );
  }

  function schedulePeriod(): void {
    periodTimer = clock.setTimeout(() => {
      if (stopped) return;
      queue.add(FULL_AUDIT_KEY);
      schedulePeriod();
    }, intervalMs);
  }

  /** Re-reads which reports are ours (the leader only), then audits every namespace that matters. */
  async function auditAll(): Promise<void> {
    const namespaces = new Set<string>();
    for (const cronJob of options.cronJobs()) {
      const namespace = cronJob.metadata?.namespace;
      if (typeof namespace === 'string' && inScope(namespace)) namespaces.add(namespace);
    }
    // Namespaces that emptied since their last audit: their series and reports must go.
    for (const namespace of metrics.namespaces()) namespaces.add(namespace);
    for (const [namespace, known] of observed)
      if (known.state === 'ours') namespaces.add(namespace);

    if (gate.isLeader()) {
      try {
        const listed = await reports.listManaged(options.namespaces);
        if (crdMissing) logger.log('info', 'PolicyReport CRD found; publishing policy reports');
        crdMissing = false;
        const ours = new Map<string, unknown>();
        for (const report of listed) {
          const namespace = namespaceOf(report);
          if (namespace !== undefined && inScope(namespace)) ours.set(namespace, report);
        }
        for (const [namespace, known] of [...observed]) {
          // Not listed any more: deleted or relabelled by someone else; read again before writing.
          if (known.state === 'ours' && !ours.has(namespace)) observed.delete(namespace);
        }
        for (const [namespace, report] of ours) {
          observed.set(namespace, { state: 'ours', report });
          namespaces.add(namespace);
        }
      } catch (error) {
        if (!(error instanceof CrdMissing)) throw error;
        noteCrdMissing();
      }
    }
    for (const namespace of [...namespaces].sort()) queue.add(namespace);
  }

  async function auditNamespace(namespace: string): Promise<void> {
    if (!inScope(namespace)) return;
    const startedAt = clock.now();
    const version = options.kubernetesVersion();
    const context: AssessmentContext = {
      policySet: options.policies(),
      namespaceLabels: (name) => options.namespaceLabels(name),
      cluster: version === undefined ? undefined : { kubernetesVersion: version },
      rules: options.rules,
    };
    const assessments = options
      .cronJobs(namespace)
      .filter((cronJob) => cronJob.metadata?.namespace === namespace)
      .map((cronJob) => assessCronJob(cronJob, context));
    metrics.setNamespaceResults(namespace, assessments);
    const result = await publish(namespace, assessments);
    metrics.recordRun(result, (clock.now() - startedAt) / 1000);
  }

  async function publish(
    namespace: string,
    assessments: readonly CronJobAssessment[],
  ): Promise<AuditRunResult> {
    if (!gate.isLeader()) return 'not-leader';
    if (crdMissing) return 'crd-missing';
    try {
      const hasResults = assessments.some((assessment) => assessment.verdicts.length > 0);
      let known = observed.get(namespace);
      if (!hasResults) {
        known ??= await read(namespace);
        if (known.state !== 'ours') return 'unchanged';
        await reports.delete(namespace, uidOf(known.report));
        observed.set(namespace, { state: 'absent' });
        logger.log('info', 'deleted the policy report of a namespace without audited CronJobs', {
          namespace,
        });
        return 'deleted';
      }
      // Before the first write, make sure the name is not taken by a report we do not manage:
      // a forced apply would silently take it over.
      if (known?.state !== 'ours') known = await read(namespace);
      if (known.state === 'foreign') {
        if (!foreignLogged.has(namespace)) {
          foreignLogged.add(namespace);
          logger.log(
            'warn',
            "a PolicyReport with cronguard's name exists but is not managed by cronguard; leaving it alone",
            {
              namespace,
              name: POLICY_REPORT_NAME,
              label: `${MANAGED_BY_LABEL}=${MANAGED_BY}`,
            },
          );
        }
        return 'foreign-report';
      }
      foreignLogged.delete(namespace);
      const previous = known.state === 'ours' ? known.report : undefined;
      const desired = buildPolicyReport(namespace, assessments, previous, {
        now: new Date(clock.now()),
        ...(options.maxResults === undefined ? {} : { maxResults: options.maxResults }),
      });
      if (previous !== undefined && reportIsCurrent(desired, previous)) return 'unchanged';
      const live = await reports.apply(desired);
      observed.set(namespace, { state: 'ours', report: live });
      return 'written';
    } catch (error) {
      if (!(error instanceof CrdMissing)) throw error;
      noteCrdMissing();
      return 'crd-missing';
    }
  }

  async function read(namespace: string): Promise<Observed> {
    const live = await reports.get(namespace);
    const known: Observed =
      live === undefined
        ? { state: 'absent' }
        : isManagedReport(live)
          ? { state: 'ours', report: live }
          : { state: 'foreign' };
    observed.set(namespace, known);
    return known;
  }

  function noteCrdMissing(): void {
    if (crdMissing) return;
    crdMissing = true;
    logger.log('warn', `the PolicyReport API (${GROUP}/${VERSION}) is not served; ${CRD_HINT}`);
  }

  const unsubscribe = gate.onChange((leading) => {
    // Another replica may have written while we followed: read everything again.
    if (!leading || !started || stopped) return;
    observed.clear();
    queue.add(FULL_AUDIT_KEY);
  });

  return {
    start() {
      if (started || stopped) return;
      started = true;
      queue.add(FULL_AUDIT_KEY);
      schedulePeriod();
    },
    cronJobChanged(namespace) {
      if (!started || stopped || !inScope(namespace)) return;
      queue.addAfter(namespace, debounceMs);
    },
    policiesChanged() {
      if (!started || stopped) return;
      queue.add(FULL_AUDIT_KEY);
    },
    idle: () => queue.idle(),
    async stop() {
      if (stopped) return;
      stopped = true;
      unsubscribe();
      if (periodTimer !== undefined) clock.clearTimeout(periodTimer);
      for (const timer of retryTimers.values()) clock.clearTimeout(timer);
      retryTimers.clear();
      await queue.shutDown();
    },
  };
}

/** The PolicyReport calls, with the API's 404s told apart (object missing vs API missing). */
class ReportClient {
  private readonly api: CustomObjectsApi;

  constructor(kubeConfig: KubeConfig) {
    this.api = kubeConfig.makeApiClient(CustomObjectsApi);
  }

  async listManaged(namespaces: readonly string[]): Promise<unknown[]> {
    const labelSelector = `${MANAGED_BY_LABEL}=${MANAGED_BY}`;
    const lists: unknown[] = await this.call(() =>
      namespaces.length === 0
        ? Promise.all([
            this.api.listCustomObjectForAllNamespaces({
              group: GROUP,
              version: VERSION,
              plural: PLURAL,
              labelSelector,
            }) as Promise<unknown>,
          ])
        : Promise.all(
            namespaces.map(
              (namespace) =>
                this.api.listNamespacedCustomObject({
                  group: GROUP,
                  version: VERSION,
                  namespace,
                  plural: PLURAL,
                  labelSelector,
                }) as Promise<unknown>,
            ),
          ),
    );
    return lists.flatMap((list) =>
      isPlainObject(list) && Array.isArray(list.items)
        ? (list.items as unknown[]).filter((item) => readName(item) === POLICY_REPORT_NAME)
        : [],
    );
  }

  /** The live report, or undefined when there is none. */
  async get(namespace: string): Promise<unknown> {
    try {
      return await this.call(
        () =>
          this.api.getNamespacedCustomObject({
            group: GROUP,
            version: VERSION,
            namespace,
            plural: PLURAL,
            name: POLICY_REPORT_NAME,
          }) as Promise<unknown>,
      );
    } catch (error) {
      if (objectNotFound(error)) return undefined;
      throw error;
    }
  }

  apply(report: PolicyReport): Promise<unknown> {
    return this.call(
      () =>
        this.api.patchNamespacedCustomObject(
          {
            group: GROUP,
            version: VERSION,
            namespace: report.metadata.namespace,
            plural: PLURAL,
            name: report.metadata.name,
            body: report,
            fieldManager: FIELD_MANAGER,
            // Only our own report reaches here (checked by label), so taking over its
            // fields from someone who edited them is the intent.
            force: true,
          },
          setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply),
        ) as Promise<unknown>,
    );
  }

  async delete(namespace: string, uid: string | undefined): Promise<void> {
    try {
      await this.call(
        () =>
          this.api.deleteNamespacedCustomObject({
            group: GROUP,
            version: VERSION,
            namespace,
            plural: PLURAL,
            name: POLICY_REPORT_NAME,
            // Only the object we saw: not one someone else created under the name since.
            ...(uid === undefined ? {} : { body: deleteOnlyUid(uid) }),
          }) as Promise<unknown>,
      );
    } catch (error) {
      if (!objectNotFound(error)) throw error;
    }
  }

  /** Turns "the server could not find the requested resource" into CrdMissing. */
  private async call<T>(request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (error) {
      if (statusCode(error) === 404 && !objectNotFound(error) && !namespaceNotFound(error))
        throw new CrdMissing('PolicyReport API not found');
      throw error;
    }
  }
}

interface StatusBody {
  message?: unknown;
  details?: { name?: unknown; kind?: unknown };
}

function deleteOnlyUid(uid: string): V1DeleteOptions {
  const preconditions = new V1Preconditions();
  preconditions.uid = uid;
  const options = new V1DeleteOptions();
  options.preconditions = preconditions;
  return options;
}

function statusCode(error: unknown): number | undefined {
  return error instanceof ApiException ? (error as ApiException<unknown>).code : undefined;
}

function statusBody(error: unknown): StatusBody | undefined {
  if (!(error instanceof ApiException)) return undefined;
  let body: unknown = (error as ApiException<unknown>).body;
  if (typeof body === 'string') {
    try {
      body = JSON.parse(body);
    } catch {
      return undefined;
    }
  }
  return isPlainObject(body) ? body : undefined;
}

/** A 404 about our object (the API exists, the report does not). */
function objectNotFound(error: unknown): boolean {
  if (statusCode(error) !== 404) return false;
  const details = statusBody(error)?.details;
  return details?.name === POLICY_REPORT_NAME && details.kind === PLURAL;
}

function namespaceNotFound(error: unknown): boolean {
  return statusCode(error) === 404 && statusBody(error)?.details?.kind === 'namespaces';
}

function describeError(error: unknown): string {
  if (error instanceof ApiException) {
    const message = statusBody(error)?.message;
    const code = (error as ApiException<unknown>).code;
    return typeof message === 'string' ? `HTTP ${code}: ${message}` : `HTTP ${code}`;
  }
  return error instanceof Error ? error.message : String(error);
}

function readName(object: unknown): string | undefined {
  if (!isPlainObject(object) || !isPlainObject(object.metadata)) return undefined;
  return typeof object.metadata.name === 'string' ? object.metadata.name : undefined;
}

function namespaceOf(object: unknown): string | undefined {
  if (!isPlainObject(object) || !isPlainObject(object.metadata)) return undefined;
  return typeof object.metadata.namespace === 'string' ? object.metadata.namespace : undefined;
}

function uidOf(object: unknown): string | undefined {
  if (!isPlainObject(object) || !isPlainObject(object.metadata)) return undefined;
  return typeof object.metadata.uid === 'string' ? object.metadata.uid : undefined;
}
