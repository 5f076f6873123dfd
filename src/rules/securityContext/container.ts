import type { RuleContext } from '../../engine/context.js';
import { isPlainObject } from '../../k8s/types.js';
import type { ContainerRef } from '../../k8s/workload.js';
import type { ApplyMode } from '../../policy/types.js';
import type { PointerSegment } from '../../util/json-pointer.js';
import type { Rule } from '../rule.js';
import {
  applyModeOf,
  applyValue,
  parentOf,
  fieldName,
  isUnset,
  isWindowsPod,
  reportNotAnObject,
  securityContextAt,
  show,
} from './shared.js';

type ContainerField = 'allowPrivilegeEscalation' | 'capabilities.drop' | 'readOnlyRootFilesystem';

/** Capabilities the API server (and the runtime) treat as incompatible with allowPrivilegeEscalation: false. */
const SYS_ADMIN_NAMES: readonly unknown[] = ['SYS_ADMIN', 'CAP_SYS_ADMIN'];

interface Blocker {
  path: readonly PointerSegment[];
  message: string;
  fix: string;
}

interface Change {
  field: ContainerField;
  ref: ContainerRef;
  /** The field as people name it, for messages. */
  fieldPath: readonly PointerSegment[];
  path: readonly PointerSegment[];
  value: unknown;
  current: unknown;
  blockers: Blocker[];
}

interface ContainerPlan {
  changes: Change[];
  /** Objects that are not objects (securityContext, capabilities): nothing can be written there. */
  malformed: Array<readonly PointerSegment[]>;
  /** capabilities.drop holding something that is not a list. */
  badDrop?: readonly PointerSegment[];
}

function plainValue(value: unknown): unknown {
  return isUnset(value) ? undefined : value;
}

function planContainer(context: RuleContext, ref: ContainerRef, mode: ApplyMode): ContainerPlan {
  const plan: ContainerPlan = { changes: [], malformed: [] };
  const scPath = [...ref.path, 'securityContext'];
  const sc = securityContextAt(context, scPath);
  if (sc === undefined) {
    plan.malformed.push(scPath);
    return plan;
  }
  const escalation = planEscalation(ref, sc, mode);
  if (escalation !== undefined) plan.changes.push(escalation);
  planDrop(ref, sc, mode, plan);
  if (context.policy.spec.securityContext?.readOnlyRootFilesystem === true) {
    const path = [...scPath, 'readOnlyRootFilesystem'];
    const current = plainValue(sc.readOnlyRootFilesystem);
    if (mode === 'default' ? current === undefined : current !== true) {
      plan.changes.push({
        field: 'readOnlyRootFilesystem',
        ref,
        fieldPath: path,
        path,
        value: true,
        current,
        blockers: [],
      });
    }
  }
  return plan;
}

function planEscalation(
  ref: ContainerRef,
  sc: Record<string, unknown>,
  mode: ApplyMode,
): Change | undefined {
  const path = [...ref.path, 'securityContext', 'allowPrivilegeEscalation'];
  const current = plainValue(sc.allowPrivilegeEscalation);
  if (mode === 'default' ? current !== undefined : current === false) return undefined;
  return {
    field: 'allowPrivilegeEscalation',
    ref,
    fieldPath: path,
    path,
    value: false,
    current,
    blockers: escalationBlockers(ref, sc),
  };
}

function planDrop(
  ref: ContainerRef,
  sc: Record<string, unknown>,
  mode: ApplyMode,
  plan: ContainerPlan,
): void {
  const capsPath = [...ref.path, 'securityContext', 'capabilities'];
  const caps = plainValue(sc.capabilities);
  if (caps !== undefined && !isPlainObject(caps)) {
    plan.malformed.push(capsPath);
    return;
  }
  const dropPath = [...capsPath, 'drop'];
  const drop = caps === undefined ? undefined : plainValue(caps.drop);
  if (Array.isArray(drop) && drop.includes('ALL')) return;
  if (drop !== undefined && !Array.isArray(drop)) {
    plan.badDrop = dropPath;
    // Not "missing": default mode leaves it (and reports it); enforce replaces it.
    if (mode === 'default') return;
  }
  // Default mode keeps what the author dropped and appends ALL (one `add` in the
  // patch); enforce replaces the list, which ALL makes redundant anyway.
  const append = mode === 'default' && Array.isArray(drop);
  plan.changes.push({
    field: 'capabilities.drop',
    ref,
    fieldPath: dropPath,
    path: append ? [...dropPath, drop.length] : dropPath,
    value: append ? 'ALL' : ['ALL'],
    current: drop,
    blockers: [],
  });
}

