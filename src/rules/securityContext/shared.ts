import type { RuleContext } from '../../engine/context.js';
import { isPlainObject } from '../../k8s/types.js';
import type { ApplyMode } from '../../policy/types.js';
import { pointerToFieldPath, toPointer, type PointerSegment } from '../../util/json-pointer.js';

/** How the policy's securityContext section applies (`default` when the policy says nothing). */
export function applyModeOf(context: RuleContext): ApplyMode {
  return context.policy.spec.securityContext?.apply ?? 'default';
}

/**
 * JSON null decodes to a nil pointer in the API server, so a webhook sees an
 * explicit `null` exactly as an omitted field; lint must treat both alike.
 */
export function isUnset(value: unknown): value is undefined | null {
  return value === undefined || value === null;
}

/** A field path as people write it: `spec.jobTemplate.spec.template.spec.securityContext.runAsNonRoot`. */
export function fieldName(path: readonly PointerSegment[]): string {
  return pointerToFieldPath(toPointer(path));
}

/**
 * Where a finding about a missing field points: its parent. Always the parent, not
 * the nearest part that exists, because the API server creates parents (a Pod's
 * `resources.requests`, defaulted from its limits) and lint and admission must
 * point at the same place.
 */
export function parentOf(path: readonly PointerSegment[]): PointerSegment[] {
  return path.slice(0, -1);
}

export function show(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}

/**
 * Pods with `spec.os.name: windows`: the API server forbids the Linux-only
 * security fields there (seccompProfile, runAsUser, runAsGroup, fsGroup,
 * allowPrivilegeEscalation, capabilities, readOnlyRootFilesystem, privileged:
 * "cannot be set for a windows pod"), and Pod Security exempts such pods from the
 * seccomp, privilege-escalation and capabilities checks. runAsNonRoot is allowed.
 */
export function isWindowsPod(context: RuleContext): boolean {
  return context.read([...context.paths.podSpec, 'os', 'name']) === 'windows';
}

/**
 * A securityContext object, `{}` when it is unset (writes create it), or
 * undefined when it holds something that is not an object (writes would fail).
 */
export function securityContextAt(
  context: RuleContext,
  path: readonly PointerSegment[],
): Record<string, unknown> | undefined {
  const value = context.read(path);
  if (isUnset(value)) return {};
  return isPlainObject(value) ? value : undefined;
}

/** Reports a securityContext (or a part of it) that is not an object; nothing can be filled into it. */
export function reportNotAnObject(
  context: RuleContext,
  path: readonly PointerSegment[],
  container: string | undefined,
): void {
  context.report({
    path,
    message: `${fieldName(path)} must be an object, got ${show(context.read(path))}`,
    fix: `write ${fieldName(path)} as a mapping of fields, e.g. {runAsNonRoot: true}`,
    ...(container === undefined ? {} : { container }),
  });
}

/**
 * Writes one value the way the apply mode says: `default` only where the field is
 * unset (null included), `enforce` replacing what is there.
 */
export function applyValue(
  context: RuleContext,
  mode: 'default' | 'enforce',
  path: readonly PointerSegment[],
  value: unknown,
): void {
  const message = `set ${fieldName(path)} to ${show(value)} (${mode === 'default' ? 'policy default' : 'enforced by policy'})`;
  if (mode === 'default') context.fill(path, value, message, null);
  else context.enforce(path, value, message);
}

/** `ignore-check.cronguard.dev/<rule>: "container=NAME; reason"`, for fixes that suggest an exemption. */
export function exemptionHint(ruleId: string, container: string): string {
  return `ignore-check.cronguard.dev/${ruleId}: "container=${container}; <reason>"`;
}
