import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  startNamespaceCache,
  type NamespaceCache,
  type NamespaceCacheEvent,
} from '../../src/kube/namespace-cache.js';
import { FakeKubeApiServer } from '../support/fake-kube-apiserver.js';
import { eventually, namespace } from './support.js';

let server: FakeKubeApiServer;
let cache: NamespaceCache | undefined;
let events: NamespaceCacheEvent[] = [];

beforeAll(async () => {
  server = await FakeKubeApiServer.start();
});

afterAll(async () => {
  await server.close();
});

afterEach(async () => {
  await cache?.stop();
  cache = undefined;
  server.setAvailable(true);
});

/** A started cache with short backoff, once its first list is in and its watch is open. */
async function startSyncedCache(): Promise<NamespaceCache> {
  events = [];
  cache = startNamespaceCache(server.kubeConfig(), {
    onEvent: (event) => events.push(event),
    backoff: { initialMs: 20, maxMs: 200 },
  });
  await cache.whenSynced();
  await eventually(() => server.openWatchCount() === 1);
  return cache;
}

function ref(name: string) {
  return { apiVersion: 'v1', kind: 'Namespace', name };
}

function relabel(name: string, labels: Record<string, string>): void {
  const live = server.get(ref(name))!;
  server.update({ ...live, metadata: { ...live.metadata, labels } });
}

function watchRequestsSince(index: number) {
  return server.requests.slice(index).filter((request) => request.query.watch === 'true');
}

function listRequestsSince(index: number) {
  return server.requests
    .slice(index)
    .filter((request) => request.method === 'GET' && request.query.watch === undefined);
}

describe('namespace cache', () => {
  it('holds the labels of existing namespaces once synced, and follows adds, updates and deletes', async () => {
    server.create(namespace('existing', { team: 'a' }));
    const labels = await startSyncedCache();
    expect(labels.synced()).toBe(true);
    expect(labels.labelsFor('existing')).toEqual({
      team: 'a',
      'kubernetes.io/metadata.name': 'existing',
    });
    expect(labels.labelsFor('never-created')).toBeUndefined();
    expect(events).toContainEqual(expect.objectContaining({ type: 'synced' }));

    server.create(namespace('added', { tier: 'gold' }));
    await eventually(() => {
      expect(labels.labelsFor('added')).toMatchObject({ tier: 'gold' });
    });
    relabel('added', { tier: 'silver' });
    await eventually(() => {
      expect(labels.labelsFor('added')).toEqual({
        tier: 'silver',
        'kubernetes.io/metadata.name': 'added',
      });
    });
    server.delete(ref('added'));
    await eventually(() => {
      expect(labels.labelsFor('added')).toBeUndefined();
    });
    expect(events).toEqual(
      expect.arrayContaining([
        { type: 'added', name: 'added' },
        { type: 'updated', name: 'added' },
        { type: 'deleted', name: 'added' },
      ]),
    );
  });

  it('keeps only frozen labels: callers cannot change the cache', async () => {
    server.create({
      ...namespace('frozen', { a: '1' }),
      metadata: { name: 'frozen', labels: { a: '1' }, annotations: { big: 'x'.repeat(10_000) } },
    });
    const labels = await startSyncedCache();
    const held = labels.labelsFor('frozen');
    expect(Object.isFrozen(held)).toBe(true);
  });

  it('relists after a 410 Gone on its open watch and misses no change', async () => {
    const labels = await startSyncedCache();
    const before = server.requests.length;
    server.expireWatches();
    server.create(namespace('after-expiry', { x: '1' }));
    await eventually(() => {
      expect(labels.labelsFor('after-expiry')).toMatchObject({ x: '1' });
    });
    expect(listRequestsSince(before).length).toBeGreaterThanOrEqual(1);
  });

  it('resumes from its resourceVersion after a cleanly closed watch, without relisting', async () => {
    const labels = await startSyncedCache();
    const resumeFrom = String(server.resourceVersion());
    const before = server.requests.length;
    server.closeWatchesCleanly();
    server.create(namespace('after-close', { y: '1' }));
    await eventually(() => {
      expect(labels.labelsFor('after-close')).toMatchObject({ y: '1' });
    });
    expect(watchRequestsSince(before)[0]?.query.resourceVersion).toBe(resumeFrom);
    expect(listRequestsSince(before)).toEqual([]);
    expect(events.filter((event) => event.type === 'error')).toEqual([]);
  });

  it('restarts after abruptly dropped connections, again and again', async () => {
    server.create(namespace('dropped', { round: '0' }));
    const labels = await startSyncedCache();
    for (const round of ['1', '2', '3']) {
      const errorsBefore = events.filter((event) => event.type === 'error').length;
      server.dropWatches();
      relabel('dropped', { round });
      await eventually(() => {
        expect(labels.labelsFor('dropped')).toMatchObject({ round });
      });
      await eventually(() => server.openWatchCount() === 1);
      // client-node's informer reports the drop as an error and stops; the cache restarted it.
      expect(events.filter((event) => event.type === 'error').length).toBeGreaterThan(errorsBefore);
    }
    expect(labels.synced()).toBe(true);
  });

  it('catches up on adds, updates and deletes made while the API server was unreachable', async () => {
    server.create(namespace('will-change', { v: '1' }));
    server.create(namespace('will-go', { v: '1' }));
    const labels = await startSyncedCache();
    const before = server.requests.length;

    server.setAvailable(false);
    server.dropWatches();
    await eventually(() => events.some((event) => event.type === 'error' && event.status === 503));
    server.create(namespace('came-meanwhile', { v: '1' }));
    relabel('will-change', { v: '2' });
    server.delete(ref('will-go'));
    // The resourceVersion the cache resumes from is now too old: it must relist.
    server.compact();
    // Still serving the last known labels while disconnected.
    expect(labels.labelsFor('will-go')).toMatchObject({ v: '1' });
    server.setAvailable(true);

    await eventually(() => {
      expect(labels.labelsFor('came-meanwhile')).toMatchObject({ v: '1' });
      expect(labels.labelsFor('will-change')).toMatchObject({ v: '2' });
      expect(labels.labelsFor('will-go')).toBeUndefined();
    });
    expect(events).toContainEqual({ type: 'deleted', name: 'will-go' });
    expect(listRequestsSince(before).length).toBeGreaterThanOrEqual(1);
  });

  it('keeps retrying when the first list fails, and syncs once the server answers', async () => {
    server.setAvailable(false);
    events = [];
    cache = startNamespaceCache(server.kubeConfig(), {
      onEvent: (event) => events.push(event),
      backoff: { initialMs: 20, maxMs: 100 },
    });
    await eventually(() => events.filter((event) => event.type === 'error').length >= 2);
    expect(cache.synced()).toBe(false);
    expect(cache.labelsFor('default')).toBeUndefined();
    server.create(namespace('default'));
    server.setAvailable(true);
    await cache.whenSynced();
    expect(cache.labelsFor('default')).toEqual({ 'kubernetes.io/metadata.name': 'default' });
  });

  it('closes its watch on stop and does not reconnect', async () => {
    const labels = await startSyncedCache();
    await labels.stop();
    cache = undefined;
    await eventually(() => server.openWatchCount() === 0);
    const requestsAfterStop = server.requests.length;
    // Longer than several backoff steps (20 ms initial): a restart would have happened.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(server.requests.length).toBe(requestsAfterStop);
    expect(server.openWatchCount()).toBe(0);
  });
});
