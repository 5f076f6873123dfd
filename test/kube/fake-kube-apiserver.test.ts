import {
  CoreV1Api,
  KubernetesObjectApi,
  PatchStrategy,
  type KubernetesObject,
} from '@kubernetes/client-node';
import yaml from 'js-yaml';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FakeKubeApiServer } from '../support/fake-kube-apiserver.js';
import { namespace, rawRequest, readWatch } from './support.js';

let server: FakeKubeApiServer;

beforeAll(async () => {
  server = await FakeKubeApiServer.start();
});

afterAll(async () => {
  await server.close();
});

beforeEach(() => {
  server.clearRequests();
});

const APPLY = 'application/apply-patch+yaml';

function cronJob(name: string, spec: Record<string, unknown>) {
  return { apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name, namespace: 'apps' }, spec };
}

function virtualService(name: string) {
  return {
    apiVersion: 'networking.istio.io/v1',
    kind: 'VirtualService',
    metadata: { name, namespace: 'apps' },
    spec: { hosts: ['a'] },
  };
}

describe('the fake API server as seen by client-node', () => {
  it('lists built-in items without kind/apiVersion and gets objects with them', async () => {
    server.create(namespace('list-a', { team: 'a' }));
    const core = server.kubeConfig().makeApiClient(CoreV1Api);
    const list = await core.listNamespace();
    const item = list.items.find((candidate) => candidate.metadata?.name === 'list-a');
    expect(item?.metadata?.labels).toEqual({
      team: 'a',
      'kubernetes.io/metadata.name': 'list-a',
    });
    expect(item?.kind).toBeUndefined();
    expect(item?.apiVersion).toBeUndefined();
    expect(list.metadata?.resourceVersion).toBe(String(server.resourceVersion()));

    const single = await core.readNamespace({ name: 'list-a' });
    expect(single.kind).toBe('Namespace');
    expect(single.apiVersion).toBe('v1');
  });

  it('records each request with method, path, query and headers', async () => {
    const core = server.kubeConfig().makeApiClient(CoreV1Api);
    await core.listNamespace({ labelSelector: 'team=a' });
    expect(server.requests).toHaveLength(1);
    const [recorded] = server.requests;
    expect(recorded?.method).toBe('GET');
    expect(recorded?.path).toBe('/api/v1/namespaces');
    expect(recorded?.query).toEqual({ labelSelector: 'team=a' });
    expect(recorded?.headers.authorization).toBe(`Bearer ${server.token}`);
  });

  it('refuses a wrong bearer token with 401', async () => {
    const answer = await rawRequest(server, 'GET', '/api/v1/namespaces', { token: 'wrong' });
    expect(answer.status).toBe(401);
  });

  it('answers /version with the configured gitVersion', async () => {
    server.setVersion('v1.29.4-gke.100');
    const answer = await rawRequest(server, 'GET', '/version');
    expect(answer.json).toMatchObject({ gitVersion: 'v1.29.4-gke.100', major: '1', minor: '29' });
    server.setVersion('v1.31.2');
  });

  it('serves custom resource lists with kind/apiVersion on items, and discovery', async () => {
    server.create(namespace('apps'));
    server.create(virtualService('vs-list'));
    const answer = await rawRequest(
      server,
      'GET',
      '/apis/networking.istio.io/v1/namespaces/apps/virtualservices',
    );
    expect(answer.json).toMatchObject({
      kind: 'VirtualServiceList',
      items: [{ apiVersion: 'networking.istio.io/v1', kind: 'VirtualService' }],
    });
    const discovery = await rawRequest(server, 'GET', '/apis/batch/v1');
    expect(discovery.json).toMatchObject({
      resources: expect.arrayContaining([
        expect.objectContaining({ name: 'cronjobs', namespaced: true, kind: 'CronJob' }),
      ]) as unknown,
    });
  });
});

