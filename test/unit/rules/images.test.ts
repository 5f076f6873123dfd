import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../../src/k8s/types.js';
import { policiesFrom } from '../../support/policies.js';
import { expectLintEqualsAdmission, findingsOf, run } from '../../support/evaluate.js';

function cronJob(containers: unknown[], initContainers?: unknown[]): KubeObject {
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name: 'nightly', namespace: 'default' },
    spec: {
      schedule: '0 3 * * *',
      jobTemplate: {
        spec: {
          template: {
            spec: {
              restartPolicy: 'OnFailure',
              containers,
              ...(initContainers ? { initContainers } : {}),
            },
          },
        },
      },
    },
  };
}

/** Lint sees the author's file, admission the API-server-defaulted object: both must agree. */
const CONTAINERS = '/spec/jobTemplate/spec/template/spec/containers';
const INIT_CONTAINERS = '/spec/jobTemplate/spec/template/spec/initContainers';
const DIGEST = 'sha256:' + '0123456789abcdef'.repeat(4);

const latestPolicy = policiesFrom(`
apiVersion: cronguard.dev/v1alpha1
kind: CronJobPolicy
metadata: {name: images}
spec:
  action: enforce
  match: {kinds: [CronJob, Job, Pod]}
  images: {disallowLatest: true}
`);

const registriesPolicy = policiesFrom(`
apiVersion: cronguard.dev/v1alpha1
kind: CronJobPolicy
metadata: {name: registries}
spec:
  action: enforce
  images:
    allowedRegistries: [registry.example.com, "*.gcr.io/platform-team"]
`);

describe('images-disallow-latest', () => {
  it('reports an untagged image as latest, with path and fix', () => {
    const result = run(latestPolicy, cronJob([{ name: 'app', image: 'nginx' }]));
    expect(findingsOf(result, 'images-disallow-latest')).toEqual([
      {
        ruleId: 'images-disallow-latest',
        policy: 'images',
        action: 'enforce',
        severity: 'error',
        message:
          'container "app" image "nginx" has no tag or digest, which means nginx:latest, so each run may pull a different image',
        path: `${CONTAINERS}/0/image`,
        fix: 'pin the image to a version tag or a digest: nginx:<version> or nginx@sha256:<digest>',
        container: 'app',
      },
    ]);
  });

  it('reports an explicit latest tag, in init containers too, with a registry port', () => {
    const result = run(
      latestPolicy,
      cronJob(
        [{ name: 'app', image: 'r.example.com/app:1.0' }],
        [{ name: 'wait', image: 'localhost:5000/wait:latest' }],
      ),
    );
    expect(findingsOf(result, 'images-disallow-latest')).toEqual([
      expect.objectContaining({
        path: `${INIT_CONTAINERS}/0/image`,
        message:
          'container "wait" image "localhost:5000/wait:latest" uses the latest tag, so each run may pull a different image',
        fix: 'pin the image to a version tag or a digest: localhost:5000/wait:<version> or localhost:5000/wait@sha256:<digest>',
        container: 'wait',
      }),
    ]);
  });

  it('accepts version tags, digests, and latest pinned by a digest', () => {
    const result = run(
      latestPolicy,
      cronJob([
        { name: 'a', image: 'nginx:1.27' },
        { name: 'b', image: `nginx@${DIGEST}` },
        { name: 'c', image: `nginx:latest@${DIGEST}` },
        { name: 'd', image: 'localhost:5000/app' + ':v2' },
      ]),
    );
    expect(findingsOf(result, 'images-disallow-latest')).toEqual([]);
  });

  it('reports missing, non-string and unparseable images', () => {
    const result = run(
      latestPolicy,
      cronJob([
        { name: 'patch' },
        { name: 'num', image: 42 },
        { name: 'bad', image: 'Bad/Repo:1' },
        { name: 'empty', image: '' },
      ]),
    );
    expect(findingsOf(result, 'images-disallow-latest').map((f) => [f.path, f.message])).toEqual([
      [
        `${CONTAINERS}/0`,
        'container "patch" has no image, so its tag cannot be checked (lint rendered manifests, e.g. kustomize build output, not patches)',
      ],
      [`${CONTAINERS}/1/image`, 'container "num" image must be a string, got 42'],
      [
        `${CONTAINERS}/2/image`,
        'container "bad" image "Bad/Repo:1" is not a valid image reference: repository name "Repo" must be lowercase',
      ],
      [
        `${CONTAINERS}/3/image`,
        'container "empty" image "" is not a valid image reference: image reference is empty',
      ],
    ]);
  });

  it('lets a container-scoped annotation exempt one container', () => {
    const object = cronJob([
      { name: 'vendor', image: 'vendor/tool' },
      { name: 'app', image: 'app' },
    ]);
    object.metadata!.annotations = {
      'ignore-check.cronguard.dev/images-disallow-latest':
        'container=vendor; vendor publishes no tags, PAY-1234',
    };
    const result = run(latestPolicy, object);
    expect(findingsOf(result, 'images-disallow-latest').map((f) => f.container)).toEqual(['app']);
  });

  it('gives the same answer in lint and in admission', () => {
    expectLintEqualsAdmission(
      latestPolicy,
      cronJob([
        { name: 'a', image: 'nginx' },
        { name: 'b', image: 'nginx:1.2' },
      ]),
    );
  });
});

