/**
 * Pod Security Standards, re-implemented from Pod Security admission
 * (kubernetes/kubernetes staging/src/k8s.io/pod-security-admission/policy/check_*.go) at
 * the newest policy version, so cronguard can tell at CronJob admission or in CI what PSA
 * would only enforce later on the Pods (PSA only warns for workload templates).
 *
 * Behaviour copied from PSA on purpose:
 * - Containers are initContainers, containers and ephemeralContainers, in that order.
 * - Restricted = baseline + restricted checks, minus the baseline checks a restricted
 *   check overrides (hostPathVolumes by restrictedVolumes, seccompProfile_baseline by
 *   seccompProfile_restricted, capabilities_baseline by capabilities_restricted, procMount
 *   by procMount_restricted). A hostPath volume is therefore reported once, as
 *   restrictedVolumes, by `checkRestricted`; `checkBaseline` reports it as hostPathVolumes.
 * - Windows pods (`spec.os.name: windows`) skip allowPrivilegeEscalation,
 *   seccompProfile_restricted and capabilities_restricted; the API forbids those fields on
 *   Windows, so their absence cannot be held against the pod. No other check is skipped.
 * - Pods with `hostUsers: false` (user namespaces) skip runAsNonRoot and runAsUser, and the
 *   baseline procMount check. procMount_restricted still applies to them.
 * - `appArmorProfile` checks the pod/container field and the legacy
 *   `container.apparmor.security.beta.kubernetes.io/<container>` annotation, which PSA still
 *   reads.
 *
 * Where this differs from PSA, and why:
 * - PSA returns one aggregated message per check; here every offending field is its own
 *   violation with its own JSON pointer, so a linter can point at the line and a mutating
 *   webhook can patch the field.
 * - Objects come from untrusted YAML, not a typed PodSpec. The rules for wrong types:
 *   a field that should be an object (securityContext, capabilities, seccompProfile, ...)
 *   but is not is treated as absent; a scalar with the wrong type is never taken as the
 *   safe value (`privileged: "false"` and `allowPrivilegeEscalation: "false"` both fail);
 *   containers, volumes and ports that are not arrays, and entries in them that are not
 *   objects, are skipped (there is nothing to inspect); capabilities.add/drop and sysctls
 *   must be arrays or are violations, because they are what is being checked.
 * - A volume that names no source at all passes restrictedVolumes: the apiserver defaults
 *   it to emptyDir before PSA sees it.
 */
import { toPointer, type PointerSegment } from '../util/json-pointer.js';
import { isPlainObject } from './types.js';

export type PodSecurityLevel = 'baseline' | 'restricted';

/** PSA check IDs, spelled as PSA spells them. */
export type PodSecurityCheckId =
  | 'hostNamespaces'
  | 'privileged'
  | 'capabilities_baseline'
  | 'hostPathVolumes'
  | 'hostPorts'
  | 'appArmorProfile'
  | 'seLinuxOptions'
  | 'procMount'
  | 'seccompProfile_baseline'
  | 'sysctls'
  | 'windowsHostProcess'
  | 'hostProbesAndHostLifecycle'
  | 'restrictedVolumes'
  | 'allowPrivilegeEscalation'
  | 'runAsNonRoot'
  | 'runAsUser'
  | 'seccompProfile_restricted'
  | 'capabilities_restricted'
  | 'procMount_restricted';

export interface PodSecurityViolation {
  check: PodSecurityCheckId;
  level: PodSecurityLevel;
  /** RFC 6901 pointer of the offending field, or of the securityContext a required field is missing from. */
  path: string;
  /** Name of the container concerned, when there is one and it has a name. */
  container?: string;
  /** One line, in PSA's wording: `container "app" must set securityContext.allowPrivilegeEscalation=false`. */
  message: string;
  /** One line: what to write instead. */
  fix: string;
}

export interface PodSecurityCheckInfo {
  id: PodSecurityCheckId;
  level: PodSecurityLevel;
  description: string;
  /** Baseline checks this check replaces when the restricted level is evaluated. */
  overrides: readonly PodSecurityCheckId[];
}

export interface PodSecurityOptions {
  /** The pod (template) metadata; its annotations carry the legacy AppArmor profiles. */
  podMetadata?: unknown;
  /**
   * Where `podMetadata` lives, for annotation pointers. Defaults to the `metadata` sibling
   * of the pod spec (`.../template/spec` → `.../template/metadata`), which is where it is in
   * Pods and every pod template.
   */
  podMetadataPointer?: readonly PointerSegment[];
}

