import type { RuleContext } from '../engine/context.js';
import { deepEqual } from '../engine/patch.js';
import type { FieldSetting } from '../policy/types.js';
import { pointerToFieldPath, toPointer, type PointerSegment } from '../util/json-pointer.js';

/** A field governed by a `FieldSetting` (`{default|enforce|validate: value, allowed, min, max, required}`). */
export interface SettingField {
  path: readonly PointerSegment[];
  /** What the API server fills in when the field is omitted (see k8s/api-defaults.ts). */
  apiDefault?: unknown;
  /** What an unset value means, for messages: "no deadline", "never deleted". */
  unsetMeaning?: string;
  type: 'integer' | 'string';
  container?: string;
}

function describe(field: SettingField): string {
  return pointerToFieldPath(toPointer(field.path));
}

/** Applies `default` and `enforce` modes. */
export function mutateSetting<T>(
  context: RuleContext,
  setting: FieldSetting<T> | undefined,
  field: SettingField,
): void {
  if (setting?.value === undefined) return;
  const name = describe(field);
  if (setting.mode === 'default') {
    context.fill(
      field.path,
      setting.value,
      `set ${name} to ${String(setting.value)} (policy default)`,
      field.apiDefault,
    );
  } else if (setting.mode === 'enforce') {
    context.enforce(
      field.path,
      setting.value,
      `set ${name} to ${String(setting.value)} (enforced by policy)`,
    );
  }
}

/**
 * Reports what the mutated object still gets wrong. The effective value of an
 * omitted field is the API server's default, so lint and admission agree.
 */
export function validateSetting<T>(
  context: RuleContext,
  setting: FieldSetting<T> | undefined,
  field: SettingField,
): void {
  if (setting === undefined) return;
  const name = describe(field);
  const written = context.read(field.path);
  const effective = written === undefined ? field.apiDefault : written;
  const container = field.container === undefined ? {} : { container: field.container };
  if (written !== undefined && !hasType(written, field.type)) {
    context.report({
      path: field.path,
      message: `${name} must be ${field.type === 'integer' ? 'a non-negative integer' : 'a string'}, got ${JSON.stringify(written)}`,
      fix: `write ${name} as ${field.type === 'integer' ? 'a number without quotes' : 'a string'}`,
      ...container,
    });
    return;
  }
  if (
    setting.mode === 'validate' &&
    setting.value !== undefined &&
    !deepEqual(effective, setting.value)
  ) {
    context.report({
      path: field.path,
      message: `${name} is ${show(effective, field)}; the policy requires ${String(setting.value)}`,
      fix: `set ${name}: ${String(setting.value)}`,
      ...container,
    });
  }
  if (setting.required === true && effective === undefined) {
    context.report({
      path: field.path,
      message: `${name} is not set (${field.unsetMeaning ?? 'required by policy'})`,
      fix: `set ${name}${setting.value !== undefined ? `, for example to ${String(setting.value)}` : ''}`,
      ...container,
    });
  }
  if (
    setting.allowed !== undefined &&
    effective !== undefined &&
    !setting.allowed.some((a) => deepEqual(a, effective))
  ) {
    context.report({
      path: field.path,
      message: `${name} is ${show(effective, field)}; allowed: ${setting.allowed.map(String).join(', ')}`,
      fix: `set ${name} to ${setting.allowed.map(String).join(' or ')}`,
      ...container,
    });
  }
  if (typeof effective === 'number') {
    if (setting.min !== undefined && effective < setting.min) {
      context.report({
        path: field.path,
        message: `${name} is ${effective}; the minimum is ${setting.min}`,
        fix: `set ${name} to at least ${setting.min}`,
        ...container,
      });
    }
    if (setting.max !== undefined && effective > setting.max) {
      context.report({
        path: field.path,
        message: `${name} is ${effective}; the maximum is ${setting.max}`,
        fix: `set ${name} to at most ${setting.max}`,
        ...container,
      });
    }
  } else if (effective === undefined && setting.max !== undefined) {
    context.report({
      path: field.path,
      message: `${name} is not set (${field.unsetMeaning ?? 'unbounded'}); the maximum is ${setting.max}`,
      fix: `set ${name} to at most ${setting.max}`,
      ...container,
    });
  }
}

function hasType(value: unknown, type: SettingField['type']): boolean {
  return type === 'integer'
    ? Number.isInteger(value) && (value as number) >= 0
    : typeof value === 'string';
}

function show(value: unknown, field: SettingField): string {
  if (value === undefined) return `not set (${field.unsetMeaning ?? 'unset'})`;
  return typeof value === 'string' ? value : JSON.stringify(value);
}
