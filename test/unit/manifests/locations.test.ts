import { describe, expect, it } from 'vitest';
import { lineColumn, parseOne, textAt } from './support.js';

const CRON_JOB = `apiVersion: batch/v1
kind: CronJob
metadata:
  name: nightly-report   # trailing comment

  # a comment between fields
  annotations:
    sidecar.istio.io/inject: "false"
    "quoted key": yes
    'single quoted': 1
    odd~key/with~1: x
spec:
  schedule: "30 2 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          containers:
          - name: report
            image: registry.example.com/report:1.4.2
            command:
            - /bin/report
            - --since=24h
            args: ["--verbose", "--format=json"]
            resources: {limits: {memory: 64Mi}, requests: {cpu: 100m}}
          -   name: sidecar
              image: envoy
          restartPolicy: OnFailure
`;

describe('locate', () => {
  const document = parseOne(CRON_JOB);
  const at = (pointer: string): string => lineColumn(document.locate(pointer));

  it('puts the document at its first key and the empty pointer there too', () => {
    expect(document.location).toEqual({ file: 'test.yaml', line: 1, column: 1 });
    expect(document.locate('')).toEqual(document.location);
  });

  it('locates top-level and nested fields at their keys', () => {
    expect(at('/kind')).toBe('2:1');
    expect(at('/metadata')).toBe('3:1');
    expect(at('/metadata/name')).toBe('4:3');
    expect(at('/spec/schedule')).toBe('13:3');
    expect(at('/spec/jobTemplate/spec/template/spec/restartPolicy')).toBe('28:11');
  });

  it('skips comments and blank lines between fields', () => {
    expect(at('/metadata/annotations')).toBe('7:3');
  });

  it('escapes / and ~ in keys as RFC 6901 says', () => {
    expect(at('/metadata/annotations/sidecar.istio.io~1inject')).toBe('8:5');
    expect(at('/metadata/annotations/odd~0key~1with~01')).toBe('11:5');
  });

  it('locates quoted keys at their opening quote', () => {
    expect(at('/metadata/annotations/quoted key')).toBe('9:5');
    expect(at('/metadata/annotations/single quoted')).toBe('10:5');
  });

  it('locates block sequence items at their first token, whatever the indentation', () => {
    const containers = '/spec/jobTemplate/spec/template/spec/containers';
    expect(at(`${containers}/0`)).toBe('19:13');
    expect(at(`${containers}/0/name`)).toBe('19:13');
    expect(at(`${containers}/0/command/1`)).toBe('23:15');
    expect(at(`${containers}/1`)).toBe('26:15');
    expect(at(`${containers}/1/image`)).toBe('27:15');
  });

  it('locates items and keys of flow collections', () => {
    const container = '/spec/jobTemplate/spec/template/spec/containers/0';
    expect(at(`${container}/args/1`)).toBe('24:33');
    expect(at(`${container}/resources/limits/memory`)).toBe('25:34');
    expect(at(`${container}/resources/requests/cpu`)).toBe('25:60');
  });

  it('falls back to the nearest existing ancestor for a missing path', () => {
    const spec = '/spec/jobTemplate/spec/template/spec';
    expect(at(`${spec}/securityContext/runAsNonRoot`)).toBe('17:9');
    expect(at(`${spec}/containers/0/resources/limits/cpu`)).toBe('25:25');
    expect(at('/status')).toBe('1:1');
    // Past the end, `-` (append) and non-canonical indexes are not items.
    expect(at(`${spec}/containers/2`)).toBe('18:11');
    expect(at(`${spec}/containers/-`)).toBe('18:11');
    expect(at(`${spec}/containers/01`)).toBe('18:11');
    // Below a scalar there is nothing.
    expect(at('/kind/0')).toBe('2:1');
  });

  it('throws on a string that is not a pointer', () => {
    expect(() => document.locate('metadata')).toThrow(/invalid JSON pointer/);
  });
});

