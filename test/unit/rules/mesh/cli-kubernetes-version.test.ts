import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli } from '../../../support/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'cronguard-mesh-cli-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const policyFile = join(dir, 'mesh.yaml');
writeFileSync(
  policyFile,
  `apiVersion: cronguard.dev/v1alpha1
kind: CronJobPolicy
metadata: {name: mesh}
spec:
  action: warn
  mesh: {provider: istio, inject: true}
`,
);
const cronJob = `apiVersion: batch/v1
kind: CronJob
metadata: {name: nightly}
spec:
  schedule: "0 3 * * *"
  jobTemplate:
    spec:
      activeDeadlineSeconds: 600
      template:
        spec:
          restartPolicy: OnFailure
          containers: [{name: app, image: "a:1", command: [/app]}]
`;

describe('--kubernetes-version', () => {
  it('reaches the mesh rules: native sidecars on 1.31, the fallback on 1.28', async () => {
    const modern = await cli(
      ['mutate', '--policies', policyFile, '--kubernetes-version', '1.31', '-'],
      cronJob,
    );
    expect(modern.stdout).toContain('sidecar.istio.io/nativeSidecar');
    const old = await cli(
      ['mutate', '--policies', policyFile, '--kubernetes-version', 'v1.28.3', '-'],
      cronJob,
    );
    expect(old.stdout).not.toContain('sidecar.istio.io/nativeSidecar');
    expect(old.stdout).toContain('holdApplicationUntilProxyStarts');
  });

  it('refuses a value that is not a version', async () => {
    const result = await cli(['lint', '--kubernetes-version', 'latest', '-'], cronJob);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--kubernetes-version expects a version');
  });
});
