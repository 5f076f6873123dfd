import fc from 'fast-check';
import jsonpatch from 'fast-json-patch';
import yaml from 'js-yaml';
import { describe, expect, it } from 'vitest';
import type { Evaluation, EvaluationInput } from '../../../../src/engine/types.js';
import type { KubeObject } from '../../../../src/k8s/types.js';
import type { PolicySet } from '../../../../src/policy/types.js';
import { cronJobArbitrary } from '../../../support/arbitraries.js';
import { findingsOf, mutationsOf, run } from '../../../support/evaluate.js';
import { policiesFrom } from '../../../support/policies.js';

function meshPolicy(mesh: string, extra = ''): PolicySet {
  return policiesFrom(`
apiVersion: cronguard.dev/v1alpha1
kind: CronJobPolicy
metadata: {name: mesh}
spec:
  action: warn
${extra}
  mesh:
${mesh
  .trim()
  .split('\n')
  .map((line) => `    ${line}`)
  .join('\n')}
`);
}

interface TemplateParts {
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  containers?: Record<string, unknown>[];
  jobSpec?: Record<string, unknown>;
}

function cronJob(parts: TemplateParts = {}): KubeObject {
  const metadata: Record<string, unknown> = {};
  if (parts.labels !== undefined) metadata.labels = parts.labels;
  if (parts.annotations !== undefined) metadata.annotations = parts.annotations;
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name: 'nightly', namespace: 'batch' },
    spec: {
      schedule: '0 3 * * *',
      jobTemplate: {
        spec: {
          ...parts.jobSpec,
          template: {
            ...(Object.keys(metadata).length > 0 ? { metadata } : {}),
            spec: {
              restartPolicy: 'OnFailure',
              containers: parts.containers ?? [
                { name: 'app', image: 'registry.example.com/app:1.0', command: ['/app'] },
              ],
            },
          },
        },
      },
    },
  };
}

interface Template {
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: { containers: { name: string; command?: string[]; args?: string[] }[] };
}

function templateOf(object: KubeObject): Template {
  return (object.spec as { jobTemplate: { spec: { template: Template } } }).jobTemplate.spec
    .template;
}

const labelsOf = (result: Evaluation) => templateOf(result.mutated).metadata?.labels ?? {};
const annotationsOf = (result: Evaluation) =>
  templateOf(result.mutated).metadata?.annotations ?? {};
const messages = (result: Evaluation, ruleId: string) =>
  findingsOf(result, ruleId).map((finding) => finding.message);

/** Evaluates, then evaluates the output again: nothing may change the second time. */
function evaluateTwice(
  policies: PolicySet,
  object: KubeObject,
  extra: Partial<EvaluationInput> = {},
): Evaluation {
  const first = run(policies, object, extra);
  const patched = jsonpatch.applyPatch(
    structuredClone(object),
    first.patch as jsonpatch.Operation[],
    true,
    false,
  ).newDocument;
  expect(patched).toEqual(first.mutated);
  const second = run(policies, first.mutated, extra);
  expect(second.patch).toEqual([]);
  expect(second.findings).toEqual(first.findings);
  return first;
}

const ISTIO_NAMESPACE = { namespaceLabels: { 'istio-injection': 'enabled' } };
const NEW_CLUSTER = { cluster: { kubernetesVersion: '1.31' } };
const OLD_CLUSTER = { cluster: { kubernetesVersion: 'v1.28.5-eks-1234' } };

