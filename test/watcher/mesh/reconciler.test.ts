import { BatchV1Api, type KubernetesObject } from '@kubernetes/client-node';
import { Registry } from 'prom-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject as CronguardObject } from '../../../src/k8s/types.js';
import { createResilientInformer, type ResilientInformer } from '../../../src/kube/informer.js';
import { generateTraffic } from '../../../src/mesh/traffic/index.js';
import type { PolicySet } from '../../../src/policy/types.js';
import { createJsonLogger } from '../../../src/server/log.js';
import {
  SettableWriteGate,
  type WriteGate,
  ALWAYS_LEADER,
} from '../../../src/watcher/leadership.js';
import { startMeshReconciler, type MeshReconciler } from '../../../src/watcher/mesh/reconciler.js';
import {
  FakeKubeApiServer,
  type KubeObject,
  type RecordedRequest,
} from '../../support/fake-kube-apiserver.js';
import { policiesFrom } from '../../support/policies.js';
import { eventually, namespace as namespaceObject } from '../../kube/support.js';

const ISTIO = 'networking.istio.io/v1';
const APPLY = 'application/apply-patch+yaml';

let server: FakeKubeApiServer;
let namespaceCounter = 0;
const running: { stop(): Promise<void> }[] = [];
const logLines: string[] = [];

beforeAll(async () => {
  server = await FakeKubeApiServer.start();
});

afterAll(async () => {
  await server.close();
});

afterEach(async () => {
  server.setAvailable(true);
  for (const component of running.splice(0).reverse()) await component.stop();
});

/** A fresh namespace per test, so tests never see each other's objects. */
function freshNamespace(): string {
  namespaceCounter += 1;
  const name = `mesh-${String(namespaceCounter)}`;
  server.create(namespaceObject(name));
  return name;
}

function trafficPolicy(namespace: string, cronJobName: string): PolicySet {
  return policiesFrom(`
apiVersion: cronguard.dev/v1alpha1
kind: CronJobPolicy
metadata: {name: traffic}
spec:
  priority: 10
  action: warn
  match: {namespaces: [${namespace}], names: [${cronJobName}]}
  mesh:
    provider: istio
    traffic:
      - host: ledger
        timeout: 5s
`);
}