const ALLOWED_BASELINE_CAPABILITIES: ReadonlySet<string> = new Set([
  'AUDIT_WRITE',
  'CHOWN',
  'DAC_OVERRIDE',
  'FOWNER',
  'FSETID',
  'KILL',
  'MKNOD',
  'NET_BIND_SERVICE',
  'SETFCAP',
  'SETGID',
  'SETPCAP',
  'SETUID',
  'SYS_CHROOT',
]);

/** Namespaced sysctls PSA considers safe (policy version 1.37, the newest at the time of writing). */
const SAFE_SYSCTLS: ReadonlySet<string> = new Set([
  'kernel.shm_rmid_forced',
  'net.ipv4.ip_local_port_range',
  'net.ipv4.tcp_syncookies',
  'net.ipv4.ping_group_range',
  'net.ipv4.ip_unprivileged_port_start',
  'net.ipv4.ip_local_reserved_ports',
  'net.ipv4.tcp_keepalive_time',
  'net.ipv4.tcp_fin_timeout',
  'net.ipv4.tcp_keepalive_intvl',
  'net.ipv4.tcp_keepalive_probes',
  'net.ipv4.tcp_rmem',
  'net.ipv4.tcp_wmem',
  'net.ipv4.tcp_slow_start_after_idle',
  'net.ipv4.tcp_notsent_lowat',
]);

const RESTRICTED_ADDABLE_CAPABILITIES: ReadonlySet<string> = new Set(['NET_BIND_SERVICE']);

const ALLOWED_SELINUX_TYPES: ReadonlySet<string> = new Set([
  '',
  'container_t',
  'container_init_t',
  'container_kvm_t',
  'container_engine_t',
]);

const ALLOWED_PROFILE_TYPES: ReadonlySet<string> = new Set(['RuntimeDefault', 'Localhost']);

/** Volume sources restricted pods may use. */
const ALLOWED_VOLUME_SOURCES: readonly string[] = [
  'configMap',
  'csi',
  'downwardAPI',
  'emptyDir',
  'ephemeral',
  'image',
  'persistentVolumeClaim',
  'projected',
  'secret',
];

/** Every other VolumeSource field, so the message can name the offending type. */
const RESTRICTED_VOLUME_SOURCES: readonly string[] = [
  'hostPath',
  'gcePersistentDisk',
  'awsElasticBlockStore',
  'gitRepo',
  'nfs',
  'iscsi',
  'glusterfs',
  'rbd',
  'flexVolume',
  'cinder',
  'cephfs',
  'flocker',
  'fc',
  'azureFile',
  'vsphereVolume',
  'quobyte',
  'azureDisk',
  'photonPersistentDisk',
  'portworxVolume',
  'scaleIO',
  'storageos',
];

const APPARMOR_ANNOTATION_PREFIX = 'container.apparmor.security.beta.kubernetes.io/';
const CONTAINER_LISTS = ['initContainers', 'containers', 'ephemeralContainers'] as const;
const PROBES = ['livenessProbe', 'readinessProbe', 'startupProbe'] as const;
const LIFECYCLE_HANDLERS = ['postStart', 'preStop'] as const;
const HANDLER_ACTIONS = ['httpGet', 'tcpSocket'] as const;

interface ContainerView {
  pointer: readonly PointerSegment[];
  securityContextPointer: readonly PointerSegment[];
  name: string | undefined;
  /** `container "app"`, or `container containers[1]` when it has no usable name. */
  label: string;
  fields: Record<string, unknown>;
  securityContext: Record<string, unknown> | undefined;
}

interface PodView {
  spec: Record<string, unknown>;
  pointer: readonly PointerSegment[];
  securityContextPointer: readonly PointerSegment[];
  securityContext: Record<string, unknown> | undefined;
  containers: readonly ContainerView[];
  annotations: Record<string, unknown> | undefined;
  annotationsPointer: readonly PointerSegment[];
  isWindows: boolean;
  inUserNamespace: boolean;
}

type Report = (
  where: readonly PointerSegment[],
  message: string,
  fix: string,
  containerName?: string,
) => void;

/** The pod and each container, for checks that read the same field at both levels. */
interface SecurityContextSource {
  pointer: readonly PointerSegment[];
  label: string;
  context: Record<string, unknown> | undefined;
  containerName: string | undefined;
}

interface CheckDefinition extends PodSecurityCheckInfo {
  evaluate(pod: PodView, report: Report): void;
}

