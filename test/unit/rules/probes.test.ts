import { describe, expect, it } from 'vitest';
import type { Evaluation } from '../../../src/engine/types.js';
import { applyApiServerDefaults } from '../../../src/k8s/api-defaults.js';
import type { KubeObject } from '../../../src/k8s/types.js';
import type { PolicySet } from '../../../src/policy/types.js';
import { policiesFrom } from '../../support/policies.js';
import { findingsOf, mutationsOf, run } from '../../support/evaluate.js';

function cronJob(
  podSpec: Record<string, unknown>,
  annotations?: Record<string, string>,
): KubeObject {
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name: 'nightly', namespace: 'default', ...(annotations ? { annotations } : {}) },
    spec: { schedule: '0 3 * * *', jobTemplate: { spec: { template: { spec: podSpec } } } },
  };
}

const CONTAINERS = '/spec/jobTemplate/spec/template/spec/containers';

const warnPolicy = policiesFrom(`
apiVersion: cronguard.dev/v1alpha1
kind: CronJobPolicy
metadata: {name: probes}
spec:
  action: enforce
  match: {kinds: [CronJob, Job, Pod]}
  ruleActions: {probes-liveness-readiness: warn}
  probes: {warnLivenessReadiness: true}
`);

const requirePolicy = policiesFrom(`
apiVersion: cronguard.dev/v1alpha1
kind: CronJobPolicy
metadata: {name: required}
spec:
  action: enforce
  match: {kinds: [CronJob, Job, Pod]}
  probes:
    warnLivenessReadiness: true
    containers: ["work*"]
    startupProbe: {exec: {command: [test, -f, /tmp/started]}, periodSeconds: 5, failureThreshold: 60}
    livenessProbe: {exec: {command: [test, -f, /tmp/alive]}, periodSeconds: 30}
`);