describe('mesh-injection', () => {
  it('opts pods in with the label (not the annotation) and pins the revision', () => {
    const result = evaluateTwice(
      meshPolicy('provider: istio\ninject: true\nistio: {revision: canary}'),
      cronJob(),
    );
    expect(labelsOf(result)).toMatchObject({
      'sidecar.istio.io/inject': 'true',
      'istio.io/rev': 'canary',
    });
    expect(annotationsOf(result)['sidecar.istio.io/inject']).toBeUndefined();
  });

  it('keeps pods out with "false" and keeps the author\'s choice in default mode', () => {
    const out = evaluateTwice(meshPolicy('provider: istio\ninject: false'), cronJob());
    expect(labelsOf(out)['sidecar.istio.io/inject']).toBe('false');
    const authored = evaluateTwice(
      meshPolicy('provider: istio\ninject: true'),
      cronJob({ labels: { 'sidecar.istio.io/inject': 'false' } }),
    );
    expect(labelsOf(authored)['sidecar.istio.io/inject']).toBe('false');
    expect(mutationsOf(authored, 'mesh-injection')).toEqual([]);
  });

  it("replaces the author's label in enforce mode and only reports in validate mode", () => {
    const object = cronJob({ labels: { 'sidecar.istio.io/inject': 'false' } });
    const enforced = evaluateTwice(
      meshPolicy('provider: istio\ninject: true\napply: enforce'),
      object,
    );
    expect(labelsOf(enforced)['sidecar.istio.io/inject']).toBe('true');
    const validated = evaluateTwice(
      meshPolicy('provider: istio\ninject: true\napply: validate'),
      object,
    );
    expect(validated.mutations).toEqual(
      expect.not.arrayContaining([expect.objectContaining({ ruleId: 'mesh-injection' })]),
    );
    expect(messages(validated, 'mesh-injection')).toEqual([
      expect.stringContaining('is "false"; the mesh policy requires "true"'),
    ]);
  });

  it('writes linkerd.io/inject for Linkerd', () => {
    const result = evaluateTwice(meshPolicy('provider: linkerd\ninject: true'), cronJob());
    expect(annotationsOf(result)['linkerd.io/inject']).toBe('enabled');
    expect(labelsOf(result)['sidecar.istio.io/inject']).toBeUndefined();
  });

  describe('provider auto', () => {
    const auto = meshPolicy('provider: auto\ninject: true');

    it.each([
      ['istio-injection=enabled', { 'istio-injection': 'enabled' }, 'istio'],
      ['istio.io/rev', { 'istio.io/rev': 'stable' }, 'istio'],
      [
        'both (istio-injection wins)',
        { 'istio-injection': 'enabled', 'istio.io/rev': 'x' },
        'istio',
      ],
      ['linkerd.io/inject label', { 'linkerd.io/inject': 'enabled' }, 'linkerd'],
    ])('detects the mesh from the namespace label %s', (_name, namespaceLabels, mesh) => {
      const result = evaluateTwice(auto, cronJob(), { namespaceLabels });
      if (mesh === 'istio') expect(labelsOf(result)['sidecar.istio.io/inject']).toBe('true');
      else expect(annotationsOf(result)['linkerd.io/inject']).toBe('enabled');
    });

    it('detects Linkerd from the pod template annotation', () => {
      const result = evaluateTwice(
        meshPolicy('provider: auto'),
        cronJob({ annotations: { 'linkerd.io/inject': 'enabled' } }),
      );
      expect(mutationsOf(result, 'mesh-job-completion').map((m) => m.path)).toEqual([
        '/spec/jobTemplate/spec/template/metadata/annotations/config.linkerd.io~1proxy-enable-native-sidecar',
      ]);
    });

    it('writes nothing and says why when the mesh is unknown (offline lint)', () => {
      const result = evaluateTwice(auto, cronJob());
      expect(mutationsOf(result, 'mesh-injection')).toEqual([]);
      expect(messages(result, 'mesh-injection')).toEqual([
        expect.stringContaining('namespace labels unknown'),
      ]);
    });

    it('treats istio-injection=disabled as no mesh', () => {
      const result = evaluateTwice(meshPolicy('provider: auto'), cronJob(), {
        namespaceLabels: { 'istio-injection': 'disabled', 'istio.io/rev': 'x' },
      });
      expect(result.mutations.filter((m) => m.ruleId.startsWith('mesh-'))).toEqual([]);
    });
  });

  it('labels CronJob pods with the CronJob name when the policy has traffic', () => {
    const result = evaluateTwice(
      meshPolicy('provider: istio\ntraffic: [{host: payments.prod}]'),
      cronJob(),
    );
    expect(labelsOf(result)['cronguard.dev/cronjob']).toBe('nightly');
  });
});

