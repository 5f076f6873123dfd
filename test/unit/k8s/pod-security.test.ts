import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BASELINE_CHECKS,
  checkBaseline,
  checkRestricted,
  RESTRICTED_CHECKS,
  type PodSecurityViolation,
} from '../../../src/k8s/pod-security.js';

/** Where a CronJob keeps its pod spec. */
const POD_SPEC_POINTER = ['spec', 'jobTemplate', 'spec', 'template', 'spec'];
const SPEC = '/spec/jobTemplate/spec/template/spec';
const APP = `${SPEC}/containers/0`;

/**
 * The compliant spec's shape, so tests can edit it with type checking; fields a test sets
 * to a wrong type are `unknown`, and structural ones are replaced through `setField`.
 */
interface TestSecurityContext {
  [field: string]: unknown;
  capabilities: { drop?: unknown; add?: unknown };
}
interface TestContainer {
  [field: string]: unknown;
  securityContext: TestSecurityContext;
}
interface Spec {
  [field: string]: unknown;
  securityContext: Record<string, unknown>;
  containers: TestContainer[];
}

/** The minimal restricted-compliant spec from the reference notes. */
function compliantSpec(): Spec {
  return {
    securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
    containers: [compliantContainer('app')],
  };
}

function compliantContainer(name: string): TestContainer {
  return {
    name,
    image: 'ghcr.io/org/app:1.0',
    securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
  };
}

function specWith(mutate: (spec: Spec) => void): Spec {
  const spec = compliantSpec();
  mutate(spec);
  return spec;
}

function app(spec: Spec): TestContainer {
  return spec.containers[0]!;
}

/** Replaces a field with a value of any type, as untrusted YAML can. */
function setField(target: object, field: string, value: unknown): void {
  (target as Record<string, unknown>)[field] = value;
}

/** Reduced to what the tables assert: which check fired, where. */
function summarize(violations: PodSecurityViolation[]): { check: string; path: string }[] {
  return violations.map(({ check, path }) => ({ check, path }));
}

function restricted(spec: unknown, podMetadata?: unknown): { check: string; path: string }[] {
  return summarize(checkRestricted(spec, POD_SPEC_POINTER, { podMetadata }));
}

function baseline(spec: unknown, podMetadata?: unknown): { check: string; path: string }[] {
  return summarize(checkBaseline(spec, POD_SPEC_POINTER, { podMetadata }));
}

interface Case {
  name: string;
  spec: unknown;
  metadata?: unknown;
  expected: { check: string; path: string }[];
}

function table(cases: Case[], evaluate: typeof restricted): void {
  it.each(cases)('$name', ({ spec, metadata, expected }) => {
    expect(evaluate(spec, metadata)).toEqual(expected);
  });
}

