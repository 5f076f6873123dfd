import * as jsYaml from 'js-yaml';
import { CORE_SCHEMA, loadAll, type EventType, type State, type Type } from 'js-yaml';

/**
 * YAML as Kubernetes reads it: no implicit timestamps (js-yaml's default schema
 * turns `2024-01-01` into a Date, while the API server keeps the string, so an
 * annotation value would stop being a string), but merge keys (`<<: *base`) work.
 */
// js-yaml exports its built-in types at run time; @types/js-yaml does not declare them.
const mergeType = (jsYaml as unknown as { types: { merge: Type } }).types.merge;
export const KUBERNETES_YAML_SCHEMA = CORE_SCHEMA.extend({ implicit: [mergeType] });
import { isLineBreak, skipSpaceAndComments } from './source-text.js';

const TAB = 0x09;
const SPACE = 0x20;
const ASTERISK = 0x2a;
const COLON = 0x3a;
const QUESTION_MARK = 0x3f;

/** Where a node is: its index, to look further down, and the source offset to report for it. */
export interface LocatedNode {
  /** The node, or {@link NO_NODE} for a sequence item that has none. */
  node: number;
  offset: number;
}

/** Stands for the node of a sequence item that js-yaml stored without composing one. */
export const NO_NODE = -1;

/** One YAML document as js-yaml composed it, with the nodes to locate its fields. */
export interface RecordedDocument {
  value: unknown;
  log: NodeLog;
  /** The document's root node. */
  root: number;
  nodeCount: number;
  /** Whether the document reuses a node through an alias, so its value may share objects. */
  sharesNodes: boolean;
}

/**
 * Per-node numbers of every document of one text, in node order. Typed arrays
 * shared by all documents: one small typed array per document would each get
 * an off-heap buffer, which costs more to allocate and collect than the parse.
 */
class NodeArena {
  /** Source offset where js-yaml started composing the node. */
  offsets: Int32Array;
  /** Source offset where js-yaml was when the node was complete. */
  ends: Int32Array;
  /** Nodes in the node's subtree, itself included. */
  sizes: Int32Array;

  constructor(
    /** The source text the offsets are in. */
    readonly text: string,
  ) {
    // About one node per 12 characters in typical manifests; sized so most texts never grow.
    const capacity = Math.max(1024, Math.ceil(text.length / 8));
    this.offsets = new Int32Array(capacity);
    this.ends = new Int32Array(capacity);
    this.sizes = new Int32Array(capacity);
  }

  grow(): void {
    this.offsets = doubled(this.offsets);
    this.ends = doubled(this.ends);
    this.sizes = doubled(this.sizes);
  }
}

function doubled(array: Int32Array): Int32Array {
  const grown = new Int32Array(array.length * 2);
  grown.set(array);
  return grown;
}

/**
 * The nodes of one document in document order (a node comes before its
 * children), each with where it starts, how big its subtree is, whether a `:`
 * follows it and the value js-yaml composed for it (a key's key, a value's value).
 *
 * That is all a location needs, so nothing is built per mapping while
 * parsing; the structure is worked out from these nodes only when a location
 * is asked for. On bench/yaml-positions.ts, a WeakMap from every composed
 * mapping and sequence to its children's offsets made parsing 1.7x slower
 * (mostly in the garbage collector); recording this log costs about 1.2x.
 */
export class NodeLog {
  /** Object value → first node with that value and children; built when an alias or merge is first followed. */
  #nodeOfValue: Map<object, number> | undefined;
  /** Sequence node → its item nodes, so the items of a long List are not searched again for every item. */
  #itemNodes: Map<number, readonly number[]> | undefined;

  constructor(
    private readonly arena: NodeArena,
    /** Index of the document's first node in the arena; node numbers are arena indices. */
    private readonly first: number,
    /** Composed values, indexed by node - first. */
    private readonly results: readonly unknown[],
  ) {}

  /** The offset of the first key when the node is a non-empty mapping, else of the node. */
  startOffset(node: number): number {
    const content = this.content(node);
    const isNonEmptyMapping = this.size(content) > 1 && isMappingLike(this.result(content));
    return isNonEmptyMapping ? this.offset(content + 1) : this.offset(node);
  }