describe('ambient mode', () => {
  const policy = meshPolicy(
    'provider: istio\ninject: true\ntraffic: [{host: payments, timeout: 20s}]',
  );

  it('writes no sidecar settings and says timeouts need a waypoint', () => {
    const result = evaluateTwice(policy, cronJob(), {
      namespaceLabels: { 'istio.io/dataplane-mode': 'ambient' },
      ...NEW_CLUSTER,
    });
    expect(labelsOf(result)['sidecar.istio.io/inject']).toBeUndefined();
    expect(annotationsOf(result)).toEqual({});
    expect(messages(result, 'mesh-injection')).toEqual([expect.stringContaining('waypoint')]);
    expect(findingsOf(result, 'mesh-active-deadline')).toEqual([]);
  });

  it('gives way to a sidecar when the namespace also asks for one', () => {
    const result = evaluateTwice(policy, cronJob(), {
      namespaceLabels: { 'istio.io/dataplane-mode': 'ambient', 'istio-injection': 'enabled' },
    });
    expect(labelsOf(result)['sidecar.istio.io/inject']).toBe('true');
  });
});

describe('mesh-job-completion: native sidecars', () => {
  const policy = meshPolicy('provider: istio\ninject: true');

  it('turns native sidecars on for Kubernetes >= 1.29', () => {
    const result = evaluateTwice(policy, cronJob(), NEW_CLUSTER);
    expect(annotationsOf(result)['sidecar.istio.io/nativeSidecar']).toBe('true');
    expect(annotationsOf(result)['proxy.istio.io/config']).toBeUndefined();
    expect(findingsOf(result, 'mesh-job-completion')).toEqual([]);
  });

  it('assumes support when the version is unknown, and says so', () => {
    const result = evaluateTwice(policy, cronJob());
    const [mutation] = mutationsOf(result, 'mesh-job-completion');
    expect(mutation?.value).toBe('true');
    expect(mutation?.message).toContain('Kubernetes version unknown, assumed 1.29 or newer');
  });

  it('falls back on Kubernetes 1.28: holds the app, and warns without wrapping', () => {
    const result = evaluateTwice(policy, cronJob(), OLD_CLUSTER);
    const annotations = annotationsOf(result);
    expect(annotations['sidecar.istio.io/nativeSidecar']).toBeUndefined();
    expect(JSON.parse(annotations['proxy.istio.io/config'] ?? '')).toEqual({
      holdApplicationUntilProxyStarts: true,
    });
    expect(messages(result, 'mesh-job-completion')).toEqual([
      expect.stringMatching(/older than 1\.29.*may never finish/),
    ]);
    expect(templateOf(result.mutated).spec.containers[0]?.command).toEqual(['/app']);
  });

  it('falls back for Istio < 1.24, which has no per-pod switch', () => {
    const result = evaluateTwice(
      meshPolicy('provider: istio\ninject: true\nistio: {version: "1.23"}'),
      cronJob(),
      NEW_CLUSTER,
    );
    expect(annotationsOf(result)['sidecar.istio.io/nativeSidecar']).toBeUndefined();
    expect(annotationsOf(result)['proxy.istio.io/config']).toContain(
      'holdApplicationUntilProxyStarts',
    );
  });

  it('refuses nativeSidecar: always on a cluster known to be too old', () => {
    const result = evaluateTwice(
      meshPolicy('provider: istio\ninject: true\njobCompletion: {nativeSidecar: always}'),
      cronJob(),
      OLD_CLUSTER,
    );
    expect(mutationsOf(result, 'mesh-job-completion')).toEqual([]);
    expect(messages(result, 'mesh-job-completion')).toEqual([
      expect.stringContaining('nativeSidecar is always, but Kubernetes v1.28.5-eks-1234 is older'),
    ]);
  });

  it('uses the fallback when the author turned native mode off', () => {
    const result = evaluateTwice(
      policy,
      cronJob({ annotations: { 'sidecar.istio.io/nativeSidecar': 'false' } }),
      NEW_CLUSTER,
    );
    expect(annotationsOf(result)['sidecar.istio.io/nativeSidecar']).toBe('false');
    expect(annotationsOf(result)['proxy.istio.io/config']).toContain(
      'holdApplicationUntilProxyStarts',
    );
  });

  it.each([
    ['2.20', 'config.linkerd.io/proxy-enable-native-sidecar'],
    ['edge-26.5.2', 'config.linkerd.io/proxy-enable-native-sidecar'],
    ['2.19', 'config.beta.linkerd.io/proxy-enable-native-sidecar'],
    ['edge-25.10.2', 'config.beta.linkerd.io/proxy-enable-native-sidecar'],
    ['stable-2.15.0', 'config.alpha.linkerd.io/proxy-enable-native-sidecar'],
    ['edge-24.1.1', 'config.alpha.linkerd.io/proxy-enable-native-sidecar'],
  ])('picks the Linkerd key for %s', (version, key) => {
    const result = evaluateTwice(
      meshPolicy(`provider: linkerd\ninject: true\nlinkerd: {version: "${version}"}`),
      cronJob(),
      NEW_CLUSTER,
    );
    const written = Object.keys(annotationsOf(result)).filter((name) =>
      name.endsWith('proxy-enable-native-sidecar'),
    );
    expect(written).toEqual([key]);
  });
});

