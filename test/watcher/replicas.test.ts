/**
 * The whole watcher as it runs in the cluster: two replicas with leader election
 * against one (fake) API server. Only the Lease holder writes mesh objects and
 * PolicyReports; when it stops, the other replica takes over and repairs what
 * changed meanwhile. The components are tested in depth in test/watcher/mesh,
 * test/watcher/audit and test/kube/leader-election.test.ts; this file checks the
 * wiring in src/watcher/watch.ts.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadPolicySet } from '../../src/cli/policies.js';
import { createJsonLogger } from '../../src/server/log.js';
import { startWatcher, type Watcher } from '../../src/watcher/watch.js';
import { FakeKubeApiServer, type KubeObject } from '../support/fake-kube-apiserver.js';
import { eventually, namespace } from '../kube/support.js';

const ISTIO = 'networking.istio.io/v1';
const LEASE = { namespace: 'cronguard-system', name: 'cronguard-watcher' };

let server: FakeKubeApiServer;
const running: Watcher[] = [];

beforeAll(async () => {
  server = await FakeKubeApiServer.start();
  server.create(namespace('cronguard-system'));
  server.create(namespace('billing'));
  server.create(cronJob('billing', 'invoices', 'ledger'));
});

afterAll(async () => {
  await server.close();
});

afterEach(async () => {
  for (const watcher of running.splice(0)) await watcher.close();
});

function cronJob(namespaceName: string, name: string, destinations: string): KubeObject {
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: {
      name,
      namespace: namespaceName,
      annotations: { 'cronguard.dev/destinations': destinations },
    },
    spec: {
      schedule: '0 * * * *',
      jobTemplate: {
        spec: {
          template: {
            spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox' }] },
          },
        },
      },
    },
  };
}

async function startReplica(identity: string, logLines: string[]): Promise<Watcher> {
  const watcher = await startWatcher({
    kubeConfig: server.kubeConfig(),
    namespaces: [],
    metricsPort: 0,
    host: '127.0.0.1',
    logger: createJsonLogger('debug', (line) => logLines.push(line)),
    tickIntervalMs: 1000,
    policies: { initial: await loadPolicySet([]) },
    kubernetesVersion: '1.31',
    leaderElection: { ...LEASE, identity },
  });
  running.push(watcher);
  return watcher;
}

function writesBy(fieldManager: string): number {
  return server.requests.filter(
    (request) =>
      (request.method === 'PATCH' || request.method === 'DELETE') &&
      (request.path.includes('/networking.istio.io/') ||
        request.path.includes('/wgpolicyk8s.io/')) &&
      (request.query.fieldManager ?? fieldManager) === fieldManager,
  ).length;
}

function holder(): string | undefined {
  const lease = server.get({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', ...LEASE });
  return (lease?.spec as { holderIdentity?: string } | undefined)?.holderIdentity;
}

describe('two watcher replicas with leader election', () => {
  it('only the leader writes; after it stops the other takes over and repairs drift', async () => {
    const firstLog: string[] = [];
    const first = await startReplica('replica-a', firstLog);
    await eventually(() => {
      expect(first.isLeader()).toBe(true);
    });
    await first.initialSync();
    expect(firstLog.some((line) => line.includes('"msg":"first full sync done"'))).toBe(true);

    // The leader writes the mesh objects for the annotation and a PolicyReport (the
    // first sync may have run before it won the Lease; winning it triggers a resync).
    const virtualServices = await eventually(() => {
      const found = server.list(ISTIO, 'VirtualService', 'billing');
      expect(found).toHaveLength(1);
      return found;
    });
    await eventually(() => {
      expect(server.list(ISTIO, 'DestinationRule', 'billing')).toHaveLength(1);
      expect(server.list('wgpolicyk8s.io/v1alpha2', 'PolicyReport', 'billing')).toHaveLength(1);
    });

    const secondLog: string[] = [];
    server.clearRequests();
    const second = await startReplica('replica-b', secondLog);
    await second.initialSync();
    expect(second.isLeader()).toBe(false);
    expect(holder()).toBe('replica-a');
    // The leader has converged (a resync writes nothing), so any write now would be
    // the follower's: its first full sync planned and audited but wrote nothing.
    console.log(
      JSON.stringify(
        server.requests
          .filter((r) => r.method !== 'GET')
          .map((r) => [r.method, r.path, r.query, r.body.slice(0, 300)]),
      ),
    );
    expect(writesBy('cronguard')).toBe(0);
    // A follower keeps its caches and metrics but never writes.
    server.delete({
      apiVersion: ISTIO,
      kind: 'DestinationRule',
      namespace: 'billing',
      name: server.list(ISTIO, 'DestinationRule', 'billing')[0]?.metadata?.name ?? '',
    });
    // The leader repairs the deletion (drift), the follower stays out of it.
    await eventually(() => {
      expect(server.list(ISTIO, 'DestinationRule', 'billing')).toHaveLength(1);
    });

    // Hand-over: the leader releases the Lease on close, the follower takes it at
    // once (well before the 15 s lease would expire) and repairs a new deletion.
    running.splice(running.indexOf(first), 1);
    await first.close();
    await eventually(() => {
      expect(second.isLeader()).toBe(true);
    });
    expect(holder()).toBe('replica-b');
    server.clearRequests();
    server.delete({
      apiVersion: ISTIO,
      kind: 'VirtualService',
      namespace: 'billing',
      name: virtualServices[0]?.metadata?.name ?? '',
    });
    await eventually(() => {
      expect(server.list(ISTIO, 'VirtualService', 'billing')).toHaveLength(1);
    });
    expect(writesBy('cronguard')).toBeGreaterThan(0);
    expect(secondLog.some((line) => line.includes('became leader'))).toBe(true);
  });
});
