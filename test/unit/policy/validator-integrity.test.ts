import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv, type Options } from 'ajv';
import { describe, expect, it } from 'vitest';
import { validatePolicyDocument } from '../../../src/policy/schema.js';
import { POLICY_SCHEMA } from '../../../src/policy/schema-definition.js';

/** What the test needs from scripts/generate-policy-validator.mjs (plain JS, so typed here). */
interface GeneratorScript {
  AJV_OPTIONS: Options;
  GENERATED_PATH: string;
  generatePolicyValidatorCode(schema: object): string;
}

const root = new URL('../../../', import.meta.url);
const scriptPath = fileURLToPath(new URL('scripts/generate-policy-validator.mjs', root));
const script = (await import(scriptPath)) as GeneratorScript;

describe('the precompiled policy validator', () => {
  it('is what the generator makes from the current schema (run npm run build if not)', () => {
    const committed = readFileSync(new URL(script.GENERATED_PATH, root), 'utf8');
    // Not toEqual: a 500 kB diff helps nobody; the message says what to do.
    expect(
      script.generatePolicyValidatorCode(POLICY_SCHEMA) === committed,
      `${script.GENERATED_PATH} is out of date with POLICY_SCHEMA: run npm run build`,
    ).toBe(true);
  });

  it('reports the same errors as the schema compiled at run time', () => {
    const validate = new Ajv(script.AJV_OPTIONS).compile(POLICY_SCHEMA);
    const documents: unknown[] = [
      {
        apiVersion: 'cronguard.dev/v1alpha1',
        kind: 'CronJobPolicy',
        metadata: { name: 'ok' },
        spec: { action: 'warn' },
      },
      {
        apiVersion: 'cronguard.dev/v1alpha1',
        kind: 'CronJobPolicy',
        metadata: { name: 'Not_A_Name', labels: { a: 1 } },
        spec: {
          action: 'block',
          actoin: 'warn',
          match: { kinds: ['Deployment'], namespaces: ['a*b*c*d*e*f*g*h*i*j*k*l*m*n*o*p*q*r*'] },
          schedule: { minInterval: '5 minutes', windows: [{ start: '25:00' }] },
          job: {
            backoffLimit: { default: 3, enforce: 4, max: 'six' },
            restartPolicy: { default: 'Always' },
          },
          resources: { defaults: { requests: { cpu: true } } },
          probes: {
            livenessProbe: { exec: { command: ['true'] }, httpGet: { port: 0 } },
            startupProbe: { periodSeconds: 0 },
          },
          mesh: { enabled: true },
        },
      },
      { apiVersion: 'v1', kind: 'ConfigMap' },
      'not an object',
      null,
    ];
    for (const document of documents) {
      const expected = validate(document);
      expect(validatePolicyDocument(document)).toBe(expected);
      expect(validatePolicyDocument.errors ?? null).toEqual(validate.errors ?? null);
    }
  });
});
