import type { RuleContext } from '../../engine/context.js';
import { deepEqual } from '../../engine/patch.js';
import { isPlainObject } from '../../k8s/types.js';
import { type ContainerRef } from '../../k8s/workload.js';
import type { ApplyMode } from '../../policy/types.js';
import type { PointerSegment } from '../../util/json-pointer.js';
import type { Rule } from '../rule.js';
import {
  applyModeOf,
  applyValue,
  exemptionHint,
  parentOf,
  fieldName,
  isUnset,
  isWindowsPod,
  reportNotAnObject,
  securityContextAt,
  show,
} from './shared.js';

const RULE_ID = 'security-context-pod';

type PodField = 'runAsUser' | 'runAsGroup' | 'fsGroup' | 'runAsNonRoot' | 'seccompProfile';

const RUNTIME_DEFAULT = 'RuntimeDefault';
const ACCEPTED_SECCOMP_TYPES: readonly unknown[] = [RUNTIME_DEFAULT, 'Localhost'];

/** Deprecated seccomp annotations (Kubernetes < 1.19) the API server still checks against the fields. */
const POD_SECCOMP_ANNOTATION = 'seccomp.security.alpha.kubernetes.io/pod';
const CONTAINER_SECCOMP_ANNOTATION_PREFIX = 'container.seccomp.security.alpha.kubernetes.io/';
const RUNTIME_DEFAULT_ANNOTATION_VALUES: readonly unknown[] = ['runtime/default', 'docker/default'];

/** Where a value goes: the pod's securityContext, or one container's (when some containers are exempt). */
interface Target {
  path: readonly PointerSegment[];
  ref?: ContainerRef;
}

/** Why a value the policy asks for cannot be written without breaking the pod. */
interface Blocker {
  path: readonly PointerSegment[];
  message: string;
  fix: string;
  container?: string;
}

interface Change {
  field: PodField;
  target: Target;
  /** Path and value to write (for seccompProfile sometimes only `.type`). */
  path: readonly PointerSegment[];
  value: unknown;
  /** The value in force now: the target's own, or for a container the pod's it inherits. */
  effective: unknown;
  blockers: Blocker[];
}

interface FieldPlan {
  changes: Change[];
  /** securityContexts that are not objects, so nothing can be written into them. */
  malformed: Target[];
}

/** The fields this policy asks for, in write order: users first, so the runAsNonRoot check sees them. */
function wantedFields(context: RuleContext): Array<[PodField, unknown]> {
  const section = context.policy.spec.securityContext;
  if (section === undefined) return [];
  const windows = isWindowsPod(context);
  const wanted: Array<[PodField, unknown]> = [];
  if (!windows) {
    if (section.runAsUser !== undefined) wanted.push(['runAsUser', section.runAsUser]);
    if (section.runAsGroup !== undefined) wanted.push(['runAsGroup', section.runAsGroup]);
    if (section.fsGroup !== undefined) wanted.push(['fsGroup', section.fsGroup]);
  }
  wanted.push(['runAsNonRoot', true]);
  if (!windows) wanted.push(['seccompProfile', { type: RUNTIME_DEFAULT }]);
  return wanted;
}

function podSecurityContextPath(context: RuleContext): PointerSegment[] {
  return [...context.paths.podSpec, 'securityContext'];
}

/**
 * Pod-level fields apply to every container. When some containers are exempt from
 * this rule, writing the pod level would change them too (runAsNonRoot on a vendor
 * image that runs as root stops it from starting), so the values go into each
 * non-exempt container instead. fsGroup exists only on the pod (it sets volume
 * ownership) and always goes there.
 */
function targetsFor(context: RuleContext, field: PodField): Target[] {
  const podTarget: Target = { path: podSecurityContextPath(context) };
  if (field === 'fsGroup') return [podTarget];
  const all = context.allContainers();
  const subjects = context.containers();
  if (subjects.length === all.length) return [podTarget];
  return subjects.map((ref) => ({ path: [...ref.path, 'securityContext'], ref }));
}

function ownValue(
  context: RuleContext,
  securityContextPath: readonly PointerSegment[],
  field: string,
): unknown {
  const sc = securityContextAt(context, securityContextPath);
  const value = sc?.[field];
  return isUnset(value) ? undefined : value;
}

function needsChange(
  field: PodField,
  effective: unknown,
  value: unknown,
  mode: ApplyMode,
): boolean {
  if (field === 'seccompProfile') {
    if (mode === 'default')
      return effective === undefined || (isPlainObject(effective) && isUnset(effective.type));
    return !(isPlainObject(effective) && ACCEPTED_SECCOMP_TYPES.includes(effective.type));
  }
  if (mode === 'default') return effective === undefined;
  return !deepEqual(effective, value);
}