  /**
   * The node at `segments` below `node`, with the offset of its key for a
   * mapping entry, of the item for a sequence entry, and {@link startOffset}
   * for no segments. Where a step does not exist, the walk stops at the
   * deepest node found, so a finding about a missing field points at its
   * parent. A key that came in through a `<<` merge has no text of its own:
   * it keeps its mapping's offset, and the walk continues in the text that
   * was merged in.
   */
  locate(node: number, segments: readonly string[]): LocatedNode {
    let current = node;
    let offset = this.startOffset(node);
    for (const segment of segments) {
      const container = this.content(current);
      const value = this.result(container);
      let next: LocatedNode | undefined;
      if (Array.isArray(value)) next = this.item(container, value, segment);
      else if (isMappingLike(value)) next = this.entry(container, value, segment);
      if (next === undefined) break;
      if (next.offset >= 0) offset = next.offset;
      // An item without a node is null: there is nothing below it.
      if (next.node === NO_NODE) break;
      current = next.node;
    }
    return { node: current, offset };
  }

  private item(
    sequence: number,
    value: readonly unknown[],
    segment: string,
  ): LocatedNode | undefined {
    const index = arrayIndex(segment);
    if (index === undefined || index >= value.length) return undefined;
    const items = (this.#itemNodes ??= new Map<number, readonly number[]>());
    let nodes = items.get(sequence);
    if (nodes === undefined) {
      nodes = this.itemNodes(sequence, value);
      items.set(sequence, nodes);
    }
    const item = nodes[index] ?? NO_NODE;
    if (item >= 0) return { node: item, offset: this.offset(item) };
    return { node: NO_NODE, offset: -1 - item };
  }

  /**
   * The node of each item of a sequence; for an item without a node, the
   * offset of its `-` as -1 - offset.
   */
  private itemNodes(sequence: number, value: readonly unknown[]): readonly number[] {
    const nodes: number[] = [];
    const end = this.next(sequence);
    for (let child = sequence + 1; child < end;) {
      nodes.push(child);
      // `[key: value]` in a flow sequence is a single-pair mapping item: js-yaml
      // composes its key and its value, but no node for the pair.
      child = this.hasColon(child) ? this.next(this.next(child)) : this.next(child);
    }
    return nodes.length === value.length ? nodes : this.alignItems(sequence, nodes, value);
  }

  /**
   * A block sequence entry that is only `-` before a less indented line is
   * stored as null without composing a node (js-yaml's readBlockSequence), so
   * there are fewer nodes than items. Matches nodes to items by value; an item
   * left without a node is at the next `-` after the previous item.
   */
  private alignItems(
    sequence: number,
    nodes: readonly number[],
    value: readonly unknown[],
  ): number[] {
    const aligned: number[] = [];
    const text = this.arena.text;
    let position = 0;
    let searchFrom = this.offset(sequence);
    for (const element of value) {
      const candidate = nodes[position];
      if (candidate !== undefined && Object.is(this.result(candidate), element)) {
        aligned.push(candidate);
        position++;
        searchFrom = this.arena.ends[candidate] ?? searchFrom;
      } else {
        const marker = skipSpaceAndComments(text, searchFrom);
        aligned.push(-1 - marker);
        searchFrom = marker + 1;
      }
    }
    return aligned;
  }

  private entry(mapping: number, value: object, key: string): LocatedNode | undefined {
    if (!Object.hasOwn(value, key)) return undefined;
    const end = this.next(mapping);
    for (let child = mapping + 1; child < end;) {
      // A key followed by `:` has its value node next; an explicit `? key` or
      // a flow `{key}` without `:` has none, and the next node is the next key.
      const valueNode = this.hasColon(child) ? this.next(child) : -1;
      if (keyToString(this.result(child)) === key) {
        return { node: valueNode >= 0 ? valueNode : child, offset: this.offset(child) };
      }
      child = valueNode >= 0 ? this.next(valueNode) : this.next(child);
    }
    // The key exists, but not in this mapping's text: it was merged in with `<<`.
    return this.nodeOfSharedValue((value as Record<string, unknown>)[key]);
  }

  /**
   * The node that defined an object reached through an alias or a merge key.
   * Its offset is -1: the place where the object is used has no text for it.
   */
  private nodeOfSharedValue(value: unknown): LocatedNode | undefined {
    if (typeof value !== 'object' || value === null) return undefined;
    const node = this.nodeOfValue().get(value);
    return node === undefined ? undefined : { node, offset: -1 };
  }

  private nodeOfValue(): Map<object, number> {
    if (this.#nodeOfValue !== undefined) return this.#nodeOfValue;
    const nodes = new Map<object, number>();
    const end = this.first + this.results.length;
    for (let node = this.first; node < end; node++) {
      const result = this.result(node);
      if (
        typeof result === 'object' &&
        result !== null &&
        this.size(node) > 1 &&
        !nodes.has(result)
      ) {
        nodes.set(result, node);
      }
    }
    this.#nodeOfValue = nodes;
    return nodes;
  }

  /**
   * The node holding the content of `node`. js-yaml composes a flow
   * collection, alias or scalar in block context as a would-be first key of a
   * block mapping and keeps it when no `:` follows, so the node then has one
   * child with the same value. An alias has no children; its content is
   * where its anchor is.
   */
  private content(node: number): number {
    let current = node;
    // Bounded, because a recursive alias could lead back to where it started.
    for (let steps = 0; steps < this.results.length; steps++) {
      const size = this.size(current);
      const result = this.result(current);
      if (size > 1 && this.size(current + 1) === size - 1 && this.result(current + 1) === result) {
        current++;
      } else if (
        size === 1 &&
        typeof result === 'object' &&
        result !== null &&
        isNonEmptyCollection(result)
      ) {
        const anchor = this.nodeOfValue().get(result);
        if (anchor === undefined || anchor === current) return current;
        current = anchor;
      } else {
        return current;
      }
    }
    return current;
  }

  private result(node: number): unknown {
    return this.results[node - this.first];
  }

  private offset(node: number): number {
    return this.arena.offsets[node] ?? 0;
  }

  private size(node: number): number {
    return this.arena.sizes[node] ?? 1;
  }

  /**
   * Whether the `:` of a key/value pair follows the node, i.e. it is a key with
   * a value node after it. Worked out here rather than while parsing, where it
   * would cost a look at the text for every node.
   */
  private hasColon(node: number): boolean {
    return isFollowedByColon(this.arena.text, this.arena.ends[node] ?? 0, this.offset(node));
  }

  private next(node: number): number {
    return node + this.size(node);
  }
}

/** The recorder {@link recordNode} writes to while js-yaml runs (parsing is synchronous). */
let recording: NodeRecorder | undefined;

/**
 * The listener given to js-yaml. One function for every parse, instead of a
 * closure per recorder, keeps js-yaml's call site monomorphic, so V8 can inline
 * the listener into js-yaml's composeNode; it is called for every node twice.
 */
function recordNode(this: unknown, eventType: EventType, state: State): void {
  recording?.record(eventType, state);
}

function loadRecording(recorder: NodeRecorder, text: string): void {
  const previous = recording;
  recording = recorder;
  try {
    loadAll(text, null, { listener: recordNode, schema: KUBERNETES_YAML_SCHEMA });
  } finally {
    recording = previous;
  }
}

/**
 * Records every node through js-yaml's `listener` option, which fires `open`
 * before and `close` after each node js-yaml composes, keys included. At
 * `open`, `state.position` is where composing starts: at the node for keys and
 * items, right after the `:` for block-mapping values (see js-yaml's
 * readBlockMapping, readBlockSequence, readFlowCollection). At `close`,
 * `state.result` is the composed value; when a root node closes, its document
 * is complete.
 *
 * This runs twice for every node, so it only writes numbers into the shared
 * arena and values into one array per document.
 */
export class NodeRecorder {
  /** Documents completed by the last {@link load}. */
  documents: RecordedDocument[] = [];

  private readonly arena: NodeArena;
  private nodeCount = 0;
  /** Offset of the text given to js-yaml in the source. */
  private base = 0;
  private depth = 0;
  private readonly openNodes: number[] = [];
  private root = 0;
  private results: unknown[] = [];
  private sharesNodes = false;

  constructor(text: string) {
    this.arena = new NodeArena(text);
  }

  /** Where the document js-yaml is composing starts, while one is open (as when js-yaml threw). */
  get openDocumentOffset(): number | undefined {
    return this.depth > 0 ? this.arena.offsets[this.root] : undefined;
  }

  /**
   * Parses `text`, found at `base` in the source, recording its nodes; the
   * documents js-yaml completed are in {@link documents} even when it throws.
   */
  load(text: string, base: number): void {
    this.base = base;
    this.depth = 0;
    this.documents = [];
    loadRecording(this, text);
  }

  /** Called by {@link recordNode} before (`open`) and after (`close`) js-yaml composes each node. */
  record(eventType: EventType, state: State): void {
    if (eventType === 'open') {
      const node = this.nodeCount++;
      if (node === this.arena.offsets.length) this.arena.grow();
      this.arena.offsets[node] = this.base + state.position;
      if (this.depth === 0) {
        this.root = node;
        this.results = [];
        this.sharesNodes = false;
      }
      // Appended in node order so the array stays packed; the value comes at `close`.
      this.results.push(undefined);
      this.openNodes[this.depth++] = node;
      return;
    }
    const node = this.openNodes[--this.depth] ?? 0;
    const size = this.nodeCount - node;
    const result: unknown = state.result;
    this.arena.sizes[node] = size;
    this.arena.ends[node] = this.base + state.position;
    this.results[node - this.root] = result;
    if (size === 1 && typeof result === 'object' && result !== null && !this.sharesNodes) {
      // A collection without child nodes is empty (`{}`), or an alias: then the
      // document reuses a node, possibly one that is still being composed.
      this.sharesNodes = isAlias(state.input, (this.arena.offsets[node] ?? 0) - this.base);
    }
    if (this.depth === 0) {
      this.documents.push({
        value: result,
        log: new NodeLog(this.arena, node, this.results),
        root: node,
        nodeCount: size,
        sharesNodes: this.sharesNodes,
      });
    }
  }
}

/**
 * Whether the node that started at `start` and ended at `end` is followed by
 * the `:` of a key/value pair. For an implicit key the `:` is on the same line
 * (js-yaml rejects anything else); only an explicit key (`? key`, which js-yaml
 * starts composing right after the `?`) may have it on a later line, as `: value`.
 */
function isFollowedByColon(text: string, end: number, start: number): boolean {
  let at = end;
  while (text.charCodeAt(at) === SPACE || text.charCodeAt(at) === TAB) at++;
  if (text.charCodeAt(at) === COLON) return true;
  if (text.charCodeAt(start - 1) !== QUESTION_MARK) return false;
  at = skipSpaceAndComments(text, at);
  if (text.charCodeAt(at) !== COLON) return false;
  // In block context the value indicator is followed by whitespace; `:x` starts the next key.
  const next = text.charCodeAt(at + 1);
  return at + 1 >= text.length || next === SPACE || next === TAB || isLineBreak(next);
}

/** Whether the node that js-yaml started composing at `start` is an alias (`*name`). */
function isAlias(input: string, start: number): boolean {
  return input.charCodeAt(skipSpaceAndComments(input, start)) === ASTERISK;
}

function isNonEmptyCollection(value: object): boolean {
  if (Array.isArray(value)) return value.length > 0;
  for (const key in value) if (Object.hasOwn(value, key)) return true;
  return false;
}

/** Mappings as js-yaml builds them; Dates and binary data from tagged scalars are objects too, but not mappings. */
function isMappingLike(value: unknown): value is object {
  return (
    typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype
  );
}

/**
 * The property name js-yaml's storeMappingPair uses for a composed key:
 * plain objects (also inside array keys) become `[object Object]` rather than
 * calling their `toString`; everything else goes through `String`.
 */
export function keyToString(key: unknown): string {
  if (typeof key === 'string') return key;
  if (Array.isArray(key)) {
    return String(
      key.map((element: unknown) => (isObjectTagged(element) ? '[object Object]' : element)),
    );
  }
  if (isObjectTagged(key)) return '[object Object]';
  return String(key);
}

function isObjectTagged(value: unknown): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    Object.prototype.toString.call(value) === '[object Object]'
  );
}

/** RFC 6901 array index: `0` or digits without a leading zero. `-` (past the end) is no item. */
function arrayIndex(segment: string): number | undefined {
  if (!/^(?:0|[1-9]\d{0,15})$/.test(segment)) return undefined;
  return Number(segment);
}
