import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Evaluation } from '../../../src/engine/types.js';
import { applyApiServerDefaults } from '../../../src/k8s/api-defaults.js';
import type { KubeObject } from '../../../src/k8s/types.js';
import type { PolicySet } from '../../../src/policy/types.js';
import { BUILTIN_RULES } from '../../../src/rules/index.js';
import { cronJobArbitrary } from '../../support/arbitraries.js';
import { policiesFrom } from '../../support/policies.js';
import {
  expectIdempotent,
  expectLintEqualsAdmission,
  findingsOf,
  mutationsOf,
  podFrom,
  run,
} from '../../support/evaluate.js';

function cronJob(
  podSpec: Record<string, unknown>,
  templateAnnotations?: Record<string, string>,
): KubeObject {
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name: 'nightly', namespace: 'default' },
    spec: {
      schedule: '0 3 * * *',
      jobTemplate: {
        spec: {
          template: {
            ...(templateAnnotations ? { metadata: { annotations: templateAnnotations } } : {}),
            spec: { restartPolicy: 'OnFailure', ...podSpec },
          },
        },
      },
    },
  };
}

function pod(podSpec: Record<string, unknown>, annotations?: Record<string, string>): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'once', ...(annotations ? { annotations } : {}) },
    spec: { restartPolicy: 'Never', ...podSpec },
  };
}

function podSpecOf(result: Evaluation): Record<string, unknown> {
  const spec = result.mutated.spec as {
    jobTemplate: { spec: { template: { spec: Record<string, unknown> } } };
  };
  return spec.jobTemplate.spec.template.spec;
}

function container(name: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { name, image: `registry.example.com/${name}:1.0.0`, ...extra };
}

/** Lint sees the author's file, admission the API-server-defaulted object: same findings, same result. */
/** Evaluating the engine's own output changes nothing and says the same. */
const POD_SC = '/spec/jobTemplate/spec/template/spec/securityContext';
const CONTAINERS = '/spec/jobTemplate/spec/template/spec/containers';
const INIT_CONTAINERS = '/spec/jobTemplate/spec/template/spec/initContainers';
const FIELD_POD_SC = 'spec.jobTemplate.spec.template.spec.securityContext';

function policy(securityContext: string, name = 'secure'): PolicySet {
  return policiesFrom(`
apiVersion: cronguard.dev/v1alpha1
kind: CronJobPolicy
metadata: {name: ${name}}
spec:
  action: enforce
  match: {kinds: [CronJob, Job, Pod]}
  securityContext:
${securityContext
  .trim()
  .split('\n')
  .map((line) => `    ${line}`)
  .join('\n')}
`);
}

const fillPolicy = policy('profile: restricted\napply: default\nvalidateProfile: false');
const fillUsersPolicy = policy(
  'profile: restricted\napply: default\nrunAsUser: 10001\nrunAsGroup: 10001\nfsGroup: 2000\nvalidateProfile: false',
);
const enforcePolicy = policy(
  'profile: restricted\napply: enforce\nrunAsUser: 10001\nvalidateProfile: false',
);
const validatePolicy = policy(
  'profile: restricted\napply: validate\nrunAsUser: 10001\nreadOnlyRootFilesystem: true\nvalidateProfile: false',
);
const readOnlyPolicy = policy(
  'profile: restricted\napply: default\nreadOnlyRootFilesystem: true\nvalidateProfile: false',
);
const enforceContainerPolicy = policy(
  'profile: restricted\napply: enforce\nvalidateProfile: false',
);
const restrictedPolicy = policy('profile: restricted\napply: default');

