import { isPlainObject } from '../k8s/types.js';
import { escapeSegment } from '../util/json-pointer.js';
import type { JsonPatchOperation } from './types.js';

/**
 * RFC 6902 patch that turns `original` into `target`. The engine only adds and
 * replaces fields, but the diff is general so that the patch is right whatever a
 * rule did: every operation addresses a parent that exists at that point of the
 * patch (an `add` of a whole subtree where a parent is missing), keys are escaped,
 * and array changes are expressed per index without ever removing first.
 */
export function diff(original: unknown, target: unknown): JsonPatchOperation[] {
  const operations: JsonPatchOperation[] = [];
  diffInto(original, target, [], operations);
  return operations;
}

/**
 * `path` holds the escaped segments down to the current node; the pointer string
 * is only built for an operation, not for each of the (mostly equal) nodes walked.
 */
function diffInto(from: unknown, to: unknown, path: string[], out: JsonPatchOperation[]): void {
  if (from === to) return;
  if (isPlainObject(from) && isPlainObject(to)) {
    for (const key of Object.keys(from)) {
      if (!Object.prototype.hasOwnProperty.call(to, key)) {
        out.push({ op: 'remove', path: pointerOf(path, escapeSegment(key)) });
      }
    }
    for (const key of Object.keys(to)) {
      if (!Object.prototype.hasOwnProperty.call(from, key)) {
        out.push({ op: 'add', path: pointerOf(path, escapeSegment(key)), value: to[key] });
      } else {
        const child = from[key];
        const target = to[key];
        // Equal scalars are the common case: no need to descend.
        if (child === target) continue;
        path.push(escapeSegment(key));
        diffInto(child, target, path, out);
        path.pop();
      }
    }
    return;
  }
  if (Array.isArray(from) && Array.isArray(to)) {
    const common = Math.min(from.length, to.length);
    for (let index = 0; index < common; index++) {
      if (from[index] === to[index]) continue;
      path.push(String(index));
      diffInto(from[index], to[index], path, out);
      path.pop();
    }
    for (let index = common; index < to.length; index++)
      out.push({ op: 'add', path: pointerOf(path, String(index)), value: to[index] });
    // Remove from the end so earlier indices stay valid while the patch applies.
    for (let index = from.length - 1; index >= to.length; index--)
      out.push({ op: 'remove', path: pointerOf(path, String(index)) });
    return;
  }
  if (deepEqual(from, to)) return;
  const pointer = pointerOf(path);
  out.push(
    pointer === ''
      ? { op: 'replace', path: '', value: to }
      : { op: 'replace', path: pointer, value: to },
  );
}

function pointerOf(path: readonly string[], last?: string): string {
  let out = '';
  for (const segment of path) out += '/' + segment;
  return last === undefined ? out : out + '/' + last;
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let index = 0; index < a.length; index++) if (!deepEqual(a[index], b[index])) return false;
    return true;
  }
  if (isPlainObject(a) && isPlainObject(b)) {
    const keysA = Object.keys(a);
    if (keysA.length !== Object.keys(b).length) return false;
    for (const key of keysA) {
      if (!Object.prototype.hasOwnProperty.call(b, key) || !deepEqual(a[key], b[key])) return false;
    }
    return true;
  }
  return typeof a === 'number' && typeof b === 'number' && Number.isNaN(a) && Number.isNaN(b);
}