describe('probes-liveness-readiness', () => {
  it('reports a livenessProbe with what a failure does under OnFailure', () => {
    const result = run(
      warnPolicy,
      cronJob({
        restartPolicy: 'OnFailure',
        containers: [
          {
            name: 'report',
            image: 'r.example.com/report:1',
            livenessProbe: { tcpSocket: { port: 80 } },
          },
        ],
      }),
    );
    expect(findingsOf(result, 'probes-liveness-readiness')).toEqual([
      {
        ruleId: 'probes-liveness-readiness',
        policy: 'probes',
        action: 'warn',
        severity: 'warning',
        message:
          'container "report" has a livenessProbe; a liveness failure restarts the container, which starts the work over (and in a Job counts toward backoffLimit)',
        path: `${CONTAINERS}/0/livenessProbe`,
        fix: 'remove livenessProbe from container "report" and bound hung runs with activeDeadlineSeconds instead',
        container: 'report',
      },
    ]);
    // A warning does not deny.
    expect(result.allowed).toBe(true);
  });

  it('explains that with restartPolicy Never a liveness failure fails the pod', () => {
    const result = run(
      warnPolicy,
      cronJob({
        restartPolicy: 'Never',
        containers: [
          {
            name: 'report',
            image: 'r.example.com/report:1',
            livenessProbe: { exec: { command: ['true'] } },
          },
        ],
      }),
    );
    expect(findingsOf(result, 'probes-liveness-readiness').map((f) => f.message)).toEqual([
      'container "report" has a livenessProbe; with restartPolicy Never a liveness failure kills the container and fails the pod, and with it this attempt of the run',
    ]);
  });

  it('reports a readinessProbe, on Jobs and Pods too', () => {
    const container = {
      name: 'report',
      image: 'r.example.com/report:1',
      readinessProbe: { tcpSocket: { port: 80 } },
    };
    const job = {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'once' },
      spec: { template: { spec: { restartPolicy: 'Never', containers: [container] } } },
    };
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p' },
      spec: { restartPolicy: 'Never', containers: [container] },
    };
    for (const [object, path] of [
      [job, '/spec/template/spec/containers/0/readinessProbe'],
      [pod, '/spec/containers/0/readinessProbe'],
    ] as const) {
      const findings = findingsOf(run(warnPolicy, object), 'probes-liveness-readiness');
      expect(findings).toEqual([
        expect.objectContaining({
          path,
          message:
            'container "report" has a readinessProbe; readiness only decides whether a pod receives Service traffic, which job pods rarely serve',
          fix: 'remove readinessProbe from container "report"',
        }),
      ]);
    }
  });

  it('ignores startup probes, null probes, init containers and native sidecars', () => {
    const result = run(
      warnPolicy,
      cronJob({
        restartPolicy: 'OnFailure',
        initContainers: [
          {
            name: 'proxy',
            image: 'p:1',
            restartPolicy: 'Always',
            livenessProbe: { tcpSocket: { port: 15021 } },
          },
          { name: 'setup', image: 's:1', readinessProbe: { tcpSocket: { port: 1 } } },
        ],
        containers: [
          {
            name: 'report',
            image: 'r:1',
            startupProbe: { exec: { command: ['true'] } },
            livenessProbe: null,
          },
        ],
      }),
    );
    expect(findingsOf(result, 'probes-liveness-readiness')).toEqual([]);
  });

  it('does not report probes that the same policy asks for, only in the containers it targets', () => {
    const result = run(
      requirePolicy,
      cronJob({
        restartPolicy: 'OnFailure',
        containers: [
          {
            name: 'worker',
            image: 'w:1',
            livenessProbe: { exec: { command: ['true'] } },
            readinessProbe: { tcpSocket: { port: 1 } },
          },
          { name: 'helper', image: 'h:1', livenessProbe: { exec: { command: ['true'] } } },
        ],
      }),
    );
    expect(findingsOf(result, 'probes-liveness-readiness').map((f) => f.path)).toEqual([
      `${CONTAINERS}/0/readinessProbe`,
      `${CONTAINERS}/1/livenessProbe`,
    ]);
  });

  it('is off when warnLivenessReadiness is false, and exemptible per container', () => {
    const off = policiesFrom(`
apiVersion: cronguard.dev/v1alpha1
kind: CronJobPolicy
metadata: {name: off}
spec:
  action: enforce
  probes: {warnLivenessReadiness: false}
`);
    const object = cronJob({
      restartPolicy: 'OnFailure',
      containers: [
        { name: 'a', image: 'a:1', livenessProbe: { exec: { command: ['true'] } } },
        { name: 'b', image: 'b:1', livenessProbe: { exec: { command: ['true'] } } },
      ],
    });
    expect(findingsOf(run(off, object), 'probes-liveness-readiness')).toEqual([]);
    const exempted = cronJob(
      (object.spec as { jobTemplate: { spec: { template: { spec: Record<string, unknown> } } } })
        .jobTemplate.spec.template.spec,
      {
        'ignore-check.cronguard.dev/probes-liveness-readiness':
          'container=a; vendor health check, PLAT-7',
      },
    );
    const result = run(warnPolicy, exempted);
    expect(findingsOf(result, 'probes-liveness-readiness').map((f) => f.container)).toEqual(['b']);
    expect(result.exemptions).toEqual([
      expect.objectContaining({ ruleId: 'probes-liveness-readiness', container: 'a' }),
    ]);
  });

  it('never throws on malformed pod specs', () => {
    for (const podSpec of [
      { containers: 'nope' },
      { containers: [null, 3, 'x', { livenessProbe: 'yes' }] },
      { restartPolicy: 5, containers: [{ name: 7, readinessProbe: [] }] },
    ]) {
      expect(() => run(warnPolicy, cronJob(podSpec))).not.toThrow();
    }
    // A probe of the wrong type is still a probe the author wrote; the API server rejects its shape.
    const result = run(warnPolicy, cronJob({ containers: [{ livenessProbe: 'yes' }] }));
    expect(findingsOf(result, 'probes-liveness-readiness').map((f) => f.container)).toEqual(['#0']);
  });
});

