import { YAMLException } from 'js-yaml';
import type { InputError, ReportLocation } from '../report/types.js';
import { pointerSegments, pointerToFieldPath } from '../util/json-pointer.js';
import { NodeRecorder, type NodeLog, type RecordedDocument } from './positions.js';
import { SourceText } from './source-text.js';
import { documentStarts } from './yaml-stream.js';

/** One Kubernetes object read from a manifest file. */
export interface ManifestDocument {
  file: string;
  /** Index of the YAML document in the file (0-based), counting empty documents as js-yaml does. */
  documentIndex: number;
  /**
   * Index inside the `items` of a `kind: List` (or the `objects` of an OpenShift
   * Template); undefined otherwise. For a List nested in a List this is the
   * index in the innermost one; `itemPointer` says where exactly the item is.
   */
  itemIndex?: number;
  /** RFC 6901 pointer from the document's root to this item, e.g. `/items/2`; undefined outside Lists. */
  itemPointer?: string;
  /** The parsed object: a plain object (prototype `Object.prototype`) without shared or cyclic parts. */
  value: unknown;
  /** Where the document (or List item) starts: its first key. */
  location: ReportLocation;
  /**
   * Location of the field at an RFC 6901 pointer relative to this document's
   * value; for a path that does not exist, the nearest existing ancestor (so
   * findings about missing fields point at their parent). Throws on a string
   * that is not a pointer, which is a bug in the caller.
   */
  locate(pointer: string): ReportLocation;
}

export interface ParseResult {
  documents: ManifestDocument[];
  /** Documents that could not be used: syntax errors, values that are not objects, alias bombs. */
  errors: InputError[];
}

const BYTE_ORDER_MARK = 0xfeff;
/**
 * An alias makes a node appear again without repeating its text, so a small
 * file can describe a huge (or, with a recursive alias, infinite) value: the
 * "billion laughs" attack. js-yaml shares the objects instead of copying them,
 * but everything downstream walks, validates and serialises the value as a tree,
 * so each document may expand to at most this many times the nodes its text
 * holds (and always to at least MIN_EXPANSION_LIMIT nodes).
 */
const ALIAS_EXPANSION_FACTOR = 10;
const MIN_EXPANSION_LIMIT = 10_000;
/** Marks a node whose size is being counted, to detect recursive aliases. */
const COUNTING = -1;

/**
 * Parses a YAML (or JSON) manifest stream into Kubernetes objects with the
 * source location of every field. Never throws for bad input: each document
 * that cannot be used becomes an entry in `errors` and the others are still
 * returned.
 *
 * JSON (a `.json` file, or text starting with `{`) goes through the same
 * parser rather than JSON.parse. JSON.parse is about 5x faster than js-yaml,
 * but it gives no positions and silently keeps the last of duplicated keys,
 * which the API server rejects; getting positions afterwards would mean
 * parsing again. To js-yaml valid JSON is valid YAML and gives the values
 * JSON.parse gives (except `-0`, which becomes 0), and with positions it reads
 * JSON at about 1.3x its bare time (bench/yaml-positions.ts).
 */
export function parseManifestText(text: string, file: string): ParseResult {
  // js-yaml drops a leading byte order mark itself; dropping it here keeps its
  // offsets equal to ours, and editors do not count it as a column either.
  const source = new SourceText(
    file,
    text.charCodeAt(0) === BYTE_ORDER_MARK ? text.slice(1) : text,
  );
  const parser = new StreamParser(source);
  parser.parseStream();
  return { documents: parser.documents, errors: parser.errors };
}

/** Why js-yaml threw, and an offset inside the document it threw on. */
interface ParseFailure {
  error: InputError;
  offsetInDocument: number;
}

class StreamParser {
  readonly documents: ManifestDocument[] = [];
  readonly errors: InputError[] = [];
  private readonly recorder: NodeRecorder;
  private documentIndex = 0;

  constructor(private readonly source: SourceText) {
    this.recorder = new NodeRecorder(source.text);
  }

  /**
   * One js-yaml call for the whole stream, which is fastest. js-yaml gives up
   * on the whole stream at the first error, so when there is one the stream is
   * split into its documents (see documentStarts) and each is parsed on its
   * own: an error then only costs the document it is in.
   */
  parseStream(): void {
    const text = this.source.text;
    const streamFailure = this.parseRange(text, 0);
    if (streamFailure === undefined) {
      this.addDocuments(this.recorder.documents);
      return;
    }
    const starts = documentStarts(text);
    const failingPart = partIndex(starts, streamFailure.offsetInDocument);
    for (let part = 0; part < starts.length; part++) {
      const start = starts[part] ?? 0;
      const partFailure = this.parseRange(
        text.slice(start, starts[part + 1] ?? text.length),
        start,
      );
      if (part === failingPart) {
        // Report js-yaml's words for the stream: parsed alone, a document that
        // runs into the next `---` ends at "the end of the stream" instead.
        this.addError(streamFailure.error);
      } else if (partFailure === undefined) {
        this.addDocuments(this.recorder.documents);
      } else {
        this.addError(partFailure.error);
      }
    }
  }