const CHECKS: readonly CheckDefinition[] = [
  {
    id: 'hostNamespaces',
    level: 'baseline',
    description: 'Pods must not share the host network, PID or IPC namespace.',
    overrides: [],
    evaluate: checkHostNamespaces,
  },
  {
    id: 'privileged',
    level: 'baseline',
    description: 'Containers must not run privileged.',
    overrides: [],
    evaluate: checkPrivileged,
  },
  {
    id: 'capabilities_baseline',
    level: 'baseline',
    description: 'Containers may only add capabilities from the default container runtime set.',
    overrides: [],
    evaluate: checkBaselineCapabilities,
  },
  {
    id: 'hostPathVolumes',
    level: 'baseline',
    description: 'Pods must not mount hostPath volumes.',
    overrides: [],
    evaluate: checkHostPathVolumes,
  },
  {
    id: 'hostPorts',
    level: 'baseline',
    description: 'Containers must not bind host ports.',
    overrides: [],
    evaluate: checkHostPorts,
  },
  {
    id: 'appArmorProfile',
    level: 'baseline',
    description: 'AppArmor profiles must be RuntimeDefault or Localhost, never Unconfined.',
    overrides: [],
    evaluate: checkAppArmor,
  },
  {
    id: 'seLinuxOptions',
    level: 'baseline',
    description: 'SELinux type must be a container type; SELinux user and role must not be set.',
    overrides: [],
    evaluate: checkSeLinuxOptions,
  },
  {
    id: 'procMount',
    level: 'baseline',
    description: 'Containers must keep the default /proc masks (relaxed for hostUsers: false).',
    overrides: [],
    evaluate: (pod, report) => {
      if (!pod.inUserNamespace) checkProcMountDefault(pod, report);
    },
  },
  {
    id: 'seccompProfile_baseline',
    level: 'baseline',
    description: 'Seccomp profiles, where set, must be RuntimeDefault or Localhost.',
    overrides: [],
    evaluate: checkBaselineSeccomp,
  },
  {
    id: 'sysctls',
    level: 'baseline',
    description: 'Pods may only set sysctls from the safe, namespaced set.',
    overrides: [],
    evaluate: checkSysctls,
  },
  {
    id: 'windowsHostProcess',
    level: 'baseline',
    description: 'Windows HostProcess containers are not allowed.',
    overrides: [],
    evaluate: checkWindowsHostProcess,
  },
  {
    id: 'hostProbesAndHostLifecycle',
    level: 'baseline',
    description: 'Probes and lifecycle hooks must not target another host.',
    overrides: [],
    evaluate: checkProbeAndLifecycleHosts,
  },
  {
    id: 'restrictedVolumes',
    level: 'restricted',
    description:
      'Volumes must be configMap, csi, downwardAPI, emptyDir, ephemeral, image, persistentVolumeClaim, projected or secret.',
    overrides: ['hostPathVolumes'],
    evaluate: checkRestrictedVolumes,
  },
  {
    id: 'allowPrivilegeEscalation',
    level: 'restricted',
    description: 'Containers must set allowPrivilegeEscalation: false (Windows pods exempt).',
    overrides: [],
    evaluate: checkAllowPrivilegeEscalation,
  },
  {
    id: 'runAsNonRoot',
    level: 'restricted',
    description:
      'Containers must run as non-root: runAsNonRoot: true on the pod or every container.',
    overrides: [],
    evaluate: checkRunAsNonRoot,
  },
  {
    id: 'runAsUser',
    level: 'restricted',
    description: 'Pod and containers must not set runAsUser: 0.',
    overrides: [],
    evaluate: checkRunAsUser,
  },
  {
    id: 'seccompProfile_restricted',
    level: 'restricted',
    description:
      'Seccomp must be RuntimeDefault or Localhost, set on the pod or every container (Windows pods exempt).',
    overrides: ['seccompProfile_baseline'],
    evaluate: checkRestrictedSeccomp,
  },
  {
    id: 'capabilities_restricted',
    level: 'restricted',
    description:
      'Containers must drop ALL capabilities and may add only NET_BIND_SERVICE (Windows pods exempt).',
    overrides: ['capabilities_baseline'],
    evaluate: checkRestrictedCapabilities,
  },
  {
    id: 'procMount_restricted',
    level: 'restricted',
    description: 'Containers must keep the default /proc masks, even with hostUsers: false.',
    overrides: ['procMount'],
    evaluate: checkProcMountDefault,
  },
];

