import fc from 'fast-check';

/**
 * Number of runs for a fuzz property: the given base, sized so the fuzz files run in
 * well under a minute on a slow 2-core machine, or FUZZ_RUNS when that is larger
 * (`FUZZ_RUNS=2000 npx vitest run test/fuzz` for a long session).
 */
export function fuzzRuns(base: number): number {
  const requested = Number(process.env.FUZZ_RUNS ?? '');
  return Number.isInteger(requested) && requested > base ? requested : base;
}

/** A test timeout that grows with FUZZ_RUNS: `perRunMs` per run, and never below 60 s. */
export function fuzzTimeout(base: number, perRunMs = 250): number {
  return Math.max(60_000, fuzzRuns(base) * perRunMs);
}

/** fast-check parameters shared by the fuzz properties. */
export function fuzzParameters(base: number): fc.Parameters<unknown> {
  return { numRuns: fuzzRuns(base), endOnFailure: true };
}

/**
 * Text that JSON cannot carry as it is or that renders deceptively: lone surrogates,
 * bidi overrides, zero-width characters, combining marks, NUL and other controls,
 * astral characters, and a few characters with meaning in pointers, globs and YAML.
 */
export const HOSTILE_CHARACTERS = [
  '\uD800',
  '\uDFFF',
  '\u202E',
  '\u200F',
  '\u2066',
  '\u200B',
  '\u200D',
  '\uFEFF',
  '\u0301',
  '\u0000',
  '\u001B',
  '\u0085',
  '\u2028',
  '😀',
  '𝔸',
  '/',
  '~',
  '~1',
  '*',
  '"',
  '\\',
  'a',
  '-',
  '.',
] as const;

export const hostileText = fc.string({
  unit: fc.constantFrom(...HOSTILE_CHARACTERS),
  minLength: 1,
  maxLength: 40,
});

/** Keys that mean something to JavaScript objects when assigned instead of defined. */
export const PROTOTYPE_KEYS = [
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  'valueOf',
  '__defineGetter__',
] as const;

/**
 * Builds JSON text with fragments a JavaScript object literal cannot express: own
 * `__proto__` keys, nesting deeper than JSON.stringify would reach comfortably.
 * Put `raw(fragment)` where a key or a value goes; `render` stringifies and splices
 * the fragments in.
 */
export class RawJson {
  private readonly fragments: string[] = [];

  /** A placeholder string standing for `fragment` (JSON text), as a key or a value. */
  raw(fragment: string): string {
    this.fragments.push(fragment);
    return `\u0001raw${this.fragments.length - 1}\u0001`;
  }

  /** A placeholder for a key whose text is `key`, however JavaScript would treat it. */
  key(key: string): string {
    return this.raw(JSON.stringify(key));
  }

  render(value: unknown): string {
    const text = JSON.stringify(value);
    return text.replace(/"\\u0001raw(\d+)\\u0001"/g, (_match, index: string) => {
      const fragment = this.fragments[Number(index)];
      if (fragment === undefined) throw new Error(`no fragment ${index}`);
      return fragment;
    });
  }
}

/** `depth` levels of objects (`{"a":{"a":…}}`) or arrays around `leaf`, as JSON text. */
export function nestedJson(depth: number, shape: 'object' | 'array', leaf = '1'): string {
  return shape === 'object'
    ? '{"a":'.repeat(depth) + leaf + '}'.repeat(depth)
    : '['.repeat(depth) + leaf + ']'.repeat(depth);
}

/** Sets `value` at `path`, creating objects on the way; later keys win. */
export function setPath(root: Record<string, unknown>, path: readonly string[], value: unknown) {
  let current: Record<string, unknown> = root;
  for (const [index, segment] of path.entries()) {
    const last = index === path.length - 1;
    const container = current;
    if (last) {
      container[segment] = value;
      return;
    }
    const next = container[segment];
    if (typeof next === 'object' && next !== null) {
      current = next as Record<string, unknown>;
    } else {
      const created: Record<string, unknown> = {};
      container[segment] = created;
      current = created;
    }
  }
}

/** Every path to a value in a JSON document, the root (`[]`) included. */
export function allPaths(value: unknown, prefix: readonly string[] = []): string[][] {
  const paths: string[][] = [[...prefix]];
  if (Array.isArray(value)) {
    for (const [index, item] of value.entries())
      paths.push(...allPaths(item, [...prefix, String(index)]));
  } else if (typeof value === 'object' && value !== null) {
    for (const [key, child] of Object.entries(value))
      paths.push(...allPaths(child, [...prefix, key]));
  }
  return paths;
}

/** A copy of `document` with the value at `path` replaced (the root when `path` is empty). */
export function replaceAt(document: unknown, path: readonly string[], value: unknown): unknown {
  if (path.length === 0) return value;
  const copy = structuredClone(document) as Record<string, unknown>;
  let container: Record<string, unknown> = copy;
  for (const segment of path.slice(0, -1))
    container = container[segment] as Record<string, unknown>;
  container[path.at(-1)!] = value;
  return copy;
}

/** Own-property snapshot of the built-in prototypes, to detect pollution. */
export function prototypeSnapshot(): Record<string, string[]> {
  return {
    object: Object.getOwnPropertyNames(Object.prototype).sort(),
    array: Object.getOwnPropertyNames(Array.prototype).sort(),
    string: Object.getOwnPropertyNames(String.prototype).sort(),
    function: Object.getOwnPropertyNames(Function.prototype).sort(),
  };
}
