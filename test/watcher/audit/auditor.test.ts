import { KubeConfig } from '@kubernetes/client-node';
import yaml from 'js-yaml';
import { Registry } from 'prom-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../../src/k8s/types.js';
import type { PolicySet } from '../../../src/policy/types.js';
import type { LogFields, Logger } from '../../../src/server/log.js';
import { startPolicyAuditor, type PolicyAuditor } from '../../../src/watcher/audit/auditor.js';
import { POLICY_REPORT_NAME } from '../../../src/watcher/audit/report.js';
import {
  ALWAYS_LEADER,
  SettableWriteGate,
  type WriteGate,
} from '../../../src/watcher/leadership.js';
import { FakeKubeApiServer, type RecordedRequest } from '../../support/fake-kube-apiserver.js';
import { eventually, namespace } from '../../kube/support.js';
import { validatePolicyReport } from './policy-report-schema.js';
import {
  AUDIT_POLICIES_YAML,
  auditPolicies,
  compliantCronJob,
  nonCompliantCronJob,
} from './support.js';

let server: FakeKubeApiServer;
let auditor: PolicyAuditor | undefined;
let namespaceCounter = 0;

beforeAll(async () => {
  server = await FakeKubeApiServer.start();
});

afterAll(async () => {
  await server.close();
});

afterEach(async () => {
  await auditor?.stop();
  auditor = undefined;
});

interface LogLine {
  level: string;
  message: string;
  fields: LogFields;
}

interface Harness {
  auditor: PolicyAuditor;
  registry: Registry;
  logs: LogLine[];
  /** The CronJob cache stand-in: namespace → CronJobs. */
  cache: Map<string, KubeObject[]>;
  setPolicies(next: PolicySet): void;
}

function freshNamespace(): string {
  const name = `audit-${++namespaceCounter}`;
  server.create(namespace(name));
  return name;
}

function startHarness(
  options: {
    gate?: WriteGate;
    kubeConfig?: KubeConfig;
    intervalMs?: number;
    cache?: Map<string, KubeObject[]>;
    namespaces?: string[];
  } = {},
): Harness {
  const registry = new Registry();
  const logs: LogLine[] = [];
  const logger: Logger = {
    enabled: () => true,
    log: (level, message, fields = {}) => logs.push({ level, message, fields }),
  };
  const cache = options.cache ?? new Map<string, KubeObject[]>();
  let policies = auditPolicies();
  auditor = startPolicyAuditor({
    kubeConfig: options.kubeConfig ?? server.kubeConfig(),
    namespaces: options.namespaces ?? [],
    cronJobs: (ns) => (ns === undefined ? [...cache.values()].flat() : (cache.get(ns) ?? [])),
    policies: () => policies,
    namespaceLabels: () => ({}),
    kubernetesVersion: () => '1.31',
    gate: options.gate ?? ALWAYS_LEADER,
    logger,
    registry,
    intervalMs: options.intervalMs ?? 3_600_000,
    debounceMs: 10,
  });
  return {
    auditor,
    registry,
    logs,
    cache,
    setPolicies: (next) => {
      policies = next;
    },
  };
}

function reportPath(ns: string): string {
  return `/apis/wgpolicyk8s.io/v1alpha2/namespaces/${ns}/policyreports/${POLICY_REPORT_NAME}`;
}

function liveReport(ns: string): KubeObject | undefined {
  return server.get({
    apiVersion: 'wgpolicyk8s.io/v1alpha2',
    kind: 'PolicyReport',
    name: POLICY_REPORT_NAME,
    namespace: ns,
  });
}

function writesSince(index: number): RecordedRequest[] {
  return server.requests
    .slice(index)
    .filter((request) => request.method !== 'GET' && request.path.includes('/policyreports'));
}

async function metricText(registry: Registry, name: string): Promise<string> {
  return (
    (await registry.getSingleMetric(name)?.get())?.values
      .map((value) => `${JSON.stringify(value.labels)} ${value.value}`)
      .join('\n') ?? ''
  );
}