function toInfo(check: CheckDefinition): PodSecurityCheckInfo {
  return {
    id: check.id,
    level: check.level,
    description: check.description,
    overrides: check.overrides,
  };
}

const OVERRIDDEN_AT_RESTRICTED: ReadonlySet<PodSecurityCheckId> = new Set(
  CHECKS.filter((check) => check.level === 'restricted').flatMap((check) => check.overrides),
);
const BASELINE_DEFINITIONS = CHECKS.filter((check) => check.level === 'baseline');
const RESTRICTED_DEFINITIONS = CHECKS.filter(
  (check) => check.level === 'restricted' || !OVERRIDDEN_AT_RESTRICTED.has(check.id),
);

/** The checks `checkBaseline` runs, for documentation. */
export const BASELINE_CHECKS: readonly PodSecurityCheckInfo[] = BASELINE_DEFINITIONS.map(toInfo);
/** The checks `checkRestricted` runs: baseline checks not overridden, then restricted checks. */
export const RESTRICTED_CHECKS: readonly PodSecurityCheckInfo[] =
  RESTRICTED_DEFINITIONS.map(toInfo);

/**
 * Everything the `restricted` Pod Security Standard (newest policy version) forbids in a
 * pod spec, one violation per offending field. `podSpecPointer` locates the spec in the
 * document being checked, e.g. ['spec', 'jobTemplate', 'spec', 'template', 'spec'].
 */
export function checkRestricted(
  podSpec: unknown,
  podSpecPointer: readonly PointerSegment[],
  options: PodSecurityOptions = {},
): PodSecurityViolation[] {
  return evaluateChecks(RESTRICTED_DEFINITIONS, podSpec, podSpecPointer, options);
}

/** Same as {@link checkRestricted} for the `baseline` standard. */
export function checkBaseline(
  podSpec: unknown,
  podSpecPointer: readonly PointerSegment[],
  options: PodSecurityOptions = {},
): PodSecurityViolation[] {
  return evaluateChecks(BASELINE_DEFINITIONS, podSpec, podSpecPointer, options);
}

function evaluateChecks(
  checks: readonly CheckDefinition[],
  podSpec: unknown,
  podSpecPointer: readonly PointerSegment[],
  options: PodSecurityOptions,
): PodSecurityViolation[] {
  const pod = viewPod(podSpec, podSpecPointer, options);
  const violations: PodSecurityViolation[] = [];
  for (const check of checks) {
    check.evaluate(pod, (where, message, fix, containerName) => {
      const violation: PodSecurityViolation = {
        check: check.id,
        level: check.level,
        path: toPointer(where),
        message,
        fix,
      };
      if (containerName !== undefined) violation.container = containerName;
      violations.push(violation);
    });
  }
  return violations;
}

function viewPod(
  podSpec: unknown,
  podSpecPointer: readonly PointerSegment[],
  options: PodSecurityOptions,
): PodView {
  // A spec that is not an object has nothing to check; treating it as empty keeps one code path.
  const spec = isPlainObject(podSpec) ? podSpec : {};
  const metadataPointer = options.podMetadataPointer ?? [
    ...podSpecPointer.slice(0, -1),
    'metadata',
  ];
  const metadata = isPlainObject(options.podMetadata) ? options.podMetadata : undefined;
  const os = objectOrUndefined(spec['os']);
  return {
    spec,
    pointer: podSpecPointer,
    securityContextPointer: [...podSpecPointer, 'securityContext'],
    securityContext: objectOrUndefined(spec['securityContext']),
    containers: viewContainers(spec, podSpecPointer),
    annotations: objectOrUndefined(metadata?.['annotations']),
    annotationsPointer: [...metadataPointer, 'annotations'],
    isWindows: os?.['name'] === 'windows',
    inUserNamespace: spec['hostUsers'] === false,
  };
}

function viewContainers(
  spec: Record<string, unknown>,
  podSpecPointer: readonly PointerSegment[],
): ContainerView[] {
  const views: ContainerView[] = [];
  for (const listName of CONTAINER_LISTS) {
    const list = spec[listName];
    if (!Array.isArray(list)) continue;
    list.forEach((entry: unknown, index) => {
      if (!isPlainObject(entry)) return;
      const pointer = [...podSpecPointer, listName, index];
      const rawName = entry['name'];
      const name = typeof rawName === 'string' && rawName !== '' ? rawName : undefined;
      views.push({
        pointer,
        securityContextPointer: [...pointer, 'securityContext'],
        name,
        label:
          name === undefined
            ? `container ${listName}[${index}]`
            : `container ${JSON.stringify(name)}`,
        fields: entry,
        securityContext: objectOrUndefined(entry['securityContext']),
      });
    });
  }
  return views;
}

