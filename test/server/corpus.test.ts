import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import jsonpatch from 'fast-json-patch';
import yaml from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AdmissionReviewResponse } from '../../src/admission/index.js';
import { callWebhook, startTestServer, type TestServer } from './support.js';

/**
 * Real AdmissionReviews from public projects (including the Kubernetes API's own
 * round-trip testdata for admission.k8s.io v1 and v1beta1), read in place from the
 * shared corpus and sent over HTTPS exactly as the API server would. Only the
 * wire-level contract is checked here; test/unit/admission/corpus.test.ts checks
 * the decisions.
 */
const CORPUS = '/work/shared/corpus/admission';
const files = existsSync(CORPUS)
  ? readdirSync(CORPUS)
      .filter((file) => /\.(json|ya?ml)$/.test(file))
      .sort()
  : [];

function body(file: string): string {
  const text = readFileSync(join(CORPUS, file), 'utf8');
  return file.endsWith('.json') ? text : JSON.stringify(yaml.load(text));
}

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.close();
});

/**
 * What to send for one corpus file: the body as found; a bare AdmissionRequest
 * (Kubewarden and Pepr fixtures) also inside its envelope; the Kubernetes
 * round-trip samples, whose every field holds a placeholder ("operationValue"),
 * also with a real operation, so the fully populated shape is answered, not refused.
 */
function candidates(file: string): string[] {
  const text = body(file);
  const parsed = JSON.parse(text) as Record<string, unknown>;
  const sent = [text];
  if (parsed.request === undefined && typeof parsed.uid === 'string')
    sent.push(
      JSON.stringify({
        apiVersion: 'admission.k8s.io/v1',
        kind: 'AdmissionReview',
        request: parsed,
      }),
    );
  const request = parsed.request as Record<string, unknown> | undefined;
  if (request?.operation === 'operationValue')
    sent.push(JSON.stringify({ ...parsed, request: { ...request, operation: 'UPDATE' } }));
  return sent;
}

const answered = new Map<string, number>();
let patched = 0;

describe.skipIf(files.length === 0)('admission corpus over HTTPS', () => {
  it.each(files)('%s', async (file) => {
    for (const sent of candidates(file)) {
      const request = (JSON.parse(sent) as { request?: { uid?: unknown; object?: unknown } })
        .request;
      for (const path of ['/mutate?timeout=10s', '/validate?timeout=10s']) {
        const answer = await callWebhook(server.port, path, sent);
        // A review the decoder refuses is a 400 with a reason; anything else is a 200
        // whose uid is the request's. Never a 500, never a dropped connection.
        if (answer.status === 400) {
          expect(JSON.parse(answer.body)).toMatchObject({ error: expect.any(String) as unknown });
          continue;
        }
        expect(answer.status).toBe(200);
        answered.set(file, (answered.get(file) ?? 0) + 1);
        const review = JSON.parse(answer.body) as AdmissionReviewResponse;
        expect(review.kind).toBe('AdmissionReview');
        expect(review.response.uid).toBe(request?.uid);
        const patch = review.response.patch;
        if (patch === undefined) continue;
        expect(path).toMatch(/^\/mutate/);
        patched++;
        const operations = JSON.parse(
          Buffer.from(patch, 'base64').toString('utf8'),
        ) as jsonpatch.Operation[];
        const mutated = jsonpatch.applyPatch(
          structuredClone(request?.object),
          operations,
          true,
          false,
        ).newDocument;
        // Reinvocation: our own output comes back without a patch.
        const again = JSON.parse(sent) as { request: { object: unknown } };
        again.request.object = mutated;
        const second = JSON.parse(
          (await callWebhook(server.port, path, JSON.stringify(again))).body,
        ) as AdmissionReviewResponse;
        expect(second.response.patch).toBeUndefined();
      }
    }
  });

  it('answers the well-formed reviews, not just refuses everything', () => {
    for (const file of files.filter((name) =>
      /AdmissionReview\.(json|yaml)$|review-cronjob\.json$|cronjob_root_user\.json$/.test(name),
    ))
      expect(answered.get(file), file).toBeGreaterThan(0);
    expect(patched).toBeGreaterThan(0);
  });
});
