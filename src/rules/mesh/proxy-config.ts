import yaml from 'js-yaml';
import type { RuleContext } from '../../engine/context.js';
import { deepEqual } from '../../engine/patch.js';
import { isPlainObject } from '../../k8s/types.js';
import { validateProxyConfig } from '../../mesh/istio/validate.js';
import {
  annotationPath,
  fieldName,
  meshOf,
  PROXY_CONFIG_ANNOTATION,
  templateAnnotation,
} from './shared.js';

/** How the author wrote `proxy.istio.io/config`; a merge writes it back the same way. */
export type ProxyConfigFormat = 'json' | 'yaml';

export type ParsedProxyConfig =
  | { ok: true; config: Record<string, unknown>; format: ProxyConfigFormat; present: boolean }
  | { ok: false; problem: string };

/**
 * The annotation as Istio reads it: YAML or JSON of a ProxyConfig (JSON is
 * tried first because every JSON text is also YAML, and its format is kept).
 * Absent or blank: an empty config, written back as JSON.
 */
export function parseProxyConfigText(text: string | undefined): ParsedProxyConfig {
  if (text === undefined || text.trim() === '')
    return { ok: true, config: {}, format: 'json', present: text !== undefined };
  let format: ProxyConfigFormat = 'json';
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    format = 'yaml';
    try {
      value = yaml.load(text, { schema: yaml.CORE_SCHEMA });
    } catch (error) {
      const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
      return { ok: false, problem: `it is neither JSON nor YAML (${reason ?? 'parse error'})` };
    }
  }
  if (value === null || value === undefined) return { ok: true, config: {}, format, present: true };
  if (!isPlainObject(value))
    return { ok: false, problem: 'it is not a mapping of ProxyConfig fields' };
  return { ok: true, config: value, format, present: true };
}

export function formatProxyConfig(
  config: Record<string, unknown>,
  format: ProxyConfigFormat,
): string {
  return format === 'json'
    ? JSON.stringify(config)
    : yaml.dump(config, { schema: yaml.CORE_SCHEMA, lineWidth: -1, noRefs: true });
}

/**
 * `ours` merged into `theirs`: in `default` mode the author's fields win, in
 * `enforce` mode ours do. Nested objects (proxyMetadata) merge key by key the
 * same way. The author's key order is kept and new keys come after it, so the
 * text only changes when a field does.
 */
export function mergeProxyConfig(
  theirs: Record<string, unknown>,
  ours: Readonly<Record<string, unknown>>,
  oursWin: boolean,
): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...theirs };
  for (const [key, value] of Object.entries(ours)) {
    if (!Object.prototype.hasOwnProperty.call(theirs, key) || theirs[key] === null) {
      merged[key] = value;
      continue;
    }
    const existing = theirs[key];
    if (isPlainObject(existing) && isPlainObject(value)) {
      merged[key] = mergeProxyConfig(existing, value, oursWin);
    } else if (oursWin) {
      merged[key] = value;
    }
  }
  return merged;
}

/** What merging `fields` into the object's proxy.istio.io/config gives, or why it cannot. */
export type ProxyConfigPlan =
  | { kind: 'unchanged' }
  | { kind: 'write'; text: string; merged: Record<string, unknown> }
  | { kind: 'problem'; message: string; fix: string }
  /** Validate mode: fields whose value differs from the policy's. */
  | { kind: 'differs'; fields: string[] };

export function planProxyConfig(
  context: RuleContext,
  fields: Readonly<Record<string, unknown>>,
): ProxyConfigPlan {
  const name = fieldName(annotationPath(context, PROXY_CONFIG_ANNOTATION));
  const parsed = parseProxyConfigText(templateAnnotation(context, PROXY_CONFIG_ANNOTATION));
  if (!parsed.ok) {
    return {
      kind: 'problem',
      message: `cannot merge ${Object.keys(fields).join(', ')} into ${name}: ${parsed.problem}; the value was left as it is`,
      fix: `write ${name} as YAML or JSON of ProxyConfig fields, e.g. '{"holdApplicationUntilProxyStarts": true}'`,
    };
  }
  const mode = meshOf(context).apply;
  if (mode === 'validate') {
    // A field differs when enforcing it would change the author's config.
    const differing = Object.entries(fields)
      .filter(
        ([key, value]) =>
          !deepEqual(mergeProxyConfig(parsed.config, { [key]: value }, true), parsed.config),
      )
      .map(([key]) => key);
    return differing.length === 0 ? { kind: 'unchanged' } : { kind: 'differs', fields: differing };
  }
  const merged = mergeProxyConfig(parsed.config, fields, mode === 'enforce');
  if (parsed.present && deepEqual(merged, parsed.config)) return { kind: 'unchanged' };
  const errors = validateProxyConfig(merged);
  if (errors.length > 0) {
    return {
      kind: 'problem',
      message: `cronguard did not set ${name}: the merged ProxyConfig would be rejected by Istio's injector (${errors.join('; ')})`,
      fix: `correct ${name} or the policy's mesh.istio.proxyConfig`,
    };
  }
  return { kind: 'write', text: formatProxyConfig(merged, parsed.format), merged };
}

/** Mutate phase: writes the merge (never when it has a problem). */
export function applyProxyConfig(
  context: RuleContext,
  fields: Readonly<Record<string, unknown>>,
  why: string,
): void {
  const plan = planProxyConfig(context, fields);
  const path = annotationPath(context, PROXY_CONFIG_ANNOTATION);
  const current = templateAnnotation(context, PROXY_CONFIG_ANNOTATION);
  if (plan.kind === 'unchanged' && current !== undefined) {
    // Nothing to add, but this policy decides the annotation all the same: a
    // lower-priority policy must not merge into it on a second evaluation when
    // it could not on the first (reinvocation must be a no-op).
    context.enforce(path, current, 'unchanged');
    return;
  }
  if (plan.kind !== 'write') return;
  // Replacing the text is a merge, not an override of the author's fields, so
  // both modes write it; `fill` would keep the author's text and drop ours.
  context.enforce(
    path,
    plan.text,
    `merged ${JSON.stringify(fields)} into ${fieldName(path)} (${why})`,
  );
}

/** Validate phase: problems, and in validate mode the fields that differ. */
export function reportProxyConfig(
  context: RuleContext,
  fields: Readonly<Record<string, unknown>>,
  why: string,
): void {
  const plan = planProxyConfig(context, fields);
  const path = annotationPath(context, PROXY_CONFIG_ANNOTATION);
  if (plan.kind === 'problem') {
    context.report({ path, message: plan.message, fix: plan.fix });
  } else if (plan.kind === 'differs') {
    const wanted = Object.fromEntries(plan.fields.map((field) => [field, fields[field]]));
    context.report({
      path,
      message: `${fieldName(path)} does not set ${JSON.stringify(wanted)} (${why})`,
      fix: `add ${JSON.stringify(wanted)} to ${fieldName(path)}`,
    });
  }
}
