import { loadAll } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { parseManifestText } from '../../../src/manifests/index.js';
import { lineColumn } from './support.js';

/** Documents as `index: value` and errors as `line:column message`, to compare whole results at once. */
function summary(text: string, file = 'test.yaml'): { documents: string[]; errors: string[] } {
  const parsed = parseManifestText(text, file);
  return {
    documents: parsed.documents.map(
      (document) => `${document.documentIndex}: ${JSON.stringify(document.value)}`,
    ),
    errors: parsed.errors.map((error) => `${lineColumn(error.location)} ${error.message}`),
  };
}

describe('documents of a stream', () => {
  it('skips empty documents and counts them as js-yaml does', () => {
    const text =
      '# header\n---\na: 1\n---\n---\n# only a comment\n---\nb: 2\n...\n---\nc: 3\n---\n';
    expect(summary(text)).toEqual({
      documents: ['0: {"a":1}', '3: {"b":2}', '4: {"c":3}'],
      errors: [],
    });
    expect(loadAll(text)).toEqual([{ a: 1 }, null, null, { b: 2 }, { c: 3 }, null]);
  });

  it.each([
    ['an empty text', ''],
    ['only whitespace', '  \n\n'],
    ['only comments', '# nothing here\n# at all\n'],
    ['only document markers', '---\n---\n...\n'],
  ])('finds no documents and no errors in %s', (_, text) => {
    expect(summary(text)).toEqual({ documents: [], errors: [] });
  });

  it('reads a document after directives and after a document end marker', () => {
    const text = '%YAML 1.2\n---\na: 1\n...\n%YAML 1.2\n---\nb: 2\n';
    expect(summary(text).documents).toEqual(['0: {"a":1}', '1: {"b":2}']);
  });

  it('reports documents that are not mappings and goes on', () => {
    const text =
      'just a string\n---\n- a\n- list\n---\n42\n---\n2001-12-14\n---\nkind: ConfigMap\n';
    expect(summary(text)).toEqual({
      documents: ['4: {"kind":"ConfigMap"}'],
      errors: [
        '1:1 document 1 is a string, expected a Kubernetes object',
        '3:1 document 2 is an array, expected a Kubernetes object',
        '6:1 document 3 is a number, expected a Kubernetes object',
        '8:1 document 4 is a string, expected a Kubernetes object',
      ],
    });
  });
});

describe('syntax errors', () => {
  it("reports js-yaml's reason at its position, keeping the documents before and after", () => {
    const text = 'kind: A\n---\nkind: B\n  bad: indentation\n---\nkind: C\n';
    expect(summary(text)).toEqual({
      documents: ['0: {"kind":"A"}', '2: {"kind":"C"}'],
      errors: ['4:6 bad indentation of a mapping entry'],
    });
  });

  it('reports one error per broken document', () => {
    const text = 'a: [1\n---\nb: ok\n---\nc: 1\nc: 2\n---\n- x\n y: 1\n';
    expect(summary(text)).toEqual({
      documents: ['1: {"b":"ok"}'],
      errors: [
        '2:1 missed comma between flow collection entries',
        '6:1 duplicated mapping key',
        '9:3 bad indentation of a sequence entry',
      ],
    });
  });

  it('reports a duplicated key at the duplicate, as the API server would reject it', () => {
    const text = 'metadata:\n  name: a\n  labels: {}\n  name: b\n';
    expect(summary(text).errors).toEqual(['4:3 duplicated mapping key']);
  });

  it('keeps the next document when a quoted scalar runs into `---`', () => {
    const text = 'a: "unterminated\n---\nb: 1\n';
    expect(summary(text)).toEqual({
      documents: ['1: {"b":1}'],
      errors: ['2:1 unexpected end of the document within a double quoted scalar'],
    });
  });

  it('drops a document followed by text that does not belong to it', () => {
    const text = 'a: 1\n]\n---\nb: 2\n';
    expect(summary(text)).toEqual({
      documents: ['1: {"b":2}'],
      errors: ['2:1 end of the stream or a document separator is expected'],
    });
  });

  it('confines a NUL character to its document', () => {
    const text = 'a: 1\n---\nb: x\u0000y\n---\nc: 3\n';
    expect(summary(text)).toEqual({
      documents: ['0: {"a":1}', '2: {"c":3}'],
      errors: ['3:5 null byte is not allowed in input'],
    });
  });

  it('locates errors in CRLF text and after a byte order mark', () => {
    expect(summary('\uFEFFa: 1\r\na: 2\r\n').errors).toEqual(['2:1 duplicated mapping key']);
  });

  it('reports tabs in indentation', () => {
    expect(summary('a:\n\tb: 1\n').errors).toEqual([
      '2:1 tab characters must not be used in indentation',
    ]);
  });
});

