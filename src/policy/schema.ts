import type { AnySchemaObject, ErrorObject, SchemaObject } from 'ajv';
import { parsePointer, pointerToFieldPath, toPointer } from '../util/json-pointer.js';
import { validate as precompiledValidator } from './generated/policy-validator.js';
import {
  keysOfAtMostOneOf,
  PATTERN_DESCRIPTIONS,
  REJECTED_VALUE_HINTS,
} from './schema-definition.js';

export {
  ACTIONS,
  APPLY_MODES,
  atMostOneOf,
  keysOfAtMostOneOf,
  OPERATIONS,
  PATTERN_DESCRIPTIONS,
  POLICY_LIMITS,
  POLICY_SCHEMA,
  PROBE_HANDLERS,
  REJECTED_VALUE_HINTS,
  REQUIRED_RESOURCE_FIELDS,
  RESOURCE_NAMES,
  RULE_ACTIONS,
  WEEKDAYS,
} from './schema-definition.js';

/**
 * Validates the YAML form of one policy (`POLICY_SCHEMA`, in
 * `schema-definition.ts`). The errors carry `parentSchema` and `data`
 * (verbose) so messages can be built from the schema instead of ajv's wording.
 *
 * Compiling the schema with ajv at startup took about 300 ms, so the validator
 * is compiled at build time instead: `scripts/generate-policy-validator.mjs`
 * writes ajv's standalone code to `generated/policy-validator.js` (run by
 * `npm run build`), and `test/unit/policy/validator-integrity.test.ts` fails
 * when that file no longer matches the schema.
 */
export const validatePolicyDocument = precompiledValidator;

/** One schema problem in plain words, at the RFC 6901 pointer it is about. */
export interface SchemaProblem {
  pointer: string;
  message: string;
}

/**
 * Turns ajv's errors for one document into one message per problem, worded
 * from the schema: `spec.job.backoffLimit.max: expected an integer >= 0, got "six"`.
 *
 * ajv reports a failed `oneOf` as one error per branch plus one for the
 * `oneOf` itself, and a value that breaks several keywords (type and pattern,
 * say) once per keyword; a reader wants one sentence per place, so errors are
 * collapsed per composite and per location. Unknown and missing fields are the
 * exception: each key gets its own message, pointed at that key.
 */
export function explainSchemaErrors(errors: readonly ErrorObject[]): SchemaProblem[] {
  const problems: SchemaProblem[] = [];
  const seen = new Set<string>();
  const add = (pointer: string, message: string): void => {
    const key = `${pointer}\u0000${message}`;
    if (seen.has(key)) return;
    seen.add(key);
    problems.push({ pointer, message });
  };

  // A value of the wrong type fails its composites too; the type error alone explains it.
  const wrongType = new Set(
    errors.filter((error) => error.keyword === 'type').map((error) => error.instancePath),
  );
  const composites = errors.filter(
    (error) => error.keyword === 'oneOf' || error.keyword === 'anyOf',
  );
  const byLocation = new Map<string, ErrorObject[]>();
  for (const error of errors) {
    const composite = enclosingComposite(error, composites);
    if (composite !== undefined) {
      if (composite === error && !wrongType.has(error.instancePath)) {
        add(error.instancePath, explainComposite(error));
      }
      continue;
    }
    const group = byLocation.get(error.instancePath) ?? [];
    group.push(error);
    byLocation.set(error.instancePath, group);
  }

  for (const [pointer, group] of byLocation) explainLocation(pointer, group, add);
  return problems;
}

/**
 * The messages for the errors at one location: one per unknown or missing
 * key (pointed at that key), and one for everything else wrong with the value.
 */
function explainLocation(
  pointer: string,
  group: readonly ErrorObject[],
  add: (pointer: string, message: string) => void,
): void {
  const field = fieldName(pointer);
  const hasUnknownFields = group.some((error) => error.keyword === 'additionalProperties');
  const rest: ErrorObject[] = [];
  for (const error of group) {
    if (error.keyword === 'additionalProperties') {
      const key = String(error.params.additionalProperty);
      add(childPointer(pointer, key), explainUnknownField(pointer, key, error));
    } else if (error.keyword === 'required') {
      const key = String(error.params.missingProperty);
      const properties = (error.parentSchema?.properties ?? {}) as Record<string, SchemaObject>;
      const expected = properties[key] === undefined ? '' : `: ${describeSchema(properties[key])}`;
      add(
        childPointer(pointer, key),
        `${fieldName(childPointer(pointer, key))}: required${expected}`,
      );
    } else if (error.keyword === 'not') {
      const keys = keysOfAtMostOneOf(error.schema);
      const rule =
        keys === undefined ? 'not allowed here' : `set at most one of ${keys.join(', ')}`;
      add(pointer, `${field}: ${rule}`);
    } else if (error.keyword === 'minProperties' && isObjectSchema(error.parentSchema)) {
      const keys = Object.keys(error.parentSchema.properties ?? {});
      add(pointer, `${field}: set at least one of ${keys.join(', ')}`);
    } else if (!(error.keyword === 'maxProperties' && hasUnknownFields)) {
      // (A maxProperties error next to unknown fields is the same problem: an object that must stay empty.)
      rest.push(error);
    }
  }
  const primary = mostTellingError(rest);
  if (primary !== undefined) add(pointer, `${field}: ${explainValueError(primary)}`);
}