// ---------------------------------------------------------------------------------------
// Baseline checks

function checkHostNamespaces(pod: PodView, report: Report): void {
  for (const field of ['hostNetwork', 'hostPID', 'hostIPC'] as const) {
    const value = pod.spec[field];
    if (isUnset(value) || value === false) continue;
    report(
      [...pod.pointer, field],
      `pod must not set ${describeSetting(field, value, 'false or unset')}`,
      `remove ${field} or set ${field}: false`,
    );
  }
}

function checkPrivileged(pod: PodView, report: Report): void {
  for (const container of pod.containers) {
    const value = container.securityContext?.['privileged'];
    if (isUnset(value) || value === false) continue;
    report(
      [...container.securityContextPointer, 'privileged'],
      `${container.label} must not set ${describeSetting('securityContext.privileged', value, 'false or unset')}`,
      `set securityContext.privileged: false in ${container.label}`,
      container.name,
    );
  }
}

function checkBaselineCapabilities(pod: PodView, report: Report): void {
  for (const container of pod.containers) {
    checkAddedCapabilities(
      container,
      report,
      ALLOWED_BASELINE_CAPABILITIES,
      'add only capabilities from the default runtime set',
    );
  }
}

function checkHostPathVolumes(pod: PodView, report: Report): void {
  forEachVolume(pod, (volume, where, label) => {
    if (isUnset(volume['hostPath'])) return;
    report(
      [...where, 'hostPath'],
      `${label} must not use hostPath`,
      `replace the hostPath source of ${label}`,
    );
  });
}

function checkHostPorts(pod: PodView, report: Report): void {
  for (const container of pod.containers) {
    const ports = container.fields['ports'];
    if (!Array.isArray(ports)) continue;
    ports.forEach((port: unknown, index) => {
      if (!isPlainObject(port)) return;
      const hostPort = port['hostPort'];
      if (isUnset(hostPort) || hostPort === 0) return;
      report(
        [...container.pointer, 'ports', index, 'hostPort'],
        `${container.label} must not set ports[${index}].hostPort (${describeValue(hostPort)})`,
        `remove ports[${index}].hostPort from ${container.label} and reach it through a Service`,
        container.name,
      );
    });
  }
}

function checkAppArmor(pod: PodView, report: Report): void {
  reportBadProfileType(pod, report, 'appArmorProfile', 'AppArmor');
  checkAppArmorAnnotations(pod, report);
}

function checkAppArmorAnnotations(pod: PodView, report: Report): void {
  if (pod.annotations === undefined) return;
  for (const [key, value] of Object.entries(pod.annotations)) {
    if (!key.startsWith(APPARMOR_ANNOTATION_PREFIX)) continue;
    if (typeof value === 'string' && isAllowedAppArmorAnnotation(value)) continue;
    const containerName = key.slice(APPARMOR_ANNOTATION_PREFIX.length);
    report(
      [...pod.annotationsPointer, key],
      `annotation ${key} must not set AppArmor profile ${describeValue(value)}`,
      `set annotation ${key} to "runtime/default" or "localhost/<profile>", or use securityContext.appArmorProfile`,
      containerName === '' ? undefined : containerName,
    );
  }
}

function isAllowedAppArmorAnnotation(value: string): boolean {
  return value === '' || value === 'runtime/default' || value.startsWith('localhost/');
}

function checkSeLinuxOptions(pod: PodView, report: Report): void {
  const sources = securityContextSources(pod);
  for (const source of sources) {
    const options = objectOrUndefined(source.context?.['seLinuxOptions']);
    if (options === undefined) continue;
    const where = [...source.pointer, 'seLinuxOptions'];
    const type = options['type'];
    if (!isUnset(type) && !(typeof type === 'string' && ALLOWED_SELINUX_TYPES.has(type))) {
      report(
        [...where, 'type'],
        `${source.label} must not set securityContext.seLinuxOptions.type to ${describeValue(type)}`,
        'set seLinuxOptions.type to container_t, container_init_t, container_kvm_t or container_engine_t, or remove it',
        source.containerName,
      );
    }
    for (const field of ['user', 'role'] as const) {
      const value = options[field];
      if (isUnset(value) || value === '') continue;
      report(
        [...where, field],
        `${source.label} must not set securityContext.seLinuxOptions.${field}`,
        `remove seLinuxOptions.${field} from ${source.label}`,
        source.containerName,
      );
    }
  }
}

