import type { JsonPatchOperation } from '../engine/types.js';
import { deepEqual } from '../engine/patch.js';
import { isPlainObject } from '../k8s/types.js';
import { cloneJson } from '../util/clone.js';
import { parsePointer } from '../util/json-pointer.js';

export type PatchApplication = { ok: true; result: unknown } | { ok: false; error: string };

/**
 * A small, strict RFC 6902 applier used only as a safety net: a patch the API
 * server cannot apply is a 500 that rejects the user's request even with
 * failurePolicy Ignore, so before sending a patch we apply it ourselves, with the
 * same strictness (missing parents, out-of-range indices, failed tests all fail).
 * `document` is not modified unless `inPlace` is set.
 */
export function applyJsonPatch(
  document: unknown,
  operations: readonly JsonPatchOperation[],
  options: { inPlace?: boolean } = {},
): PatchApplication {
  // `inPlace` is for callers that already own a private copy: copying the whole
  // object again costs more than the check itself on the webhook's hot path.
  let root = options.inPlace === true ? document : cloneJson(document);
  for (const [index, operation] of operations.entries()) {
    try {
      root = applyOperation(root, operation);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      return {
        ok: false,
        error: `operation ${index} (${operation.op} ${operation.path}): ${reason}`,
      };
    }
  }
  return { ok: true, result: root };
}

function applyOperation(root: unknown, operation: JsonPatchOperation): unknown {
  switch (operation.op) {
    case 'add':
      return addAt(root, operation.path, requireValue(operation));
    case 'remove':
      return removeAt(root, operation.path).root;
    case 'replace':
      return addAt(removeAt(root, operation.path).root, operation.path, requireValue(operation));
    case 'test':
      if (!deepEqual(valueAt(root, operation.path), requireValue(operation)))
        throw new Error('test failed');
      return root;
    case 'move': {
      const from = requireFrom(operation);
      if (operation.path.startsWith(from + '/')) throw new Error('cannot move into a child');
      const removed = removeAt(root, from);
      return addAt(removed.root, operation.path, removed.value);
    }
    case 'copy':
      return addAt(root, operation.path, cloneJson(valueAt(root, requireFrom(operation))));
    default:
      throw new Error(`unknown op ${String((operation as { op: unknown }).op)}`);
  }
}

function requireValue(operation: JsonPatchOperation): unknown {
  if (!('value' in operation) || operation.value === undefined) throw new Error('missing value');
  return operation.value;
}

function requireFrom(operation: JsonPatchOperation): string {
  if (typeof operation.from !== 'string') throw new Error('missing from');
  return operation.from;
}

/** The container holding the pointer's last segment, and that segment. */
function locateParent(root: unknown, pointer: string): { parent: unknown; key: string } {
  const segments = parsePointer(pointer);
  const last = segments.length - 1;
  if (last < 0) throw new Error('the root has no parent');
  let parent = root;
  for (let index = 0; index < last; index++) parent = child(parent, segments[index] as string);
  return { parent, key: segments[last] as string };
}

function child(container: unknown, segment: string): unknown {
  if (Array.isArray(container)) {
    const index = arrayIndex(segment, container.length - 1);
    return container[index];
  }
  if (isPlainObject(container) && Object.prototype.hasOwnProperty.call(container, segment))
    return container[segment];
  throw new Error(`path segment "${segment}" does not exist`);
}

function arrayIndex(segment: string, max: number): number {
  if (!isArrayIndex(segment)) throw new Error(`"${segment}" is not an array index`);
  const index = Number(segment);
  if (index > max) throw new Error(`index ${index} is out of range`);
  return index;
}

/** RFC 6901 array index: `0` or digits without a leading zero (no regex: hot path). */
function isArrayIndex(segment: string): boolean {
  const length = segment.length;
  if (length === 0 || (length > 1 && segment.charCodeAt(0) === 48)) return false;
  for (let index = 0; index < length; index++) {
    const code = segment.charCodeAt(index);
    if (code < 48 || code > 57) return false;
  }
  return true;
}

function valueAt(root: unknown, pointer: string): unknown {
  let current = root;
  for (const segment of parsePointer(pointer)) current = child(current, segment);
  return current;
}

function addAt(root: unknown, pointer: string, value: unknown): unknown {
  if (pointer === '') return cloneJson(value);
  const { parent, key } = locateParent(root, pointer);
  if (Array.isArray(parent)) {
    const index = key === '-' ? parent.length : arrayIndex(key, parent.length);
    parent.splice(index, 0, cloneJson(value));
  } else if (isPlainObject(parent)) {
    // defineProperty keeps a `__proto__` key a plain key instead of a prototype
    // change; plain assignment is much cheaper for every other key.
    if (key === '__proto__')
      Object.defineProperty(parent, key, {
        value: cloneJson(value),
        writable: true,
        enumerable: true,
        configurable: true,
      });
    else parent[key] = cloneJson(value);
  } else {
    throw new Error('parent is not an object or array');
  }
  return root;
}

function removeAt(root: unknown, pointer: string): { root: unknown; value: unknown } {
  if (pointer === '') return { root: undefined, value: root };
  const { parent, key } = locateParent(root, pointer);
  if (Array.isArray(parent)) {
    const index = arrayIndex(key, parent.length - 1);
    const removed: unknown[] = parent.splice(index, 1);
    return { root, value: removed[0] };
  }
  if (isPlainObject(parent) && Object.prototype.hasOwnProperty.call(parent, key)) {
    const value = parent[key];
    // eslint-disable-next-line @typescript-eslint/no-dynamic-delete -- removing a JSON key is the operation
    delete parent[key];
    return { root, value };
  }
  throw new Error(`path "${pointer}" does not exist`);
}