describe('security-context-pod', () => {
  it('fills runAsNonRoot and a RuntimeDefault seccomp profile into a pod without securityContext', () => {
    const result = run(fillPolicy, cronJob({ containers: [container('report')] }));
    expect(mutationsOf(result, 'security-context-pod')).toEqual([
      {
        ruleId: 'security-context-pod',
        policy: 'secure',
        path: `${POD_SC}/runAsNonRoot`,
        op: 'add',
        value: true,
        message: `set ${FIELD_POD_SC}.runAsNonRoot to true (policy default)`,
      },
      {
        ruleId: 'security-context-pod',
        policy: 'secure',
        path: `${POD_SC}/seccompProfile`,
        op: 'add',
        value: { type: 'RuntimeDefault' },
        message: `set ${FIELD_POD_SC}.seccompProfile to {"type":"RuntimeDefault"} (policy default)`,
      },
    ]);
    expect(podSpecOf(result).securityContext).toEqual({
      runAsNonRoot: true,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(result.patch).toContainEqual({
      op: 'add',
      path: POD_SC,
      value: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
    });
    expect(findingsOf(result, 'security-context-pod')).toEqual([]);
  });

  it('fills the user, group and fsGroup the policy sets, keeping values the author wrote', () => {
    const result = run(
      fillUsersPolicy,
      cronJob({ securityContext: { runAsUser: 5000 }, containers: [container('report')] }),
    );
    expect(podSpecOf(result).securityContext).toEqual({
      runAsUser: 5000,
      runAsGroup: 10001,
      fsGroup: 2000,
      runAsNonRoot: true,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(mutationsOf(result, 'security-context-pod').map((m) => m.path)).toEqual([
      `${POD_SC}/runAsGroup`,
      `${POD_SC}/fsGroup`,
      `${POD_SC}/runAsNonRoot`,
      `${POD_SC}/seccompProfile`,
    ]);
  });

  it('treats JSON null as unset, like the API server', () => {
    const result = run(
      fillPolicy,
      cronJob({
        securityContext: { runAsNonRoot: null, seccompProfile: null },
        containers: [container('report')],
      }),
    );
    expect(podSpecOf(result).securityContext).toEqual({
      runAsNonRoot: true,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(mutationsOf(result, 'security-context-pod').map((m) => [m.op, m.previous])).toEqual([
      ['replace', null],
      ['replace', null],
    ]);
  });

  it('leaves a Localhost seccomp profile alone in default and enforce modes', () => {
    const localhost = { type: 'Localhost', localhostProfile: 'profiles/job.json' };
    for (const policies of [fillPolicy, enforcePolicy]) {
      const result = run(
        policies,
        cronJob({
          securityContext: { runAsNonRoot: true, runAsUser: 10001, seccompProfile: localhost },
          containers: [container('a')],
        }),
      );
      expect(podSpecOf(result).securityContext).toEqual({
        runAsNonRoot: true,
        runAsUser: 10001,
        seccompProfile: localhost,
      });
      expect(mutationsOf(result, 'security-context-pod')).toEqual([]);
    }
  });

  it('in default mode keeps an explicit Unconfined profile; enforce replaces only its type', () => {
    const object = cronJob({
      securityContext: {
        runAsNonRoot: false,
        runAsUser: 0,
        seccompProfile: { type: 'Unconfined' },
      },
      containers: [container('a')],
    });
    const kept = run(fillPolicy, object);
    expect(mutationsOf(kept, 'security-context-pod')).toEqual([]);
    const enforced = run(enforcePolicy, object);
    expect(mutationsOf(enforced, 'security-context-pod')).toEqual([
      expect.objectContaining({
        path: `${POD_SC}/runAsUser`,
        op: 'replace',
        value: 10001,
        previous: 0,
      }),
      expect.objectContaining({
        path: `${POD_SC}/runAsNonRoot`,
        op: 'replace',
        value: true,
        previous: false,
      }),
      expect.objectContaining({
        path: `${POD_SC}/seccompProfile/type`,
        op: 'replace',
        value: 'RuntimeDefault',
        previous: 'Unconfined',
        message: `set ${FIELD_POD_SC}.seccompProfile.type to "RuntimeDefault" (enforced by policy)`,
      }),
    ]);
    expect(findingsOf(enforced, 'security-context-pod')).toEqual([]);
  });

  it('never sets runAsNonRoot when a container runs as root, and says why', () => {
    const result = expectIdempotent(
      fillPolicy,
      cronJob({
        containers: [container('app'), container('cleanup', { securityContext: { runAsUser: 0 } })],
      }),
    );
    expect(podSpecOf(result).securityContext).toEqual({
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(findingsOf(result, 'security-context-pod')).toEqual([
      {
        ruleId: 'security-context-pod',
        policy: 'secure',
        action: 'enforce',
        severity: 'error',
        message:
          'runAsNonRoot: true cannot be set because container "cleanup" runs as root (runAsUser: 0); the kubelet would refuse to start it with "container has runAsNonRoot and image will run as root"',
        path: `${CONTAINERS}/1/securityContext/runAsUser`,
        fix: 'set spec.jobTemplate.spec.template.spec.containers[1].securityContext.runAsUser to a non-zero user id the image can run as (e.g. 1000), or exempt the container with ignore-check.cronguard.dev/security-context-pod: "container=cleanup; <reason>"',
        container: 'cleanup',
      },
    ]);
  });

  it('also refuses when root is inherited from the pod, but not when the policy enforces another user', () => {
    const object = cronJob({ securityContext: { runAsUser: 0 }, containers: [container('app')] });
    const filled = run(fillPolicy, object);
    expect(findingsOf(filled, 'security-context-pod').map((f) => [f.path, f.message])).toEqual([
      [
        `${POD_SC}/runAsUser`,
        'runAsNonRoot: true cannot be set because container "app" runs as root (runAsUser: 0, inherited from the pod); the kubelet would refuse to start it with "container has runAsNonRoot and image will run as root"',
      ],
    ]);
    const enforced = expectIdempotent(enforcePolicy, object);
    expect(podSpecOf(enforced).securityContext).toEqual({
      runAsUser: 10001,
      runAsNonRoot: true,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(findingsOf(enforced, 'security-context-pod')).toEqual([]);
  });

  it('ignores root containers that decide runAsNonRoot themselves', () => {
    const result = run(
      fillPolicy,
      cronJob({
        containers: [
          container('app'),
          container('debug', { securityContext: { runAsUser: 0, runAsNonRoot: false } }),
        ],
      }),
    );
    expect(podSpecOf(result).securityContext).toEqual({
      runAsNonRoot: true,
      seccompProfile: { type: 'RuntimeDefault' },
    });
  });

  it('refuses runAsNonRoot for a Windows container running as ContainerAdministrator, and fills nothing Linux-only', () => {
    const result = run(
      fillUsersPolicy,
      pod({
        os: { name: 'windows' },
        securityContext: { windowsOptions: { runAsUserName: 'ContainerAdministrator' } },
        containers: [container('win')],
      }),
    );
    expect(mutationsOf(result, 'security-context-pod')).toEqual([]);
    expect(findingsOf(result, 'security-context-pod').map((f) => [f.path, f.message])).toEqual([
      [
        '/spec/securityContext/windowsOptions/runAsUserName',
        'runAsNonRoot: true cannot be set because container "win" runs as ContainerAdministrator (windowsOptions.runAsUserName, inherited from the pod), which the kubelet treats as root and would refuse to start',
      ],
    ]);
    const plain = run(
      fillUsersPolicy,
      pod({ os: { name: 'windows' }, containers: [container('win')] }),
    );
    expect(mutationsOf(plain, 'security-context-pod').map((m) => [m.path, m.value])).toEqual([
      ['/spec/securityContext/runAsNonRoot', true],
    ]);
  });

  it('does not set RuntimeDefault next to a deprecated seccomp annotation that says otherwise', () => {
    const result = expectIdempotent(
      fillPolicy,
      cronJob(
        { containers: [container('trace')] },
        { 'seccomp.security.alpha.kubernetes.io/pod': 'unconfined' },
      ),
    );
    expect(podSpecOf(result).securityContext).toEqual({ runAsNonRoot: true });
    expect(findingsOf(result, 'security-context-pod')).toEqual([
      expect.objectContaining({
        path: '/spec/jobTemplate/spec/template/metadata/annotations/seccomp.security.alpha.kubernetes.io~1pod',
        message:
          'seccompProfile RuntimeDefault cannot be set because the pod template has the deprecated annotation seccomp.security.alpha.kubernetes.io/pod: "unconfined", and the API server rejects a seccompProfile that does not match it',
        fix: `remove the annotation seccomp.security.alpha.kubernetes.io/pod (deprecated since Kubernetes 1.19) and set ${FIELD_POD_SC}.seccompProfile.type: RuntimeDefault`,
      }),
    ]);
    const matching = run(
      fillPolicy,
      cronJob(
        { containers: [container('a')] },
        { 'seccomp.security.alpha.kubernetes.io/pod': 'runtime/default' },
      ),
    );
    expect(podSpecOf(matching).securityContext).toEqual({
      runAsNonRoot: true,
      seccompProfile: { type: 'RuntimeDefault' },
    });
  });

  it('does not fill a type next to a localhostProfile', () => {
    const result = run(
      fillPolicy,
      cronJob({
        securityContext: { seccompProfile: { localhostProfile: 'p.json' } },
        containers: [container('a')],
      }),
    );
    expect(mutationsOf(result, 'security-context-pod').map((m) => m.path)).toEqual([
      `${POD_SC}/runAsNonRoot`,
    ]);
    expect(findingsOf(result, 'security-context-pod').map((f) => f.message)).toEqual([
      `${FIELD_POD_SC}.seccompProfile has a localhostProfile but no type, so type RuntimeDefault cannot be filled in (the API server accepts localhostProfile only with type Localhost)`,
    ]);
  });

  it('writes into the other containers instead of the pod when a container is exempt', () => {
    const result = expectIdempotent(
      fillUsersPolicy,
      cronJob(
        {
          containers: [container('vendor'), container('app')],
          initContainers: [container('setup')],
        },
        undefined,
      ),
    );
    // Without an exemption the pod level is written.
    expect(podSpecOf(result).securityContext).toEqual(
      expect.objectContaining({ runAsNonRoot: true, runAsUser: 10001 }),
    );
    const exempted = cronJob({
      containers: [container('vendor'), container('app')],
      initContainers: [container('setup')],
    });
    exempted.metadata!.annotations = {
      'ignore-check.cronguard.dev/security-context-pod': 'container=vendor; runs as root, VEND-12',
    };
    const scoped = expectIdempotent(fillUsersPolicy, exempted);
    const spec = podSpecOf(scoped);
    expect(spec.securityContext).toEqual({ fsGroup: 2000 });
    const containers = spec.containers as Array<Record<string, unknown>>;
    const initContainers = spec.initContainers as Array<Record<string, unknown>>;
    // Only this rule is exempted: security-context-container still fills its own fields.
    expect(containers[0]!.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
    });
    const expected = {
      runAsUser: 10001,
      runAsGroup: 10001,
      runAsNonRoot: true,
      seccompProfile: { type: 'RuntimeDefault' },
    };
    expect(containers[1]!.securityContext).toMatchObject(expected);
    expect(initContainers[0]!.securityContext).toMatchObject(expected);
    expect(containers[0]!.securityContext).not.toHaveProperty('runAsNonRoot');
    expect(mutationsOf(scoped, 'security-context-pod').map((m) => m.path)).toContain(
      `${INIT_CONTAINERS}/0/securityContext/runAsNonRoot`,
    );
    expect(scoped.exemptions).toContainEqual(
      expect.objectContaining({
        ruleId: 'security-context-pod',
        container: 'vendor',
        source: 'annotation',
      }),
    );
  });

  it('in validate mode reports what differs and changes nothing', () => {
    const result = run(
      validatePolicy,
      cronJob({
        securityContext: { runAsUser: 5000, seccompProfile: { type: 'Unconfined' } },
        containers: [container('a')],
      }),
    );
    expect(mutationsOf(result, 'security-context-pod')).toEqual([]);
    expect(
      findingsOf(result, 'security-context-pod').map((f) => [f.path, f.message, f.fix]),
    ).toEqual([
      [
        `${POD_SC}/runAsUser`,
        'pod securityContext.runAsUser is 5000; the policy requires 10001',
        `set ${FIELD_POD_SC}.runAsUser: 10001`,
      ],
      [
        POD_SC,
        'pod securityContext.runAsNonRoot is not set; the policy requires true',
        `set ${FIELD_POD_SC}.runAsNonRoot: true`,
      ],
      [
        `${POD_SC}/seccompProfile`,
        'pod securityContext.seccompProfile is {"type":"Unconfined"}; the policy requires type RuntimeDefault or Localhost',
        `set ${FIELD_POD_SC}.seccompProfile.type: RuntimeDefault`,
      ],
    ]);
  });

  it('reports a securityContext that is not an object instead of writing through it', () => {
    const result = run(
      fillPolicy,
      cronJob({ securityContext: 'restricted', containers: [container('a')] }),
    );
    expect(mutationsOf(result, 'security-context-pod')).toEqual([]);
    expect(findingsOf(result, 'security-context-pod')).toEqual([
      expect.objectContaining({
        path: POD_SC,
        message: `${FIELD_POD_SC} must be an object, got "restricted"`,
      }),
    ]);
  });

  it('gives the same answer in lint and in admission, and is idempotent', () => {
    const objects = [
      cronJob({ containers: [container('a')] }),
      cronJob({
        securityContext: { runAsNonRoot: null },
        containers: [container('a', { securityContext: { runAsUser: 0 } })],
      }),
      pod({
        containers: [container('a')],
        securityContext: { seccompProfile: { type: 'Unconfined' } },
      }),
    ];
    for (const policies of [fillPolicy, fillUsersPolicy, enforcePolicy, validatePolicy]) {
      for (const object of objects) {
        expectLintEqualsAdmission(policies, object, { redefault: true });
        expectIdempotent(policies, object);
      }
    }
  });
});

describe('security-context-container', () => {
  it('fills allowPrivilegeEscalation, capabilities.drop and readOnlyRootFilesystem into every container', () => {
    const result = run(
      readOnlyPolicy,
      cronJob({
        initContainers: [container('proxy', { restartPolicy: 'Always' })],
        containers: [container('report')],
      }),
    );
    const expected = {
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      readOnlyRootFilesystem: true,
    };
    const spec = podSpecOf(result);
    expect((spec.initContainers as Array<Record<string, unknown>>)[0]!.securityContext).toEqual(
      expected,
    );
    expect((spec.containers as Array<Record<string, unknown>>)[0]!.securityContext).toEqual(
      expected,
    );
    expect(
      mutationsOf(result, 'security-context-container').filter((m) =>
        m.path.startsWith(CONTAINERS),
      ),
    ).toEqual([
      {
        ruleId: 'security-context-container',
        policy: 'secure',
        path: `${CONTAINERS}/0/securityContext/allowPrivilegeEscalation`,
        op: 'add',
        value: false,
        message:
          'set spec.jobTemplate.spec.template.spec.containers[0].securityContext.allowPrivilegeEscalation to false (policy default)',
      },
      {
        ruleId: 'security-context-container',
        policy: 'secure',
        path: `${CONTAINERS}/0/securityContext/capabilities/drop`,
        op: 'add',
        value: ['ALL'],
        message:
          'set spec.jobTemplate.spec.template.spec.containers[0].securityContext.capabilities.drop to ["ALL"] (policy default)',
      },
      {
        ruleId: 'security-context-container',
        policy: 'secure',
        path: `${CONTAINERS}/0/securityContext/readOnlyRootFilesystem`,
        op: 'add',
        value: true,
        message:
          'set spec.jobTemplate.spec.template.spec.containers[0].securityContext.readOnlyRootFilesystem to true (policy default)',
      },
    ]);
    expect(findingsOf(result, 'security-context-container')).toEqual([]);
  });

  it('appends ALL to an existing drop list in default mode: one add in the patch', () => {
    const object = cronJob({
      securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
      containers: [
        container('a', {
          securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['NET_RAW'] } },
        }),
      ],
    });
    const result = expectIdempotent(fillPolicy, object);
    expect(result.patch.filter((op) => op.path.startsWith(CONTAINERS))).toEqual([
      { op: 'add', path: `${CONTAINERS}/0/securityContext/capabilities/drop/1`, value: 'ALL' },
    ]);
    expect(mutationsOf(result, 'security-context-container')).toEqual([
      expect.objectContaining({
        path: `${CONTAINERS}/0/securityContext/capabilities/drop/1`,
        op: 'add',
        value: 'ALL',
      }),
    ]);
  });

  it('in enforce mode replaces the drop list and a true allowPrivilegeEscalation', () => {
    const result = expectIdempotent(
      enforceContainerPolicy,
      cronJob({
        containers: [
          container('a', {
            securityContext: {
              allowPrivilegeEscalation: true,
              capabilities: { drop: ['NET_RAW'], add: ['CHOWN'] },
            },
          }),
        ],
      }),
    );
    expect(
      (podSpecOf(result).containers as Array<Record<string, unknown>>)[0]!.securityContext,
    ).toEqual({
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'], add: ['CHOWN'] },
    });
  });

  it('does not set allowPrivilegeEscalation on a privileged container, which the API server would reject', () => {
    for (const policies of [fillPolicy, enforceContainerPolicy]) {
      const result = expectIdempotent(
        policies,
        cronJob({ containers: [container('debug', { securityContext: { privileged: true } })] }),
      );
      expect(
        (podSpecOf(result).containers as Array<Record<string, unknown>>)[0]!.securityContext,
      ).toEqual({
        privileged: true,
        capabilities: { drop: ['ALL'] },
      });
      expect(findingsOf(result, 'security-context-container')).toEqual([
        {
          ruleId: 'security-context-container',
          policy: 'secure',
          action: 'enforce',
          severity: 'error',
          message:
            'container "debug" is privileged, so allowPrivilegeEscalation: false cannot be set (the API server rejects it together with privileged: true)',
          path: `${CONTAINERS}/0/securityContext/privileged`,
          fix: 'remove spec.jobTemplate.spec.template.spec.containers[0].securityContext.privileged (or set it to false), then set spec.jobTemplate.spec.template.spec.containers[0].securityContext.allowPrivilegeEscalation: false',
          container: 'debug',
        },
      ]);
    }
  });

  it('does not set allowPrivilegeEscalation next to SYS_ADMIN or CAP_SYS_ADMIN', () => {
    for (const capability of ['SYS_ADMIN', 'CAP_SYS_ADMIN']) {
      const result = run(
        fillPolicy,
        cronJob({
          containers: [
            container('fuse', {
              securityContext: { capabilities: { drop: ['ALL'], add: [capability] } },
            }),
          ],
        }),
      );
      expect(mutationsOf(result, 'security-context-container')).toEqual([]);
      expect(
        findingsOf(result, 'security-context-container').map((f) => [f.path, f.message]),
      ).toEqual([
        [
          `${CONTAINERS}/0/securityContext/capabilities/add/0`,
          `container "fuse" adds capability ${capability}, so allowPrivilegeEscalation: false cannot be set (the API server rejects it together with CAP_SYS_ADMIN)`,
        ],
      ]);
    }
  });

  it('in validate mode reports what differs', () => {
    const result = run(
      validatePolicy,
      cronJob({
        containers: [
          container('a', {
            securityContext: {
              allowPrivilegeEscalation: true,
              capabilities: { drop: ['NET_RAW'] },
            },
          }),
        ],
      }),
    );
    expect(mutationsOf(result, 'security-context-container')).toEqual([]);
    const field = 'spec.jobTemplate.spec.template.spec.containers[0].securityContext';
    expect(
      findingsOf(result, 'security-context-container').map((f) => [f.path, f.message, f.fix]),
    ).toEqual([
      [
        `${CONTAINERS}/0/securityContext/allowPrivilegeEscalation`,
        'container "a" securityContext.allowPrivilegeEscalation is true; the policy requires false',
        `set ${field}.allowPrivilegeEscalation: false`,
      ],
      [
        `${CONTAINERS}/0/securityContext/capabilities/drop`,
        'container "a" securityContext.capabilities.drop is ["NET_RAW"]; the policy requires it to include ALL',
        `add ALL to ${field}.capabilities.drop`,
      ],
      [
        `${CONTAINERS}/0/securityContext`,
        'container "a" securityContext.readOnlyRootFilesystem is not set; the policy requires true',
        `set ${field}.readOnlyRootFilesystem: true`,
      ],
    ]);
  });

  it('leaves exempt containers and Windows pods alone', () => {
    const annotated = cronJob({ containers: [container('vendor'), container('app')] });
    annotated.metadata!.annotations = {
      'ignore-check.cronguard.dev/security-context-container':
        'container=vendor; agent needs capabilities, VEND-3',
    };
    const result = run(fillPolicy, annotated);
    const containers = podSpecOf(result).containers as Array<Record<string, unknown>>;
    expect(containers[0]).toEqual(container('vendor'));
    expect(containers[1]!.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
    });

    const byPolicy = policiesFrom(`
apiVersion: cronguard.dev/v1alpha1
kind: CronJobPolicy
metadata: {name: secure}
spec:
  action: enforce
  exemptions:
    - rules: [security-context-container]
      containers: ["vendor*"]
      reason: vendor agents are reviewed separately
  securityContext: {profile: restricted, apply: validate, validateProfile: false}
`);
    expect(
      findingsOf(
        run(byPolicy, cronJob({ containers: [container('vendor-agent')] })),
        'security-context-container',
      ),
    ).toEqual([]);

    const windows = run(
      readOnlyPolicy,
      pod({ os: { name: 'windows' }, containers: [container('win')] }),
    );
    expect(mutationsOf(windows, 'security-context-container')).toEqual([]);
    expect(findingsOf(windows, 'security-context-container')).toEqual([]);
  });

  it('reports a drop that is not a list in default mode, and replaces it in enforce mode', () => {
    const object = cronJob({
      containers: [
        container('a', {
          securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: 'ALL' } },
        }),
      ],
    });
    const kept = run(fillPolicy, object);
    expect(mutationsOf(kept, 'security-context-container')).toEqual([]);
    expect(findingsOf(kept, 'security-context-container').map((f) => f.message)).toEqual([
      'container "a" securityContext.capabilities.drop must be a list, got "ALL"',
    ]);
    const replaced = expectIdempotent(enforceContainerPolicy, object);
    expect(findingsOf(replaced, 'security-context-container')).toEqual([]);
    expect(
      (podSpecOf(replaced).containers as Array<Record<string, unknown>>)[0]!.securityContext,
    ).toEqual({
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
    });
  });

  it('never throws on malformed containers', () => {
    for (const podSpec of [
      { containers: [container('a', { securityContext: 'x' })] },
      { containers: [container('a', { securityContext: { capabilities: ['ALL'] } })] },
      { containers: [container('a', { securityContext: { capabilities: { add: 'SYS_ADMIN' } } })] },
      { containers: [null, 1, container('b', { securityContext: null })] },
    ]) {
      for (const policies of [
        fillPolicy,
        enforceContainerPolicy,
        validatePolicy,
        restrictedPolicy,
      ]) {
        expect(() => expectIdempotent(policies, cronJob(podSpec))).not.toThrow();
      }
    }
    const result = run(
      fillPolicy,
      cronJob({ containers: [container('a', { securityContext: { capabilities: ['ALL'] } })] }),
    );
    expect(findingsOf(result, 'security-context-container').map((f) => f.message)).toEqual([
      'spec.jobTemplate.spec.template.spec.containers[0].securityContext.capabilities must be an object, got ["ALL"]',
    ]);
  });

  it('gives the same answer in lint and in admission', () => {
    for (const policies of [fillPolicy, readOnlyPolicy, enforceContainerPolicy, validatePolicy]) {
      expectLintEqualsAdmission(
        policies,
        cronJob({
          containers: [
            container('a', { securityContext: { capabilities: { drop: ['NET_RAW'] } } }),
            container('b', {
              securityContext: { privileged: true, allowPrivilegeEscalation: null },
            }),
          ],
        }),
        { redefault: true },
      );
    }
  });
});

describe('security-context-restricted', () => {
  it('reports nothing once default mode has filled in what the profile needs', () => {
    const result = run(
      restrictedPolicy,
      cronJob({ containers: [container('a')], initContainers: [container('b')] }),
    );
    expect(findingsOf(result, 'security-context-restricted')).toEqual([]);
    expect(result.allowed).toBe(true);
  });

  it('denies what cannot be filled in, pointing at the field', () => {
    const result = expectIdempotent(
      restrictedPolicy,
      cronJob({
        hostPID: true,
        containers: [container('a', { securityContext: { privileged: true } })],
      }),
    );
    const findings = findingsOf(result, 'security-context-restricted');
    expect(findings.map((f) => [f.path, f.container])).toEqual([
      ['/spec/jobTemplate/spec/template/spec/hostPID', undefined],
      [`${CONTAINERS}/0/securityContext/privileged`, 'a'],
      [`${CONTAINERS}/0/securityContext`, 'a'],
    ]);
    for (const finding of findings) {
      expect(finding.fix).toBeTruthy();
      expect(finding.message).not.toMatch(/\n/);
    }
    expect(result.allowed).toBe(false);
  });

  it('reads the legacy AppArmor annotation from the pod template metadata', () => {
    const result = run(
      restrictedPolicy,
      cronJob(
        { containers: [container('app')] },
        { 'container.apparmor.security.beta.kubernetes.io/app': 'unconfined' },
      ),
    );
    expect(findingsOf(result, 'security-context-restricted').map((f) => f.path)).toEqual([
      '/spec/jobTemplate/spec/template/metadata/annotations/container.apparmor.security.beta.kubernetes.io~1app',
    ]);
  });

  it('is off with validateProfile: false, and skips exempt containers', () => {
    const object = cronJob({
      containers: [container('vendor', { securityContext: { runAsUser: 0 } }), container('app')],
    });
    expect(findingsOf(run(fillPolicy, object), 'security-context-restricted')).toEqual([]);
    expect(
      findingsOf(run(restrictedPolicy, object), 'security-context-restricted').map(
        (f) => f.container,
      ),
    ).toContain('vendor');
    object.metadata!.annotations = {
      'ignore-check.cronguard.dev/security-context-restricted':
        'container=vendor; vendor image runs as root, VEND-12',
      'ignore-check.cronguard.dev/security-context-pod':
        'container=vendor; vendor image runs as root, VEND-12',
    };
    const result = run(restrictedPolicy, object);
    expect(findingsOf(result, 'security-context-restricted')).toEqual([]);
    expect(findingsOf(result, 'security-context-pod')).toEqual([]);
  });
});

const SECTION_RULES = new Set(
  BUILTIN_RULES.filter((rule) => rule.section === 'securityContext').map((rule) => rule.id),
);

/** The generated CronJob's pod template as a Pod: the API server defaults a Pod's requests from its limits. */
describe('on generated CronJobs and Pods', () => {
  it('is idempotent and gives the same answer in lint and in admission, in every mode', () => {
    const policySets = [
      fillPolicy,
      fillUsersPolicy,
      enforcePolicy,
      validatePolicy,
      readOnlyPolicy,
      restrictedPolicy,
    ];
    fc.assert(
      fc.property(
        cronJobArbitrary,
        fc.constantFrom(...policySets),
        fc.boolean(),
        (generated, policies, asPod) => {
          const object = asPod ? podFrom(generated) : generated;
          const authored = object as KubeObject;
          const ours = (result: Evaluation) =>
            result.findings.filter((f) => SECTION_RULES.has(f.ruleId));
          const first = run(policies, authored);
          const second = run(policies, first.mutated);
          expect(second.patch).toEqual([]);
          expect(ours(second)).toEqual(ours(first));
          const admitted = structuredClone(authored) as Record<string, unknown>;
          applyApiServerDefaults(admitted);
          const admission = run(policies, admitted);
          // Other sections' rules have their own lint/admission tests.
          expect(ours(admission)).toEqual(ours(first));
          const lintResult = structuredClone(first.mutated) as Record<string, unknown>;
          applyApiServerDefaults(lintResult);
          const admissionResult = structuredClone(admission.mutated) as Record<string, unknown>;
          applyApiServerDefaults(admissionResult);
          expect(admissionResult).toEqual(lintResult);
        },
      ),
      { numRuns: 300 },
    );
  });
});
