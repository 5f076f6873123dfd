import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { MutatingWebhookConfiguration } from 'kubernetes-models/admissionregistration.k8s.io/v1/MutatingWebhookConfiguration';
import { ValidatingWebhookConfiguration } from 'kubernetes-models/admissionregistration.k8s.io/v1/ValidatingWebhookConfiguration';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ClusterRole } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole';
import { ClusterRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding';
import { Role } from 'kubernetes-models/rbac.authorization.k8s.io/v1/Role';
import { RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { describe, expect, it } from 'vitest';
import { loadPolicySet } from '../../src/cli/policies.js';
import { checkRestricted } from '../../src/k8s/pod-security.js';
import { parseServerConfig } from '../../src/server/config.js';
import { WebhookMetrics } from '../../src/server/metrics.js';
import { METRIC_NAMES as WATCHER_METRIC_NAMES } from '../../src/watcher/runs/definitions.js';
import { cli } from '../support/cli.js';
import {
  at,
  findObject,
  HAS_KUBECTL,
  type KubeObject,
  renderKustomization,
  REPO,
} from './render.js';

type Validatable = new (data: never) => { validate: () => void };

/** Official schemas (kubernetes-models) for every built-in kind the manifests use. */
const SCHEMAS: Readonly<Record<string, Validatable>> = {
  'v1/Namespace': Namespace,
  'v1/ServiceAccount': ServiceAccount,
  'v1/Service': Service,
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'apps/v1/Deployment': Deployment,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
  'rbac.authorization.k8s.io/v1/ClusterRole': ClusterRole,
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': ClusterRoleBinding,
  'rbac.authorization.k8s.io/v1/Role': Role,
  'rbac.authorization.k8s.io/v1/RoleBinding': RoleBinding,
  'admissionregistration.k8s.io/v1/MutatingWebhookConfiguration': MutatingWebhookConfiguration,
  'admissionregistration.k8s.io/v1/ValidatingWebhookConfiguration': ValidatingWebhookConfiguration,
};

/**
 * Custom resources have no schema in kubernetes-models: a minimal structural check of
 * what a typo would break (required spec fields of the CRD versions we target).
 */
const CUSTOM_RESOURCE_CHECKS: Readonly<Record<string, (object: KubeObject) => void>> = {
  'cert-manager.io/v1/Issuer': (object) => {
    const spec = at(object, 'spec') as Record<string, unknown>;
    expect(
      Object.keys(spec).filter((key) => ['selfSigned', 'ca', 'acme', 'vault'].includes(key)),
    ).toHaveLength(1);
  },
  'cert-manager.io/v1/Certificate': (object) => {
    expect(at(object, 'spec', 'secretName')).toEqual(expect.any(String));
    expect(at(object, 'spec', 'issuerRef', 'name')).toEqual(expect.any(String));
  },
  'monitoring.coreos.com/v1/ServiceMonitor': (object) => {
    expect(at(object, 'spec', 'selector', 'matchLabels')).toBeTypeOf('object');
    expect(at(object, 'spec', 'endpoints', 0, 'port')).toEqual(expect.any(String));
  },
  'monitoring.coreos.com/v1/PrometheusRule': (object) => {
    const groups = at(object, 'spec', 'groups') as { name: string; rules: unknown[] }[];
    expect(groups.length).toBeGreaterThan(0);
    for (const group of groups) {
      for (const rule of group.rules) {
        expect(at(rule, 'alert')).toMatch(/^[A-Z][A-Za-z]+$/);
        expect(at(rule, 'expr')).toEqual(expect.any(String));
        expect(at(rule, 'labels', 'severity')).toMatch(/^(warning|critical)$/);
      }
    }
  },
};

const RENDERED = [
  'manifests/base',
  'manifests/overlays/cert-manager',
  'manifests/overlays/self-managed',
  'test/manifests/fixtures/with-monitoring',
] as const;

const EXCLUDED_NAMESPACES = ['kube-system', 'istio-system', 'linkerd', 'cronguard-system'];

function schemaKey(object: KubeObject): string {
  return `${object.apiVersion}/${object.kind}`;
}

function podSpec(deployment: KubeObject): Record<string, unknown> {
  return at(deployment, 'spec', 'template', 'spec') as Record<string, unknown>;
}

function container(deployment: KubeObject): Record<string, unknown> {
  return at(podSpec(deployment), 'containers', 0) as Record<string, unknown>;
}

describe('policies ConfigMap source', () => {
  it('manifests/base/policies/baseline.yaml is a byte-identical copy of policies/baseline.yaml', () => {
    // If this fails: cp policies/baseline.yaml manifests/base/policies/baseline.yaml
    expect(readFileSync(join(REPO, 'manifests/base/policies/baseline.yaml'), 'utf8')).toBe(
      readFileSync(join(REPO, 'policies/baseline.yaml'), 'utf8'),
    );
  });
});

describe.skipIf(!HAS_KUBECTL)('rendered manifests (kubectl kustomize)', () => {
  const rendered = new Map(RENDERED.map((path) => [path, renderKustomization(join(REPO, path))]));
  const base = rendered.get('manifests/base') ?? [];
  const webhook = findObject(base, 'Deployment', 'cronguard-webhook');
  const watcher = findObject(base, 'Deployment', 'cronguard-watcher');
  const service = findObject(base, 'Service', 'cronguard');
  const mutating = findObject(base, 'MutatingWebhookConfiguration', 'cronguard');
  const validating = findObject(base, 'ValidatingWebhookConfiguration', 'cronguard');

  describe.each(RENDERED)('%s', (path) => {
    const objects = rendered.get(path) ?? [];

    it('validates every object against its schema', () => {
      expect(objects.length).toBeGreaterThan(0);
      for (const object of objects) {
        const key = schemaKey(object);
        const Model = SCHEMAS[key];
        const custom = CUSTOM_RESOURCE_CHECKS[key];
        if (Model !== undefined) {
          expect(() => {
            new Model(object as never).validate();
          }, `${key} ${object.metadata.name}`).not.toThrow();
        } else if (custom !== undefined) custom(object);
        else expect.fail(`no schema check for ${key}: add it to SCHEMAS or CUSTOM_RESOURCE_CHECKS`);
      }
    });

    it('puts every namespaced object in cronguard-system', () => {
      const clusterScoped = new Set([
        'Namespace',
        'ClusterRole',
        'ClusterRoleBinding',
        'MutatingWebhookConfiguration',
        'ValidatingWebhookConfiguration',
      ]);
      for (const object of objects.filter((candidate) => !clusterScoped.has(candidate.kind))) {
        expect(object.metadata.namespace, `${object.kind} ${object.metadata.name}`).toBe(
          'cronguard-system',
        );
      }
    });
  });

  it('passes cronguard lint (nothing in the base is a CronJob to complain about)', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'cronguard-manifests-'));
    try {
      const file = join(directory, 'base.yaml');
      await writeFile(file, base.map((object) => yaml.dump(object)).join('---\n'));
      const result = await cli(['lint', file, '--fail-on', 'notice']);
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });

  it.each([
    ['webhook', webhook],
    ['watcher', watcher],
  ])('%s pod spec meets Pod Security "restricted"', (_name, deployment) => {
    expect(
      checkRestricted(podSpec(deployment), ['spec', 'template', 'spec'], {
        podMetadata: at(deployment, 'spec', 'template', 'metadata'),
      }),
    ).toEqual([]);
    expect(at(container(deployment), 'securityContext', 'readOnlyRootFilesystem')).toBe(true);
    expect(at(container(deployment), 'resources', 'requests')).toBeTypeOf('object');
    expect(at(container(deployment), 'resources', 'limits', 'memory')).toEqual(expect.any(String));
  });

  it('the namespace enforces Pod Security "restricted" on cronguard itself', () => {
    const namespace = findObject(base, 'Namespace', 'cronguard-system');
    expect(at(namespace, 'metadata', 'labels', 'pod-security.kubernetes.io/enforce')).toBe(
      'restricted',
    );
  });

  describe('webhook Deployment and `cronguard serve`', () => {
    const args = at(container(webhook), 'args') as string[];
    const config = parseServerConfig(args.slice(1), {});
    if (config === 'help') throw new Error('args ask for help');
    const ports = at(container(webhook), 'ports') as { name: string; containerPort: number }[];
    const mounts = at(container(webhook), 'volumeMounts') as { name: string; mountPath: string }[];
    const volumes = at(podSpec(webhook), 'volumes') as Record<string, unknown>[];
    const volumeFor = (path: string): Record<string, unknown> | undefined => {
      const mount = mounts.find((candidate) => path.startsWith(candidate.mountPath + '/'));
      return volumes.find((volume) => volume.name === mount?.name);
    };

    it('runs serve with flags parseServerConfig accepts', () => {
      expect(args[0]).toBe('serve');
      expect(config.service).toBe(service.metadata.name);
      expect(config.namespace).toBe(service.metadata.namespace);
    });

    it('names container ports after the ports serve listens on', () => {
      expect(ports).toContainEqual(
        expect.objectContaining({ name: 'https', containerPort: config.port }),
      );
      expect(ports).toContainEqual(
        expect.objectContaining({ name: 'metrics', containerPort: config.metricsPort }),
      );
    });

    it('reads the certificate and key from Secret cronguard-tls', () => {
      expect(config.tls).toBeDefined();
      for (const path of [config.tls?.certPath ?? '', config.tls?.keyPath ?? '']) {
        expect(at(volumeFor(path), 'secret', 'secretName')).toBe('cronguard-tls');
      }
      expect(config.tls?.certPath.endsWith('/tls.crt')).toBe(true);
      expect(config.tls?.keyPath.endsWith('/tls.key')).toBe(true);
    });

    it('reads policies from the generated policies ConfigMap, which loads cleanly', async () => {
      expect(config.policyPaths).toHaveLength(1);
      const mount = mounts.find((candidate) => candidate.mountPath === config.policyPaths[0]);
      const configMapName = at(
        volumes.find((volume) => volume.name === mount?.name),
        'configMap',
        'name',
      ) as string;
      expect(configMapName).toMatch(/^cronguard-policies-/);
      const configMap = findObject(base, 'ConfigMap', configMapName);
      const directory = await mkdtemp(join(tmpdir(), 'cronguard-policies-'));
      try {
        for (const [name, text] of Object.entries(at(configMap, 'data') as Record<string, string>))
          await writeFile(join(directory, name), text);
        const policySet = await loadPolicySet([directory]);
        expect(policySet.policies.length).toBeGreaterThan(0);
      } finally {
        await rm(directory, { recursive: true, force: true });
      }
    });

    it('probes /readyz and /healthz over HTTPS on the webhook port', () => {
      for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe']) {
        expect(at(container(webhook), probe, 'httpGet'), probe).toMatchObject({
          path: probe === 'livenessProbe' ? '/healthz' : '/readyz',
          port: 'https',
          scheme: 'HTTPS',
        });
      }
    });

    it('gives preStop and the drain time to finish before the kill', () => {
      const preStopSeconds = at(container(webhook), 'lifecycle', 'preStop', 'sleep', 'seconds');
      expect(preStopSeconds).toBeTypeOf('number');
      expect(at(podSpec(webhook), 'terminationGracePeriodSeconds')).toBeGreaterThan(
        (preStopSeconds as number) + config.drainTimeoutMs / 1000,
      );
    });

    it('runs two replicas spread over nodes, with a PodDisruptionBudget', () => {
      expect(at(webhook, 'spec', 'replicas')).toBe(2);
      const spread = at(podSpec(webhook), 'topologySpreadConstraints') as unknown[];
      expect(spread).toContainEqual(
        expect.objectContaining({ topologyKey: 'kubernetes.io/hostname' }),
      );
      const budget = findObject(base, 'PodDisruptionBudget', 'cronguard-webhook');
      expect(at(budget, 'spec', 'minAvailable')).toBe(1);
      expect(at(budget, 'spec', 'selector', 'matchLabels')).toEqual(
        at(webhook, 'spec', 'selector', 'matchLabels'),
      );
    });

    it('the watcher runs `watch --leader-elect` with the metrics port it exposes', () => {
      const watcherArgs = at(container(watcher), 'args') as string[];
      expect(watcherArgs.slice(0, 2)).toEqual(['watch', '--leader-elect']);
      expect(watcherArgs).toContain('--metrics-port=9090');
      expect(at(container(watcher), 'ports', 0, 'containerPort')).toBe(9090);
      // The same policies as the webhook, from the mounted ConfigMap.
      expect(watcherArgs).toContain('--policies=/etc/cronguard/policies');
      expect(at(container(watcher), 'volumeMounts')).toContainEqual(
        expect.objectContaining({ name: 'policies', mountPath: '/etc/cronguard/policies' }),
      );
      expect(at(container(watcher), 'livenessProbe', 'httpGet')).toMatchObject({
        path: '/healthz',
        port: 'metrics',
      });
      expect(at(container(watcher), 'readinessProbe', 'httpGet')).toMatchObject({
        path: '/readyz',
        port: 'metrics',
      });
    });
  });

  describe('webhook configurations', () => {
    const configurations = [
      [mutating, '/mutate'],
      [validating, '/validate'],
    ] as const;

    it.each(configurations)('$kind calls the Service on the path serve answers', (object, path) => {
      const webhooks = at(object, 'webhooks') as unknown[];
      expect(webhooks).toHaveLength(1);
      const reference = at(webhooks[0], 'clientConfig', 'service');
      expect(reference).toEqual({
        name: service.metadata.name,
        namespace: service.metadata.namespace,
        path,
        port: 443,
      });
      const servicePort = (at(service, 'spec', 'ports') as Record<string, unknown>[]).find(
        (port) => port.port === 443,
      );
      const ports = at(container(webhook), 'ports') as { name: string; containerPort: number }[];
      expect(ports.find((port) => port.name === servicePort?.targetPort)?.containerPort).toBe(8443);
      expect(at(service, 'spec', 'selector')).toEqual(
        at(webhook, 'spec', 'selector', 'matchLabels'),
      );
    });

    it.each(configurations)('$kind follows the good-practice settings', (object) => {
      const hook = at(object, 'webhooks', 0) as Record<string, unknown>;
      expect(hook.sideEffects).toBe('None');
      expect(hook.admissionReviewVersions).toEqual(['v1']);
      expect(hook.timeoutSeconds).toBeLessThanOrEqual(5);
      expect(hook.rules).toEqual([
        {
          apiGroups: ['batch'],
          apiVersions: ['v1'],
          operations: ['CREATE', 'UPDATE'],
          resources: ['cronjobs'],
          scope: 'Namespaced',
        },
      ]);
      expect(at(hook, 'namespaceSelector', 'matchExpressions')).toEqual([
        { key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: EXCLUDED_NAMESPACES },
      ]);
      expect(hook.matchConditions).toEqual([
        { name: 'not-being-deleted', expression: '!has(object.metadata.deletionTimestamp)' },
      ]);
    });

    it('mutating fails open and is reinvoked; validating fails closed', () => {
      expect(at(mutating, 'webhooks', 0, 'failurePolicy')).toBe('Ignore');
      expect(at(mutating, 'webhooks', 0, 'reinvocationPolicy')).toBe('IfNeeded');
      expect(at(validating, 'webhooks', 0, 'failurePolicy')).toBe('Fail');
    });
  });

  it('the NetworkPolicy admits the webhook port from anywhere and metrics from monitoring', () => {
    const policy = findObject(base, 'NetworkPolicy', 'cronguard-webhook-ingress');
    expect(at(policy, 'spec', 'podSelector', 'matchLabels')).toEqual(
      at(webhook, 'spec', 'selector', 'matchLabels'),
    );
    const rules = at(policy, 'spec', 'ingress') as Record<string, unknown>[];
    expect(rules).toContainEqual({ ports: [{ port: 8443, protocol: 'TCP' }] });
    const metricsRule = rules.find((rule) => at(rule, 'ports', 0, 'port') === 9090);
    expect(at(metricsRule, 'from', 0, 'namespaceSelector', 'matchLabels')).toEqual({
      'kubernetes.io/metadata.name': 'monitoring',
    });
  });

  it('RBAC names resources and verbs, never wildcards, and grants no writes to workloads', () => {
    for (const role of base.filter((object) => ['ClusterRole', 'Role'].includes(object.kind))) {
      for (const rule of at(role, 'rules') as Record<string, string[]>[]) {
        for (const field of ['apiGroups', 'resources', 'verbs']) {
          expect(rule[field], `${role.metadata.name} ${field}`).not.toContain('*');
        }
        if (rule.resources?.some((resource) => ['cronjobs', 'jobs', 'pods'].includes(resource))) {
          expect(rule.verbs).toEqual(['get', 'list', 'watch']);
        }
      }
    }
    const bindings = base.filter((object) => object.kind.endsWith('Binding'));
    for (const binding of bindings) {
      for (const subject of at(binding, 'subjects') as Record<string, string>[]) {
        expect(findObject(base, 'ServiceAccount', subject.name ?? '').metadata.namespace).toBe(
          subject.namespace,
        );
      }
    }
  });

  it('cert-manager: injects the CA of the Certificate that fills Secret cronguard-tls', () => {
    const objects = rendered.get('manifests/overlays/cert-manager') ?? [];
    const certificate = findObject(objects, 'Certificate', 'cronguard-serving');
    expect(at(certificate, 'spec', 'secretName')).toBe('cronguard-tls');
    expect(at(certificate, 'spec', 'dnsNames')).toContain('cronguard.cronguard-system.svc');
    for (const kind of ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration']) {
      const configuration = findObject(objects, kind, 'cronguard');
      expect(at(configuration, 'metadata', 'annotations', 'cert-manager.io/inject-ca-from')).toBe(
        'cronguard-system/cronguard-serving',
      );
      expect(at(configuration, 'webhooks')).toHaveLength(1);
    }
  });

  it('self-managed: the caBundle patch merges into the existing webhooks, adding none', () => {
    const objects = rendered.get('manifests/overlays/self-managed') ?? [];
    for (const kind of ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration']) {
      const webhooks = at(findObject(objects, kind, 'cronguard'), 'webhooks') as unknown[];
      expect(webhooks).toHaveLength(1);
      expect(at(webhooks[0], 'clientConfig', 'caBundle')).toEqual(expect.any(String));
      expect(at(webhooks[0], 'clientConfig', 'service', 'name')).toBe('cronguard');
    }
  });

  describe('monitoring component', () => {
    const objects = rendered.get('test/manifests/fixtures/with-monitoring') ?? [];
    const rule = findObject(objects, 'PrometheusRule', 'cronguard');
    const dashboard = findObject(objects, 'ConfigMap', 'cronguard-dashboard');
    const dashboardText = (at(dashboard, 'data') as Record<string, string>)['cronguard.json'] ?? '';
    const exported = new Set(
      new WebhookMetrics().registry.getMetricsAsArray().flatMap((metric) => {
        const name = metric.name;
        return String(metric.type) === 'histogram'
          ? [`${name}_bucket`, `${name}_sum`, `${name}_count`]
          : [name];
      }),
    );

    it('alerts and dashboard reference only metrics the webhook exports', () => {
      const text = JSON.stringify(at(rule, 'spec')) + dashboardText;
      const referenced = new Set(text.match(/\bcronguard_[a-z_]+/g) ?? []);
      expect(referenced.size).toBeGreaterThan(5);
      for (const name of referenced) expect(exported, name).toContain(name);
    });

    it('alerts and dashboard reference only metrics the watcher exports', () => {
      const text = JSON.stringify(at(rule, 'spec')) + dashboardText;
      const watcherMetrics = new Set<string>(Object.values(WATCHER_METRIC_NAMES));
      const referenced = new Set(text.match(/\bcronjob_[a-z_]+/g) ?? []);
      expect(referenced.size).toBeGreaterThanOrEqual(3);
      for (const name of referenced) expect(watcherMetrics, name).toContain(name);
    });

    it('alerts on what the issue asks for', () => {
      const text = JSON.stringify(at(rule, 'spec'));
      for (const needle of [
        'cronguard_admission_requests_total',
        'cronguard_admission_duration_seconds_bucket',
        'cronguard_policy_reload_errors_total',
        'cronguard_certificate_expiry_timestamp_seconds',
        'cronjob_missed_schedules_total',
        'cronjob_jobs_total{status=\\"failed\\"}',
        'cronjob_sidecar_blocked_jobs',
      ]) {
        expect(text).toContain(needle);
      }
    });

    it('ships the Grafana dashboard for the sidecar, with unique panel ids', () => {
      expect(at(dashboard, 'metadata', 'labels', 'grafana_dashboard')).toBe('1');
      const parsed = JSON.parse(dashboardText) as { uid: string; panels: { id: number }[] };
      expect(parsed.uid).toBe('cronguard');
      const ids = parsed.panels.map((panel) => panel.id);
      expect(new Set(ids).size).toBe(ids.length);
    });

    it('the ServiceMonitor selects both metrics Services by a port they name', () => {
      const monitor = findObject(objects, 'ServiceMonitor', 'cronguard');
      const selector = at(monitor, 'spec', 'selector', 'matchLabels') as Record<string, string>;
      const port = at(monitor, 'spec', 'endpoints', 0, 'port');
      const selected = objects.filter(
        (object) =>
          object.kind === 'Service' &&
          Object.entries(selector).every(
            ([key, value]) => at(object, 'metadata', 'labels', key) === value,
          ),
      );
      expect(selected.map((object) => object.metadata.name).sort()).toEqual([
        'cronguard',
        'cronguard-watcher',
      ]);
      for (const object of selected) {
        expect(at(object, 'spec', 'ports')).toContainEqual(expect.objectContaining({ name: port }));
      }
    });
  });
});