describe('resourceVersions and watches', () => {
  it('hands out strictly increasing resourceVersions across resources', () => {
    const versions = [
      server.create(namespace('rv-1')),
      server.create(namespace('rv-2')),
      server.update({
        ...server.get({ apiVersion: 'v1', kind: 'Namespace', name: 'rv-1' })!,
        spec: {},
      }),
      server.delete({ apiVersion: 'v1', kind: 'Namespace', name: 'rv-2' }),
    ].map((object) => Number(object.metadata.resourceVersion));
    for (let index = 1; index < versions.length; index += 1) {
      expect(versions[index]).toBeGreaterThan(versions[index - 1]!);
    }
  });

  it('streams ADDED, MODIFIED and DELETED after the given resourceVersion, in order', async () => {
    const from = server.resourceVersion();
    const created = server.create(namespace('watch-1', { a: '1' }));
    server.update({ ...created, metadata: { ...created.metadata, labels: { a: '2' } } });
    server.delete({ apiVersion: 'v1', kind: 'Namespace', name: 'watch-1' });
    const events = await readWatch(server, `/api/v1/namespaces?watch=1&resourceVersion=${from}`, 3);
    expect(events.map((event) => event.type)).toEqual(['ADDED', 'MODIFIED', 'DELETED']);
    expect(events.map((event) => event.object.kind)).toEqual([
      'Namespace',
      'Namespace',
      'Namespace',
    ]);
    const versions = events.map((event) =>
      Number((event.object.metadata as { resourceVersion: string }).resourceVersion),
    );
    expect([...versions].sort((a, b) => a - b)).toEqual(versions);
    expect(new Set(versions).size).toBe(3);
  });

  it('sends BOOKMARK events only to watches that allow them', async () => {
    const from = server.resourceVersion();
    const withBookmarks = readWatch(
      server,
      `/api/v1/namespaces?watch=1&resourceVersion=${from}&allowWatchBookmarks=true`,
      1,
    );
    const without = readWatch(server, `/api/v1/namespaces?watch=1&resourceVersion=${from}`, 1);
    await waitForWatches(2);
    server.sendBookmarks();
    server.create(namespace('after-bookmark'));
    expect((await withBookmarks)[0]).toMatchObject({
      type: 'BOOKMARK',
      object: { metadata: { resourceVersion: String(from) } },
    });
    expect((await without)[0]?.type).toBe('ADDED');
  });

  it('answers a watch from a compacted resourceVersion with an ERROR 410 event and ends it', async () => {
    const old = server.resourceVersion();
    server.create(namespace('compacted'));
    server.compact();
    const events = await readWatch(server, `/api/v1/namespaces?watch=1&resourceVersion=${old}`, 2);
    expect(events).toEqual([
      { type: 'ERROR', object: expect.objectContaining({ kind: 'Status', code: 410 }) as unknown },
    ]);
    // The current resourceVersion is still watchable.
    const current = server.resourceVersion();
    const next = readWatch(server, `/api/v1/namespaces?watch=1&resourceVersion=${current}`, 1);
    await waitForWatches(1);
    server.create(namespace('after-compaction'));
    expect((await next)[0]?.type).toBe('ADDED');
  });

  it('filters watches by label selector', async () => {
    const from = server.resourceVersion();
    const watch = readWatch(
      server,
      `/api/v1/namespaces?watch=1&resourceVersion=${from}&labelSelector=${encodeURIComponent('tier in (gold)')}`,
      1,
    );
    await waitForWatches(1);
    server.create(namespace('bronze', { tier: 'bronze' }));
    server.create(namespace('gold', { tier: 'gold' }));
    const [event] = await watch;
    expect((event?.object.metadata as { name: string }).name).toBe('gold');
  });
});

