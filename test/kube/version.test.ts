import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchKubernetesVersion, parseKubernetesVersion } from '../../src/kube/version.js';
import { FakeKubeApiServer } from '../support/fake-kube-apiserver.js';

describe('parseKubernetesVersion', () => {
  it.each([
    [{ major: '1', minor: '31', gitVersion: 'v1.31.2' }, '1.31'],
    [{ major: '1', minor: '31+', gitVersion: 'v1.31.2-eks-abc1234' }, '1.31'],
    [{ major: '1', minor: '29+', gitVersion: 'v1.29.4-gke.1043002' }, '1.29'],
    [{ major: '', minor: '', gitVersion: 'v1.30.1+k3s1' }, '1.30'],
    [{ gitVersion: 'v1.28.0-rc.1' }, '1.28'],
    [
      { major: '1', minor: '33', gitVersion: 'v1.33.0', emulationMajor: '1', emulationMinor: '32' },
      '1.32',
    ],
  ])('%o is %s', (info, expected) => {
    expect(parseKubernetesVersion(info)).toBe(expected);
  });

  it('refuses a version it cannot read', () => {
    expect(() =>
      parseKubernetesVersion({ major: '', minor: '', gitVersion: 'v0.0.0-master+$Format:%H$' }),
    ).toThrow(/cannot tell the Kubernetes version.*v0\.0\.0-master/);
  });
});

describe('fetchKubernetesVersion', () => {
  let server: FakeKubeApiServer;
  beforeAll(async () => {
    server = await FakeKubeApiServer.start({
      version: { major: '1', minor: '31+', gitVersion: 'v1.31.2-eks-abc' },
    });
  });
  afterAll(async () => {
    await server.close();
  });

  it('asks /version with the kubeconfig credentials', async () => {
    await expect(fetchKubernetesVersion(server.kubeConfig())).resolves.toBe('1.31');
    expect(server.requests.map((request) => [request.method, request.path])).toEqual([
      ['GET', '/version'],
    ]);
  });
});
