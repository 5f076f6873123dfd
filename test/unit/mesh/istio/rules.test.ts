import { describe, expect, it } from 'vitest';
import type { PolicySet } from '../../../../src/policy/types.js';
import type { MeshSection } from '../../../../src/mesh/types.js';
import { findingsOf, mutationsOf, run } from '../../../support/evaluate.js';
import { policiesFrom } from '../../../support/policies.js';

/**
 * A policy with a mesh section, built around the loader so these tests do not
 * depend on the mesh section's schema; `apply: validate` keeps the mesh
 * mutation rules from changing the annotations under test.
 */
function meshPolicy(): PolicySet {
  const base = policiesFrom(`
apiVersion: cronguard.dev/v1alpha1
kind: CronJobPolicy
metadata: {name: mesh}
spec:
  action: warn
  match:
    kinds: [CronJob, Job, Pod]
`);
  const mesh: MeshSection = {
    provider: 'istio',
    apply: 'validate',
    jobCompletion: { nativeSidecar: 'auto', wrapCommand: false },
  };
  return {
    policies: base.policies.map((policy) => ({ ...policy, spec: { ...policy.spec, mesh } })),
  };
}

const policies = meshPolicy();

function cronJob(
  template: { annotations?: Record<string, unknown>; labels?: Record<string, unknown> },
  own: { annotations?: Record<string, string>; labels?: Record<string, string> } = {},
) {
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name: 'report', namespace: 'default', ...own },
    spec: {
      schedule: '0 3 * * *',
      jobTemplate: {
        spec: {
          template: {
            metadata: template,
            spec: {
              restartPolicy: 'OnFailure',
              containers: [{ name: 'app', image: 'registry.example.com/app:1.0' }],
            },
          },
        },
      },
    },
  };
}

const ANNOTATIONS = '/spec/jobTemplate/spec/template/metadata/annotations';
const LABELS = '/spec/jobTemplate/spec/template/metadata/labels';

describe('mesh-annotations', () => {
  const findings = (object: unknown) => findingsOf(run(policies, object), 'mesh-annotations');

  it('is off without a mesh section', () => {
    const plain = policiesFrom(`
apiVersion: cronguard.dev/v1alpha1
kind: CronJobPolicy
metadata: {name: plain}
spec:
  action: warn
`);
    const object = cronJob({ annotations: { 'sidecar.istio.io/proxyCpu': '1' } });
    expect(findingsOf(run(plain, object), 'mesh-annotations')).toEqual([]);
  });

  it('accepts valid keys and values and ignores unrelated ones', () => {
    const object = cronJob({
      labels: { 'sidecar.istio.io/inject': 'true', 'istio.io/rev': 'canary', app: 'report' },
      annotations: {
        'sidecar.istio.io/nativeSidecar': 'true',
        'sidecar.istio.io/proxyCPU': '100m',
        'proxy.istio.io/config': 'holdApplicationUntilProxyStarts: true',
        'config.linkerd.io/proxy-await': 'enabled',
        'prometheus.io/scrape': 'true',
      },
    });
    expect(findings(object)).toEqual([]);
  });

  it('reports an unknown name with the one it most likely meant', () => {
    const [finding, ...rest] = findings(
      cronJob({ annotations: { 'sidecar.istio.io/proxyCpu': '100m' } }),
    );
    expect(rest).toEqual([]);
    expect(finding).toMatchObject({
      path: `${ANNOTATIONS}/sidecar.istio.io~1proxyCpu`,
      message: 'unknown Istio annotation sidecar.istio.io/proxyCpu; Istio ignores it',
      fix: 'rename sidecar.istio.io/proxyCpu to sidecar.istio.io/proxyCPU',
      severity: 'warning',
    });
  });

  it('reports an unknown name without a likely match', () => {
    const [finding] = findings(cronJob({ annotations: { 'config.linkerd.io/frobnicate': 'x' } }));
    expect(finding?.message).toBe(
      'unknown Linkerd annotation config.linkerd.io/frobnicate; Linkerd ignores it',
    );
    expect(finding?.fix).toContain('remove config.linkerd.io/frobnicate');
  });

  it('reports an invalid value with the validator message and a fix', () => {
    const [finding] = findings(
      cronJob({ annotations: { 'traffic.sidecar.istio.io/excludeOutboundPorts': '65536' } }),
    );
    expect(finding?.message).toContain("Istio's injector rejects the pod");
    expect(finding?.fix).toBe(
      'set spec.jobTemplate.spec.template.metadata.annotations["traffic.sidecar.istio.io/excludeOutboundPorts"] to comma-separated ports 0..65535, e.g. "5432,6379"',
    );
  });

  it('reports a ProxyConfig the injector would reject', () => {
    const [finding] = findings(
      cronJob({
        annotations: { 'proxy.istio.io/config': '{"terminationDrainDuration": "1.5ms"}' },
      }),
    );
    expect(finding?.message).toContain(
      'terminationDrainDuration: "1.5ms" is not a whole number of milliseconds',
    );
  });

  it('reports deprecated keys with their replacement', () => {
    const messages = findings(
      cronJob({ annotations: { 'config.beta.linkerd.io/proxy-enable-native-sidecar': 'true' } }),
    );
    expect(messages).toHaveLength(1);
    expect(messages[0]?.fix).toBe(
      'use config.linkerd.io/proxy-enable-native-sidecar instead of config.beta.linkerd.io/proxy-enable-native-sidecar',
    );
  });

  it('leaves the inject annotation to mesh-inject-annotation', () => {
    expect(findings(cronJob({ annotations: { 'sidecar.istio.io/inject': 'true' } }))).toEqual([]);
  });

  it('reports labels written as annotations and annotations written as labels', () => {
    const result = findings(
      cronJob({
        annotations: { 'istio.io/rev': 'canary' },
        labels: { 'sidecar.istio.io/nativeSidecar': 'true', 'linkerd.io/inject': 'enabled' },
      }),
    );
    expect(result.map((f) => f.path)).toEqual([
      `${ANNOTATIONS}/istio.io~1rev`,
      `${LABELS}/sidecar.istio.io~1nativeSidecar`,
      `${LABELS}/linkerd.io~1inject`,
    ]);
    expect(result[0]?.fix).toBe(
      'move istio.io/rev from spec.jobTemplate.spec.template.metadata.annotations to spec.jobTemplate.spec.template.metadata.labels',
    );
  });

  it('checks the inject label value', () => {
    const [finding] = findings(cronJob({ labels: { 'sidecar.istio.io/inject': 'True' } }));
    expect(finding?.message).toContain('Istio ignores "True"');
  });

  it('reports mesh keys on the CronJob and Job template metadata, where no injector looks', () => {
    const object = cronJob(
      {},
      { annotations: { 'sidecar.istio.io/nativeSidecar': 'true', team: 'payments' } },
    );
    const spec = object.spec.jobTemplate as Record<string, unknown>;
    spec.metadata = { labels: { 'sidecar.istio.io/inject': 'false' } };
    const result = findings(object);
    expect(result.map((f) => [f.path, f.fix])).toEqual([
      [
        '/metadata/annotations/sidecar.istio.io~1nativeSidecar',
        'move sidecar.istio.io/nativeSidecar from metadata.annotations to spec.jobTemplate.spec.template.metadata.annotations',
      ],
      [
        '/spec/jobTemplate/metadata/labels/sidecar.istio.io~1inject',
        'move sidecar.istio.io/inject from spec.jobTemplate.metadata.labels to spec.jobTemplate.spec.template.metadata.labels',
      ],
    ]);
    expect(result[0]?.message).toBe(
      'sidecar.istio.io/nativeSidecar on metadata has no effect: the mesh injector only sees the pod',
    );
  });

  it('checks a Pod on its own metadata', () => {
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', annotations: { 'status.sidecar.istio.io/port': 'abc' } },
      spec: {
        restartPolicy: 'Never',
        containers: [{ name: 'app', image: 'registry.example.com/app:1.0' }],
      },
    };
    const [finding] = findings(pod);
    expect(finding?.path).toBe('/metadata/annotations/status.sidecar.istio.io~1port');
  });

  it('never mutates', () => {
    const result = run(policies, cronJob({ annotations: { 'sidecar.istio.io/proxyCpu': 'x' } }));
    expect(mutationsOf(result, 'mesh-annotations')).toEqual([]);
  });
});