describe('writes', () => {
  beforeAll(() => {
    if (server.get({ apiVersion: 'v1', kind: 'Namespace', name: 'apps' }) === undefined) {
      server.create(namespace('apps'));
    }
  });

  it('applies with a fieldManager, then answers 409 naming the other manager, unless forced', async () => {
    const path = '/apis/batch/v1/namespaces/apps/cronjobs/nightly';
    const first = await rawRequest(server, 'PATCH', `${path}?fieldManager=cronguard`, {
      contentType: APPLY,
      body: yaml.dump(cronJob('nightly', { schedule: '0 3 * * *' })),
    });
    expect(first.status).toBe(201);

    const conflicting = await rawRequest(server, 'PATCH', `${path}?fieldManager=kubectl`, {
      contentType: APPLY,
      body: yaml.dump(cronJob('nightly', { schedule: '0 4 * * *' })),
    });
    expect(conflicting.status).toBe(409);
    expect(conflicting.json).toMatchObject({
      kind: 'Status',
      reason: 'Conflict',
      details: { causes: [{ type: 'FieldManagerConflict', field: '.spec.schedule' }] },
    });
    expect((conflicting.json as { message: string }).message).toContain(
      'conflict with "cronguard"',
    );

    const forced = await rawRequest(server, 'PATCH', `${path}?fieldManager=kubectl&force=true`, {
      contentType: APPLY,
      body: yaml.dump(cronJob('nightly', { schedule: '0 4 * * *' })),
    });
    expect(forced.status).toBe(200);
    expect(forced.json).toMatchObject({ spec: { schedule: '0 4 * * *' } });
    // The former owner lost the field, so it now conflicts the other way round.
    const back = await rawRequest(server, 'PATCH', `${path}?fieldManager=cronguard`, {
      contentType: APPLY,
      body: yaml.dump(cronJob('nightly', { schedule: '0 3 * * *' })),
    });
    expect(back.status).toBe(409);
    expect((back.json as { message: string }).message).toContain('conflict with "kubectl"');
  });

  it('requires a fieldManager for apply', async () => {
    const answer = await rawRequest(server, 'PATCH', '/apis/batch/v1/namespaces/apps/cronjobs/x', {
      contentType: APPLY,
      body: yaml.dump(cronJob('x', { schedule: '* * * * *' })),
    });
    expect(answer.status).toBe(400);
  });

  it('fills defaults and leaves an unchanged re-apply without a new resourceVersion', async () => {
    const path = '/apis/batch/v1/namespaces/apps/cronjobs/idempotent?fieldManager=cronguard';
    const body = yaml.dump(cronJob('idempotent', { schedule: '0 1 * * *' }));
    const first = await rawRequest(server, 'PATCH', path, { contentType: APPLY, body });
    expect(first.json).toMatchObject({
      spec: { concurrencyPolicy: 'Allow', successfulJobsHistoryLimit: 3 },
    });
    const before = server.resourceVersion();
    const second = await rawRequest(server, 'PATCH', path, { contentType: APPLY, body });
    expect(second.status).toBe(200);
    expect(server.resourceVersion()).toBe(before);
    expect((second.json as KubernetesObject).metadata?.resourceVersion).toBe(
      (first.json as KubernetesObject).metadata?.resourceVersion,
    );
  });

  it('refuses apply-patch+json and strategic merge on custom resources with 415', async () => {
    server.create(virtualService('vs-patch'));
    const path = '/apis/networking.istio.io/v1/namespaces/apps/virtualservices/vs-patch';
    const applyJson = await rawRequest(server, 'PATCH', `${path}?fieldManager=cronguard`, {
      contentType: 'application/apply-patch+json',
      body: JSON.stringify(virtualService('vs-patch')),
    });
    expect(applyJson.status).toBe(415);
    const strategic = await rawRequest(server, 'PATCH', path, {
      contentType: 'application/strategic-merge-patch+json',
      body: JSON.stringify({ spec: { hosts: ['b'] } }),
    });
    expect(strategic.status).toBe(415);
    const merge = await rawRequest(server, 'PATCH', path, {
      contentType: 'application/merge-patch+json',
      body: JSON.stringify({ spec: { hosts: ['b'] } }),
    });
    expect(merge.status).toBe(200);
    expect(merge.json).toMatchObject({ spec: { hosts: ['b'] } });
  });

  it('takes JSON patch arrays and refuses an object body with 400', async () => {
    server.create(cronJob('json-patched', { schedule: '0 2 * * *' }));
    const path = '/apis/batch/v1/namespaces/apps/cronjobs/json-patched';
    const wrong = await rawRequest(server, 'PATCH', path, {
      contentType: 'application/json-patch+json',
      body: JSON.stringify({ spec: { suspend: true } }),
    });
    expect(wrong.status).toBe(400);
    const right = await rawRequest(server, 'PATCH', path, {
      contentType: 'application/json-patch+json',
      body: JSON.stringify([{ op: 'replace', path: '/spec/suspend', value: true }]),
    });
    expect(right.status).toBe(200);
    expect(right.json).toMatchObject({ spec: { suspend: true } });
  });

  it('checks resourceVersion on PUT: 409 when stale, 422 when missing on a custom resource', async () => {
    const created = server.create(virtualService('vs-put'));
    const path = '/apis/networking.istio.io/v1/namespaces/apps/virtualservices/vs-put';
    const fresh = await rawRequest(server, 'PUT', path, {
      contentType: 'application/json',
      body: JSON.stringify({ ...created, spec: { hosts: ['c'] } }),
    });
    expect(fresh.status).toBe(200);
    const stale = await rawRequest(server, 'PUT', path, {
      contentType: 'application/json',
      body: JSON.stringify({ ...created, spec: { hosts: ['d'] } }),
    });
    expect(stale.status).toBe(409);
    const missing = await rawRequest(server, 'PUT', path, {
      contentType: 'application/json',
      body: JSON.stringify({
        ...created,
        metadata: { ...created.metadata, resourceVersion: undefined },
      }),
    });
    expect(missing.status).toBe(422);
  });

  it('answers 404 for a create in a missing namespace and 409 for a duplicate', async () => {
    const missing = await rawRequest(server, 'POST', '/api/v1/namespaces/nowhere/pods', {
      contentType: 'application/json',
      body: JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' } }),
    });
    expect(missing.status).toBe(404);
    const body = JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } });
    const path = '/api/v1/namespaces/apps/configmaps';
    expect(
      (await rawRequest(server, 'POST', path, { contentType: 'application/json', body })).status,
    ).toBe(201);
    expect(
      (await rawRequest(server, 'POST', path, { contentType: 'application/json', body })).status,
    ).toBe(409);
  });

  it('rejects a label value that is not a valid label (a cron schedule) with 422', async () => {
    const answer = await rawRequest(server, 'POST', '/api/v1/namespaces/apps/configmaps', {
      contentType: 'application/json',
      body: JSON.stringify({
        metadata: { name: 'bad-label', labels: { schedule: '*/5 * * * *' } },
      }),
    });
    expect(answer.status).toBe(422);
  });

  it('receives server-side apply from client-node with the content type the real server expects', async () => {
    const objects = KubernetesObjectApi.makeApiClient(server.kubeConfig());
    await objects.patch(
      cronJob('from-client', { schedule: '0 5 * * *' }),
      undefined,
      undefined,
      'cronguard',
      true,
      PatchStrategy.ServerSideApply,
    );
    const patch = server.requests.find((request) => request.method === 'PATCH');
    expect(patch?.contentType).toBe(APPLY);
    expect(patch?.path).toBe('/apis/batch/v1/namespaces/apps/cronjobs/from-client');
    expect(patch?.query).toMatchObject({ fieldManager: 'cronguard', force: 'true' });
    expect(
      server.get({
        apiVersion: 'batch/v1',
        kind: 'CronJob',
        name: 'from-client',
        namespace: 'apps',
      }),
    ).toMatchObject({
      spec: { schedule: '0 5 * * *' },
      metadata: { managedFields: [{ manager: 'cronguard', operation: 'Apply' }] },
    });
  });
});

async function waitForWatches(count: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (server.openWatchCount() < count) {
    if (Date.now() > deadline) throw new Error(`expected ${count} open watches`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
