import { CoreV1Api, type KubernetesObject } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createResilientInformer } from '../../src/kube/informer.js';
import { FakeKubeApiServer } from '../support/fake-kube-apiserver.js';
import { eventually, namespace } from './support.js';

let server: FakeKubeApiServer;

beforeAll(async () => {
  server = await FakeKubeApiServer.start();
  for (let index = 0; index < 7; index++) server.create(namespace(`paged-${String(index)}`));
});

afterAll(async () => {
  await server.close();
});

describe('paged lists', () => {
  it('lists page by page, transforms every item and watches from the snapshot', async () => {
    const kubeConfig = server.kubeConfig();
    const core = kubeConfig.makeApiClient(CoreV1Api);
    const seen: string[] = [];
    server.clearRequests();
    const informer = createResilientInformer<KubernetesObject>({
      kubeConfig,
      path: '/api/v1/namespaces',
      list: (page) => core.listNamespace(page),
      pageSize: 3,
      transform: (object) => {
        seen.push(object.metadata?.name ?? '');
        if (object.metadata !== undefined) object.metadata.annotations = { transformed: 'yes' };
        return object;
      },
    });
    informer.start();
    try {
      await informer.whenSynced();
      const names = informer.cache.list().map((object) => object.metadata?.name);
      expect(names.filter((name) => name?.startsWith('paged-')).sort()).toEqual(
        Array.from({ length: 7 }, (_, index) => `paged-${String(index)}`),
      );
      expect(
        informer.cache.list().every((o) => o.metadata?.annotations?.transformed === 'yes'),
      ).toBe(true);
      const lists = server.requests.filter(
        (request) => request.path === '/api/v1/namespaces' && request.query.watch !== 'true',
      );
      expect(lists.length).toBeGreaterThanOrEqual(3);
      expect(lists.every((request) => request.query.limit === '3')).toBe(true);
      expect(lists.slice(1).every((request) => (request.query.continue ?? '') !== '')).toBe(true);
      // A change after the list arrives through the watch, resumed from the snapshot.
      server.create(namespace('paged-late'));
      await eventually(() => {
        expect(informer.cache.get('paged-late')).toBeDefined();
      });
    } finally {
      await informer.stop();
    }
  });
});