describe('mesh-job-completion: wrapping the command', () => {
  const wrapping = meshPolicy('provider: istio\ninject: true\njobCompletion: {wrapCommand: true}');

  it('wraps the only app container so it calls /quitquitquit, keeping args', () => {
    const object = cronJob({
      containers: [{ name: 'app', image: 'a:1', command: ['/app'], args: ['--all'] }],
    });
    const result = evaluateTwice(wrapping, object, OLD_CLUSTER);
    const container = templateOf(result.mutated).spec.containers[0];
    expect(container?.command?.slice(0, 2)).toEqual(['/bin/sh', '-c']);
    expect(container?.command?.[2]).toContain('http://127.0.0.1:15020/quitquitquit');
    expect(container?.command?.slice(3)).toEqual(['cronguard-istio-quit', '/app']);
    expect(container?.args).toEqual(['--all']);
    expect(findingsOf(result, 'mesh-job-completion')).toEqual([]);
  });

  it('uses the status port of the pod', () => {
    const result = evaluateTwice(
      wrapping,
      cronJob({ annotations: { 'status.sidecar.istio.io/port': '15555' } }),
      OLD_CLUSTER,
    );
    expect(templateOf(result.mutated).spec.containers[0]?.command?.[2]).toContain(':15555/');
  });

  it('refuses status port 0 in the fallback', () => {
    const result = evaluateTwice(
      wrapping,
      cronJob({ annotations: { 'status.sidecar.istio.io/port': '0' } }),
      OLD_CLUSTER,
    );
    expect(templateOf(result.mutated).spec.containers[0]?.command).toEqual(['/app']);
    expect(messages(result, 'mesh-job-completion')).toEqual([
      expect.stringContaining('status port 0'),
    ]);
  });

  it('reports a container without command instead of guessing its entrypoint', () => {
    const result = evaluateTwice(
      wrapping,
      cronJob({ containers: [{ name: 'app', image: 'a:1' }] }),
      OLD_CLUSTER,
    );
    expect(findingsOf(result, 'mesh-job-completion').map((finding) => finding.container)).toEqual([
      'app',
    ]);
    expect(messages(result, 'mesh-job-completion')).toEqual([
      expect.stringContaining('has no command'),
    ]);
  });

  it('wraps nothing when several containers would each stop the proxy', () => {
    const result = evaluateTwice(
      wrapping,
      cronJob({
        containers: [
          { name: 'a', image: 'a:1', command: ['/a'] },
          { name: 'b', image: 'b:1', command: ['/b'] },
        ],
      }),
      OLD_CLUSTER,
    );
    expect(templateOf(result.mutated).spec.containers.map((c) => c.command)).toEqual([
      ['/a'],
      ['/b'],
    ]);
    expect(messages(result, 'mesh-job-completion')).toEqual([
      expect.stringContaining('would wrap 2 containers'),
    ]);
  });

  it('wraps only the containers the policy names', () => {
    const result = evaluateTwice(
      meshPolicy(
        'provider: istio\ninject: true\njobCompletion: {wrapCommand: true, containers: [b]}',
      ),
      cronJob({
        containers: [
          { name: 'a', image: 'a:1', command: ['/a'] },
          { name: 'b', image: 'b:1', command: ['/b'] },
        ],
      }),
      OLD_CLUSTER,
    );
    const [a, b] = templateOf(result.mutated).spec.containers;
    expect(a?.command).toEqual(['/a']);
    expect(b?.command?.at(-1)).toBe('/b');
  });

  it('does not wrap when native sidecars are used', () => {
    const result = evaluateTwice(wrapping, cronJob(), NEW_CLUSTER);
    expect(templateOf(result.mutated).spec.containers[0]?.command).toEqual(['/app']);
  });

  it('wraps Linkerd jobs with linkerd-await --shutdown and enables the shutdown endpoint', () => {
    const result = evaluateTwice(
      meshPolicy(
        'provider: linkerd\ninject: true\njobCompletion: {nativeSidecar: never, wrapCommand: true}',
      ),
      cronJob(),
    );
    expect(templateOf(result.mutated).spec.containers[0]?.command).toEqual([
      'linkerd-await',
      '--shutdown',
      '--',
      '/app',
    ]);
    expect(annotationsOf(result)['config.linkerd.io/proxy-admin-shutdown']).toBe('enabled');
  });
});