  /** Runs js-yaml on `text`, found at `start` in the source; the recorder then holds its documents. */
  private parseRange(text: string, start: number): ParseFailure | undefined {
    try {
      this.recorder.load(text, start);
      return undefined;
    } catch (error) {
      // The document js-yaml was composing, or else (an error between
      // documents) the place where it stopped, tells which document failed.
      const openDocument = this.recorder.openDocumentOffset;
      if (error instanceof YAMLException) {
        // `mark` is where js-yaml stopped, e.g. at the duplicated key or the badly indented line.
        const offset =
          typeof error.mark?.position === 'number' ? start + error.mark.position : start;
        const message = error.reason || error.message;
        return {
          error: { message, location: this.source.location(offset) },
          offsetInDocument: openDocument ?? offset,
        };
      }
      if (error instanceof RangeError) {
        // js-yaml recurses once per nesting level; versions without its maxDepth
        // limit overflow the stack on deeply nested input instead of reporting it.
        const offset = openDocument ?? start;
        const message = 'document is nested too deeply to parse';
        return {
          error: { message, location: this.source.tokenLocation(offset) },
          offsetInDocument: offset,
        };
      }
      throw error;
    }
  }

  private addError(error: InputError): void {
    // The broken document keeps its index, so the documents after it keep theirs.
    this.documentIndex++;
    this.errors.push(error);
  }

  private addDocuments(recorded: readonly RecordedDocument[]): void {
    for (const { value, log, root, nodeCount, sharesNodes } of recorded) {
      const document = new SourceDocument(this.source, log, this.documentIndex++);
      // An empty document (comments only, or a stray `---`) is nothing to check.
      if (value === null || value === undefined) continue;
      if (!isMapping(value)) {
        const message = `${document.name} is ${describe(value)}, expected a Kubernetes object`;
        this.fail(document, log.startOffset(root), message);
        continue;
      }
      const tree = sharesNodes ? this.expandAliases(document, value, root, nodeCount) : value;
      if (tree !== undefined) this.addObject(document, tree, root, '', undefined);
    }
  }

  /**
   * Returns the document as a tree, each alias replaced by a copy of what it
   * refers to (as Kubernetes' YAML-to-JSON conversion does), or undefined after
   * reporting an error when that tree would be infinite or too large.
   */
  private expandAliases(
    document: SourceDocument,
    value: Record<string, unknown>,
    root: number,
    nodeCount: number,
  ): Record<string, unknown> | undefined {
    const limit = Math.max(MIN_EXPANSION_LIMIT, ALIAS_EXPANSION_FACTOR * nodeCount);
    const size = countExpandedNodes(value, new Map(), limit);
    const start = document.log.startOffset(root);
    if (size === COUNTING) {
      const message = `${document.name} contains an alias to a node that contains it, so it never ends`;
      this.fail(document, start, message);
      return undefined;
    }
    if (size > limit) {
      const message = `${document.name} expands to more than ${limit} nodes through YAML aliases`;
      this.fail(document, start, message);
      return undefined;
    }
    return copyTree(value) as Record<string, unknown>;
  }

  /** Adds an object, or the objects of a List or Template, as documents. */
  private addObject(
    document: SourceDocument,
    value: Record<string, unknown>,
    node: number,
    pointer: string,
    itemIndex: number | undefined,
  ): void {
    const listed = listedObjects(value);
    if (listed === undefined) {
      this.documents.push(new ParsedManifest(document, value, node, pointer, itemIndex));
      return;
    }
    for (let index = 0; index < listed.objects.length; index++) {
      const item = listed.objects[index];
      const itemPointer = `${pointer}/${listed.field}/${index}`;
      const located = document.log.locate(node, [listed.field, String(index)]);
      if (isMapping(item)) {
        this.addObject(document, item, located.node, itemPointer, index);
      } else {
        const where = `${pointerToFieldPath(itemPointer)} of ${document.name}`;
        const message = `${where} is ${describe(item)}, expected a Kubernetes object`;
        this.fail(document, located.offset, message);
      }
    }
  }

  private fail(document: SourceDocument, offset: number, message: string): void {
    this.errors.push({ message, location: document.source.tokenLocation(offset) });
  }
}