function checkProcMountDefault(pod: PodView, report: Report): void {
  for (const container of pod.containers) {
    const value = container.securityContext?.['procMount'];
    if (isUnset(value) || value === 'Default') continue;
    report(
      [...container.securityContextPointer, 'procMount'],
      `${container.label} must not set securityContext.procMount to ${describeValue(value)}`,
      `remove securityContext.procMount from ${container.label} or set it to Default`,
      container.name,
    );
  }
}

function checkBaselineSeccomp(pod: PodView, report: Report): void {
  reportBadProfileType(pod, report, 'seccompProfile', 'seccomp');
}

function checkSysctls(pod: PodView, report: Report): void {
  const sysctls = pod.securityContext?.['sysctls'];
  if (isUnset(sysctls)) return;
  const where = [...pod.securityContextPointer, 'sysctls'];
  if (!Array.isArray(sysctls)) {
    report(
      where,
      `pod must set securityContext.sysctls to a list, not ${describeValue(sysctls)}`,
      'write securityContext.sysctls as a list of {name, value}',
    );
    return;
  }
  sysctls.forEach((sysctl: unknown, index) => {
    const name = isPlainObject(sysctl) ? sysctl['name'] : undefined;
    if (typeof name === 'string' && SAFE_SYSCTLS.has(name)) return;
    const hasName = isPlainObject(sysctl) && !isUnset(name);
    report(
      hasName ? [...where, index, 'name'] : [...where, index],
      hasName
        ? `pod must not set forbidden sysctl ${describeValue(name)}`
        : `pod must set securityContext.sysctls[${index}] to {name, value}, not ${describeValue(sysctl)}`,
      `remove sysctls[${index}]; only namespaced safe sysctls (e.g. net.ipv4.ip_local_port_range) are allowed`,
    );
  });
}

function checkWindowsHostProcess(pod: PodView, report: Report): void {
  const sources = securityContextSources(pod);
  for (const source of sources) {
    const windowsOptions = objectOrUndefined(source.context?.['windowsOptions']);
    const value = windowsOptions?.['hostProcess'];
    if (isUnset(value) || value === false) continue;
    report(
      [...source.pointer, 'windowsOptions', 'hostProcess'],
      `${source.label} must not set ${describeSetting('securityContext.windowsOptions.hostProcess', value, 'false or unset')}`,
      `remove securityContext.windowsOptions.hostProcess from ${source.label}`,
      source.containerName,
    );
  }
}

function checkProbeAndLifecycleHosts(pod: PodView, report: Report): void {
  for (const container of pod.containers) {
    const handlers: { path: PointerSegment[]; handler: unknown }[] = PROBES.map((probe) => ({
      path: [probe],
      handler: container.fields[probe],
    }));
    const lifecycle = objectOrUndefined(container.fields['lifecycle']);
    for (const hook of LIFECYCLE_HANDLERS)
      handlers.push({ path: ['lifecycle', hook], handler: lifecycle?.[hook] });

    for (const { path, handler } of handlers) {
      if (!isPlainObject(handler)) continue;
      for (const action of HANDLER_ACTIONS) {
        const host = objectOrUndefined(handler[action])?.['host'];
        if (isUnset(host) || host === '') continue;
        const fieldPath = [...path, action, 'host'];
        report(
          [...container.pointer, ...fieldPath],
          `${container.label} must not set ${fieldPath.join('.')} (${describeValue(host)})`,
          `remove ${fieldPath.join('.')} from ${container.label}; probes and hooks must target the pod itself`,
          container.name,
        );
      }
    }
  }
}

// ---------------------------------------------------------------------------------------
// Restricted checks

function checkRestrictedVolumes(pod: PodView, report: Report): void {
  forEachVolume(pod, (volume, where, label) => {
    if (ALLOWED_VOLUME_SOURCES.some((source) => !isUnset(volume[source]))) return;
    for (const source of RESTRICTED_VOLUME_SOURCES) {
      if (isUnset(volume[source])) continue;
      report(
        [...where, source],
        `${label} must not use restricted volume type "${source}"`,
        `replace the ${source} source of ${label} with a persistentVolumeClaim, configMap, secret, emptyDir or projected volume`,
      );
    }
  });
}