describe('mesh-inject-annotation', () => {
  const findings = (object: unknown) => findingsOf(run(policies, object), 'mesh-inject-annotation');

  it('reports the annotation "true", which cannot opt a pod in', () => {
    const [finding, ...rest] = findings(
      cronJob({ annotations: { 'sidecar.istio.io/inject': 'true' } }),
    );
    expect(rest).toEqual([]);
    expect(finding).toMatchObject({
      path: `${ANNOTATIONS}/sidecar.istio.io~1inject`,
      message:
        'the annotation sidecar.istio.io/inject: "true" cannot opt the pod in: Istio\'s webhook selects pods by label only (istio/istio#40512)',
      fix: 'use the label sidecar.istio.io/inject: "true" in spec.jobTemplate.spec.template.metadata.labels and remove the annotation',
    });
  });

  it('reports the annotation "false" as deprecated', () => {
    const [finding] = findings(cronJob({ annotations: { 'sidecar.istio.io/inject': 'false' } }));
    expect(finding?.message).toContain(
      'still opts the pod out, but the annotation form is deprecated',
    );
    expect(finding?.fix).toBe(
      'use the label sidecar.istio.io/inject: "false" in spec.jobTemplate.spec.template.metadata.labels instead of the annotation',
    );
  });

  it('reports other values as having no effect', () => {
    const [finding] = findings(cronJob({ annotations: { 'sidecar.istio.io/inject': 'enabled' } }));
    expect(finding?.message).toContain('has no effect');
  });

  it('is quiet for the label and for no key at all', () => {
    expect(findings(cronJob({ labels: { 'sidecar.istio.io/inject': 'true' } }))).toEqual([]);
    expect(findings(cronJob({}))).toEqual([]);
  });

  it('does not mutate', () => {
    const result = run(policies, cronJob({ annotations: { 'sidecar.istio.io/inject': 'true' } }));
    expect(mutationsOf(result, 'mesh-inject-annotation')).toEqual([]);
  });
});