describe('images-allowed-registries', () => {
  it('names docker.io as implied when the image names no registry', () => {
    const result = run(registriesPolicy, cronJob([{ name: 'app', image: 'busybox:1.36' }]));
    expect(findingsOf(result, 'images-allowed-registries')).toEqual([
      {
        ruleId: 'images-allowed-registries',
        policy: 'registries',
        action: 'enforce',
        severity: 'error',
        message:
          'container "app" image "busybox:1.36" (registry docker.io, implied because the image names no registry; repository library/busybox) matches no allowed registry: registry.example.com, *.gcr.io/platform-team',
        path: `${CONTAINERS}/0/image`,
        fix: "push the image to an allowed registry (registry.example.com, *.gcr.io/platform-team) and reference it by that registry's name",
        container: 'app',
      },
    ]);
  });

  it('matches host globs and whole path segments', () => {
    const result = run(
      registriesPolicy,
      cronJob(
        [
          { name: 'ok1', image: 'registry.example.com/team/app:1' },
          { name: 'ok2', image: 'eu.gcr.io/platform-team/tool:2' },
          { name: 'bad1', image: 'eu.gcr.io/platform-team-x/tool:2' },
          { name: 'bad2', image: 'gcr.io/platform-team/tool:2' },
        ],
        [{ name: 'bad3', image: 'registry.example.com.evil.io/app:1' }],
      ),
    );
    expect(findingsOf(result, 'images-allowed-registries').map((f) => f.container)).toEqual([
      'bad3',
      'bad1',
      'bad2',
    ]);
    expect(findingsOf(result, 'images-allowed-registries')[1]!.message).toBe(
      'container "bad1" image "eu.gcr.io/platform-team-x/tool:2" (registry eu.gcr.io; repository platform-team-x/tool) matches no allowed registry: registry.example.com, *.gcr.io/platform-team',
    );
  });

  it('reports images whose registry cannot be known', () => {
    const result = run(
      registriesPolicy,
      cronJob([{ name: 'patch' }, { name: 'tpl', image: '${IMAGE}' }]),
    );
    expect(findingsOf(result, 'images-allowed-registries').map((f) => f.message)).toEqual([
      'container "patch" has no image, so its registry cannot be checked (lint rendered manifests, e.g. kustomize build output, not patches)',
      'container "tpl" image "${IMAGE}" is not a valid image reference: image reference "${IMAGE}" contains an unexpanded placeholder; Kubernetes does not expand variables in image',
    ]);
  });

  it('gives the same answer in lint and in admission', () => {
    expectLintEqualsAdmission(
      registriesPolicy,
      cronJob([
        { name: 'a', image: 'busybox' },
        { name: 'b', image: 'registry.example.com/b:1' },
      ]),
    );
  });
});