describe('checkRestricted', () => {
  it('accepts the minimal compliant spec', () => {
    expect(checkRestricted(compliantSpec(), POD_SPEC_POINTER)).toEqual([]);
  });

  it('reports in PSA wording with a one-line fix', () => {
    const [violation, ...rest] = checkRestricted(
      specWith((s) => delete app(s).securityContext.allowPrivilegeEscalation),
      POD_SPEC_POINTER,
    );
    expect(rest).toEqual([]);
    expect(violation).toEqual({
      check: 'allowPrivilegeEscalation',
      level: 'restricted',
      path: `${APP}/securityContext`,
      container: 'app',
      message: 'container "app" must set securityContext.allowPrivilegeEscalation=false',
      fix: 'set securityContext.allowPrivilegeEscalation: false in container "app"',
    });
  });

  it('marks baseline checks with the baseline level', () => {
    const violations = checkRestricted(
      specWith((s) => (s.hostNetwork = true)),
      POD_SPEC_POINTER,
    );
    expect(violations.map((v) => [v.check, v.level, v.message])).toEqual([
      ['hostNamespaces', 'baseline', 'pod must not set hostNetwork=true'],
    ]);
  });

  describe('wrong types never crash and are never taken as safe', () => {
    table(
      [
        { name: 'pod spec null', spec: null, expected: [] },
        { name: 'pod spec string', spec: 'spec', expected: [] },
        {
          name: 'containers: null',
          spec: specWith((s) => {
            setField(s, 'containers', null);
          }),
          expected: [],
        },
        {
          name: 'containers: "app"',
          spec: specWith((s) => {
            setField(s, 'containers', 'app');
          }),
          expected: [],
        },
        {
          name: 'container entry that is not an object',
          spec: specWith((s) => {
            setField(s, 'containers', [...s.containers, 'sidecar', null, 42]);
          }),
          expected: [],
        },
        {
          name: 'securityContext: "yes" is treated as absent',
          spec: specWith((s) => {
            setField(app(s), 'securityContext', 'yes');
          }),
          expected: [
            { check: 'allowPrivilegeEscalation', path: `${APP}/securityContext` },
            { check: 'capabilities_restricted', path: `${APP}/securityContext` },
          ],
        },
        {
          name: 'pod securityContext: [] is treated as absent',
          spec: specWith((s) => {
            setField(s, 'securityContext', []);
          }),
          expected: [
            { check: 'runAsNonRoot', path: `${APP}/securityContext` },
            { check: 'seccompProfile_restricted', path: `${APP}/securityContext` },
          ],
        },
        {
          name: 'capabilities.drop: "ALL" as a string',
          spec: specWith((s) => (app(s).securityContext.capabilities.drop = 'ALL')),
          expected: [
            { check: 'capabilities_restricted', path: `${APP}/securityContext/capabilities/drop` },
          ],
        },
        {
          name: 'capabilities: "ALL" as a string',
          spec: specWith((s) => {
            setField(app(s).securityContext, 'capabilities', 'ALL');
          }),
          expected: [{ check: 'capabilities_restricted', path: `${APP}/securityContext` }],
        },
        {
          name: 'allowPrivilegeEscalation: "false" as a string',
          spec: specWith((s) => (app(s).securityContext.allowPrivilegeEscalation = 'false')),
          expected: [
            {
              check: 'allowPrivilegeEscalation',
              path: `${APP}/securityContext/allowPrivilegeEscalation`,
            },
          ],
        },
        {
          name: 'runAsNonRoot: "true" as a string on the pod',
          spec: specWith((s) => (s.securityContext.runAsNonRoot = 'true')),
          expected: [
            { check: 'runAsNonRoot', path: `${SPEC}/securityContext/runAsNonRoot` },
            { check: 'runAsNonRoot', path: `${APP}/securityContext` },
          ],
        },
        {
          name: 'privileged: "false" as a string',
          spec: specWith((s) => (app(s).securityContext.privileged = 'false')),
          expected: [{ check: 'privileged', path: `${APP}/securityContext/privileged` }],
        },
        {
          name: 'seccompProfile: "RuntimeDefault" as a string on the pod',
          spec: specWith((s) => (s.securityContext.seccompProfile = 'RuntimeDefault')),
          expected: [{ check: 'seccompProfile_restricted', path: `${APP}/securityContext` }],
        },
        {
          name: 'runAsUser: "1000" as a string',
          spec: specWith((s) => (app(s).securityContext.runAsUser = '1000')),
          expected: [{ check: 'runAsUser', path: `${APP}/securityContext/runAsUser` }],
        },
        {
          name: 'sysctls: "x" as a string',
          spec: specWith((s) => (s.securityContext.sysctls = 'x')),
          expected: [{ check: 'sysctls', path: `${SPEC}/securityContext/sysctls` }],
        },
        {
          name: 'volumes, ports and probes of the wrong type are skipped',
          spec: specWith((s) => {
            s.volumes = { data: { hostPath: { path: '/' } } };
            app(s).ports = '8080:80';
            app(s).livenessProbe = 'http://example.com';
          }),
          expected: [],
        },
        {
          name: 'null means unset, as in PSA',
          spec: specWith((s) => {
            s.hostNetwork = null;
            app(s).securityContext.privileged = null;
            app(s).securityContext.capabilities.add = null;
            app(s).securityContext.runAsNonRoot = null;
          }),
          expected: [],
        },
      ],
      restricted,
    );
  });

  describe('allowPrivilegeEscalation', () => {
    table(
      [
        {
          name: 'explicit true',
          spec: specWith((s) => (app(s).securityContext.allowPrivilegeEscalation = true)),
          expected: [
            {
              check: 'allowPrivilegeEscalation',
              path: `${APP}/securityContext/allowPrivilegeEscalation`,
            },
          ],
        },
        {
          name: 'every kind of container, in PSA order',
          spec: specWith((s) => {
            s.ephemeralContainers = [{ name: 'debug', securityContext: {} }];
            s.initContainers = [{ name: 'init' }];
            s.containers.push({
              name: 'sidecar',
              securityContext: { capabilities: { drop: ['ALL'] } },
            });
          }),
          expected: [
            { check: 'allowPrivilegeEscalation', path: `${SPEC}/initContainers/0/securityContext` },
            { check: 'allowPrivilegeEscalation', path: `${SPEC}/containers/1/securityContext` },
            {
              check: 'allowPrivilegeEscalation',
              path: `${SPEC}/ephemeralContainers/0/securityContext`,
            },
            { check: 'capabilities_restricted', path: `${SPEC}/initContainers/0/securityContext` },
            {
              check: 'capabilities_restricted',
              path: `${SPEC}/ephemeralContainers/0/securityContext`,
            },
          ],
        },
      ],
      restricted,
    );
  });

  describe('runAsNonRoot', () => {
    table(
      [
        {
          name: 'pod true covers a container that leaves it unset',
          spec: compliantSpec(),
          expected: [],
        },
        {
          name: 'container explicitly false fails even with pod true',
          spec: specWith((s) => (app(s).securityContext.runAsNonRoot = false)),
          expected: [{ check: 'runAsNonRoot', path: `${APP}/securityContext/runAsNonRoot` }],
        },
        {
          name: 'unset everywhere',
          spec: specWith((s) => delete s.securityContext.runAsNonRoot),
          expected: [{ check: 'runAsNonRoot', path: `${APP}/securityContext` }],
        },
        {
          name: 'unset on the pod, true on every container',
          spec: specWith((s) => {
            delete s.securityContext.runAsNonRoot;
            app(s).securityContext.runAsNonRoot = true;
          }),
          expected: [],
        },
        {
          name: 'pod false: the pod and the containers relying on it',
          spec: specWith((s) => {
            s.securityContext.runAsNonRoot = false;
            s.containers.push({
              ...compliantContainer('ok'),
              securityContext: { ...compliantContainer('ok').securityContext, runAsNonRoot: true },
            });
          }),
          expected: [
            { check: 'runAsNonRoot', path: `${SPEC}/securityContext/runAsNonRoot` },
            { check: 'runAsNonRoot', path: `${APP}/securityContext` },
          ],
        },
        {
          name: 'hostUsers: false relaxes runAsNonRoot and runAsUser',
          spec: specWith((s) => {
            s.hostUsers = false;
            s.securityContext.runAsNonRoot = false;
            s.securityContext.runAsUser = 0;
          }),
          expected: [],
        },
        {
          name: 'hostUsers: "false" as a string does not relax anything',
          spec: specWith((s) => {
            s.hostUsers = 'false';
            s.securityContext.runAsNonRoot = false;
          }),
          expected: [
            { check: 'runAsNonRoot', path: `${SPEC}/securityContext/runAsNonRoot` },
            { check: 'runAsNonRoot', path: `${APP}/securityContext` },
          ],
        },
      ],
      restricted,
    );
  });

  describe('runAsUser', () => {
    table(
      [
        {
          name: 'non-zero UIDs are fine',
          spec: specWith((s) => {
            s.securityContext.runAsUser = 1000;
            app(s).securityContext.runAsUser = 65532;
          }),
          expected: [],
        },
        {
          name: 'zero on the pod and a container',
          spec: specWith((s) => {
            s.securityContext.runAsUser = 0;
            app(s).securityContext.runAsUser = 0;
          }),
          expected: [
            { check: 'runAsUser', path: `${SPEC}/securityContext/runAsUser` },
            { check: 'runAsUser', path: `${APP}/securityContext/runAsUser` },
          ],
        },
      ],
      restricted,
    );
  });

  describe('seccompProfile_restricted', () => {
    table(
      [
        {
          name: 'unset on pod and container',
          spec: specWith((s) => delete s.securityContext.seccompProfile),
          expected: [{ check: 'seccompProfile_restricted', path: `${APP}/securityContext` }],
        },
        {
          name: 'Localhost on the pod',
          spec: specWith(
            (s) =>
              (s.securityContext.seccompProfile = {
                type: 'Localhost',
                localhostProfile: 'p.json',
              }),
          ),
          expected: [],
        },
        {
          name: 'set on the container only',
          spec: specWith((s) => {
            delete s.securityContext.seccompProfile;
            app(s).securityContext.seccompProfile = { type: 'RuntimeDefault' };
          }),
          expected: [],
        },
        {
          name: 'container Unconfined despite pod RuntimeDefault',
          spec: specWith((s) => (app(s).securityContext.seccompProfile = { type: 'Unconfined' })),
          expected: [
            {
              check: 'seccompProfile_restricted',
              path: `${APP}/securityContext/seccompProfile/type`,
            },
          ],
        },
        {
          name: 'pod Unconfined leaves unset containers uncovered',
          spec: specWith((s) => (s.securityContext.seccompProfile = { type: 'Unconfined' })),
          expected: [
            {
              check: 'seccompProfile_restricted',
              path: `${SPEC}/securityContext/seccompProfile/type`,
            },
            { check: 'seccompProfile_restricted', path: `${APP}/securityContext` },
          ],
        },
        {
          name: 'profile without a type',
          spec: specWith((s) => (s.securityContext.seccompProfile = {})),
          expected: [
            {
              check: 'seccompProfile_restricted',
              path: `${SPEC}/securityContext/seccompProfile/type`,
            },
            { check: 'seccompProfile_restricted', path: `${APP}/securityContext` },
          ],
        },
      ],
      restricted,
    );
  });

  describe('capabilities_restricted', () => {
    table(
      [
        {
          name: 'NET_BIND_SERVICE may be added',
          spec: specWith((s) => (app(s).securityContext.capabilities.add = ['NET_BIND_SERVICE'])),
          expected: [],
        },
        {
          name: 'ALL among other drops',
          spec: specWith((s) => (app(s).securityContext.capabilities.drop = ['NET_RAW', 'ALL'])),
          expected: [],
        },
        {
          name: 'lowercase "all" is not ALL',
          spec: specWith((s) => (app(s).securityContext.capabilities.drop = ['all'])),
          expected: [
            { check: 'capabilities_restricted', path: `${APP}/securityContext/capabilities/drop` },
          ],
        },
        {
          name: 'capabilities without drop',
          spec: specWith((s) => {
            setField(app(s).securityContext, 'capabilities', {});
          }),
          expected: [{ check: 'capabilities_restricted', path: `${APP}/securityContext` }],
        },
        {
          name: 'adding a baseline-allowed capability still fails restricted, reported once',
          spec: specWith((s) => (app(s).securityContext.capabilities.add = ['CHOWN'])),
          expected: [
            { check: 'capabilities_restricted', path: `${APP}/securityContext/capabilities/add` },
          ],
        },
        {
          name: 'add as a string',
          spec: specWith((s) => (app(s).securityContext.capabilities.add = 'NET_BIND_SERVICE')),
          expected: [
            { check: 'capabilities_restricted', path: `${APP}/securityContext/capabilities/add` },
          ],
        },
      ],
      restricted,
    );

    it('names the forbidden capabilities', () => {
      const [violation] = checkRestricted(
        specWith(
          (s) =>
            (app(s).securityContext.capabilities.add = [
              'SYS_ADMIN',
              'NET_BIND_SERVICE',
              'NET_RAW',
            ]),
        ),
        POD_SPEC_POINTER,
      );
      expect(violation?.message).toBe(
        'container "app" must not include "SYS_ADMIN", "NET_RAW" in securityContext.capabilities.add',
      );
    });
  });

  describe('Windows pods', () => {
    table(
      [
        {
          name: 'skip allowPrivilegeEscalation, seccomp and capabilities, not runAsNonRoot',
          spec: {
            os: { name: 'windows' },
            containers: [{ name: 'win', image: 'mcr.microsoft.com/windows/nanoserver:ltsc2022' }],
          },
          expected: [{ check: 'runAsNonRoot', path: `${SPEC}/containers/0/securityContext` }],
        },
        {
          name: 'still run baseline checks',
          spec: specWith((s) => {
            s.os = { name: 'windows' };
            setField(app(s), 'securityContext', { windowsOptions: { hostProcess: true } });
          }),
          expected: [
            {
              check: 'windowsHostProcess',
              path: `${APP}/securityContext/windowsOptions/hostProcess`,
            },
          ],
        },
        {
          name: 'os.name must be exactly "windows"',
          spec: {
            os: { name: 'Windows' },
            securityContext: { runAsNonRoot: true },
            containers: [{ name: 'win' }],
          },
          expected: [
            { check: 'allowPrivilegeEscalation', path: `${SPEC}/containers/0/securityContext` },
            { check: 'seccompProfile_restricted', path: `${SPEC}/containers/0/securityContext` },
            { check: 'capabilities_restricted', path: `${SPEC}/containers/0/securityContext` },
          ],
        },
      ],
      restricted,
    );
  });

  describe('restrictedVolumes', () => {
    table(
      [
        {
          name: 'every allowed volume type',
          spec: specWith(
            (s) =>
              (s.volumes = [
                { name: 'a', configMap: { name: 'cm' } },
                { name: 'b', secret: { secretName: 's' } },
                { name: 'c', emptyDir: {} },
                { name: 'd', persistentVolumeClaim: { claimName: 'pvc' } },
                { name: 'e', projected: { sources: [] } },
                { name: 'f', downwardAPI: { items: [] } },
                { name: 'g', csi: { driver: 'x' } },
                { name: 'h', ephemeral: { volumeClaimTemplate: {} } },
                { name: 'i', image: { reference: 'ghcr.io/org/data:1' } },
                { name: 'defaulted-to-emptyDir' },
              ]),
          ),
          expected: [],
        },
        {
          name: 'hostPath is reported once, as restrictedVolumes',
          spec: specWith((s) => (s.volumes = [{ name: 'root', hostPath: { path: '/' } }])),
          expected: [{ check: 'restrictedVolumes', path: `${SPEC}/volumes/0/hostPath` }],
        },
        {
          name: 'nfs and gitRepo',
          spec: specWith(
            (s) =>
              (s.volumes = [
                { name: 'ok', emptyDir: {} },
                { name: 'share', nfs: { server: 'nfs', path: '/' } },
                { name: 'src', gitRepo: { repository: 'https://example.com/r.git' } },
              ]),
          ),
          expected: [
            { check: 'restrictedVolumes', path: `${SPEC}/volumes/1/nfs` },
            { check: 'restrictedVolumes', path: `${SPEC}/volumes/2/gitRepo` },
          ],
        },
      ],
      restricted,
    );
  });

  describe('baseline checks under restricted', () => {
    table(
      [
        {
          name: 'host namespaces',
          spec: specWith((s) => {
            s.hostNetwork = true;
            s.hostPID = 'yes';
            s.hostIPC = false;
          }),
          expected: [
            { check: 'hostNamespaces', path: `${SPEC}/hostNetwork` },
            { check: 'hostNamespaces', path: `${SPEC}/hostPID` },
          ],
        },
        {
          name: 'privileged container',
          spec: specWith((s) => (app(s).securityContext.privileged = true)),
          expected: [{ check: 'privileged', path: `${APP}/securityContext/privileged` }],
        },
        {
          name: 'host ports (0 means none)',
          spec: specWith(
            (s) =>
              (app(s).ports = [
                { containerPort: 80, hostPort: 0 },
                { containerPort: 443, hostPort: 8443 },
              ]),
          ),
          expected: [{ check: 'hostPorts', path: `${APP}/ports/1/hostPort` }],
        },
        {
          name: 'AppArmor fields',
          spec: specWith((s) => {
            s.securityContext.appArmorProfile = { type: 'Unconfined' };
            app(s).securityContext.appArmorProfile = {
              type: 'Localhost',
              localhostProfile: 'k8s-app',
            };
            s.containers.push({
              ...compliantContainer('side'),
              securityContext: {
                ...compliantContainer('side').securityContext,
                appArmorProfile: { type: 'Unconfined' },
              },
            });
          }),
          expected: [
            { check: 'appArmorProfile', path: `${SPEC}/securityContext/appArmorProfile/type` },
            {
              check: 'appArmorProfile',
              path: `${SPEC}/containers/1/securityContext/appArmorProfile/type`,
            },
          ],
        },
        {
          name: 'legacy AppArmor annotations',
          spec: compliantSpec(),
          metadata: {
            annotations: {
              'container.apparmor.security.beta.kubernetes.io/app': 'unconfined',
              'container.apparmor.security.beta.kubernetes.io/a': 'runtime/default',
              'container.apparmor.security.beta.kubernetes.io/b': 'localhost/k8s-app',
              'container.apparmor.security.beta.kubernetes.io/c': '',
              'container.apparmor.security.beta.kubernetes.io/d': 42,
              'example.com/unrelated': 'unconfined',
            },
          },
          expected: [
            {
              check: 'appArmorProfile',
              path: '/spec/jobTemplate/spec/template/metadata/annotations/container.apparmor.security.beta.kubernetes.io~1app',
            },
            {
              check: 'appArmorProfile',
              path: '/spec/jobTemplate/spec/template/metadata/annotations/container.apparmor.security.beta.kubernetes.io~1d',
            },
          ],
        },
        {
          name: 'SELinux options',
          spec: specWith((s) => {
            s.securityContext.seLinuxOptions = { type: 'container_engine_t', level: 's0:c1,c2' };
            app(s).securityContext.seLinuxOptions = {
              type: 'spc_t',
              user: 'root',
              role: '',
            };
          }),
          expected: [
            { check: 'seLinuxOptions', path: `${APP}/securityContext/seLinuxOptions/type` },
            { check: 'seLinuxOptions', path: `${APP}/securityContext/seLinuxOptions/user` },
          ],
        },
        {
          name: 'procMount Unmasked, even with hostUsers: false',
          spec: specWith((s) => {
            s.hostUsers = false;
            app(s).securityContext.procMount = 'Unmasked';
          }),
          expected: [{ check: 'procMount_restricted', path: `${APP}/securityContext/procMount` }],
        },
        {
          name: 'procMount Default',
          spec: specWith((s) => (app(s).securityContext.procMount = 'Default')),
          expected: [],
        },
        {
          name: 'sysctls',
          spec: specWith(
            (s) =>
              (s.securityContext.sysctls = [
                { name: 'net.ipv4.ip_local_port_range', value: '1024 65535' },
                { name: 'kernel.msgmax', value: '65536' },
                { name: 'net.ipv4.tcp_notsent_lowat', value: '16384' },
                { value: '1' },
                'kernel.shm_rmid_forced',
              ]),
          ),
          expected: [
            { check: 'sysctls', path: `${SPEC}/securityContext/sysctls/1/name` },
            { check: 'sysctls', path: `${SPEC}/securityContext/sysctls/3` },
            { check: 'sysctls', path: `${SPEC}/securityContext/sysctls/4` },
          ],
        },
        {
          name: 'Windows HostProcess on the pod',
          spec: specWith((s) => (s.securityContext.windowsOptions = { hostProcess: true })),
          expected: [
            {
              check: 'windowsHostProcess',
              path: `${SPEC}/securityContext/windowsOptions/hostProcess`,
            },
          ],
        },
        {
          name: 'probe and lifecycle hosts',
          spec: specWith((s) => {
            Object.assign(app(s), {
              livenessProbe: { httpGet: { host: 'metadata.internal', path: '/', port: 80 } },
              readinessProbe: { tcpSocket: { host: '', port: 80 } },
              startupProbe: { exec: { command: ['true'] } },
              lifecycle: { preStop: { tcpSocket: { host: '10.0.0.1', port: 22 } } },
            });
          }),
          expected: [
            { check: 'hostProbesAndHostLifecycle', path: `${APP}/livenessProbe/httpGet/host` },
            {
              check: 'hostProbesAndHostLifecycle',
              path: `${APP}/lifecycle/preStop/tcpSocket/host`,
            },
          ],
        },
      ],
      restricted,
    );
  });

  it('labels unnamed containers by position and leaves `container` out', () => {
    const [violation] = checkRestricted(
      { containers: [{ securityContext: { capabilities: { drop: ['ALL'] } } }] },
      POD_SPEC_POINTER,
    );
    expect(violation).toBeDefined();
    expect(violation).not.toHaveProperty('container');
    expect(violation?.message).toBe(
      'container containers[0] must set securityContext.allowPrivilegeEscalation=false',
    );
  });

  it('uses an explicit metadata pointer for annotations', () => {
    const [violation] = checkRestricted(compliantSpec(), ['spec'], {
      podMetadata: {
        annotations: { 'container.apparmor.security.beta.kubernetes.io/app': 'unconfined' },
      },
      podMetadataPointer: ['metadata'],
    });
    expect(violation?.path).toBe(
      '/metadata/annotations/container.apparmor.security.beta.kubernetes.io~1app',
    );
    expect(violation?.container).toBe('app');
  });

  it('never throws on arbitrary JSON and keeps messages on one line', () => {
    const anyValue = fc.jsonValue({ maxDepth: 3 });
    const container = fc.record(
      {
        name: fc.oneof(fc.string(), anyValue),
        securityContext: fc.oneof(
          anyValue,
          fc.record(
            {
              allowPrivilegeEscalation: anyValue,
              runAsNonRoot: anyValue,
              runAsUser: anyValue,
              privileged: anyValue,
              procMount: anyValue,
              capabilities: fc.oneof(anyValue, fc.record({ add: anyValue, drop: anyValue })),
              seccompProfile: fc.oneof(anyValue, fc.record({ type: anyValue })),
              seLinuxOptions: fc.oneof(anyValue, fc.record({ type: anyValue, user: anyValue })),
            },
            { requiredKeys: [] },
          ),
        ),
        ports: fc.oneof(anyValue, fc.array(fc.record({ hostPort: anyValue }))),
        livenessProbe: fc.oneof(anyValue, fc.record({ httpGet: fc.record({ host: anyValue }) })),
      },
      { requiredKeys: [] },
    );
    const podSpec = fc.record(
      {
        hostNetwork: anyValue,
        hostUsers: anyValue,
        os: anyValue,
        securityContext: fc.oneof(
          anyValue,
          fc.record({ runAsNonRoot: anyValue, sysctls: anyValue }, { requiredKeys: [] }),
        ),
        containers: fc.oneof(anyValue, fc.array(fc.oneof(container, anyValue), { maxLength: 3 })),
        initContainers: fc.array(container, { maxLength: 2 }),
        volumes: fc.oneof(anyValue, fc.array(fc.dictionary(fc.string(), anyValue))),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(podSpec, anyValue, (spec, annotations) => {
        const violations = [
          ...checkRestricted(spec, POD_SPEC_POINTER, { podMetadata: { annotations } }),
          ...checkBaseline(spec, POD_SPEC_POINTER, { podMetadata: { annotations } }),
        ];
        for (const violation of violations) {
          expect(violation.message).not.toMatch(/[\r\n]/);
          expect(violation.fix).not.toMatch(/[\r\n]/);
          expect(violation.path.startsWith('/')).toBe(true);
        }
      }),
    );
  });
});

describe('checkBaseline', () => {
  table(
    [
      {
        name: 'a pod that is baseline but not restricted passes',
        spec: { containers: [{ name: 'app', image: 'nginx' }] },
        expected: [],
      },
      {
        name: 'hostPath is reported as hostPathVolumes; other volume types are fine',
        spec: {
          containers: [{ name: 'app' }],
          volumes: [
            { name: 'share', nfs: { server: 'nfs', path: '/' } },
            { name: 'root', hostPath: { path: '/' } },
          ],
        },
        expected: [{ check: 'hostPathVolumes', path: `${SPEC}/volumes/1/hostPath` }],
      },
      {
        name: 'capabilities from the default set may be added',
        spec: {
          containers: [
            {
              name: 'ok',
              securityContext: { capabilities: { add: ['CHOWN', 'NET_BIND_SERVICE'] } },
            },
            { name: 'bad', securityContext: { capabilities: { add: ['CHOWN', 'SYS_ADMIN'] } } },
          ],
        },
        expected: [
          {
            check: 'capabilities_baseline',
            path: `${SPEC}/containers/1/securityContext/capabilities/add`,
          },
        ],
      },
      {
        name: 'seccomp may be unset but not Unconfined',
        spec: {
          securityContext: { seccompProfile: { type: 'Unconfined' } },
          containers: [
            { name: 'a' },
            { name: 'b', securityContext: { seccompProfile: { type: 'RuntimeDefault' } } },
          ],
        },
        expected: [
          {
            check: 'seccompProfile_baseline',
            path: `${SPEC}/securityContext/seccompProfile/type`,
          },
        ],
      },
      {
        name: 'procMount Unmasked fails',
        spec: { containers: [{ name: 'app', securityContext: { procMount: 'Unmasked' } }] },
        expected: [{ check: 'procMount', path: `${APP}/securityContext/procMount` }],
      },
      {
        name: 'procMount Unmasked is allowed with hostUsers: false',
        spec: {
          hostUsers: false,
          containers: [{ name: 'app', securityContext: { procMount: 'Unmasked' } }],
        },
        expected: [],
      },
    ],
    baseline,
  );

  it('only reports baseline-level violations', () => {
    const violations = checkBaseline(
      { hostPID: true, containers: [{ name: 'app', securityContext: { privileged: true } }] },
      POD_SPEC_POINTER,
    );
    expect(violations.map((v) => [v.check, v.level])).toEqual([
      ['hostNamespaces', 'baseline'],
      ['privileged', 'baseline'],
    ]);
  });
});

describe('check metadata', () => {
  it('lists the restricted checks without the baseline checks they override', () => {
    const ids = RESTRICTED_CHECKS.map((check) => check.id);
    expect(ids).toEqual([
      'hostNamespaces',
      'privileged',
      'hostPorts',
      'appArmorProfile',
      'seLinuxOptions',
      'sysctls',
      'windowsHostProcess',
      'hostProbesAndHostLifecycle',
      'restrictedVolumes',
      'allowPrivilegeEscalation',
      'runAsNonRoot',
      'runAsUser',
      'seccompProfile_restricted',
      'capabilities_restricted',
      'procMount_restricted',
    ]);
    for (const check of RESTRICTED_CHECKS) {
      expect(check.description).not.toMatch(/\n/);
      expect(check.description.length).toBeGreaterThan(0);
    }
  });

  it('lists every baseline check once', () => {
    expect(BASELINE_CHECKS.map((check) => check.id)).toEqual([
      'hostNamespaces',
      'privileged',
      'capabilities_baseline',
      'hostPathVolumes',
      'hostPorts',
      'appArmorProfile',
      'seLinuxOptions',
      'procMount',
      'seccompProfile_baseline',
      'sysctls',
      'windowsHostProcess',
      'hostProbesAndHostLifecycle',
    ]);
    expect(BASELINE_CHECKS.every((check) => check.level === 'baseline')).toBe(true);
  });
});