/**
 * The outermost `oneOf`/`anyOf` error whose branches produced `error`, if any:
 * the same composite in the schema, failing at the same value or one inside it
 * (list items share schema paths, so the schema path alone is not enough).
 */
function enclosingComposite(
  error: ErrorObject,
  composites: readonly ErrorObject[],
): ErrorObject | undefined {
  let outermost: ErrorObject | undefined;
  for (const composite of composites) {
    const inside =
      isSameOrInside(error.schemaPath, composite.schemaPath) &&
      isSameOrInside(error.instancePath, composite.instancePath);
    if (
      inside &&
      (outermost === undefined || composite.schemaPath.length < outermost.schemaPath.length)
    ) {
      outermost = composite;
    }
  }
  return outermost;
}

function isSameOrInside(path: string, ancestor: string): boolean {
  return path === ancestor || path.startsWith(ancestor + '/');
}

function explainComposite(error: ErrorObject): string {
  const field = fieldName(error.instancePath);
  const branches = (error.schema ?? []) as SchemaObject[];
  const singleKeys = branches.map((branch) =>
    Array.isArray(branch.required) && branch.required.length === 1
      ? String(branch.required[0])
      : undefined,
  );
  if (singleKeys.every((key) => key !== undefined)) {
    const quantifier = error.keyword === 'oneOf' ? 'exactly one' : 'at least one';
    return `${field}: set ${quantifier} of ${singleKeys.join(', ')}`;
  }
  const alternatives = branches.map((branch) => describeSchema(branch)).join(' or ');
  return `${field}: expected ${alternatives}, got ${describeValue(error.data)}`;
}

function explainUnknownField(pointer: string, key: string, error: ErrorObject): string {
  const field = fieldName(childPointer(pointer, key));
  const parent = error.parentSchema ?? {};
  const known = Object.keys((parent.properties ?? {}) as Record<string, unknown>);
  if (known.length === 0) {
    // An object that takes no fields at all (a reserved section): its description says why.
    const why =
      typeof parent.description === 'string'
        ? `: ${lowerFirst(parent.description).replace(/\.$/, '')}`
        : '';
    return `${field}: unknown field${why}`;
  }
  const suggestion = closestName(key, known);
  if (suggestion !== undefined) return `${field}: unknown field (did you mean "${suggestion}"?)`;
  return `${field}: unknown field (expected one of ${known.join(', ')})`;
}

/** Which of several errors at one location best explains it: wrong type first, then wrong value. */
const KEYWORD_PRIORITY = ['type', 'const', 'enum', 'pattern', 'minLength', 'maxLength'];

function mostTellingError(errors: readonly ErrorObject[]): ErrorObject | undefined {
  let best: ErrorObject | undefined;
  let bestRank = Number.POSITIVE_INFINITY;
  for (const error of errors) {
    const index = KEYWORD_PRIORITY.indexOf(error.keyword);
    const rank = index === -1 ? KEYWORD_PRIORITY.length : index;
    if (rank < bestRank) {
      best = error;
      bestRank = rank;
    }
  }
  return best;
}

function explainValueError(error: ErrorObject): string {
  const schema = error.parentSchema ?? {};
  const got = describeValue(error.data);
  switch (error.keyword) {
    case 'maxItems':
    case 'maxProperties':
      return `expected at most ${String(error.schema)} entries, got ${entryCount(error.data)}`;
    case 'minItems':
      return `expected at least ${String(error.schema)} ${Number(error.schema) === 1 ? 'entry' : 'entries'}, got an empty list`;
    case 'maxLength':
      if (typeof schema.pattern !== 'string') {
        return `expected at most ${String(error.schema)} characters, got ${String(error.data).length}`;
      }
      break;
    case 'minLength':
      if (typeof schema.pattern !== 'string') return `expected a non-empty string, got ""`;
      break;
    case 'propertyNames':
      return `key "${truncate(String(error.propertyName))}" is too long`;
    case 'enum':
      return `expected ${describeSchema(schema)}, got ${got}${enumHint(schema, error.data)}`;
    default:
      break;
  }
  return `expected ${describeSchema(schema, error.keyword)}, got ${got}`;
}

function enumHint(schema: AnySchemaObject, data: unknown): string {
  const values = (schema.enum ?? []) as unknown[];
  if (typeof data !== 'string') return '';
  const hint = REJECTED_VALUE_HINTS[values.join(',')]?.[data];
  if (hint !== undefined) return ` (${hint})`;
  const suggestion = closestName(
    data,
    values.filter((value): value is string => typeof value === 'string'),
  );
  return suggestion === undefined ? '' : ` (did you mean "${suggestion}"?)`;
}

