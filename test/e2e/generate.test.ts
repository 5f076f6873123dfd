import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/k8s/types.js';
import {
  validateDestinationRule,
  validateVirtualService,
} from '../../src/mesh/traffic/validate.js';
import { cli } from '../support/cli.js';

function cronJob(name: string, namespace: string, destinations?: string): string {
  const annotations =
    destinations === undefined
      ? ''
      : `\n  annotations:\n    cronguard.dev/destinations: "${destinations}"`;
  return `apiVersion: batch/v1
kind: CronJob
metadata:
  name: ${name}
  namespace: ${namespace}${annotations}
spec:
  schedule: "0 3 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: Never
          containers: [{name: app, image: busybox:1.36}]
`;
}

function objectsOf(stdout: string): KubeObject[] {
  return yaml.loadAll(stdout).filter((doc) => doc !== null) as KubeObject[];
}

function tempFile(name: string, text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'cronguard-generate-'));
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

describe('cronguard generate mesh (annotation path)', () => {
  it('prints a YAML stream of valid VirtualServices and DestinationRules, exit 0', async () => {
    const input = [
      cronJob('nightly-report', 'batch', 'ledger, payments.prod'),
      cronJob('cleanup', 'batch', 'ledger'),
      cronJob('no-mesh', 'batch'),
    ].join('---\n');
    const result = await cli(['generate', 'mesh', '-'], input);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout.startsWith('---\n')).toBe(true);
    const objects = objectsOf(result.stdout);
    expect(
      objects.map(
        (o) => `${String(o.kind)} ${String(o.metadata?.annotations?.['cronguard.dev/cronjobs'])}`,
      ),
    ).toEqual([
      'VirtualService cleanup,nightly-report',
      'DestinationRule cleanup',
      'DestinationRule nightly-report',
      'VirtualService nightly-report',
      'DestinationRule nightly-report',
    ]);
    for (const object of objects) {
      expect(object.apiVersion).toBe('networking.istio.io/v1');
      const problems =
        object.kind === 'VirtualService'
          ? validateVirtualService(object)
          : validateDestinationRule(object);
      expect(problems).toEqual([]);
    }
    // Same input, same bytes.
    expect((await cli(['generate', 'mesh', '-'], input)).stdout).toBe(result.stdout);
  });

  it('reports invalid hosts as file:line on stderr with exit 1, still printing the rest', async () => {
    const file = tempFile('jobs.yaml', cronJob('nightly-report', 'batch', 'ledger,Bad_Host'));
    const result = await cli(['generate', 'mesh', file, '--api-version', 'v1beta1']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      new RegExp(
        `^${file.replaceAll('\\', '\\\\').replaceAll('.', '\\.')}:7: annotation cronguard.dev/destinations: host "Bad_Host" is not a DNS name`,
      ),
    );
    const objects = objectsOf(result.stdout);
    expect(objects).toHaveLength(2);
    expect(objects.every((o) => o.apiVersion === 'networking.istio.io/v1beta1')).toBe(true);
  });

  it('says so on stderr when nothing names a destination', async () => {
    const result = await cli(['generate', 'mesh', '-'], cronJob('plain', 'batch'));
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/nothing generated/);
  });

  it('exits 2 on usage errors', async () => {
    expect((await cli(['generate'])).code).toBe(2);
    expect((await cli(['generate', 'routes'])).code).toBe(2);
    expect((await cli(['generate', 'mesh', '--api-version', 'v2'], '')).code).toBe(2);
    expect((await cli(['generate', 'mesh', '--bogus'], '')).code).toBe(2);
    const help = await cli(['generate', 'mesh', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Usage: cronguard generate mesh/);
  });
});

/**
 * These depend on the policy loader compiling `spec.mesh.traffic` (the mesh
 * schema being added in src/policy); they fail with a policy error (exit 2)
 * until it lands.
 */
describe('cronguard generate mesh (policy path; needs the mesh policy schema)', () => {
  const policy = `apiVersion: cronguard.dev/v1alpha1
kind: CronJobPolicy
metadata: {name: payments-traffic}
spec:
  priority: 10
  action: warn
  match: {namespaces: [batch]}
  mesh:
    provider: istio
    traffic:
      - host: payments.prod
        timeout: 10s
        idempotent: true
        retries: {attempts: 3, perTryTimeout: 2s, retryOn: [5xx, connect-failure]}
        connectionPool: {http: {http1MaxPendingRequests: 50}}
---
apiVersion: cronguard.dev/v1alpha1
kind: CronJobPolicy
metadata: {name: lower-priority}
spec:
  priority: 1
  action: warn
  match: {namespaces: [batch]}
  mesh:
    provider: istio
    traffic:
      - host: ignored
`;

  it('takes destinations from the highest-priority matching policy and merges the annotation', async () => {
    const policyFile = tempFile('policy.yaml', policy);
    const input = [
      cronJob('nightly-report', 'batch', 'ledger'),
      cronJob('elsewhere', 'other'),
    ].join('---\n');
    const result = await cli(['generate', 'mesh', '--policies', policyFile, '-'], input);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const objects = objectsOf(result.stdout);
    expect(
      objects
        .filter((o) => o.kind === 'VirtualService')
        .map((o) => (o as { spec: { hosts: string[] } }).spec.hosts[0]),
    ).toEqual(['ledger.batch.svc.cluster.local', 'payments.prod.svc.cluster.local']);
    const payments = objects.find(
      (o) =>
        o.kind === 'VirtualService' &&
        (o as { spec: { hosts: string[] } }).spec.hosts[0] === 'payments.prod.svc.cluster.local',
    ) as { spec: { http: Record<string, unknown>[] } } | undefined;
    expect(payments?.spec.http[0]).toMatchObject({
      timeout: '10s',
      retries: { attempts: 3, perTryTimeout: '2s', retryOn: '5xx,connect-failure' },
    });
    const rule = objects.find(
      (o) =>
        o.kind === 'DestinationRule' &&
        (o as { spec: { host: string } }).spec.host === 'payments.prod.svc.cluster.local',
    ) as { spec: { trafficPolicy: { connectionPool: unknown } } } | undefined;
    expect(rule?.spec.trafficPolicy.connectionPool).toEqual({
      tcp: { connectTimeout: '10s' },
      http: { http1MaxPendingRequests: 50 },
    });
  });
});