function checkAllowPrivilegeEscalation(pod: PodView, report: Report): void {
  if (pod.isWindows) return;
  for (const container of pod.containers) {
    const value = container.securityContext?.['allowPrivilegeEscalation'];
    if (value === false) continue;
    report(
      isUnset(value)
        ? container.securityContextPointer
        : [...container.securityContextPointer, 'allowPrivilegeEscalation'],
      `${container.label} must set securityContext.allowPrivilegeEscalation=false`,
      `set securityContext.allowPrivilegeEscalation: false in ${container.label}`,
      container.name,
    );
  }
}

function checkRunAsNonRoot(pod: PodView, report: Report): void {
  if (pod.inUserNamespace) return;
  const podValue = pod.securityContext?.['runAsNonRoot'];
  if (!isUnset(podValue) && podValue !== true) {
    report(
      [...pod.securityContextPointer, 'runAsNonRoot'],
      `pod must not set ${describeSetting('securityContext.runAsNonRoot', podValue, 'true')}`,
      'set securityContext.runAsNonRoot: true on the pod',
    );
  }
  const podRunsAsNonRoot = podValue === true;
  for (const container of pod.containers) {
    const value = container.securityContext?.['runAsNonRoot'];
    if (value === true || (isUnset(value) && podRunsAsNonRoot)) continue;
    if (isUnset(value)) {
      report(
        container.securityContextPointer,
        `pod or ${container.label} must set securityContext.runAsNonRoot=true`,
        `set securityContext.runAsNonRoot: true on the pod or in ${container.label}`,
        container.name,
      );
    } else {
      report(
        [...container.securityContextPointer, 'runAsNonRoot'],
        `${container.label} must not set ${describeSetting('securityContext.runAsNonRoot', value, 'true')}`,
        `set securityContext.runAsNonRoot: true in ${container.label}, or remove it to inherit the pod's true`,
        container.name,
      );
    }
  }
}

function checkRunAsUser(pod: PodView, report: Report): void {
  if (pod.inUserNamespace) return;
  const sources = securityContextSources(pod);
  for (const source of sources) {
    const value = source.context?.['runAsUser'];
    if (isUnset(value) || (Number.isInteger(value) && value !== 0)) continue;
    report(
      [...source.pointer, 'runAsUser'],
      value === 0
        ? `${source.label} must not set runAsUser=0`
        : `${source.label} must set runAsUser to a non-zero integer, not ${describeValue(value)}`,
      `set securityContext.runAsUser to a non-zero UID (e.g. 65532) in ${source.label}, or remove it`,
      source.containerName,
    );
  }
}

function checkRestrictedSeccomp(pod: PodView, report: Report): void {
  if (pod.isWindows) return;
  const podProfile = objectOrUndefined(pod.securityContext?.['seccompProfile']);
  const podHasValidProfile = podProfile !== undefined && isAllowedProfileType(podProfile['type']);
  reportBadProfileType(pod, report, 'seccompProfile', 'seccomp');
  for (const container of pod.containers) {
    const profile = objectOrUndefined(container.securityContext?.['seccompProfile']);
    if (profile !== undefined || podHasValidProfile) continue;
    report(
      container.securityContextPointer,
      `pod or ${container.label} must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost"`,
      'set securityContext.seccompProfile: {type: RuntimeDefault} on the pod',
      container.name,
    );
  }
}

function checkRestrictedCapabilities(pod: PodView, report: Report): void {
  if (pod.isWindows) return;
  for (const container of pod.containers) {
    const capabilities = objectOrUndefined(container.securityContext?.['capabilities']);
    const capabilitiesPointer = [...container.securityContextPointer, 'capabilities'];
    const dropped = capabilities?.['drop'];
    if (!Array.isArray(dropped) || !dropped.includes('ALL')) {
      report(
        isUnset(dropped) ? container.securityContextPointer : [...capabilitiesPointer, 'drop'],
        `${container.label} must set securityContext.capabilities.drop=["ALL"]`,
        `set securityContext.capabilities.drop: ["ALL"] in ${container.label}`,
        container.name,
      );
    }
    checkAddedCapabilities(
      container,
      report,
      RESTRICTED_ADDABLE_CAPABILITIES,
      'only NET_BIND_SERVICE may be added',
    );
  }
}

// ---------------------------------------------------------------------------------------
// Shared helpers

/**
 * Reports explicitly set profiles (`seccompProfile`, `appArmorProfile`) on the pod and its
 * containers whose type is not RuntimeDefault or Localhost. Unset profiles are fine here;
 * seccompProfile_restricted separately requires one.
 */