/** One YAML document of the source: what its objects share (a List has several). */
class SourceDocument {
  constructor(
    readonly source: SourceText,
    readonly log: NodeLog,
    readonly index: number,
  ) {}

  /** How messages name the document: counted from 1, like lines. */
  get name(): string {
    return `document ${this.index + 1}`;
  }
}

class ParsedManifest implements ManifestDocument {
  readonly file: string;
  readonly documentIndex: number;
  declare readonly itemIndex?: number;
  declare readonly itemPointer?: string;
  readonly location: ReportLocation;
  // Private fields stay out of `{ ...document }` and JSON.stringify, which
  // would otherwise copy the whole source text with every document.
  readonly #document: SourceDocument;
  /** The object's node: the document's root, or the List item's. */
  readonly #node: number;

  constructor(
    document: SourceDocument,
    readonly value: Record<string, unknown>,
    node: number,
    itemPointer: string,
    itemIndex: number | undefined,
  ) {
    this.file = document.source.file;
    this.documentIndex = document.index;
    if (itemIndex !== undefined) {
      this.itemIndex = itemIndex;
      this.itemPointer = itemPointer;
    }
    this.#document = document;
    this.#node = node;
    this.location = document.source.tokenLocation(document.log.startOffset(node));
  }

  locate(pointer: string): ReportLocation {
    const document = this.#document;
    const located = document.log.locate(this.#node, pointerSegments(pointer));
    return document.source.tokenLocation(located.offset);
  }
}

/**
 * The objects a `kind: List` (or any `…List` kind, e.g. CronJobList from the
 * API) carries in `items`, which kubectl applies one by one, or an OpenShift
 * Template carries in `objects`. Template objects are returned as written:
 * `${PARAM}` placeholders are not substituted, so a parameterised field is
 * checked as its placeholder text.
 */
function listedObjects(
  value: Record<string, unknown>,
): { field: string; objects: unknown[] } | undefined {
  const kind = value.kind;
  if (typeof kind !== 'string') return undefined;
  if (kind.endsWith('List') && Array.isArray(value.items))
    return { field: 'items', objects: value.items };
  const apiVersion = value.apiVersion;
  const isOpenShiftTemplate =
    kind === 'Template' &&
    typeof apiVersion === 'string' &&
    (apiVersion === 'v1' || apiVersion.startsWith('template.openshift.io/'));
  if (isOpenShiftTemplate && Array.isArray(value.objects))
    return { field: 'objects', objects: value.objects };
  return undefined;
}

/** A YAML mapping as js-yaml (or JSON.parse) builds it; excludes Dates and binary data from tagged scalars. */
function isMapping(value: unknown): value is Record<string, unknown> {
  return (
    typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype
  );
}

function describe(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (value instanceof Date) return 'a timestamp';
  if (value instanceof Uint8Array) return 'binary data';
  switch (typeof value) {
    case 'string':
      return 'a string';
    case 'number':
      return 'a number';
    case 'boolean':
      return 'a boolean';
    default:
      return 'not a mapping';
  }
}

/**
 * The number of nodes of `value` as a tree, counting shared objects once per
 * place they appear; stops counting once past `limit`. Returns COUNTING for a
 * value that contains itself. `sizes` memoises shared objects, so this takes
 * time proportional to the distinct objects, not to the (possibly exponential) result.
 */
function countExpandedNodes(value: unknown, sizes: Map<object, number>, limit: number): number {
  if (typeof value !== 'object' || value === null) return 1;
  const known = sizes.get(value);
  if (known !== undefined) return known;
  sizes.set(value, COUNTING);
  let total = 1;
  for (const child of Array.isArray(value) ? (value as unknown[]) : Object.values(value)) {
    const size = countExpandedNodes(child, sizes, limit);
    if (size === COUNTING) return COUNTING;
    total += size;
    if (total > limit) break;
  }
  sizes.set(value, total);
  return total;
}

/**
 * Copies mappings and sequences so that no object appears twice. Locations
 * are unaffected: they are looked up in the node log, which keeps the originals.
 */
function copyTree(value: unknown): unknown {
  if (Array.isArray(value)) return value.map((item: unknown) => copyTree(item));
  if (!isMapping(value)) return value;
  const mapping: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    // Plain assignment to `__proto__` would replace the prototype instead of adding a field.
    Object.defineProperty(mapping, key, {
      value: copyTree(child),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return mapping;
}

/** The index of the part of the stream that `offset` falls in; `starts` is sorted and begins with 0. */
function partIndex(starts: readonly number[], offset: number): number {
  let low = 0;
  let high = starts.length - 1;
  while (low < high) {
    const middle = (low + high + 1) >>> 1;
    if ((starts[middle] ?? 0) <= offset) low = middle;
    else high = middle - 1;
  }
  return low;
}