describe('merging proxy.istio.io/config', () => {
  const policy = meshPolicy(
    'provider: istio\ninject: true\nistio: {proxyConfig: {terminationDrainDuration: 10s, proxyMetadata: {A: "1"}}}',
  );

  it("merges into JSON, keeps the author's fields, and writes JSON back", () => {
    const result = evaluateTwice(
      policy,
      cronJob({
        annotations: {
          'proxy.istio.io/config':
            '{"terminationDrainDuration": "3s", "proxyMetadata": {"B": "2"}}',
        },
      }),
      OLD_CLUSTER,
    );
    expect(JSON.parse(annotationsOf(result)['proxy.istio.io/config'] ?? '')).toEqual({
      terminationDrainDuration: '3s',
      proxyMetadata: { B: '2', A: '1' },
      holdApplicationUntilProxyStarts: true,
    });
  });

  it('merges into YAML and writes YAML back', () => {
    const result = evaluateTwice(
      policy,
      cronJob({ annotations: { 'proxy.istio.io/config': 'concurrency: 2\n' } }),
      OLD_CLUSTER,
    );
    const text = annotationsOf(result)['proxy.istio.io/config'] ?? '';
    expect(() => {
      JSON.parse(text);
    }).toThrow();
    expect(yaml.load(text)).toEqual({
      concurrency: 2,
      terminationDrainDuration: '10s',
      proxyMetadata: { A: '1' },
      holdApplicationUntilProxyStarts: true,
    });
  });

  it('lets the policy win in enforce mode', () => {
    const result = evaluateTwice(
      meshPolicy(
        'provider: istio\ninject: true\napply: enforce\nistio: {proxyConfig: {terminationDrainDuration: 10s}}',
      ),
      cronJob({ annotations: { 'proxy.istio.io/config': '{"terminationDrainDuration":"3s"}' } }),
      NEW_CLUSTER,
    );
    expect(JSON.parse(annotationsOf(result)['proxy.istio.io/config'] ?? '')).toEqual({
      terminationDrainDuration: '10s',
    });
  });

  it('reports an unparseable author value and leaves it as it is', () => {
    const broken = '{holdApplicationUntilProxyStarts: [true';
    const result = evaluateTwice(
      policy,
      cronJob({ annotations: { 'proxy.istio.io/config': broken } }),
      OLD_CLUSTER,
    );
    expect(annotationsOf(result)['proxy.istio.io/config']).toBe(broken);
    expect(messages(result, 'mesh-proxy-settings')).toEqual([
      expect.stringContaining('neither JSON nor YAML'),
    ]);
  });

  it('never writes a merged config Istio would reject', () => {
    const result = evaluateTwice(
      policy,
      cronJob({ annotations: { 'proxy.istio.io/config': '{"concurrency": "lots"}' } }),
      NEW_CLUSTER,
    );
    expect(annotationsOf(result)['proxy.istio.io/config']).toBe('{"concurrency": "lots"}');
    expect(messages(result, 'mesh-proxy-settings')).toEqual([
      expect.stringContaining('cronguard did not set'),
    ]);
  });
});

