import fc from 'fast-check';
import { dump, load } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { parseManifestText, type ManifestDocument } from '../../../src/manifests/index.js';
import { escapeSegment } from '../../../src/util/json-pointer.js';

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

/**
 * Keys that need quoting, escaping in pointers or care with prototypes, next
 * to ordinary ones. Without `'` and `"`, so a quoted key's text starts with
 * the key right after the opening quote.
 */
const key = fc.oneof(
  fc.stringMatching(/^[a-zA-Z][a-zA-Z0-9._/-]{0,10}$/),
  fc.stringMatching(/^[a-z0-9 ./~:#&*!?@|>%{}[\],-]{0,8}$/),
  fc.constantFrom('__proto__', 'sidecar.istio.io/inject', 'a~1b', '1', 'true', 'null', '~', ''),
);
const scalar = fc.oneof(
  fc.stringMatching(/^[a-z0-9 ./~:#&*!?@|>%{}[\],-]{0,12}$/),
  fc.integer({ min: -1_000_000, max: 1_000_000 }),
  fc.boolean(),
  fc.constant(null),
);
const { json } = fc.letrec<{ json: Json }>((tie) => ({
  json: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    scalar,
    fc.array(tie('json'), { maxLength: 4 }),
    fc.dictionary(key, tie('json'), { maxKeys: 4, noNullPrototype: true }),
  ),
}));
const manifest = fc.dictionary(key, json, { minKeys: 1, maxKeys: 6, noNullPrototype: true });

const STYLES: [string, (value: Json) => string][] = [
  ['block YAML', (value) => dump(value, { lineWidth: -1, noRefs: true })],
  [
    'block YAML, sequences indented by 4',
    (value) => dump(value, { lineWidth: -1, noRefs: true, indent: 4 }),
  ],
  [
    'block YAML, sequences not indented',
    (value) => dump(value, { lineWidth: -1, noRefs: true, noArrayIndent: true }),
  ],
  ['YAML with flowLevel 1', (value) => dump(value, { lineWidth: -1, noRefs: true, flowLevel: 1 })],
  ['flow YAML on one line', (value) => dump(value, { lineWidth: -1, noRefs: true, flowLevel: 0 })],
  [
    'block YAML with CRLF',
    (value) => dump(value, { lineWidth: -1, noRefs: true }).replace(/\n/g, '\r\n'),
  ],
  ['JSON', (value) => JSON.stringify(value, null, 2)],
  ['tab-indented JSON', (value) => JSON.stringify(value, null, '\t')],
  ['compact JSON', (value) => JSON.stringify(value)],
];

interface Field {
  pointer: string;
  value: Json;
  /** The key for a mapping entry; undefined for a sequence item. */
  key: string | undefined;
}

/** Every key and item below `value`, depth first. */
function fields(value: Json, prefix = ''): Field[] {
  const found: Field[] = [];
  const add = (segment: string, child: Json, key: string | undefined): void => {
    const pointer = `${prefix}/${escapeSegment(segment)}`;
    found.push({ pointer, value: child, key }, ...fields(child, pointer));
  };
  if (Array.isArray(value)) {
    value.forEach((item, index) => {
      add(String(index), item, undefined);
    });
  } else if (typeof value === 'object' && value !== null) {
    for (const [key, child] of Object.entries(value)) add(key, child, key);
  }
  return found;
}

/** How the text of a node may start: plain or in quotes. */
function startsWithToken(text: string, token: string): boolean {
  return text.startsWith(token) || text.startsWith(`'${token}`) || text.startsWith(`"${token}`);
}

/** How the text of an item may start, whatever style the dumper chose for it. */
function startsLikeItem(text: string, item: Json): boolean {
  if (Array.isArray(item)) return item.length === 0 ? text.startsWith('[]') : /^[-[]/.test(text);
  if (typeof item === 'object' && item !== null) {
    const [first] = Object.keys(item);
    return first === undefined
      ? text.startsWith('{}')
      : text.startsWith('{') || startsWithToken(text, first);
  }
  return startsWithToken(text, String(item));
}

function roundTrips(text: string, value: Json): boolean {
  try {
    expect(load(text)).toEqual(value);
    return true;
  } catch {
    return false;
  }
}

function textAtLocation(
  lines: readonly string[],
  document: ManifestDocument,
  pointer: string,
): string {
  const location = document.locate(pointer);
  return (lines[location.line - 1] ?? '').slice(location.column - 1);
}

describe('locations of generated documents', () => {
  it.each(STYLES)('point at the key or item of every pointer in %s', (_, write) => {
    fc.assert(
      fc.property(manifest, (value) => {
        const text = write(value);
        // js-yaml's dumper does not quote every key it should in flow style
        // (`{~:{: null}`); such texts do not even load back with js-yaml.
        fc.pre(roundTrips(text, value));
        const parsed = parseManifestText(text, 'generated');
        expect(parsed.errors).toEqual([]);
        expect(parsed.documents).toHaveLength(1);
        const document = parsed.documents[0]!;
        expect(document.value).toEqual(value);
        const lines = text.split(/\r?\n/);
        const firstKey = Object.keys(value)[0]!;
        expect(startsWithToken(textAtLocation(lines, document, ''), firstKey)).toBe(true);
        for (const field of fields(value)) {
          const at = textAtLocation(lines, document, field.pointer);
          const matches =
            field.key === undefined
              ? startsLikeItem(at, field.value)
              : startsWithToken(at, field.key);
          expect(matches, `${field.pointer} is at ${JSON.stringify(at)} in\n${text}`).toBe(true);
        }
      }),
      { numRuns: 150 },
    );
  });

  it('locates a missing field at its nearest existing ancestor', () => {
    fc.assert(
      fc.property(manifest, (value) => {
        const text = dump(value, { lineWidth: -1, noRefs: true });
        const document = parseManifestText(text, 'generated').documents[0]!;
        for (const { pointer } of fields(value)) {
          expect(document.locate(`${pointer}/no such field`)).toEqual(document.locate(pointer));
        }
      }),
      { numRuns: 100 },
    );
  });

  it('reads JSON as JSON.parse does', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (content) => {
        const text = JSON.stringify({ kind: 'Generated', content });
        expect(parseManifestText(text, 'generated.json').documents[0]!.value).toEqual(
          JSON.parse(text),
        );
      }),
      { numRuns: 300 },
    );
  });
});