function planField(
  context: RuleContext,
  field: PodField,
  value: unknown,
  mode: ApplyMode,
): FieldPlan {
  const podPath = podSecurityContextPath(context);
  const plan: FieldPlan = { changes: [], malformed: [] };
  for (const target of targetsFor(context, field)) {
    const sc = securityContextAt(context, target.path);
    if (sc === undefined) {
      plan.malformed.push(target);
      continue;
    }
    const own = isUnset(sc[field]) ? undefined : sc[field];
    const effective =
      own ?? (target.ref === undefined ? undefined : ownValue(context, podPath, field));
    if (!needsChange(field, effective, value, mode)) continue;
    let path: readonly PointerSegment[] = [...target.path, field];
    let written = value;
    // Writing only `.type` into an existing profile keeps the patch minimal; a
    // profile that names a localhostProfile is replaced whole, because the API
    // server rejects localhostProfile with any type but Localhost.
    if (field === 'seccompProfile' && isPlainObject(own) && isUnset(own.localhostProfile)) {
      path = [...path, 'type'];
      written = RUNTIME_DEFAULT;
    }
    const blockers =
      field === 'runAsNonRoot'
        ? runAsNonRootBlockers(context, target)
        : field === 'seccompProfile'
          ? seccompBlockers(context, target, own, mode)
          : [];
    plan.changes.push({ field, target, path, value: written, effective, blockers });
  }
  return plan;
}

/**
 * runAsNonRoot: true makes the kubelet refuse a container whose user is root:
 * "container has runAsNonRoot and image will run as root" (or, on Windows, a
 * runAsUserName of ContainerAdministrator). Only containers that would inherit the
 * value matter: one that sets runAsNonRoot itself keeps its own.
 */
function runAsNonRootBlockers(context: RuleContext, target: Target): Blocker[] {
  const podPath = podSecurityContextPath(context);
  const affected =
    target.ref !== undefined
      ? [target.ref]
      : context
          .allContainers()
          .filter((ref) =>
            isUnset(ownValue(context, [...ref.path, 'securityContext'], 'runAsNonRoot')),
          );
  const blockers: Blocker[] = [];
  for (const ref of affected) {
    const containerPath = [...ref.path, 'securityContext'];
    const userSource =
      ownValue(context, containerPath, 'runAsUser') !== undefined ? containerPath : podPath;
    if (ownValue(context, userSource, 'runAsUser') === 0) {
      const userPath = [...userSource, 'runAsUser'];
      blockers.push({
        path: userPath,
        container: ref.name,
        message: `runAsNonRoot: true cannot be set because container "${ref.name}" runs as root (runAsUser: 0${userSource === podPath ? ', inherited from the pod' : ''}); the kubelet would refuse to start it with "container has runAsNonRoot and image will run as root"`,
        fix: `set ${fieldName(userPath)} to a non-zero user id the image can run as (e.g. 1000), or exempt the container with ${exemptionHint(RULE_ID, ref.name)}`,
      });
      continue;
    }
    const windowsSource =
      readWindowsUserName(context, containerPath) !== undefined ? containerPath : podPath;
    const userName = readWindowsUserName(context, windowsSource);
    if (typeof userName === 'string' && userName.toLowerCase() === 'containeradministrator') {
      const namePath = [...windowsSource, 'windowsOptions', 'runAsUserName'];
      blockers.push({
        path: namePath,
        container: ref.name,
        message: `runAsNonRoot: true cannot be set because container "${ref.name}" runs as ${userName} (windowsOptions.runAsUserName${windowsSource === podPath ? ', inherited from the pod' : ''}), which the kubelet treats as root and would refuse to start`,
        fix: `set ${fieldName(namePath)} to ContainerUser, or exempt the container with ${exemptionHint(RULE_ID, ref.name)}`,
      });
    }
  }
  return blockers;
}

function readWindowsUserName(
  context: RuleContext,
  securityContextPath: readonly PointerSegment[],
): unknown {
  const options = ownValue(context, securityContextPath, 'windowsOptions');
  if (!isPlainObject(options)) return undefined;
  return isUnset(options.runAsUserName) ? undefined : options.runAsUserName;
}

/**
 * The API server still validates the deprecated seccomp annotations against the
 * fields of a pod template ("seccomp type in annotation and field must match"), so
 * RuntimeDefault next to an `unconfined` or `localhost/...` annotation would get the
 * object rejected. A profile that has a localhostProfile but no type cannot take
 * RuntimeDefault either.
 */
