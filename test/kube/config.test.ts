import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { CoreV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import { loadKubeConfig } from '../../src/kube/config.js';
import { fetchKubernetesVersion } from '../../src/kube/version.js';
import { FakeKubeApiServer } from '../support/fake-kube-apiserver.js';

let server: FakeKubeApiServer;
let scratch: string;
/** Points nowhere, so the machine's own service account never leaks into a test. */
let noServiceAccount: string;

beforeAll(async () => {
  server = await FakeKubeApiServer.start();
  scratch = await mkdtemp(join(tmpdir(), 'cronguard-kubeconfig-'));
  noServiceAccount = join(scratch, 'no-service-account');
});

afterAll(async () => {
  await server.close();
});

async function file(name: string, text: string): Promise<string> {
  const path = join(scratch, name);
  await writeFile(path, text);
  return path;
}

describe('loadKubeConfig', () => {
  it('loads an explicit kubeconfig and connects with it', async () => {
    const path = await server.writeKubeconfig(await mkdtemp(join(scratch, 'explicit-')));
    const result = loadKubeConfig({
      kubeconfigPath: path,
      env: {},
      serviceAccountDir: noServiceAccount,
    });
    expect(result.kubeConfig).toBeDefined();
    if (result.kubeConfig === undefined) return;
    expect(result).toMatchObject({ source: 'explicit' });
    expect(result.description).toBe(`kubeconfig ${path} (context fake, server ${server.url})`);
    const namespaces = await result.kubeConfig.makeApiClient(CoreV1Api).listNamespace();
    expect(namespaces.items).toEqual([]);
  });

  it('prefers the explicit file over KUBECONFIG and the service account', async () => {
    const path = await server.writeKubeconfig(await mkdtemp(join(scratch, 'explicit-')));
    const result = loadKubeConfig({
      kubeconfigPath: path,
      env: {
        KUBECONFIG: join(scratch, 'other'),
        KUBERNETES_SERVICE_HOST: '10.0.0.1',
        KUBERNETES_SERVICE_PORT: '443',
      },
      serviceAccountDir: noServiceAccount,
    });
    expect(result).toMatchObject({ source: 'explicit' });
  });

  it('throws a UserError naming a missing explicit file', () => {
    const path = join(scratch, 'does-not-exist');
    expect(() => loadKubeConfig({ kubeconfigPath: path, env: {} })).toThrow(UserError);
    expect(() => loadKubeConfig({ kubeconfigPath: path, env: {} })).toThrow(
      `kubeconfig ${path} does not exist`,
    );
  });

  it.each([
    ['invalid YAML', 'clusters: [', /is not valid/],
    ['an empty file', '', /is not valid: expected a YAML mapping/],
    [
      'a cluster without server',
      'clusters: [{name: c, cluster: {}}]',
      /is not valid: clusters\[0\]\.cluster\.server is missing/,
    ],
    ['no current-context', 'clusters: []\ncontexts: []\nusers: []\n', /has no current-context/],
    [
      'a current-context that does not exist',
      'clusters: []\ncontexts: []\nusers: []\ncurrent-context: gone\n',
      /has no context "gone"/,
    ],
    [
      'a context naming a missing cluster',
      'clusters: []\nusers: []\ncontexts: [{name: c, context: {cluster: x, user: u}}]\ncurrent-context: c\n',
      /names a missing cluster "x"/,
    ],
  ])('throws a UserError naming the file for %s', async (_case, text, message) => {
    const path = await file(`broken-${String(Math.random()).slice(2)}`, text);
    expect(() => loadKubeConfig({ kubeconfigPath: path, env: {} })).toThrow(UserError);
    expect(() => loadKubeConfig({ kubeconfigPath: path, env: {} })).toThrow(message);
    expect(() => loadKubeConfig({ kubeconfigPath: path, env: {} })).toThrow(path);
  });

  it('returns a reason, not an error, when there are no credentials at all', async () => {
    const home = await mkdtemp(join(scratch, 'home-'));
    const result = loadKubeConfig({ env: {}, homeDir: home, serviceAccountDir: noServiceAccount });
    expect(result.kubeConfig).toBeUndefined();
    expect(result).toEqual({
      kubeConfig: undefined,
      reason: `not in a pod (KUBERNETES_SERVICE_HOST/PORT unset); KUBECONFIG unset; ${join(home, '.kube', 'config')} does not exist`,
    });
  });

  it('says why the service account was not used in a pod without a token', async () => {
    const home = await mkdtemp(join(scratch, 'home-'));
    const result = loadKubeConfig({
      env: { KUBERNETES_SERVICE_HOST: '10.0.0.1', KUBERNETES_SERVICE_PORT: '443' },
      homeDir: home,
      serviceAccountDir: noServiceAccount,
    });
    expect(result).toMatchObject({
      kubeConfig: undefined,
      reason: expect.stringContaining('automountServiceAccountToken: false?') as unknown,
    });
  });

  it('uses the service account in a pod, and connects with its token and CA', async () => {
    const serviceAccountDir = await mkdtemp(join(scratch, 'sa-'));
    await writeFile(join(serviceAccountDir, 'token'), server.token);
    await writeFile(join(serviceAccountDir, 'ca.crt'), server.caCert);
    await writeFile(join(serviceAccountDir, 'namespace'), 'cronguard-system\n');
    const { port } = new URL(server.url);
    const result = loadKubeConfig({
      env: {
        KUBERNETES_SERVICE_HOST: '127.0.0.1',
        KUBERNETES_SERVICE_PORT: port,
        KUBECONFIG: join(scratch, 'ignored'),
      },
      serviceAccountDir,
    });
    expect(result).toMatchObject({ source: 'in-cluster' });
    if (result.kubeConfig === undefined) return;
    expect(
      result.kubeConfig.getContextObject(result.kubeConfig.getCurrentContext())?.namespace,
    ).toBe('cronguard-system');
    await expect(fetchKubernetesVersion(result.kubeConfig)).resolves.toBe('1.31');
  });

  it('merges KUBECONFIG files with the first one winning, skipping missing ones', async () => {
    const first = await server.writeKubeconfig(await mkdtemp(join(scratch, 'first-')));
    const second = await file(
      'second',
      [
        'clusters: [{name: fake, cluster: {server: "https://elsewhere:6443"}}, {name: extra, cluster: {server: "https://extra:6443"}}]',
        'users: [{name: extra-user, user: {token: t}}]',
        'contexts: [{name: extra, context: {cluster: extra, user: extra-user}}]',
        'current-context: extra',
      ].join('\n'),
    );
    const missing = join(scratch, 'missing');
    const env = { KUBECONFIG: [missing, first, second].join(delimiter) };
    const result = loadKubeConfig({ env, serviceAccountDir: noServiceAccount });
    expect(result).toMatchObject({ source: 'KUBECONFIG' });
    if (result.kubeConfig === undefined) return;
    expect(result.kubeConfig.getCurrentContext()).toBe('fake');
    expect(result.kubeConfig.getCurrentCluster()?.server).toBe(server.url);
    expect(result.kubeConfig.getCluster('extra')?.server).toBe('https://extra:6443');

    const chosen = loadKubeConfig({ env, context: 'extra', serviceAccountDir: noServiceAccount });
    expect(chosen.kubeConfig?.getCurrentCluster()?.server).toBe('https://extra:6443');
  });

  it('reports a KUBECONFIG that names no existing file', () => {
    const result = loadKubeConfig({
      env: { KUBECONFIG: join(scratch, 'nope') },
      serviceAccountDir: noServiceAccount,
    });
    expect(result).toMatchObject({
      kubeConfig: undefined,
      reason: expect.stringContaining('KUBECONFIG names no existing file') as unknown,
    });
  });

  it('falls back to ~/.kube/config', async () => {
    const home = await mkdtemp(join(scratch, 'home-'));
    await mkdir(join(home, '.kube'));
    await writeFile(join(home, '.kube', 'config'), server.kubeconfigYaml());
    const result = loadKubeConfig({ env: {}, homeDir: home, serviceAccountDir: noServiceAccount });
    expect(result).toMatchObject({ source: 'home' });
    expect(result.kubeConfig?.getCurrentCluster()?.server).toBe(server.url);
  });
});