describe('images-pull-policy', () => {
  const defaultPolicy = policiesFrom(`
apiVersion: cronguard.dev/v1alpha1
kind: CronJobPolicy
metadata: {name: pull}
spec:
  action: enforce
  images:
    pullPolicy: {default: IfNotPresent, allowed: [IfNotPresent, Always]}
`);

  it("fills in the policy default where the field is missing or holds the image's API default", () => {
    const result = run(
      defaultPolicy,
      cronJob(
        [
          { name: 'latest', image: 'nginx' },
          { name: 'tagged', image: 'nginx:1.27', imagePullPolicy: 'Always' },
        ],
        [{ name: 'init', image: 'nginx:latest', imagePullPolicy: 'Always' }],
      ),
    );
    // `latest`/untagged images default to Always, so an explicit Always there is indistinguishable
    // from an omitted field; on a tagged image Always is the author's choice and stays.
    expect(result.mutations.filter((m) => m.ruleId === 'images-pull-policy')).toEqual([
      {
        ruleId: 'images-pull-policy',
        policy: 'pull',
        path: `${INIT_CONTAINERS}/0/imagePullPolicy`,
        op: 'replace',
        value: 'IfNotPresent',
        previous: 'Always',
        message:
          'set spec.jobTemplate.spec.template.spec.initContainers[0].imagePullPolicy to IfNotPresent (policy default)',
      },
      {
        ruleId: 'images-pull-policy',
        policy: 'pull',
        path: `${CONTAINERS}/0/imagePullPolicy`,
        op: 'add',
        value: 'IfNotPresent',
        message:
          'set spec.jobTemplate.spec.template.spec.containers[0].imagePullPolicy to IfNotPresent (policy default)',
      },
    ]);
    expect(findingsOf(result, 'images-pull-policy')).toEqual([]);
    expect(run(defaultPolicy, result.mutated).patch).toEqual([]);
  });

  it('reports values outside the allowed list and values of the wrong type', () => {
    const result = run(
      defaultPolicy,
      cronJob([
        { name: 'never', image: 'nginx:1.27', imagePullPolicy: 'Never' },
        { name: 'number', image: 'nginx:1.27', imagePullPolicy: 3 },
      ]),
    );
    expect(findingsOf(result, 'images-pull-policy')).toEqual([
      expect.objectContaining({
        path: `${CONTAINERS}/0/imagePullPolicy`,
        message:
          'spec.jobTemplate.spec.template.spec.containers[0].imagePullPolicy is Never; allowed: IfNotPresent, Always',
        container: 'never',
      }),
      expect.objectContaining({
        path: `${CONTAINERS}/1/imagePullPolicy`,
        message:
          'spec.jobTemplate.spec.template.spec.containers[1].imagePullPolicy must be a string, got 3',
        container: 'number',
      }),
    ]);
  });

  it('validates the API default of an omitted field in validate mode', () => {
    const validatePolicy = policiesFrom(`
apiVersion: cronguard.dev/v1alpha1
kind: CronJobPolicy
metadata: {name: pull-validate}
spec:
  action: warn
  images:
    pullPolicy: {validate: IfNotPresent}
`);
    const result = run(
      validatePolicy,
      cronJob([
        { name: 'a', image: 'nginx' },
        { name: 'b', image: 'nginx:1.2' },
      ]),
    );
    expect(result.mutations).toEqual([]);
    expect(findingsOf(result, 'images-pull-policy').map((f) => f.message)).toEqual([
      'spec.jobTemplate.spec.template.spec.containers[0].imagePullPolicy is Always; the policy requires IfNotPresent',
    ]);
  });

  it('gives the same answer in lint and in admission, in every mode', () => {
    for (const mode of ['default', 'enforce', 'validate']) {
      const policies = policiesFrom(`
apiVersion: cronguard.dev/v1alpha1
kind: CronJobPolicy
metadata: {name: pull-${mode}}
spec:
  action: enforce
  images:
    pullPolicy: {${mode}: IfNotPresent}
`);
      expectLintEqualsAdmission(
        policies,
        cronJob(
          [
            { name: 'a', image: 'nginx' },
            { name: 'b', image: 'nginx:1.2' },
          ],
          [{ name: 'i', image: `x@${DIGEST}` }],
        ),
      );
    }
  });
});
