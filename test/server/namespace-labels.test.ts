import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AdmissionReviewResponse } from '../../src/admission/index.js';
import { run } from '../../src/cli/main.js';
import { FakeKubeApiServer } from '../support/fake-kube-apiserver.js';
import { eventually, namespace } from '../kube/support.js';
import { reviewOf } from '../unit/admission/support.js';
import { callWebhook } from './support.js';

/**
 * `cronguard serve` as deployed: it finds cluster credentials (here a kubeconfig
 * for a local fake of the API server's list/watch protocol), watches Namespace
 * labels, and namespaceSelector policies decide by them, following label changes
 * without a restart.
 */
const POLICY = `apiVersion: cronguard.dev/v1alpha1
kind: CronJobPolicy
metadata: {name: batch-tier}
spec:
  action: enforce
  match:
    namespaceSelector: {matchLabels: {tier: batch}}
  job:
    concurrencyPolicy: {enforce: Forbid}
`;

function cronJobIn(ns: string): Record<string, unknown> {
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name: 'report', namespace: ns },
    spec: {
      schedule: '0 3 * * *',
      concurrencyPolicy: 'Allow',
      jobTemplate: {
        spec: {
          template: {
            spec: { restartPolicy: 'OnFailure', containers: [{ name: 'main', image: 'r/x:1' }] },
          },
        },
      },
    },
  };
}

let apiServer: FakeKubeApiServer;
let stop: (reason: string) => void = () => undefined;
let exited: Promise<number>;
let port = 0;
let ca = '';
let stdout = '';

beforeAll(async () => {
  apiServer = await FakeKubeApiServer.start({ version: '1.31' });
  apiServer.create(namespace('batch-a', { tier: 'batch' }));
  apiServer.create(namespace('web-b', { tier: 'web' }));
  const dir = await mkdtemp(join(tmpdir(), 'cronguard-serve-ns-'));
  await writeFile(join(dir, 'policy.yaml'), POLICY);
  const kubeconfig = await apiServer.writeKubeconfig(dir);
  const stopped = new Promise<string>((resolve) => (stop = resolve));
  exited = run(
    [
      'serve',
      '--host',
      '127.0.0.1',
      '--port',
      '0',
      '--metrics-port',
      '0',
      '--policies',
      join(dir, 'policy.yaml'),
      '--kubeconfig',
      kubeconfig,
      '--dev-cert-dir',
      join(dir, 'dev'),
    ],
    {
      stdout: (text) => (stdout += text),
      stderr: (text) => (stdout += text),
      readStdin: () => Promise.resolve(''),
      writeFile: () => Promise.resolve(),
      isTTY: false,
      env: {},
      now: () => new Date(),
      stopRequested: () => stopped,
    },
  );
  await eventually(() => /admission webhook on https:\/\/127\.0\.0\.1:(\d+)/.test(stdout));
  port = Number(/admission webhook on https:\/\/127\.0\.0\.1:(\d+)/.exec(stdout)?.[1]);
  ca = await readFile(join(dir, 'dev', 'ca.crt'), 'utf8');
});

afterAll(async () => {
  stop('test done');
  expect(await exited).toBe(0);
  await apiServer.close();
});

async function mutatedConcurrency(ns: string): Promise<unknown> {
  const answer = await callWebhook(
    port,
    '/mutate?timeout=10s',
    JSON.stringify(reviewOf(cronJobIn(ns))),
    { ca },
  );
  const review = JSON.parse(answer.body) as AdmissionReviewResponse;
  const patch = review.response.patch;
  if (patch === undefined) return undefined;
  const operations = JSON.parse(Buffer.from(patch, 'base64').toString('utf8')) as {
    path: string;
    value?: unknown;
  }[];
  return operations.find((operation) => operation.path === '/spec/concurrencyPolicy')?.value;
}

describe('serve with cluster credentials', () => {
  it('says where the labels come from and which Kubernetes version it found', () => {
    expect(stdout).toContain('watching Namespace labels');
    expect(stdout).toContain('"kubernetesVersion":"1.31"');
    expect(stdout).not.toContain('namespace-label matching is off');
  });

  it('applies a namespaceSelector policy only where the namespace labels match', async () => {
    expect(await mutatedConcurrency('batch-a')).toBe('Forbid');
    expect(await mutatedConcurrency('web-b')).toBeUndefined();
  });

  it('follows label changes without a restart', async () => {
    apiServer.update(namespace('web-b', { tier: 'batch' }));
    await eventually(async () => (await mutatedConcurrency('web-b')) === 'Forbid');
    apiServer.update(namespace('batch-a', { tier: 'web' }));
    await eventually(async () => (await mutatedConcurrency('batch-a')) === undefined);
  });
});