function reportBadProfileType(
  pod: PodView,
  report: Report,
  field: 'seccompProfile' | 'appArmorProfile',
  profileKind: string,
): void {
  const podProfile = objectOrUndefined(pod.securityContext?.[field]);
  if (podProfile !== undefined && !isAllowedProfileType(podProfile['type'])) {
    report(
      [...pod.securityContextPointer, field, 'type'],
      `pod must not set securityContext.${field}.type to ${describeValue(podProfile['type'])}`,
      `set securityContext.${field}.type to RuntimeDefault (or Localhost with a ${profileKind} profile) on the pod`,
    );
  }
  for (const container of pod.containers) {
    const profile = objectOrUndefined(container.securityContext?.[field]);
    if (profile === undefined || isAllowedProfileType(profile['type'])) continue;
    report(
      [...container.securityContextPointer, field, 'type'],
      `${container.label} must not set securityContext.${field}.type to ${describeValue(profile['type'])}`,
      `set securityContext.${field}.type to RuntimeDefault in ${container.label}, or remove it to inherit the pod's profile`,
      container.name,
    );
  }
}

function securityContextSources(pod: PodView): SecurityContextSource[] {
  return [
    {
      pointer: pod.securityContextPointer,
      label: 'pod',
      context: pod.securityContext,
      containerName: undefined,
    },
    ...pod.containers.map((container) => ({
      pointer: container.securityContextPointer,
      label: container.label,
      context: container.securityContext,
      containerName: container.name,
    })),
  ];
}

/** Reports capabilities.add entries outside `allowed`; an add that is not a list fails outright. */
function checkAddedCapabilities(
  container: ContainerView,
  report: Report,
  allowed: ReadonlySet<string>,
  rule: string,
): void {
  const capabilities = objectOrUndefined(container.securityContext?.['capabilities']);
  const added = capabilities?.['add'];
  if (isUnset(added)) return;
  const where = [...container.securityContextPointer, 'capabilities', 'add'];
  if (!Array.isArray(added)) {
    report(
      where,
      `${container.label} must set securityContext.capabilities.add to a list, not ${describeValue(added)}`,
      `write securityContext.capabilities.add as a list in ${container.label}; ${rule}`,
      container.name,
    );
    return;
  }
  const forbidden = added.filter((entry) => typeof entry !== 'string' || !allowed.has(entry));
  if (forbidden.length === 0) return;
  report(
    where,
    `${container.label} must not include ${describeList(forbidden)} in securityContext.capabilities.add`,
    `remove ${describeList(forbidden)} from securityContext.capabilities.add in ${container.label}; ${rule}`,
    container.name,
  );
}

function isAllowedProfileType(type: unknown): boolean {
  return typeof type === 'string' && ALLOWED_PROFILE_TYPES.has(type);
}

function forEachVolume(
  pod: PodView,
  visit: (volume: Record<string, unknown>, where: readonly PointerSegment[], label: string) => void,
): void {
  const volumes = pod.spec['volumes'];
  if (!Array.isArray(volumes)) return;
  volumes.forEach((volume: unknown, index) => {
    if (!isPlainObject(volume)) return;
    const name = volume['name'];
    const label =
      typeof name === 'string' && name !== ''
        ? `volume ${JSON.stringify(name)}`
        : `volume volumes[${index}]`;
    visit(volume, [...pod.pointer, 'volumes', index], label);
  });
}

function objectOrUndefined(value: unknown): Record<string, unknown> | undefined {
  return isPlainObject(value) ? value : undefined;
}

/** JSON null arrives as a nil pointer in PSA, exactly like an absent field. */
function isUnset(value: unknown): value is undefined | null {
  return value === undefined || value === null;
}

/** `hostNetwork=true`, or `hostNetwork to "yes" (allowed: false or unset)` for wrong types. */
function describeSetting(field: string, value: unknown, allowed: string): string {
  if (typeof value === 'boolean') return `${field}=${String(value)}`;
  return `${field} to ${describeValue(value)} (allowed: ${allowed})`;
}

function describeList(values: readonly unknown[]): string {
  return values.map(describeValue).join(', ');
}

/** A short, single-line rendering of an untrusted value for messages. */
function describeValue(value: unknown): string {
  if (value === undefined) return 'undefined';
  let text: string;
  try {
    text = JSON.stringify(value);
  } catch {
    text = typeof value;
  }
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