describe('Lists and Templates', () => {
  it('returns the items of a List as documents located at their first key', () => {
    const text = `apiVersion: v1
kind: List
items:
- apiVersion: batch/v1
  kind: CronJob
  metadata: {name: first}
-   kind: CronJob
    metadata:
      name: second
`;
    const parsed = parseManifestText(text, 'list.yaml');
    expect(parsed.errors).toEqual([]);
    expect(parsed.documents.map((document) => [document.itemIndex, document.itemPointer])).toEqual([
      [0, '/items/0'],
      [1, '/items/1'],
    ]);
    const [first, second] = parsed.documents;
    expect(first!.value).toEqual({
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'first' },
    });
    expect(lineColumn(first!.location)).toBe('4:3');
    expect(lineColumn(second!.location)).toBe('7:5');
    // Pointers are relative to the item.
    expect(lineColumn(second!.locate('/metadata/name'))).toBe('9:7');
    expect(lineColumn(first!.locate('/metadata/name'))).toBe('6:14');
    expect(lineColumn(second!.locate('/spec/schedule'))).toBe('7:5');
  });

  it('unwraps nested Lists and List kinds of the API', () => {
    const text = `kind: List
items:
- kind: CronJobList
  items:
  - kind: CronJob
    metadata: {name: inner}
- kind: Job
`;
    const parsed = parseManifestText(text, 'list.yaml');
    expect(parsed.documents.map((document) => [document.itemPointer, document.itemIndex])).toEqual([
      ['/items/0/items/0', 0],
      ['/items/1', 1],
    ]);
    expect(lineColumn(parsed.documents[0]!.location)).toBe('5:5');
  });

  it('reports items that are not objects and keeps the others', () => {
    const text = 'kind: List\nitems:\n- kind: Job\n- not an object\n-\n- kind: Pod\n';
    expect(summary(text)).toEqual({
      documents: ['0: {"kind":"Job"}', '0: {"kind":"Pod"}'],
      errors: [
        '4:3 items[1] of document 1 is a string, expected a Kubernetes object',
        '5:1 items[2] of document 1 is null, expected a Kubernetes object',
      ],
    });
  });

  it('returns no documents for an empty List', () => {
    expect(summary('apiVersion: v1\nkind: List\nitems: []\n')).toEqual({
      documents: [],
      errors: [],
    });
  });

  it('keeps a List without items as an object', () => {
    expect(summary('kind: List\nmetadata: {}\n').documents).toEqual([
      '0: {"kind":"List","metadata":{}}',
    ]);
  });

  it('returns the objects of an OpenShift Template with placeholders as written', () => {
    const text = `apiVersion: template.openshift.io/v1
kind: Template
parameters:
- name: SCHEDULE
objects:
- kind: CronJob
  spec:
    schedule: \${SCHEDULE}
`;
    const parsed = parseManifestText(text, 'template.yaml');
    expect(parsed.documents).toHaveLength(1);
    const [object] = parsed.documents;
    expect(object!.itemPointer).toBe('/objects/0');
    expect(object!.value).toEqual({ kind: 'CronJob', spec: { schedule: '${SCHEDULE}' } });
    expect(lineColumn(object!.locate('/spec/schedule'))).toBe('8:5');
  });

  it('leaves a Template of another API alone', () => {
    const text = 'apiVersion: example.com/v1\nkind: Template\nobjects: [{kind: Job}]\n';
    expect(summary(text).documents).toEqual([
      '0: {"apiVersion":"example.com/v1","kind":"Template","objects":[{"kind":"Job"}]}',
    ]);
  });

  it('locates every item of a long JSON List', () => {
    const items = Array.from({ length: 20_000 }, (_, index) => ({
      kind: 'Job',
      metadata: { name: `job-${index}` },
    }));
    const text = JSON.stringify({ apiVersion: 'v1', kind: 'List', items }, null, 1);
    const parsed = parseManifestText(text, 'list.json');
    expect(parsed.documents).toHaveLength(items.length);
    const lines = text.split('\n');
    const names = parsed.documents.map((document) => {
      const location = document.locate('/metadata/name');
      return lines[location.line - 1]!.slice(location.column - 1);
    });
    expect(names).toEqual(items.map((_, index) => `"name": "job-${index}"`));
  });
});

describe('JSON', () => {
  it('reads the same values as JSON.parse', () => {
    const text = String.raw`{
      "kind": "ConfigMap",
      "data": {"big": 12345678901234567890, "small": 1e-7, "negative": -0.5, "exponent": 1E+21},
      "escapes": "tab\t, \"quotes\", \\, \/, \u2028, \u00e9, \ud83d\ude00, \u0000, raw é",
      "list": [true, false, null, [], {}, ""]
    }`;
    expect(parseManifestText(text, 'a.json').documents[0]!.value).toEqual(JSON.parse(text));
  });

  it('reports duplicate keys, which JSON.parse would silently resolve', () => {
    expect(summary('{"kind": "Pod",\n "kind": "Job"}', 'a.json').errors).toEqual([
      '2:2 duplicated mapping key',
    ]);
  });

  it('reports a root array', () => {
    expect(summary('[{"kind": "Pod"}]', 'a.json').errors).toEqual([
      '1:1 document 1 is an array, expected a Kubernetes object',
    ]);
  });
});