describe('probes-required', () => {
  it('fills deep copies of the templates into matching app containers', () => {
    const result = run(
      requirePolicy,
      cronJob({
        restartPolicy: 'OnFailure',
        initContainers: [
          { name: 'work-setup', image: 's:1' },
          { name: 'work-proxy', image: 'p:1', restartPolicy: 'Always' },
        ],
        containers: [
          { name: 'worker', image: 'w:1' },
          { name: 'helper', image: 'h:1' },
        ],
      }),
    );
    const startup = {
      exec: { command: ['test', '-f', '/tmp/started'] },
      periodSeconds: 5,
      failureThreshold: 60,
    };
    const liveness = { exec: { command: ['test', '-f', '/tmp/alive'] }, periodSeconds: 30 };
    expect(mutationsOf(result, 'probes-required')).toEqual([
      {
        ruleId: 'probes-required',
        policy: 'required',
        path: `${CONTAINERS}/0/startupProbe`,
        op: 'add',
        value: startup,
        message: 'add the policy\'s startupProbe to container "worker"',
      },
      {
        ruleId: 'probes-required',
        policy: 'required',
        path: `${CONTAINERS}/0/livenessProbe`,
        op: 'add',
        value: liveness,
        message: 'add the policy\'s livenessProbe to container "worker"',
      },
    ]);
    expect(findingsOf(result, 'probes-required')).toEqual([]);
    // The policy's own template is never shared with the output.
    const written = (
      result.mutated.spec as never as {
        jobTemplate: { spec: { template: { spec: { containers: { startupProbe: unknown }[] } } } };
      }
    ).jobTemplate.spec.template.spec.containers[0]!.startupProbe;
    expect(written).not.toBe(requirePolicy.policies[0]!.spec.probes!.startupProbe);
    // The probes the policy put there are not then reported as unwanted.
    expect(findingsOf(result, 'probes-liveness-readiness')).toEqual([]);
    // Idempotent.
    expect(run(requirePolicy, result.mutated).patch).toEqual([]);
  });

  it('keeps probes the author wrote and treats null as missing', () => {
    const own = { exec: { command: ['own'] } };
    const result = run(
      requirePolicy,
      cronJob({
        restartPolicy: 'OnFailure',
        containers: [{ name: 'worker', image: 'w:1', startupProbe: own, livenessProbe: null }],
      }),
    );
    expect(mutationsOf(result, 'probes-required').map((m) => [m.path, m.op])).toEqual([
      [`${CONTAINERS}/0/livenessProbe`, 'replace'],
    ]);
    expect(result.patch).toContainEqual({
      op: 'replace',
      path: `${CONTAINERS}/0/livenessProbe`,
      value: { exec: { command: ['test', '-f', '/tmp/alive'] }, periodSeconds: 30 },
    });
    const container = (
      result.mutated as never as {
        spec: {
          jobTemplate: { spec: { template: { spec: { containers: Record<string, unknown>[] } } } };
        };
      }
    ).spec.jobTemplate.spec.template.spec.containers[0]!;
    expect(container.startupProbe).toEqual(own);
  });

  it('does not add a livenessProbe under restartPolicy Never, and says why', () => {
    const result = run(
      requirePolicy,
      cronJob({ restartPolicy: 'Never', containers: [{ name: 'worker', image: 'w:1' }] }),
    );
    expect(mutationsOf(result, 'probes-required').map((m) => m.path)).toEqual([
      `${CONTAINERS}/0/startupProbe`,
    ]);
    expect(findingsOf(result, 'probes-required')).toEqual([
      {
        ruleId: 'probes-required',
        policy: 'required',
        action: 'enforce',
        severity: 'error',
        message:
          'container "worker" has no livenessProbe, which the policy requires; it was not added because with restartPolicy Never a liveness failure would fail the whole pod instead of restarting the container',
        path: `${CONTAINERS}/0`,
        fix: 'use restartPolicy: OnFailure (the policy then adds the livenessProbe), or exempt this workload from probes-required with a reason',
        container: 'worker',
      },
    ]);
    expect(result.allowed).toBe(false);
    const again = run(requirePolicy, result.mutated);
    expect(again.patch).toEqual([]);
    expect(again.findings).toEqual(result.findings);
  });

  it('refuses templates the API server would reject for that probe kind', () => {
    const loaded = policiesFrom(`
apiVersion: cronguard.dev/v1alpha1
kind: CronJobPolicy
metadata: {name: invalid}
spec:
  action: enforce
  probes:
    warnLivenessReadiness: false
    livenessProbe: {exec: {command: ["true"]}}
    readinessProbe: {exec: {command: ["true"]}, terminationGracePeriodSeconds: 5}
`);
    // The loader already refuses successThreshold != 1 on a livenessProbe; the rule
    // must hold on its own for policies compiled by other means.
    const invalid = structuredClone(loaded) as unknown as {
      policies: { spec: { probes: { livenessProbe: Record<string, unknown> } } }[];
    };
    invalid.policies[0]!.spec.probes.livenessProbe.successThreshold = 3;
    const result = run(
      invalid as unknown as PolicySet,
      cronJob({ restartPolicy: 'OnFailure', containers: [{ name: 'app', image: 'a:1' }] }),
    );
    expect(mutationsOf(result, 'probes-required')).toEqual([]);
    expect(findingsOf(result, 'probes-required').map((f) => f.message)).toEqual([
      'container "app" has no livenessProbe, and the policy\'s template was not added: the API server requires successThreshold 1 on a livenessProbe, the template has 3',
      'container "app" has no readinessProbe, and the policy\'s template was not added: the API server rejects terminationGracePeriodSeconds on a readinessProbe',
    ]);
  });

  it('gives the same answer in lint and in admission', () => {
    const authored = cronJob({
      containers: [
        { name: 'worker', image: 'w:1' },
        { name: 'work2', image: 'w2:latest' },
      ],
    });
    const admitted = structuredClone(authored) as Record<string, unknown>;
    applyApiServerDefaults(admitted);
    const lint = run(requirePolicy, authored);
    const admission = run(requirePolicy, admitted);
    // Only this section's findings: job-restart-policy words an omitted and a defaulted Always differently.
    const ours = (result: Evaluation) =>
      result.findings.filter((finding) => finding.ruleId.startsWith('probes-'));
    expect(ours(admission)).toEqual(ours(lint));
    const lintResult = structuredClone(lint.mutated) as Record<string, unknown>;
    applyApiServerDefaults(lintResult);
    expect(admission.mutated).toEqual(lintResult);
  });
});
