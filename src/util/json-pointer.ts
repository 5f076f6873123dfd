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

/**
 * Pointers already built, as a trie keyed by segment: the engine builds the same
 * few hundred pointers (`/spec/jobTemplate/spec/...`) for every object it
 * evaluates, and a walk through a few Map lookups returns the same string each
 * time instead of concatenating a new one, so later Map lookups keyed by it
 * (claims, field paths, locations) find its hash already computed.
 * Bounded in nodes and in segment length, so hostile input cannot grow it.
 */
interface PointerNode {
  readonly pointer: string;
  children: Map<PointerSegment, PointerNode> | undefined;
}

const POINTER_ROOT: PointerNode = { pointer: '', children: undefined };
const MAX_INTERNED_POINTERS = 20_000;
const MAX_INTERNED_SEGMENT_LENGTH = 256;
let internedPointers = 0;

export function toPointer(segments: readonly PointerSegment[]): string {
  let node = POINTER_ROOT;
  for (let index = 0; index < segments.length; index++) {
    const segment = segments[index] as PointerSegment;
    let child = node.children?.get(segment);
    if (child === undefined) {
      if (
        internedPointers >= MAX_INTERNED_POINTERS ||
        (typeof segment === 'string' && segment.length > MAX_INTERNED_SEGMENT_LENGTH)
      ) {
        return buildPointer(node.pointer, segments, index);
      }
      child = { pointer: node.pointer + '/' + escapeSegment(segment), children: undefined };
      (node.children ??= new Map()).set(segment, child);
      internedPointers++;
    }
    node = child;
  }
  return node.pointer;
}

function buildPointer(prefix: string, segments: readonly PointerSegment[], from: number): string {
  let out = prefix;
  for (let index = from; index < segments.length; index++)
    out += '/' + escapeSegment(segments[index] as PointerSegment);
  return out;
}

const parsedPointers = new Map<string, readonly string[]>();
const MAX_PARSED_POINTERS = 20_000;

/**
 * The segments of an RFC 6901 pointer. Results are cached (the engine and the
 * webhook's patch check parse the same few hundred pointers over and over) and
 * frozen, so callers share them safely.
 */
export function parsePointer(pointer: string): readonly string[] {
  const cached = parsedPointers.get(pointer);
  if (cached !== undefined) return cached;
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw new Error(`invalid JSON pointer "${pointer}"`);
  const segments = Object.freeze(pointer.slice(1).split('/').map(unescapeSegment));
  if (parsedPointers.size < MAX_PARSED_POINTERS && pointer.length <= 1024)
    parsedPointers.set(pointer, segments);
  return segments;
}

const segmentsCache = new Map<string, readonly string[]>();

/**
 * {@link parsePointer} for callers that only read the segments: the same array
 * for the same pointer (reports locate the same few hundred pointers in every
 * document).
 */
export function pointerSegments(pointer: string): readonly string[] {
  const cached = segmentsCache.get(pointer);
  if (cached !== undefined) return cached;
  const segments = Object.freeze(parsePointer(pointer));
  if (segmentsCache.size < 10_000 && pointer.length <= 1024) segmentsCache.set(pointer, segments);
  return segments;
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