describe('hostile input', () => {
  it.each([
    ['YAML', 'a: '.concat('['.repeat(50_000), ']'.repeat(50_000))],
    ['JSON', '{"a": '.concat('['.repeat(50_000), ']'.repeat(50_000), '}')],
    [
      'block YAML',
      Array.from({ length: 5_000 }, (_, depth) => `${' '.repeat(depth)}k:`).join('\n'),
    ],
  ])('reports very deep %s nesting instead of crashing', (_, text) => {
    const parsed = parseManifestText(text, 'deep.yaml');
    expect(parsed.documents).toEqual([]);
    expect(parsed.errors).toHaveLength(1);
    expect(parsed.errors[0]!.message).toMatch(/nest/);
  });

  it('refuses a billion laughs', () => {
    const levels = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]'];
    for (let level = 1; level < 10; level++) {
      const previous = String.fromCharCode(96 + level);
      const name = String.fromCharCode(97 + level);
      levels.push(
        `${name}: &${name} [${Array.from({ length: 9 }, () => `*${previous}`).join(', ')}]`,
      );
    }
    const text = `kind: ConfigMap\n${levels.join('\n')}\n---\nkind: Next\n`;
    expect(summary(text)).toEqual({
      documents: ['1: {"kind":"Next"}'],
      errors: ['1:1 document 1 expands to more than 10000 nodes through YAML aliases'],
    });
  });

  it('refuses an alias to a node that contains it', () => {
    const text = 'kind: ConfigMap\nloop: &loop\n  again: *loop\n';
    expect(summary(text).errors).toEqual([
      '1:1 document 1 contains an alias to a node that contains it, so it never ends',
    ]);
  });

  it('allows a few aliases and copies what they refer to', () => {
    const text = 'base: &base {x: [1, 2]}\nuse: *base\nmerged:\n  <<: *base\n';
    const value = parseManifestText(text, 'a.yaml').documents[0]!.value as Record<
      string,
      { x: number[] }
    >;
    expect(value).toEqual({ base: { x: [1, 2] }, use: { x: [1, 2] }, merged: { x: [1, 2] } });
    value.use!.x.push(3);
    expect(value.base!.x).toEqual([1, 2]);
    expect(value.merged!.x).toEqual([1, 2]);
  });

  it.each([
    ['YAML', '__proto__: {polluted: true}\nkind: Pod\n', ''],
    ['JSON', '{"__proto__": {"polluted": true}, "kind": "Pod"}', ''],
    ['a merge key', 'base: &b {__proto__: {polluted: true}}\nkind: Pod\ncopy:\n  <<: *b\n', 'copy'],
    ['an alias', 'base: &b {__proto__: {polluted: true}}\nkind: Pod\ncopy: *b\n', 'copy'],
  ])('keeps a __proto__ key in %s an own property', (_, text, field) => {
    const parsed = parseManifestText(text, 'a.yaml');
    expect(parsed.errors).toEqual([]);
    const value = parsed.documents[0]!.value as Record<string, unknown>;
    const holder = (field === '' ? value : value[field]) as object;
    expect(Object.getPrototypeOf(holder)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(holder, '__proto__')?.value).toEqual({ polluted: true });
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
  });
});

describe('documents', () => {
  it('serialise without the source text they keep for locating', () => {
    const [document] = parseManifestText('kind: Pod\n', 'a.yaml').documents;
    expect(JSON.parse(JSON.stringify(document))).toEqual({
      file: 'a.yaml',
      documentIndex: 0,
      value: { kind: 'Pod' },
      location: { file: 'a.yaml', line: 1, column: 1 },
    });
    expect({ ...document }).not.toHaveProperty('itemIndex');
  });
});

describe('YAML as Kubernetes reads it', () => {
  it('keeps timestamps as strings and still honours merge keys', () => {
    const result = parseManifestText(
      'base: &b {x: 1}\nkind: ConfigMap\nmetadata:\n  creationTimestamp: 2024-01-01T00:00:00Z\n  annotations:\n    <<: *b\n    day: 2024-01-01\n',
      'k.yaml',
    );
    expect(result.errors).toEqual([]);
    expect(result.documents[0]?.value).toEqual({
      base: { x: 1 },
      kind: 'ConfigMap',
      metadata: {
        creationTimestamp: '2024-01-01T00:00:00Z',
        annotations: { x: 1, day: '2024-01-01' },
      },
    });
  });
});
