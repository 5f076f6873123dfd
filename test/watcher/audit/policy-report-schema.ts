import { Ajv, type SchemaObject } from 'ajv';

/**
 * The structural schema of a wgpolicyk8s.io/v1alpha2 PolicyReport, written for these
 * tests from the CRD in kubernetes-sigs/wg-policy-prototypes
 * (policy-report/crd/v1alpha2): types, enums and required fields. Stricter than the
 * CRD in one way: `additionalProperties: false` on results, summary and resources, so a
 * misspelt field fails here instead of being pruned silently by the API server.
 */
const objectReference: SchemaObject = {
  type: 'object',
  additionalProperties: false,
  properties: {
    apiVersion: { type: 'string' },
    fieldPath: { type: 'string' },
    kind: { type: 'string' },
    name: { type: 'string' },
    namespace: { type: 'string' },
    resourceVersion: { type: 'string' },
    uid: { type: 'string' },
  },
};

const stringMap: SchemaObject = { type: 'object', additionalProperties: { type: 'string' } };

const POLICY_REPORT_V1ALPHA2: SchemaObject = {
  type: 'object',
  required: ['apiVersion', 'kind', 'metadata'],
  properties: {
    apiVersion: { const: 'wgpolicyk8s.io/v1alpha2' },
    kind: { const: 'PolicyReport' },
    metadata: {
      type: 'object',
      required: ['name', 'namespace'],
      properties: {
        name: { type: 'string', minLength: 1, maxLength: 253 },
        namespace: { type: 'string', minLength: 1 },
        labels: stringMap,
        annotations: stringMap,
      },
    },
    scope: objectReference,
    summary: {
      type: 'object',
      additionalProperties: false,
      properties: Object.fromEntries(
        ['error', 'fail', 'pass', 'skip', 'warn'].map((name) => [
          name,
          { type: 'integer', minimum: 0 },
        ]),
      ),
    },
    results: {
      type: 'array',
      items: {
        type: 'object',
        required: ['policy'],
        additionalProperties: false,
        properties: {
          category: { type: 'string' },
          message: { type: 'string' },
          policy: { type: 'string' },
          properties: stringMap,
          resources: { type: 'array', items: objectReference },
          result: { enum: ['pass', 'fail', 'warn', 'error', 'skip'] },
          rule: { type: 'string' },
          scored: { type: 'boolean' },
          severity: { enum: ['high', 'low', 'medium'] },
          source: { type: 'string' },
          timestamp: {
            type: 'object',
            required: ['nanos', 'seconds'],
            additionalProperties: false,
            properties: {
              nanos: { type: 'integer', minimum: 0, maximum: 999_999_999 },
              seconds: { type: 'integer' },
            },
          },
        },
      },
    },
  },
};

const validator = new Ajv({ allErrors: true, strict: true }).compile(POLICY_REPORT_V1ALPHA2);

/** Schema violations of `report`, as `path: message` lines; empty when it is valid. */
export function validatePolicyReport(report: unknown): string[] {
  if (validator(report)) return [];
  return (validator.errors ?? []).map((error) => `${error.instancePath}: ${error.message ?? ''}`);
}