/** A namespace with a compliant and a non-compliant CronJob, audited once. */
async function auditedNamespace(harnessOptions: Parameters<typeof startHarness>[0] = {}) {
  const ns = freshNamespace();
  const harness = startHarness({ namespaces: [ns], ...harnessOptions });
  harness.cache.set(ns, [compliantCronJob(ns), nonCompliantCronJob(ns)]);
  const before = server.requests.length;
  harness.auditor.start();
  await harness.auditor.idle();
  return { ns, harness, before };
}

describe('policy auditor', () => {
  it('publishes one PolicyReport for a namespace, with a result per CronJob, policy and rule', async () => {
    const { ns, harness, before } = await auditedNamespace();

    const report = liveReport(ns);
    expect(report).toBeDefined();
    expect(validatePolicyReport(report)).toEqual([]);
    expect(report?.metadata?.labels).toEqual({ 'app.kubernetes.io/managed-by': 'cronguard' });
    expect(report?.summary).toEqual({ pass: 2, fail: 2, warn: 2, error: 0, skip: 0 });
    const results = report?.results as { policy: string; rule?: string; result: string }[];
    expect(results.map((r) => `${r.policy}/${r.rule ?? ''}=${r.result}`)).toEqual([
      'hygiene/=pass',
      'strict/=pass',
      'hygiene/job-backoff-limit=warn',
      'hygiene/job-ttl-after-finished=warn',
      'strict/images-disallow-latest=fail',
      'strict/job-starting-deadline=fail',
    ]);

    const writes = writesSince(before);
    expect(writes).toHaveLength(1);
    const [apply] = writes;
    expect(apply?.method).toBe('PATCH');
    expect(apply?.path).toBe(reportPath(ns));
    expect(apply?.query).toEqual({ fieldManager: 'cronguard', force: 'true' });
    expect(apply?.contentType).toBe('application/apply-patch+yaml');
    expect(yaml.load(apply?.body ?? '')).toMatchObject({
      apiVersion: 'wgpolicyk8s.io/v1alpha2',
      kind: 'PolicyReport',
      metadata: { name: POLICY_REPORT_NAME, namespace: ns },
    });

    const gauge = await metricText(harness.registry, 'cronguard_policy_report_results');
    expect(gauge).toContain(
      `{"namespace":"${ns}","policy":"strict","rule":"images-disallow-latest","result":"fail"} 1`,
    );
    expect(await metricText(harness.registry, 'cronguard_audit_runs_total')).toContain(
      '{"result":"written"} 1',
    );
  });

  it('sends no write when a later audit finds nothing changed', async () => {
    const { ns, harness } = await auditedNamespace();
    const version = liveReport(ns)?.metadata?.resourceVersion;
    const before = server.requests.length;

    harness.auditor.cronJobChanged(ns);
    harness.auditor.policiesChanged();
    await harness.auditor.idle();

    expect(writesSince(before)).toEqual([]);
    expect(liveReport(ns)?.metadata?.resourceVersion).toBe(version);
    expect(await metricText(harness.registry, 'cronguard_audit_runs_total')).toMatch(
      /\{"result":"unchanged"\} [1-9]/,
    );
  });

  it('rewrites the report when the policies change', async () => {
    const { ns, harness } = await auditedNamespace();
    const before = server.requests.length;

    harness.setPolicies(
      auditPolicies(AUDIT_POLICIES_YAML.replace('action: warn', 'action: enforce')),
    );
    harness.auditor.policiesChanged();
    await harness.auditor.idle();

    expect(writesSince(before).map((request) => request.method)).toEqual(['PATCH']);
    expect(liveReport(ns)?.summary).toEqual({ pass: 2, fail: 4, warn: 0, error: 0, skip: 0 });
  });

  it('deletes the report of a namespace whose CronJobs are gone, and its series', async () => {
    const { ns, harness } = await auditedNamespace();
    const before = server.requests.length;

    harness.cache.set(ns, []);
    harness.auditor.cronJobChanged(ns);
    await harness.auditor.idle();

    expect(liveReport(ns)).toBeUndefined();
    expect(writesSince(before).map((request) => [request.method, request.path])).toEqual([
      ['DELETE', reportPath(ns)],
    ]);
    expect(await metricText(harness.registry, 'cronguard_policy_report_results')).not.toContain(ns);
  });

  it('deletes a report it left behind in a namespace that emptied while it was down', async () => {
    const { ns } = await auditedNamespace();
    await auditor?.stop();

    const harness = startHarness({ namespaces: [ns] });
    harness.auditor.start();
    await harness.auditor.idle();

    expect(liveReport(ns)).toBeUndefined();
  });

  it('keeps a rewritten-by-hand report in step on the next period', async () => {
    const ns = freshNamespace();
    const harness = startHarness({ namespaces: [ns], intervalMs: 50 });
    harness.cache.set(ns, [nonCompliantCronJob(ns)]);
    harness.auditor.start();
    await harness.auditor.idle();
    server.delete({
      apiVersion: 'wgpolicyk8s.io/v1alpha2',
      kind: 'PolicyReport',
      name: POLICY_REPORT_NAME,
      namespace: ns,
    });

    await eventually(() => liveReport(ns) !== undefined);
    expect(liveReport(ns)?.summary).toMatchObject({ fail: 2 });
  });

  it('leaves alone a PolicyReport with its name that it does not manage', async () => {
    const ns = freshNamespace();
    const foreign = server.create({
      apiVersion: 'wgpolicyk8s.io/v1alpha2',
      kind: 'PolicyReport',
      metadata: { name: POLICY_REPORT_NAME, namespace: ns, labels: { team: 'a' } },
      results: [],
    });
    const harness = startHarness({ namespaces: [ns] });
    harness.cache.set(ns, [nonCompliantCronJob(ns)]);
    const before = server.requests.length;
    harness.auditor.start();
    await harness.auditor.idle();
    harness.auditor.policiesChanged();
    await harness.auditor.idle();

    expect(writesSince(before)).toEqual([]);
    expect(liveReport(ns)?.metadata?.resourceVersion).toBe(foreign.metadata.resourceVersion);
    expect(
      harness.logs.filter((line) => line.message.includes('not managed by cronguard')),
    ).toHaveLength(1);

    // Emptied: still not ours to delete.
    harness.cache.set(ns, []);
    harness.auditor.cronJobChanged(ns);
    await harness.auditor.idle();
    expect(liveReport(ns)).toBeDefined();
  });

  it('writes nothing while it does not lead, and publishes once it does', async () => {
    const gate = new SettableWriteGate(false);
    const { ns, harness, before } = await auditedNamespace({ gate });

    expect(writesSince(before)).toEqual([]);
    expect(liveReport(ns)).toBeUndefined();
    // Followers keep the metrics current.
    expect(await metricText(harness.registry, 'cronguard_policy_report_results')).toContain(ns);

    gate.set(true);
    await eventually(() => liveReport(ns) !== undefined);
    await harness.auditor.idle();
    expect(writesSince(before).map((request) => request.method)).toEqual(['PATCH']);
  });

  it('keeps auditing into metrics when the PolicyReport CRD is not installed', async () => {
    // A server path prefix under which nothing is served: every API call answers 404
    // "the server could not find the requested resource", as for a missing CRD.
    const config = yaml.load(server.kubeconfigYaml()) as {
      clusters: { cluster: { server: string } }[];
    };
    for (const cluster of config.clusters) cluster.cluster.server += '/no-such-api';
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromString(yaml.dump(config));

    const { ns, harness } = await auditedNamespace({ kubeConfig });
    harness.auditor.policiesChanged();
    harness.auditor.cronJobChanged(ns);
    await harness.auditor.idle();

    const warnings = harness.logs.filter((line) => line.message.includes('PolicyReport CRD'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.level).toBe('warn');
    expect(await metricText(harness.registry, 'cronguard_policy_report_results')).toContain(ns);
    expect(await metricText(harness.registry, 'cronguard_audit_runs_total')).toMatch(
      /\{"result":"crd-missing"\} [1-9]/,
    );
    expect(liveReport(ns)).toBeUndefined();
  });
});
