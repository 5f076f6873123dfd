import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { evaluate } from '../../../src/engine/evaluate.js';
import type { KubeObject } from '../../../src/k8s/types.js';
import { parseManifestText } from '../../../src/manifests/index.js';
import { BUILTIN_RULES } from '../../../src/rules/index.js';
import { policiesFrom } from '../../support/policies.js';

const FIXTURES = join(import.meta.dirname, '../../fixtures/rules');

function documents(file: string): { value: KubeObject; line: number }[] {
  const parsed = parseManifestText(readFileSync(file, 'utf8'), file);
  expect(parsed.errors).toEqual([]);
  return parsed.documents.map((doc) => ({
    value: doc.value as KubeObject,
    line: doc.location.line,
  }));
}

/**
 * Every built-in rule has a fixture directory with a policy that enables it, objects
 * it must leave alone (pass.yaml) and objects it must act on (fail.yaml).
 */
describe.each(BUILTIN_RULES.map((rule) => rule.id))('rule %s', (ruleId) => {
  const dir = join(FIXTURES, ruleId);

  it('has pass and fail fixtures', () => {
    for (const file of ['policy.yaml', 'pass.yaml', 'fail.yaml'])
      expect(existsSync(join(dir, file)), `${ruleId}/${file}`).toBe(true);
  });
  if (!existsSync(join(dir, 'policy.yaml'))) return;

  const policies = policiesFrom(
    readFileSync(join(dir, 'policy.yaml'), 'utf8'),
    join(dir, 'policy.yaml'),
  );
  const touches = (object: KubeObject): number => {
    const namespace =
      typeof object.metadata?.namespace === 'string' ? object.metadata.namespace : 'default';
    const result = evaluate(
      policies,
      { object, operation: 'CREATE', namespace },
      { rules: BUILTIN_RULES },
    );
    return (
      result.findings.filter((f) => f.ruleId === ruleId).length +
      result.mutations.filter((m) => m.ruleId === ruleId).length
    );
  };

  it('leaves every object in pass.yaml alone', () => {
    const docs = documents(join(dir, 'pass.yaml'));
    expect(docs.length).toBeGreaterThan(0);
    for (const doc of docs) expect(touches(doc.value), `pass.yaml line ${doc.line}`).toBe(0);
  });

  it('acts on every object in fail.yaml', () => {
    const docs = documents(join(dir, 'fail.yaml'));
    expect(docs.length).toBeGreaterThan(0);
    for (const doc of docs)
      expect(touches(doc.value), `fail.yaml line ${doc.line}`).toBeGreaterThan(0);
  });
});

it('has no fixture directory for a rule that does not exist', () => {
  const ids = new Set(BUILTIN_RULES.map((rule) => rule.id));
  for (const entry of readdirSync(FIXTURES)) expect(ids.has(entry), entry).toBe(true);
});