describe('mesh-proxy-settings', () => {
  it('sets proxy resources, with a limit when the policy sets only a request', () => {
    const result = evaluateTwice(
      meshPolicy('provider: istio\ninject: true\nistio: {proxy: {cpu: 1, memory: 64Mi}}'),
      cronJob(),
      NEW_CLUSTER,
    );
    expect(annotationsOf(result)).toMatchObject({
      'sidecar.istio.io/proxyCPU': '1',
      'sidecar.istio.io/proxyCPULimit': '1',
      'sidecar.istio.io/proxyMemory': '64Mi',
      'sidecar.istio.io/proxyMemoryLimit': '256Mi',
    });
  });

  it("derives the limit from the request in force (the author's)", () => {
    const result = evaluateTwice(
      meshPolicy('provider: istio\ninject: true\nistio: {proxy: {memory: 64Mi}}'),
      cronJob({ annotations: { 'sidecar.istio.io/proxyMemory': '1Gi' } }),
      NEW_CLUSTER,
    );
    expect(annotationsOf(result)['sidecar.istio.io/proxyMemoryLimit']).toBe('1Gi');
  });

  it("writes Linkerd's shutdown grace period", () => {
    const result = evaluateTwice(
      meshPolicy('provider: linkerd\ninject: true\nlinkerd: {shutdownGracePeriod: 30s}'),
      cronJob(),
    );
    expect(annotationsOf(result)['config.linkerd.io/shutdown-grace-period']).toBe('30s');
  });

  it('never writes an invalid label value computed at evaluation time', () => {
    const object = cronJob();
    (object.metadata as Record<string, unknown>).name = 'x'.repeat(70);
    const result = evaluateTwice(
      meshPolicy('provider: istio\ntraffic: [{host: payments}]'),
      object,
    );
    expect(labelsOf(result)['cronguard.dev/cronjob']).toBeUndefined();
    expect(messages(result, 'mesh-injection')).toEqual([
      expect.stringContaining('not a valid label value'),
    ]);
  });
});