/** Caps that exist to stop hostile input; mentioned only when they are what failed. */
const IMPLEMENTATION_MAXIMUM = 2147483647;

/** What a schema accepts, in words: `an integer >= 0`, `one of enforce, warn, audit`. */
export function describeSchema(schema: AnySchemaObject, failedKeyword?: string): string {
  if (typeof schema.pattern === 'string' && PATTERN_DESCRIPTIONS[schema.pattern] !== undefined) {
    return PATTERN_DESCRIPTIONS[schema.pattern] ?? '';
  }
  if (schema.const !== undefined) return JSON.stringify(schema.const);
  if (Array.isArray(schema.enum)) {
    const values = schema.enum.map(String);
    return values.length === 1 ? `"${values[0] ?? ''}"` : `one of ${values.join(', ')}`;
  }
  const types: unknown[] = Array.isArray(schema.type) ? schema.type : [schema.type];
  const words = types.map((type) => describeType(schema, type, failedKeyword));
  return words.join(' or ');
}

function describeType(schema: AnySchemaObject, type: unknown, failedKeyword?: string): string {
  switch (type) {
    case 'integer':
    case 'number': {
      const noun = type === 'integer' ? 'an integer' : 'a number';
      const minimum = typeof schema.minimum === 'number' ? schema.minimum : undefined;
      const rawMaximum = typeof schema.maximum === 'number' ? schema.maximum : undefined;
      const maximum =
        rawMaximum === IMPLEMENTATION_MAXIMUM && failedKeyword !== 'maximum'
          ? undefined
          : rawMaximum;
      if (minimum !== undefined && maximum !== undefined) {
        return `${noun} between ${minimum} and ${maximum}`;
      }
      if (minimum !== undefined) return `${noun} >= ${minimum}`;
      if (maximum !== undefined) return `${noun} <= ${maximum}`;
      return noun;
    }
    case 'string':
      return 'a string';
    case 'boolean':
      return 'true or false';
    case 'array':
      return 'a list';
    case 'object':
      return Array.isArray(schema.required) && schema.required.length > 0
        ? `a mapping with ${schema.required.map(String).join(', ')}`
        : 'a mapping';
    default:
      return 'a value';
  }
}

/** A value as a message shows it: strings quoted, containers by kind, long text cut. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(truncate(value));
  if (Array.isArray(value)) return value.length === 0 ? 'an empty list' : 'a list';
  if (value === null) return 'null';
  if (typeof value === 'object') return 'a mapping';
  return typeof value === 'number' || typeof value === 'boolean' ? String(value) : typeof value;
}

function entryCount(value: unknown): number {
  if (Array.isArray(value)) return value.length;
  if (typeof value === 'object' && value !== null) return Object.keys(value).length;
  return 0;
}

function truncate(value: string, length = 60): string {
  return value.length <= length ? value : `${value.slice(0, length)}…`;
}

function lowerFirst(value: string): string {
  return value.charAt(0).toLowerCase() + value.slice(1);
}

function isObjectSchema(
  schema: AnySchemaObject | undefined,
): schema is AnySchemaObject & { properties?: Record<string, unknown> } {
  return schema !== undefined && schema.type === 'object';
}

/** Pointer to `key` inside the object at `pointer`. */
function childPointer(pointer: string, key: string): string {
  return toPointer([...parsePointer(pointer), key]);
}

/** The field path readers see in messages; the document itself when the pointer is empty. */
export function fieldName(pointer: string): string {
  return pointer === '' ? '(document)' : pointerToFieldPath(pointer);
}

/**
 * The candidate a misspelt `name` most likely meant, for "did you mean"
 * hints: the closest by edit distance, if close enough that the hint helps
 * (one edit for short names, two for most, a fifth of the name for long
 * ones; more than that suggests unrelated words). A name that differs only in
 * case wins outright, so `forbid` finds `Forbid`.
 */
export function closestName(name: string, candidates: Iterable<string>): string | undefined {
  const maxDistance = name.length < 4 ? 1 : Math.max(2, Math.floor(name.length / 5));
  let best: string | undefined;
  let bestDistance = maxDistance + 1;
  for (const candidate of candidates) {
    if (candidate.toLowerCase() === name.toLowerCase() && candidate !== name) return candidate;
    const distance = boundedEditDistance(name, candidate, bestDistance - 1);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/**
 * Levenshtein distance, or `limit + 1` as soon as it must exceed `limit`.
 * The bound keeps hostile input cheap: names are compared against every known
 * rule id, and a policy may hold a thousand misspellings.
 */
function boundedEditDistance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    let rowMinimum = i;
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      const value = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution);
      current.push(value);
      rowMinimum = Math.min(rowMinimum, value);
    }
    if (rowMinimum > limit) return limit + 1;
    previous = current;
  }
  return previous[b.length] ?? limit + 1;
}