describe('locations in other YAML styles', () => {
  it('locates the keys after a block scalar', () => {
    const text =
      'script: |\n  echo one\n  echo two: not a key\nnext: >-\n  folded\n  text\nlast: 1\n';
    const document = parseOne(text);
    expect(lineColumn(document.locate('/next'))).toBe('4:1');
    expect(lineColumn(document.locate('/last'))).toBe('7:1');
  });

  it('locates explicit keys, with and without values', () => {
    const text = '? plain\n: 1\n? |\n  block\n: 2\n? alone\nafter: 3\n';
    const document = parseOne(text);
    expect(document.value).toEqual({ plain: 1, 'block\n': 2, alone: null, after: 3 });
    expect(lineColumn(document.locate('/plain'))).toBe('1:3');
    expect(lineColumn(document.locate('/block\n'))).toBe('3:3');
    expect(lineColumn(document.locate('/alone'))).toBe('6:3');
    expect(lineColumn(document.locate('/after'))).toBe('7:1');
  });

  it('locates flow mappings with keys without values and pairs in flow sequences', () => {
    const text = 'map: {a, b: 1, c}\nlist: [x, y: 2, z]\n';
    const document = parseOne(text);
    expect(document.value).toEqual({ map: { a: null, b: 1, c: null }, list: ['x', { y: 2 }, 'z'] });
    expect(lineColumn(document.locate('/map/b'))).toBe('1:10');
    expect(lineColumn(document.locate('/map/c'))).toBe('1:16');
    expect(lineColumn(document.locate('/list/1'))).toBe('2:11');
    expect(lineColumn(document.locate('/list/2'))).toBe('2:17');
  });

  it('locates items after a `-` with nothing after it', () => {
    const text = 'list:\n-\n- b\n- ~\n-\n- c\n';
    const document = parseOne(text);
    expect(document.value).toEqual({ list: [null, 'b', null, null, 'c'] });
    expect(lineColumn(document.locate('/list/1'))).toBe('3:3');
    expect(lineColumn(document.locate('/list/4'))).toBe('6:3');
    // js-yaml composes no node for a `-` followed by a less indented line; it is found by its `-`.
    expect(lineColumn(document.locate('/list/0'))).toBe('2:1');
    expect(lineColumn(document.locate('/list/3'))).toBe('5:1');
    expect(lineColumn(document.locate('/list/0/deeper'))).toBe('2:1');
  });

  it('counts columns in UTF-16 code units, as JavaScript tools do', () => {
    // The emoji is two code units, one code point.
    const document = parseOne('a: {"\u{1F642}": 1, "b": 2}\n');
    expect(lineColumn(document.locate('/a/b'))).toBe('1:14');
  });

  it('handles CRLF line endings', () => {
    const text = 'a: 1\r\nb:\r\n  c: |\r\n    x\r\n  d: [1, 2]\r\n';
    const document = parseOne(text);
    expect(document.value).toEqual({ a: 1, b: { c: 'x\n', d: [1, 2] } });
    expect(lineColumn(document.locate('/b/d/1'))).toBe('5:10');
    expect(textAt(text, document.locate('/b/d'))).toBe('d: [1, 2]');
  });

  it('handles a lone CR as a line break, as js-yaml does', () => {
    const document = parseOne('a: 1\rb: 2\r');
    expect(lineColumn(document.locate('/b'))).toBe('2:1');
  });

  it('does not count a byte order mark as a column', () => {
    const document = parseOne('\uFEFFa: 1\nb: 2\n');
    expect(document.value).toEqual({ a: 1, b: 2 });
    expect(lineColumn(document.location)).toBe('1:1');
    expect(lineColumn(document.locate('/b'))).toBe('2:1');
  });

  it('locates tab-indented JSON at its keys', () => {
    const text =
      '{\n\t"apiVersion": "v1",\n\t"metadata": {\n\t\t"name": "a",\n\t\t"labels": {"x/y": "z"}\n\t},\n\t"list": [\n\t\t1,\n\t\t{"k": true}\n\t]\n}\n';
    const document = parseOne(text, 'object.json');
    expect(document.location).toEqual({ file: 'object.json', line: 2, column: 2 });
    expect(lineColumn(document.locate('/metadata/name'))).toBe('4:3');
    expect(lineColumn(document.locate('/metadata/labels/x~1y'))).toBe('5:14');
    expect(lineColumn(document.locate('/list/1/k'))).toBe('9:4');
    expect(textAt(text, document.locate('/list/0'))).toBe('1,');
  });

  it('locates compact one-line JSON', () => {
    const text = '{"a":{"b":[1,{"c":2}]},"d":"e"}';
    const document = parseOne(text, 'object.json');
    expect(lineColumn(document.locate('/a/b/1/c'))).toBe('1:15');
    expect(lineColumn(document.locate('/d'))).toBe('1:24');
  });
});

describe('anchors, aliases and merge keys', () => {
  const text = `defaults: &defaults
  image: base:1
  resources:
    limits: {memory: 1Gi}
first:
  <<: *defaults
  name: first
second:
  <<: *defaults
  image: override:2
shared: *defaults
`;
  const document = parseOne(text);

  it('locates keys merged in with `<<` at the mapping they were merged into', () => {
    expect(lineColumn(document.locate('/first/image'))).toBe('5:1');
    expect(lineColumn(document.locate('/first/name'))).toBe('7:3');
  });

  it('locates a key that overrides a merged one at itself', () => {
    expect(lineColumn(document.locate('/second/image'))).toBe('10:3');
  });

  it('locates what lies below a merged or aliased node in the text it came from', () => {
    expect(lineColumn(document.locate('/first/resources/limits/memory'))).toBe('4:14');
    expect(lineColumn(document.locate('/shared'))).toBe('11:1');
    expect(lineColumn(document.locate('/shared/image'))).toBe('2:3');
  });

  it('returns a tree: aliased nodes are copies, not shared objects', () => {
    const value = document.value as Record<string, Record<string, Record<string, unknown>>>;
    expect(value.first!.resources).toEqual({ limits: { memory: '1Gi' } });
    expect(value.first!.resources).not.toBe(value.second!.resources);
    expect(value.shared).not.toBe(value.defaults);
  });
});