function cronJob(namespace: string, name: string, destinations?: string): KubeObject {
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: {
      name,
      namespace,
      ...(destinations === undefined
        ? {}
        : { annotations: { 'cronguard.dev/destinations': destinations } }),
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

interface Harness {
  reconciler: MeshReconciler;
  registry: Registry;
  cronJobs: ResilientInformer<KubernetesObject>;
}

/** The lead's side, as src/watcher/watch.ts builds it: one CronJob informer feeding the reconciler. */
async function startHarness(
  namespace: string,
  options: { policies?: PolicySet; gate?: WriteGate; target?: FakeKubeApiServer } = {},
): Promise<Harness> {
  const kubeConfig = (options.target ?? server).kubeConfig();
  const batch = kubeConfig.makeApiClient(BatchV1Api);
  const cronJobs = createResilientInformer<KubernetesObject>({
    kubeConfig,
    path: `/apis/batch/v1/namespaces/${namespace}/cronjobs`,
    list: () => batch.listNamespacedCronJob({ namespace }),
    transform: (object) => {
      const copy = JSON.parse(JSON.stringify(object)) as KubernetesObject;
      if (copy.metadata !== undefined) delete copy.metadata.managedFields;
      return copy;
    },
  });
  const registry = new Registry();
  const policies = options.policies ?? { policies: [] };
  const reconciler = startMeshReconciler({
    kubeConfig,
    namespaces: [namespace],
    cronJobs: (scope) => cronJobs.cache.list(scope) as CronguardObject[],
    policies: () => policies,
    namespaceLabels: () => ({}),
    gate: options.gate ?? ALWAYS_LEADER,
    logger: createJsonLogger('debug', (line) => logLines.push(line)),
    registry,
    queue: { retry: { baseDelayMs: 20, maxDelayMs: 200 } },
  });
  const changed = (object: KubernetesObject): void => {
    reconciler.cronJobChanged(object.metadata?.namespace ?? '');
  };
  cronJobs.on('add', changed);
  cronJobs.on('update', changed);
  cronJobs.on('delete', changed);
  cronJobs.start();
  running.push(cronJobs, reconciler);
  await cronJobs.whenSynced();
  reconciler.start();
  await eventually(() => reconciler.synced());
  return { reconciler, registry, cronJobs };
}

function meshObjects(kind: string, namespace: string): KubeObject[] {
  return server.list(ISTIO, kind, namespace);
}

function writes(namespace: string): RecordedRequest[] {
  return server.requests.filter(
    (request) => request.method !== 'GET' && request.path.includes(`/namespaces/${namespace}/`),
  );
}

/** What the generator makes of these live CronJobs (the reconciler must write exactly this). */
function expectedObjects(namespace: string, entries: { name: string; hosts: string[] }[]) {
  return generateTraffic(
    entries.map(({ name, hosts }) => {
      const live = server.get({ apiVersion: 'batch/v1', kind: 'CronJob', name, namespace });
      return {
        object: live as CronguardObject,
        destinations: hosts.map((host) => ({ host, idempotent: false })),
      };
    }),
  ).objects;
}

async function gaugeValue(
  registry: Registry,
  name: string,
  labels: Record<string, string>,
): Promise<number | undefined> {
  const metric = registry.getSingleMetric(name);
  const values = (await metric?.get())?.values ?? [];
  return values.find((value) =>
    Object.entries(labels).every(([key, wanted]) => value.labels[key] === wanted),
  )?.value;
}

describe('mesh reconciler', () => {
  it('creates the objects with server-side apply: field manager cronguard, no force on create', async () => {
    const ns = freshNamespace();
    server.create(cronJob(ns, 'report', 'ledger'));
    const { reconciler } = await startHarness(ns);
    await reconciler.idle();

    const [virtualService, destinationRule] = expectedObjects(ns, [
      { name: 'report', hosts: ['ledger'] },
    ]);
    for (const [object, plural] of [
      [virtualService, 'virtualservices'],
      [destinationRule, 'destinationrules'],
    ] as const) {
      const name = object?.metadata?.name ?? '';
      const requests = writes(ns).filter((request) => request.path.endsWith(`/${name}`));
      expect(requests.length).toBeGreaterThanOrEqual(1);
      const request = requests[0];
      expect(request?.method).toBe('PATCH');
      expect(request?.path).toBe(`/apis/networking.istio.io/v1/namespaces/${ns}/${plural}/${name}`);
      expect(request?.query).toEqual({ fieldManager: 'cronguard', force: 'false' });
      expect(request?.contentType).toBe(APPLY);
      expect(JSON.parse(request?.body ?? '')).toEqual(object);
      const live = server.get({
        apiVersion: ISTIO,
        kind: String(object?.kind),
        name,
        namespace: ns,
      });
      expect(live?.spec).toEqual(object?.spec);
      expect(live?.metadata.managedFields).toEqual([
        expect.objectContaining({ manager: 'cronguard', operation: 'Apply' }),
      ]);
    }
    const uid = server.get({
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      name: 'report',
      namespace: ns,
    })?.metadata.uid;
    expect(virtualService?.metadata?.ownerReferences).toEqual([
      expect.objectContaining({ kind: 'CronJob', name: 'report', uid }),
    ]);

    // A full resync of a converged namespace writes nothing.
    server.clearRequests();
    reconciler.policiesChanged();
    await reconciler.idle();
    expect(writes(ns)).toEqual([]);
  });

  it('aggregates CronJobs that call one host into one VirtualService owned by all of them', async () => {
    const ns = freshNamespace();
    server.create(cronJob(ns, 'report'));
    server.create(cronJob(ns, 'export', 'ledger'));
    const { reconciler } = await startHarness(ns, { policies: trafficPolicy(ns, 'report') });
    await reconciler.idle();
    const virtualServices = meshObjects('VirtualService', ns);
    expect(virtualServices).toHaveLength(1);
    expect(virtualServices[0]?.spec).toMatchObject({
      hosts: [`ledger.${ns}.svc.cluster.local`],
      http: [
        { name: 'cronjob-export', timeout: '30s' },
        { name: 'cronjob-report', timeout: '5s' },
        { name: 'default' },
      ],
    });
    expect(virtualServices[0]?.metadata.ownerReferences).toEqual([
      expect.objectContaining({ name: 'export' }),
      expect.objectContaining({ name: 'report' }),
    ]);
    expect(meshObjects('DestinationRule', ns)).toHaveLength(2);

    // One CronJob goes: the shared VirtualService stays, with the survivor's route only.
    server.delete({ apiVersion: 'batch/v1', kind: 'CronJob', name: 'export', namespace: ns });
    await eventually(() => {
      const [remaining] = meshObjects('VirtualService', ns);
      expect(remaining?.metadata.ownerReferences).toEqual([
        expect.objectContaining({ name: 'report' }),
      ]);
      expect(meshObjects('DestinationRule', ns)).toHaveLength(1);
    });
    const deleted = writes(ns).find((request) => request.method === 'DELETE');
    expect(deleted?.path).toMatch(/\/destinationrules\/cronguard-export-ledger-/);
    expect(JSON.parse(deleted?.body ?? '{}')).toMatchObject({
      preconditions: { uid: expect.any(String) as string },
    });

    // The last one goes: nothing of ours is left (the fake server has no GC, so
    // this is the reconciler's own cleanup).
    server.delete({ apiVersion: 'batch/v1', kind: 'CronJob', name: 'report', namespace: ns });
    await eventually(() => {
      expect(meshObjects('VirtualService', ns)).toEqual([]);
      expect(meshObjects('DestinationRule', ns)).toEqual([]);
    });
  });

  it('leaves a foreign VirtualService for the host alone, posts one Event and counts the conflict', async () => {
    const ns = freshNamespace();
    const foreign = server.create({
      apiVersion: ISTIO,
      kind: 'VirtualService',
      metadata: { name: 'ledger', namespace: ns, labels: { app: 'ledger' } },
      spec: { hosts: ['ledger'], http: [{ route: [{ destination: { host: 'ledger' } }] }] },
    });
    const created = server.create(cronJob(ns, 'report', 'ledger'));
    const { reconciler, registry } = await startHarness(ns);
    await reconciler.idle();

    expect(meshObjects('DestinationRule', ns)).toHaveLength(1);
    expect(meshObjects('VirtualService', ns)).toEqual([
      expect.objectContaining({ metadata: expect.objectContaining({ name: 'ledger' }) as unknown }),
    ]);
    expect(
      server.get({ apiVersion: ISTIO, kind: 'VirtualService', name: 'ledger', namespace: ns })
        ?.metadata.resourceVersion,
    ).toBe(foreign.metadata.resourceVersion);
    const events = server.list('v1', 'Event', ns);
    expect(events).toEqual([
      expect.objectContaining({
        reason: 'MeshObjectConflict',
        type: 'Warning',
        source: { component: 'cronguard-watcher' },
        involvedObject: expect.objectContaining({
          kind: 'CronJob',
          name: 'report',
          uid: created.metadata.uid,
        }) as unknown,
        message: expect.stringContaining(`VirtualService ${ns}/ledger already routes`) as unknown,
      }),
    ]);
    expect(
      await gaugeValue(registry, 'cronguard_mesh_conflicts', {
        namespace: ns,
        kind: 'VirtualService',
      }),
    ).toBe(1);

    // A resync meets the conflict again but does not post the Event again.
    reconciler.policiesChanged();
    await reconciler.idle();
    expect(server.list('v1', 'Event', ns)).toHaveLength(1);

    // The owner removes theirs: cronguard's VirtualService is written and the gauge clears.
    server.delete({ apiVersion: ISTIO, kind: 'VirtualService', name: 'ledger', namespace: ns });
    await eventually(() => {
      expect(meshObjects('VirtualService', ns)).toHaveLength(1);
    });
    await reconciler.idle();
    expect(
      await gaugeValue(registry, 'cronguard_mesh_conflicts', {
        namespace: ns,
        kind: 'VirtualService',
      }),
    ).toBeUndefined();
  });

  it('never writes over a foreign object that has our name', async () => {
    const ns = freshNamespace();
    server.create(cronJob(ns, 'report', 'ledger'));
    const [, rule] = expectedObjects(ns, [{ name: 'report', hosts: ['ledger'] }]);
    const name = rule?.metadata?.name ?? '';
    const foreign = server.create({
      apiVersion: ISTIO,
      kind: 'DestinationRule',
      metadata: { name, namespace: ns },
      spec: { host: 'elsewhere.example.com' },
    });
    const { reconciler } = await startHarness(ns);
    await reconciler.idle();
    expect(writes(ns).filter((request) => request.path.endsWith(`/${name}`))).toEqual([]);
    expect(
      server.get({ apiVersion: ISTIO, kind: 'DestinationRule', name, namespace: ns })?.metadata
        .resourceVersion,
    ).toBe(foreign.metadata.resourceVersion);
    expect(server.list('v1', 'Event', ns)).toEqual([
      expect.objectContaining({
        message: expect.stringContaining('not managed by cronguard') as unknown,
      }),
    ]);
  });

  it('repairs drift: an edited spec is applied back with force, a deleted object re-created', async () => {
    const ns = freshNamespace();
    server.create(cronJob(ns, 'report', 'ledger'));
    const { reconciler } = await startHarness(ns);
    await reconciler.idle();
    const [virtualService, rule] = expectedObjects(ns, [{ name: 'report', hosts: ['ledger'] }]);
    const vsRef = {
      apiVersion: ISTIO,
      kind: 'VirtualService',
      name: virtualService?.metadata?.name ?? '',
      namespace: ns,
    };
    const live = server.get(vsRef);
    if (live === undefined) throw new Error('the VirtualService was not created');
    server.clearRequests();
    server.update({ ...live, spec: { ...(live.spec as object), http: [] } });
    await eventually(() => {
      expect(server.get(vsRef)?.spec).toEqual(virtualService?.spec);
    });
    const repair = writes(ns).find((request) => request.method === 'PATCH');
    expect(repair?.query).toEqual({ fieldManager: 'cronguard', force: 'true' });
    expect(repair?.contentType).toBe(APPLY);

    const ruleRef = {
      apiVersion: ISTIO,
      kind: 'DestinationRule',
      name: rule?.metadata?.name ?? '',
      namespace: ns,
    };
    const before = server.get(ruleRef)?.metadata.uid;
    server.delete(ruleRef);
    await eventually(() => {
      const again = server.get(ruleRef);
      expect(again?.spec).toEqual(rule?.spec);
      expect(again?.metadata.uid).not.toBe(before);
    });
  });

  it('writes nothing while not the leader, and reconciles everything on becoming one', async () => {
    const ns = freshNamespace();
    server.create(cronJob(ns, 'report', 'ledger'));
    const gate = new SettableWriteGate(false);
    const { reconciler } = await startHarness(ns, { gate });
    await reconciler.idle();
    server.create(cronJob(ns, 'export', 'ledger'));
    reconciler.cronJobChanged(ns);
    await reconciler.idle();
    expect(writes(ns)).toEqual([]);
    gate.set(true);
    await eventually(() => {
      expect(meshObjects('VirtualService', ns)).toHaveLength(1);
      expect(meshObjects('DestinationRule', ns)).toHaveLength(2);
    });
  });

  it('retries API errors with backoff until the write succeeds', async () => {
    const ns = freshNamespace();
    const { reconciler, registry } = await startHarness(ns);
    await reconciler.idle();
    const isApply = (request: RecordedRequest): boolean =>
      request.method === 'PATCH' && request.path.includes(`/namespaces/${ns}/virtualservices/`);
    server.failRequests(isApply, 3, 500);
    server.create(cronJob(ns, 'report', 'ledger'));
    await eventually(() => {
      expect(meshObjects('VirtualService', ns)).toHaveLength(1);
    });
    await reconciler.idle();
    expect(server.requests.filter(isApply).length).toBeGreaterThanOrEqual(4);
    expect(meshObjects('DestinationRule', ns)).toHaveLength(1);
    expect(
      await gaugeValue(registry, 'cronguard_mesh_writes_total', {
        kind: 'VirtualService',
        operation: 'apply',
        result: 'error',
      }),
    ).toBe(3);
    expect(logLines.some((line) => line.includes('mesh reconcile failed; retrying'))).toBe(true);
  });

  it('without the Istio CRDs: logs once per kind, sets a metric, writes nothing, does not block', async () => {
    const bare = await FakeKubeApiServer.start({
      omitResources: ['virtualservices', 'destinationrules'],
    });
    try {
      bare.create(namespaceObject('no-istio'));
      bare.create(cronJob('no-istio', 'report', 'ledger'));
      const { reconciler, registry } = await startHarness('no-istio', { target: bare });
      await reconciler.idle();
      reconciler.policiesChanged();
      await reconciler.idle();
      expect(bare.requests.filter((request) => request.method !== 'GET')).toEqual([]);
      for (const kind of ['VirtualService', 'DestinationRule'])
        expect(await gaugeValue(registry, 'cronguard_mesh_api_missing', { kind })).toBe(1);
      const notServed = logLines.filter(
        (line) => line.includes('are not served') && line.includes('"scope":"no-istio"'),
      );
      expect(notServed).toHaveLength(2);
    } finally {
      for (const component of running.splice(0).reverse()) await component.stop();
      await bare.close();
    }
  });
});
