/**
 * RFC 6901 JSON Pointer helpers. Keys such as annotation names contain `/` and
 * may contain `~`; both must be escaped or a JSON Patch addresses the wrong field.
 */
export type PointerSegment = string | number;

export function escapeSegment(segment: PointerSegment): string {
  return String(segment).replace(/~/g, '~0').replace(/\//g, '~1');
}

export function unescapeSegment(segment: string): string {
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
export function pointerToFieldPath(pointer: string): string {
  let out = '';
  for (const segment of parsePointer(pointer)) {
    if (/^\d+$/.test(segment)) out += `[${segment}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(segment)) out += (out === '' ? '' : '.') + segment;
    else out += `[${JSON.stringify(segment)}]`;
  }
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
