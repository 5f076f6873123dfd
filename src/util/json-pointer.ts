/**
 * RFC 6901 JSON Pointer helpers. Keys such as annotation names contain `/` and
 * may contain `~`; both must be escaped or a JSON Patch addresses the wrong field.
 */
export type PointerSegment = string | number;

export function escapeSegment(segment: PointerSegment): string {
  if (typeof segment === 'number') return String(segment);
  // Most keys need no escaping; skip the two regex passes for them (hot in lint).
  if (!segment.includes('~') && !segment.includes('/')) return segment;
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

export function unescapeSegment(segment: string): string {
  if (!segment.includes('~')) return segment;
  return segment.replace(/~1/g, '/').replace(/~0/g, '~');
}

export function toPointer(segments: readonly PointerSegment[]): string {
  let out = '';
  for (const segment of segments) out += '/' + escapeSegment(segment);
  return out;
}

export function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw new Error(`invalid JSON pointer "${pointer}"`);
  return pointer.slice(1).split('/').map(unescapeSegment);
}

/**
 * A pointer as a reader expects to see it in messages: `spec.jobTemplate.spec.template.spec.containers[0].image`.
 * Keys that are not plain identifiers are bracketed: `metadata.annotations["sidecar.istio.io/inject"]`.
 */
const INDEX = /^\d+$/;
const IDENTIFIER = /^[A-Za-z_$][\w$-]*$/;
const fieldPathCache = new Map<string, string>();

export function pointerToFieldPath(pointer: string): string {
  const cached = fieldPathCache.get(pointer);
  if (cached !== undefined) return cached;
  let out = '';
  for (const segment of parsePointer(pointer)) {
    if (INDEX.test(segment)) out += `[${segment}]`;
    else if (IDENTIFIER.test(segment)) out += (out === '' ? '' : '.') + segment;
    else out += `[${JSON.stringify(segment)}]`;
  }
  // Reports repeat the same few hundred field paths across thousands of objects.
  if (fieldPathCache.size < 10_000) fieldPathCache.set(pointer, out);
  return out;
}

/** Reads the value at `pointer`, or undefined when any step is missing. */
export function getAt(root: unknown, segments: readonly PointerSegment[]): unknown {
  let current: unknown = root;
  for (const segment of segments) {
    if (Array.isArray(current)) {
      const index = typeof segment === 'number' ? segment : Number(segment);
      if (!Number.isInteger(index)) return undefined;
      current = current[index];
    } else if (typeof current === 'object' && current !== null) {
      const key = String(segment);
      if (!Object.prototype.hasOwnProperty.call(current, key)) return undefined;
      current = (current as Record<string, unknown>)[key];
    } else {
      return undefined;
    }
  }
  return current;
}