function seccompBlockers(
  context: RuleContext,
  target: Target,
  own: unknown,
  mode: ApplyMode,
): Blocker[] {
  const blockers: Blocker[] = [];
  const profilePath = [...target.path, 'seccompProfile'];
  if (mode === 'default' && isPlainObject(own) && !isUnset(own.localhostProfile)) {
    blockers.push({
      path: profilePath,
      message: `${fieldName(profilePath)} has a localhostProfile but no type, so type RuntimeDefault cannot be filled in (the API server accepts localhostProfile only with type Localhost)`,
      fix: `set ${fieldName([...profilePath, 'type'])}: Localhost, or remove localhostProfile and set type: RuntimeDefault`,
      ...(target.ref === undefined ? {} : { container: target.ref.name }),
    });
  }
  const annotation =
    target.ref === undefined
      ? POD_SECCOMP_ANNOTATION
      : `${CONTAINER_SECCOMP_ANNOTATION_PREFIX}${target.ref.name}`;
  const annotationPath = [...context.paths.podTemplate, 'metadata', 'annotations', annotation];
  const annotationValue = context.read(annotationPath);
  if (
    annotationValue !== undefined &&
    !RUNTIME_DEFAULT_ANNOTATION_VALUES.includes(annotationValue)
  ) {
    blockers.push({
      path: annotationPath,
      message: `seccompProfile RuntimeDefault cannot be set because the pod template has the deprecated annotation ${annotation}: ${show(annotationValue)}, and the API server rejects a seccompProfile that does not match it`,
      fix: `remove the annotation ${annotation} (deprecated since Kubernetes 1.19) and set ${fieldName(profilePath)}.type: RuntimeDefault`,
      ...(target.ref === undefined ? {} : { container: target.ref.name }),
    });
  }
  return blockers;
}

function subjectOf(target: Target): string {
  return target.ref === undefined ? 'pod' : `container "${target.ref.name}"`;
}

function reportDifference(context: RuleContext, change: Change): void {
  const fieldPath = [...change.target.path, change.field];
  const now = change.effective === undefined ? 'is not set' : `is ${show(change.effective)}`;
  const required =
    change.field === 'seccompProfile'
      ? 'type RuntimeDefault or Localhost'
      : show(change.field === 'runAsNonRoot' ? true : change.value);
  const fix =
    change.field === 'seccompProfile'
      ? `set ${fieldName(fieldPath)}.type: RuntimeDefault`
      : `set ${fieldName(fieldPath)}: ${show(change.value)}`;
  context.report({
    path: change.effective === undefined ? parentOf(fieldPath) : fieldPath,
    message: `${subjectOf(change.target)} securityContext.${change.field} ${now}; the policy requires ${required}`,
    fix,
    ...(change.target.ref === undefined ? {} : { container: change.target.ref.name }),
  });
}

function reportBlockers(context: RuleContext, change: Change): void {
  for (const blocker of change.blockers) {
    context.report({
      path: blocker.path,
      message: blocker.message,
      fix: blocker.fix,
      ...(blocker.container === undefined ? {} : { container: blocker.container }),
    });
  }
}

export const securityContextPod: Rule = {
  id: RULE_ID,
  section: 'securityContext',
  title: 'Pod securityContext (restricted profile)',
  description:
    'Fills in, enforces or checks the pod-level securityContext that the Pod Security "restricted" profile needs: runAsNonRoot: true and seccompProfile RuntimeDefault (an existing Localhost profile is kept), plus runAsUser, runAsGroup and fsGroup when the policy sets them. runAsNonRoot is never set where a container runs as root (runAsUser: 0), because the kubelet would then refuse to start it; that is reported instead.',
  kinds: ['CronJob', 'Job', 'Pod'],
  enabled: (spec) => spec.securityContext !== undefined,
  mutate(context) {
    const mode = applyModeOf(context);
    if (mode === 'validate') return;
    // Field by field, so that the runAsNonRoot check sees the runAsUser just written.
    for (const [field, value] of wantedFields(context)) {
      for (const change of planField(context, field, value, mode).changes) {
        if (change.blockers.length === 0) applyValue(context, mode, change.path, change.value);
      }
    }
  },
  validate(context) {
    const mode = applyModeOf(context);
    const reportedMalformed = new Set<string>();
    for (const [field, value] of wantedFields(context)) {
      const plan = planField(context, field, value, mode);
      for (const target of plan.malformed) {
        const key = target.path.join('/');
        if (reportedMalformed.has(key)) continue;
        reportedMalformed.add(key);
        reportNotAnObject(context, target.path, target.ref?.name);
      }
      for (const change of plan.changes) {
        if (change.blockers.length > 0) reportBlockers(context, change);
        // Default and enforce modes wrote everything that was not blocked; what is
        // still different there was set by a higher-priority policy, which wins.
        else if (mode === 'validate') reportDifference(context, change);
      }
    }
  },
};