/**
 * The API server rejects allowPrivilegeEscalation: false on a privileged container
 * and next to CAP_SYS_ADMIN ("cannot set `allowPrivilegeEscalation` to false and
 * `privileged` to true"); SYS_ADMIN is the same capability as the runtime sees it.
 * Filling it there would get the whole object refused, so the fill is skipped.
 */
function escalationBlockers(ref: ContainerRef, sc: Record<string, unknown>): Blocker[] {
  const blockers: Blocker[] = [];
  const scPath = [...ref.path, 'securityContext'];
  const capsPath = [...scPath, 'capabilities'];
  if (sc.privileged === true) {
    const path = [...scPath, 'privileged'];
    blockers.push({
      path,
      message: `container "${ref.name}" is privileged, so allowPrivilegeEscalation: false cannot be set (the API server rejects it together with privileged: true)`,
      fix: `remove ${fieldName(path)} (or set it to false), then set ${fieldName([...scPath, 'allowPrivilegeEscalation'])}: false`,
    });
  }
  const caps = sc.capabilities;
  const added = isPlainObject(caps) && Array.isArray(caps.add) ? (caps.add as unknown[]) : [];
  added.forEach((capability, index) => {
    if (!SYS_ADMIN_NAMES.includes(capability)) return;
    const path = [...capsPath, 'add', index];
    blockers.push({
      path,
      message: `container "${ref.name}" adds capability ${String(capability)}, so allowPrivilegeEscalation: false cannot be set (the API server rejects it together with CAP_SYS_ADMIN)`,
      fix: `remove ${String(capability)} from ${fieldName([...capsPath, 'add'])}, then set ${fieldName([...scPath, 'allowPrivilegeEscalation'])}: false`,
    });
  });
  return blockers;
}

function reportDifference(context: RuleContext, change: Change): void {
  const name = `container "${change.ref.name}" securityContext.${change.field}`;
  let message: string;
  let fix: string;
  if (change.field === 'capabilities.drop') {
    message =
      change.current === undefined
        ? `${name} is not set; the policy requires it to include ALL`
        : `${name} is ${show(change.current)}; the policy requires it to include ALL`;
    fix = Array.isArray(change.current)
      ? `add ALL to ${fieldName(change.fieldPath)}`
      : `set ${fieldName(change.fieldPath)}: [ALL]`;
  } else {
    message = `${name} ${change.current === undefined ? 'is not set' : `is ${show(change.current)}`}; the policy requires ${show(change.value)}`;
    fix = `set ${fieldName(change.fieldPath)}: ${show(change.value)}`;
  }
  const path = change.current === undefined ? parentOf(change.fieldPath) : change.fieldPath;
  context.report({ path, message, fix, container: change.ref.name });
}

export const securityContextContainer: Rule = {
  id: 'security-context-container',
  section: 'securityContext',
  title: 'Container securityContext (restricted profile)',
  description:
    'Fills in, enforces or checks what the Pod Security "restricted" profile needs on every container and init container: allowPrivilegeEscalation: false and capabilities.drop including ALL (appended to an existing drop list in default mode), and readOnlyRootFilesystem: true when the policy asks for it. allowPrivilegeEscalation is not set on privileged containers or next to SYS_ADMIN, which the API server would reject; that is reported instead. Windows pods are skipped: the API server forbids these fields there.',
  kinds: ['CronJob', 'Job', 'Pod'],
  enabled: (spec) => spec.securityContext !== undefined,
  mutate(context) {
    const mode = applyModeOf(context);
    if (mode === 'validate' || isWindowsPod(context)) return;
    for (const ref of context.containers()) {
      for (const change of planContainer(context, ref, mode).changes) {
        if (change.blockers.length === 0) applyValue(context, mode, change.path, change.value);
      }
    }
  },
  validate(context) {
    if (isWindowsPod(context)) return;
    const mode = applyModeOf(context);
    for (const ref of context.containers()) {
      const plan = planContainer(context, ref, mode);
      for (const path of plan.malformed) reportNotAnObject(context, path, ref.name);
      if (plan.badDrop !== undefined) {
        context.report({
          path: plan.badDrop,
          message: `container "${ref.name}" securityContext.capabilities.drop must be a list, got ${show(context.read(plan.badDrop))}`,
          fix: `write ${fieldName(plan.badDrop)} as a list, e.g. [ALL]`,
          container: ref.name,
        });
      }
      for (const change of plan.changes) {
        if (change.blockers.length > 0) {
          for (const blocker of change.blockers) {
            context.report({
              path: blocker.path,
              message: blocker.message,
              fix: blocker.fix,
              container: ref.name,
            });
          }
        } else if (
          mode === 'validate' &&
          !(change.field === 'capabilities.drop' && plan.badDrop !== undefined)
        ) {
          // Default and enforce modes wrote everything not blocked; anything still
          // different was written by a higher-priority policy, which wins.
          reportDifference(context, change);
        }
      }
    }
  },
};
