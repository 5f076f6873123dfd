import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BUILTIN_RULES } from '../../../src/rules/index.js';

const README = readFileSync(join(import.meta.dirname, '../../../policies/README.md'), 'utf8');
const documented = [...README.matchAll(/^### ([a-z0-9-]+)\s*$/gm)].map((match) => match[1]);

describe('policies/README.md', () => {
  it.each(BUILTIN_RULES.map((rule) => rule.id))('documents rule %s', (id) => {
    expect(documented).toContain(id);
  });

  it('documents no rule that does not exist', () => {
    const ids = new Set(BUILTIN_RULES.map((rule) => rule.id));
    expect(documented.filter((id) => !ids.has(id as string))).toEqual([]);
  });

  it('has unique, stable-looking rule ids', () => {
    const ids = BUILTIN_RULES.map((rule) => rule.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^[a-z]+(-[a-z0-9]+)+$/);
  });
});
