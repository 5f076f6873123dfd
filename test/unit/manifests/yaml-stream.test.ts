import fc from 'fast-check';
import { dump, loadAll } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { documentStarts } from '../../../src/manifests/yaml-stream.js';

/** The documents as the texts they are split into. */
function parts(text: string): string[] {
  const starts = documentStarts(text);
  return starts.map((start, index) => text.slice(start, starts[index + 1] ?? text.length));
}

describe('documentStarts', () => {
  it('splits before every `---` line', () => {
    expect(parts('a: 1\n---\nb: 2\n--- # comment\nc: 3\n---')).toEqual([
      'a: 1\n',
      '---\nb: 2\n',
      '--- # comment\nc: 3\n',
      '---',
    ]);
  });

  it('keeps comments, blank lines and directives before the first `---` with it', () => {
    expect(parts('# license header\n\n%YAML 1.2\n---\na: 1\n')).toEqual([
      '# license header\n\n%YAML 1.2\n---\na: 1\n',
    ]);
  });

  it('splits after a `...` line, and keeps directives after it with their document', () => {
    expect(parts('a: 1\n...\n%YAML 1.2\n---\nb: 2\r\n...\r\n# end\r\n')).toEqual([
      'a: 1\n...\n',
      '%YAML 1.2\n---\nb: 2\r\n...\r\n',
      '# end\r\n',
    ]);
  });

  it('does not split at markers that are not alone at the start of a line', () => {
    const text = 'a: ---\n ---\nb: |\n  ---\n----\n---x: 1\nc: "\u2028---"\n';
    expect(parts(text)).toEqual([text]);
  });

  it('splits a CR-only stream like js-yaml', () => {
    expect(parts('a: 1\r---\rb: 2\r')).toEqual(['a: 1\r', '---\rb: 2\r']);
  });

  it('splits valid streams into exactly the documents js-yaml reads', () => {
    const document = fc.oneof(
      fc.dictionary(
        fc.stringMatching(/^[a-z]{1,5}$/),
        fc.oneof(fc.string(), fc.integer(), fc.constant(null)),
      ),
      fc.constant(null),
      fc.array(fc.string(), { maxLength: 3 }),
      fc.string(),
    );
    const separator = fc.constantFrom('---\n', '--- # c\n', '...\n---\n', '\n# between\n---\n\n');
    fc.assert(
      fc.property(
        fc.array(fc.tuple(separator, document), { minLength: 1, maxLength: 5 }),
        (documents) => {
          const text = documents.map(([marker, value]) => marker + dump(value)).join('');
          const expected = loadAll(text);
          const split = parts(text).flatMap((part) => loadAll(part));
          expect(split).toEqual(expected);
        },
      ),
      { numRuns: 300 },
    );
  });
});