describe('mesh-active-deadline', () => {
  const policy = meshPolicy('provider: istio');

  it('reports a meshed job without activeDeadlineSeconds', () => {
    const result = run(policy, cronJob(), ISTIO_NAMESPACE);
    expect(findingsOf(result, 'mesh-active-deadline')).toEqual([
      expect.objectContaining({ path: '/spec/jobTemplate/spec' }),
    ]);
  });

  it('is quiet with a deadline, or when the pod is not meshed', () => {
    const bounded = cronJob({ jobSpec: { activeDeadlineSeconds: 600 } });
    expect(findingsOf(run(policy, bounded, ISTIO_NAMESPACE), 'mesh-active-deadline')).toEqual([]);
    const out = cronJob({ labels: { 'sidecar.istio.io/inject': 'false' } });
    expect(findingsOf(run(policy, out, ISTIO_NAMESPACE), 'mesh-active-deadline')).toEqual([]);
    expect(findingsOf(run(policy, cronJob()), 'mesh-active-deadline')).toEqual([]);
  });
});

describe('mesh rules: properties over generated CronJobs', () => {
  const policies = policiesFrom(`
apiVersion: cronguard.dev/v1alpha1
kind: CronJobPolicy
metadata: {name: mesh-high}
spec:
  priority: 10
  action: warn
  mesh:
    provider: auto
    inject: true
    jobCompletion: {wrapCommand: true}
    istio:
      proxy: {cpu: 100m}
      proxyConfig: {terminationDrainDuration: 5s}
    linkerd: {shutdownGracePeriod: 20s}
    traffic: [{host: payments}]
---
apiVersion: cronguard.dev/v1alpha1
kind: CronJobPolicy
metadata: {name: mesh-low}
spec:
  action: audit
  mesh:
    provider: istio
    inject: false
    apply: enforce
    jobCompletion: {nativeSidecar: never}
    istio: {proxy: {memory: 64Mi}, proxyConfig: {concurrency: 1}}
`);
  const contexts = fc.record({
    namespaceLabels: fc.option(
      fc.constantFrom<Record<string, string>>(
        { 'istio-injection': 'enabled' },
        { 'istio.io/rev': 'canary' },
        { 'istio.io/dataplane-mode': 'ambient' },
        { 'linkerd.io/inject': 'enabled' },
        {},
      ),
      { nil: undefined },
    ),
    cluster: fc.constantFrom({}, { kubernetesVersion: '1.28' }, { kubernetesVersion: '1.33' }),
  });

  const meshMetadata = fc.record(
    {
      labels: fc.dictionary(
        fc.constantFrom('sidecar.istio.io/inject', 'istio.io/rev', 'istio.io/dataplane-mode'),
        fc.constantFrom('true', 'false', 'canary', 'ambient'),
      ),
      annotations: fc.dictionary(
        fc.constantFrom(
          'linkerd.io/inject',
          'sidecar.istio.io/nativeSidecar',
          'proxy.istio.io/config',
          'status.sidecar.istio.io/port',
          'sidecar.istio.io/proxyCPU',
        ),
        fc.constantFrom(
          'enabled',
          'true',
          'false',
          '0',
          '15021',
          '2',
          'concurrency: 2\n',
          '{"a":1}',
          '[x',
        ),
      ),
    },
    { requiredKeys: [] },
  );
  const meshCronJob = fc
    .tuple(
      meshMetadata,
      fc.array(fc.option(fc.array(fc.string(), { minLength: 1, maxLength: 3 })), {
        minLength: 1,
        maxLength: 2,
      }),
    )
    .map(([metadata, commands]) =>
      cronJob({
        ...metadata,
        containers: commands.map((command, index) => ({
          name: `c${index}`,
          image: 'a:1',
          ...(command === null ? {} : { command }),
        })),
      }),
    );

  it('is idempotent on pod templates with mesh labels, annotations and commands', () => {
    fc.assert(
      fc.property(meshCronJob, contexts, (object, extra) => {
        evaluateTwice(policies, object, extra);
      }),
      { numRuns: 500 },
    );
  });

  it('is idempotent and its patches apply, whatever the namespace and cluster', () => {
    fc.assert(
      fc.property(cronJobArbitrary, contexts, (object, extra) => {
        evaluateTwice(policies, object, extra);
      }),
      { numRuns: 300 },
    );
  });
});
