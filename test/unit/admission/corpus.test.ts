import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { admit, decodeReview, isReviewError } from '../../../src/admission/index.js';
import { builtinPolicySet } from '../../support/builtin.js';
import { applyWithLibrary } from './support.js';

/** Real AdmissionReviews (and near misses) collected from public projects; read in place. */
const CORPUS = '/work/shared/corpus/admission';
const files = existsSync(CORPUS)
  ? readdirSync(CORPUS)
      .filter((file) => /\.(json|ya?ml)$/.test(file))
      .sort()
  : [];

function parse(file: string): unknown {
  const text = readFileSync(join(CORPUS, file), 'utf8');
  return file.endsWith('.json') ? JSON.parse(text) : yaml.load(text);
}

/** What a bare AdmissionRequest would look like inside its envelope. */
function wrapped(body: unknown): unknown {
  return { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: body };
}

describe.skipIf(files.length === 0)('admission corpus', () => {
  it.each(files)('%s: a well-formed answer or a precise decode error', (file) => {
    const body = parse(file);
    for (const candidate of [body, wrapped(body)]) {
      const result = decodeReview(candidate);
      if (isReviewError(result)) {
        expect(result.httpStatus).toBe(400);
        expect(result.message.length).toBeGreaterThan(10);
        expect(
          result.field === '' || /^(apiVersion|kind|request(\.\w+)?)$/.test(result.field),
        ).toBe(true);
        continue;
      }
      for (const webhook of ['mutate', 'validate'] as const) {
        const outcome = admit(result, { policySet: builtinPolicySet(), webhook });
        const response = outcome.review.response;
        expect(outcome.review.apiVersion).toBe(result.apiVersion);
        expect(outcome.review.kind).toBe('AdmissionReview');
        expect(response.uid).toBe(result.uid);
        expect(typeof response.allowed).toBe('boolean');
        expect(outcome.internalError).toBeUndefined();
        if (!response.allowed) expect([400, 403]).toContain(response.status?.code);
        if (webhook === 'validate') expect(response).not.toHaveProperty('patch');
        if (response.patch !== undefined) {
          expect(response.patchType).toBe('JSONPatch');
          const request = (candidate as { request: { object: unknown } }).request;
          applyWithLibrary(request.object, outcome);
        }
      }
    }
  });

  it('decodes the enveloped reviews and explains the others', () => {
    const errors = files.map((file) => decodeReview(parse(file))).filter(isReviewError);
    const messages = errors.map((error) => error.message).join('\n');
    expect(messages).toContain('bare AdmissionRequest');
    expect(messages).toContain('request is missing');
    expect(errors.length).toBeLessThan(files.length);
  });
});
