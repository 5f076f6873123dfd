import fc from 'fast-check';
import jsonpatch from 'fast-json-patch';
import { describe, expect, it } from 'vitest';
import {
  applyJsonPatch,
  boundAuditAnnotations,
  boundWarnings,
  isValidAuditAnnotationKey,
  toAuditAnnotationKey,
} from '../../../src/admission/index.js';
import { denialMessage } from '../../../src/admission/messages.js';
import { runeLength } from '../../../src/admission/text.js';
import { diff } from '../../../src/engine/patch.js';
import type { Finding } from '../../../src/engine/types.js';

// What the API server drops a warning for: control characters (C0, DEL, C1).
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001F\u007F-\u009F]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

const hostileText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc.string({
    unit: fc.constantFrom(
      '\n',
      '\r',
      '\t',
      '\u0000',
      '\u0085',
      '\u2028',
      'a',
      ' ',
      'é',
      '😀',
      '\uD800',
    ),
    maxLength: 200,
  }),
  fc.string({ unit: 'grapheme', minLength: 100, maxLength: 2000 }),
);

const limits = fc.record({
  warningRunes: fc.integer({ min: 1, max: 300 }),
  warningBudgetRunes: fc.integer({ min: 0, max: 4096 }),
});

describe('boundWarnings', () => {
  it('keeps every warning single-line, printable, bounded, unique and within budget', () => {
    fc.assert(
      fc.property(fc.array(hostileText, { maxLength: 80 }), limits, (candidates, limit) => {
        const warnings = boundWarnings(candidates, limit);
        expect(new Set(warnings).size).toBe(warnings.length);
        let total = 0;
        for (const warning of warnings) {
          expect(warning).not.toMatch(CONTROL);
          expect(warning).not.toMatch(LONE_SURROGATE);
          expect(warning).not.toBe('');
          expect(runeLength(warning)).toBeLessThanOrEqual(limit.warningRunes);
          total += runeLength(warning);
        }
        expect(total).toBeLessThanOrEqual(limit.warningBudgetRunes);
      }),
    );
  });

  it('keeps the first (most important) lines and says how many were left out', () => {
    const candidates = Array.from(
      { length: 100 },
      (_, index) => `warning ${index} ${'x'.repeat(100)}`,
    );
    const warnings = boundWarnings(candidates, { warningRunes: 120, warningBudgetRunes: 4096 });
    expect(warnings[0]).toBe(candidates[0]);
    expect(warnings.at(-1)).toMatch(/^cronguard: \d+ more warnings omitted/);
    const omitted = Number(/(\d+) more/.exec(warnings.at(-1)!)![1]);
    expect(warnings.length - 1 + omitted).toBe(100);
  });

  it('passes short distinct lines through unchanged and drops duplicates', () => {
    expect(
      boundWarnings(['a', 'b', 'a', 'line\nbreak'], {
        warningRunes: 120,
        warningBudgetRunes: 4096,
      }),
    ).toEqual(['a', 'b', 'line break']);
  });
});

describe('auditAnnotations keys and values', () => {
  it('turns any text into a valid key or nothing', () => {
    fc.assert(
      fc.property(hostileText, (raw) => {
        const key = toAuditAnnotationKey(raw);
        if (key !== undefined) expect(isValidAuditAnnotationKey(key)).toBe(true);
        expect(key === undefined ? '' : key).not.toContain('/');
      }),
    );
  });

  it('keeps valid keys as they are', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/), (key) => {
        expect(toAuditAnnotationKey(key)).toBe(key);
      }),
    );
  });

  it('rejects the invalid key shapes the API server would drop', () => {
    for (const key of ['', 'a/b', '-a', 'a-', 'x'.repeat(64), 'a b', 'é']) {
      expect(isValidAuditAnnotationKey(key), key).toBe(false);
    }
  });

  it('bounds the whole map: valid keys, single-line values within the limit', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(hostileText, hostileText), { maxLength: 20 }),
        fc.integer({ min: 1, max: 500 }),
        (entries, max) => {
          const annotations = boundAuditAnnotations(entries, max);
          for (const [key, value] of Object.entries(annotations)) {
            expect(isValidAuditAnnotationKey(key)).toBe(true);
            expect(value).not.toMatch(CONTROL);
            expect(runeLength(value)).toBeLessThanOrEqual(max);
          }
        },
      ),
    );
  });
});

describe('denialMessage', () => {
  const finding = (message: string, index: number): Finding => ({
    ruleId: `rule-${index}`,
    policy: 'p',
    action: 'enforce',
    severity: 'error',
    message,
    path: `/spec/field${index}`,
    fix: 'do the right thing',
  });

  it('stays within the byte bound and counts what it left out', () => {
    fc.assert(
      fc.property(
        fc.array(hostileText, { minLength: 1, maxLength: 60 }),
        fc.integer({ min: 200, max: 4096 }),
        (messages, maxBytes) => {
          const text = denialMessage('CronJob', messages.map(finding), maxBytes);
          expect(Buffer.byteLength(text, 'utf8')).toBeLessThanOrEqual(maxBytes);
          const lines = text.split('\n');
          for (const line of lines) expect(line).not.toMatch(CONTROL);
          const shown = lines.filter(
            (line) => line.startsWith('- ') && !line.startsWith('- and '),
          ).length;
          const more = /- and (\d+) more/.exec(text);
          if (Buffer.byteLength(text, 'utf8') < maxBytes - 20 && more === null)
            expect(shown).toBe(messages.length);
          if (more !== null) expect(shown + Number(more[1])).toBe(messages.length);
        },
      ),
    );
  });
});

describe('applyJsonPatch (the safety net)', () => {
  const json = fc.jsonValue({ maxDepth: 4 });

  it('agrees with fast-json-patch on the engine diff of random documents', () => {
    fc.assert(
      fc.property(json, json, (from, to) => {
        const patch = diff(from, to);
        const ours = applyJsonPatch(from, patch);
        expect(ours.ok).toBe(true);
        const theirs = jsonpatch.applyPatch(
          structuredClone(from),
          structuredClone(patch) as jsonpatch.Operation[],
          true,
          false,
        ).newDocument;
        expect(ours.ok ? ours.result : undefined).toEqual(theirs);
      }),
    );
  });

  it('fails where the API server would: missing parents, bad indices, failed tests', () => {
    const document = { a: { b: [1, 2] } };
    expect(applyJsonPatch(document, [{ op: 'add', path: '/x/y', value: 1 }]).ok).toBe(false);
    expect(applyJsonPatch(document, [{ op: 'replace', path: '/a/c', value: 1 }]).ok).toBe(false);
    expect(applyJsonPatch(document, [{ op: 'remove', path: '/a/b/2' }]).ok).toBe(false);
    expect(applyJsonPatch(document, [{ op: 'add', path: '/a/b/01', value: 1 }]).ok).toBe(false);
    expect(applyJsonPatch(document, [{ op: 'test', path: '/a/b/0', value: 2 }]).ok).toBe(false);
    expect(applyJsonPatch(document, [{ op: 'add', path: '/a/b/-', value: 3 }])).toEqual({
      ok: true,
      result: { a: { b: [1, 2, 3] } },
    });
    expect(document).toEqual({ a: { b: [1, 2] } });
  });
});
