import jsonpatch from 'fast-json-patch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AdmissionReviewResponse } from '../../src/admission/index.js';
import { MAX_BODY_BYTES } from '../../src/server/app.js';
import { generateDevelopmentCertificates } from '../../src/server/tls.js';
import { expectValidCronJob, kubectlCronJob, reviewOf } from '../unit/admission/support.js';
import {
  callWebhook,
  postReview,
  scrapeMetrics,
  startTestServer,
  type TestServer,
} from './support.js';

/** A CronJob as the API server passes it to webhooks: defaults already applied. */
function handWrittenCronJob(name: string): Record<string, unknown> {
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name, namespace: 'team-a', labels: { app: name } },
    spec: {
      schedule: '17 3 * * *',
      concurrencyPolicy: 'Allow',
      suspend: false,
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 1,
      jobTemplate: {
        metadata: {},
        spec: {
          template: {
            metadata: {},
            spec: {
              containers: [
                { name: 'main', image: 'registry.example.com/report:2.1.0', resources: {} },
              ],
              restartPolicy: 'OnFailure',
            },
          },
        },
      },
    },
  };
}

function parseReview(body: string): AdmissionReviewResponse {
  return JSON.parse(body) as AdmissionReviewResponse;
}

function decodePatch(review: AdmissionReviewResponse): jsonpatch.Operation[] | undefined {
  const patch = review.response.patch;
  return patch === undefined
    ? undefined
    : (JSON.parse(Buffer.from(patch, 'base64').toString('utf8')) as jsonpatch.Operation[]);
}

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});

afterAll(async () => {
  await server.close();
});

const kubectlObject = kubectlCronJob('x', 'busybox:1.36');
const objects: [string, Record<string, unknown> | undefined][] = [
  ['kubectl create cronjob --dry-run=client', kubectlObject],
  ['a hand-written, API-server-defaulted CronJob', handWrittenCronJob('nightly-report')],
];

describe.each(objects)('mutate then validate over HTTPS: %s', (_label, object) => {
  it.skipIf(object === undefined)(
    'returns an applicable patch, a valid CronJob, and no patch the second time',
    async () => {
      const first = await postReview(server.port, '/mutate?timeout=10s', reviewOf(object));
      expect(first.status).toBe(200);
      expect(first.headers['content-type']).toBe('application/json');
      const answer = parseReview(first.body);
      expect(answer.apiVersion).toBe('admission.k8s.io/v1');
      expect(answer.kind).toBe('AdmissionReview');
      expect(answer.response.uid).toBe('705ab4f5-6393-11e8-b7cc-42010a800002');
      expect(answer.response.allowed).toBe(true);
      expect(answer.response.patchType).toBe('JSONPatch');
      const patch = decodePatch(answer);
      expect(patch?.length).toBeGreaterThan(0);

      // Strict application with an independent RFC 6902 implementation: a patch the
      // API server could not apply would be a 500 even with failurePolicy: Ignore.
      const mutated = jsonpatch.applyPatch(structuredClone(object), patch!, true, false)
        .newDocument as Record<string, unknown>;
      expectValidCronJob(mutated);
      const metadata = mutated.metadata as { annotations?: Record<string, string> };
      expect(metadata.annotations?.['cronguard.dev/policies']).toMatch(/baseline-/);

      const second = parseReview(
        (await postReview(server.port, '/mutate?timeout=10s', reviewOf(mutated))).body,
      );
      expect(second.response.allowed).toBe(true);
      expect(second.response.patch).toBeUndefined();
      expect(second.response.patchType).toBeUndefined();

      const validated = await postReview(server.port, '/validate?timeout=10s', reviewOf(mutated));
      expect(validated.status).toBe(200);
      const validation = parseReview(validated.body);
      expect(validation.response.patch).toBeUndefined();
      expect(validation.response.uid).toBe('705ab4f5-6393-11e8-b7cc-42010a800002');
    },
  );
});

describe('admission protocol over HTTPS', () => {
  it('denies on /validate what the policies enforce, with a status and a message', async () => {
    const object = handWrittenCronJob('x'.repeat(53));
    const answer = await postReview(server.port, '/validate?timeout=10s', reviewOf(object));
    expect(answer.status).toBe(200);
    const review = parseReview(answer.body);
    expect(review.response.allowed).toBe(false);
    expect(review.response.status?.code).toBe(403);
    expect(review.response.status?.message).toMatch(/52/);
  });

  it('answers v1beta1 reviews in v1beta1', async () => {
    const body = reviewOf(handWrittenCronJob('beta'), {}, 'admission.k8s.io/v1beta1');
    const review = parseReview((await postReview(server.port, '/mutate', body)).body);
    expect(review.apiVersion).toBe('admission.k8s.io/v1beta1');
    expect(review.response.allowed).toBe(true);
  });

  it('allows a kind it does not evaluate untouched, with a well-formed review', async () => {
    const configMap = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: {} };
    const body = reviewOf(configMap, {
      kind: { group: '', version: 'v1', kind: 'ConfigMap' },
      resource: { group: '', version: 'v1', resource: 'configmaps' },
    });
    const answer = await postReview(server.port, '/mutate?timeout=10s', body);
    expect(answer.status).toBe(200);
    const review = parseReview(answer.body);
    expect(review.response).toMatchObject({
      uid: '705ab4f5-6393-11e8-b7cc-42010a800002',
      allowed: true,
    });
    expect(review.response.patch).toBeUndefined();
  });

  it('denies with 400 an object that is not the kind the request claims', async () => {
    const body = reviewOf(
      { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' } },
      {
        kind: { group: 'batch', version: 'v1', kind: 'CronJob' },
      },
    );
    const review = parseReview((await postReview(server.port, '/mutate', body)).body);
    expect(review.response.allowed).toBe(false);
    expect(review.response.status?.code).toBe(400);
  });

  it('rejects malformed JSON with HTTP 400 and says why', async () => {
    const answer = await callWebhook(server.port, '/mutate?timeout=10s', '{"apiVersion": ');
    expect(answer.status).toBe(400);
    expect((JSON.parse(answer.body) as { error: string }).error).toMatch(/not valid JSON/);
  });

  it('rejects a body without request with HTTP 400 naming the field', async () => {
    const answer = await callWebhook(
      server.port,
      '/validate',
      JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' }),
    );
    expect(answer.status).toBe(400);
    expect(answer.body).toMatch(/request/);
  });

  it('rejects a body over 3 MiB with HTTP 413, and still serves the next request', async () => {
    const padding = 'x'.repeat(MAX_BODY_BYTES);
    const body = JSON.stringify({ ...reviewOf(handWrittenCronJob('big')), padding });
    const answer = await callWebhook(server.port, '/mutate', body);
    expect(answer.status).toBe(413);
    const health = await callWebhook(server.port, '/healthz', undefined);
    expect(health.status).toBe(200);
  });

  it('rejects a non-JSON content type with HTTP 415', async () => {
    const answer = await callWebhook(server.port, '/mutate', '{}', { contentType: 'text/plain' });
    expect(answer.status).toBe(415);
  });

  it('answers GET on a webhook path with 405 and unknown paths with 404', async () => {
    expect((await callWebhook(server.port, '/mutate', undefined)).status).toBe(405);
    expect((await callWebhook(server.port, '/nope', undefined)).status).toBe(404);
  });

  it('reports liveness and readiness', async () => {
    expect(await callWebhook(server.port, '/healthz', undefined)).toMatchObject({ status: 200 });
    expect(await callWebhook(server.port, '/readyz', undefined)).toMatchObject({ status: 200 });
  });

  it('fails the TLS handshake for a client that does not trust the CA', async () => {
    const otherCa = generateDevelopmentCertificates({ service: 'other', namespace: 'elsewhere' });
    await expect(
      callWebhook(server.port, '/healthz', undefined, { ca: otherCa.caCert }),
    ).rejects.toThrow(/certificate/i);
  });

  it('counts requests by webhook, operation, kind, decision and dry run', async () => {
    const dryRun = reviewOf(handWrittenCronJob('dry'), { dryRun: true });
    const review = parseReview((await postReview(server.port, '/mutate?timeout=10s', dryRun)).body);
    expect(review.response.patch).toBeDefined();
    const text = await scrapeMetrics(server.metricsPort);
    expect(text).toContain(
      'cronguard_admission_requests_total{webhook="mutate",operation="CREATE",kind="CronJob",decision="mutated",dry_run="true"} 1',
    );
    expect(text).toMatch(/cronguard_admission_requests_total\{[^}]*dry_run="false"\} \d+/);
    expect(text).toMatch(/cronguard_admission_duration_seconds_bucket\{le="10",webhook="mutate"\}/);
    expect(text).toMatch(/cronguard_mutations_total\{rule="[^"]+"\} \d+/);
    expect(text).toMatch(
      /cronguard_policy_findings_total\{policy="[^"]+",rule="[^"]+",action="[^"]+"\}/,
    );
    expect(text).toMatch(/cronguard_policies_loaded [1-9]/);
    expect(text).toContain('cronguard_policy_reload_errors_total 0');
    expect(text).toContain('process_cpu_user_seconds_total');
  });

  it('never logs whole objects', () => {
    const all = server.logLines.join('');
    expect(all).toContain('"msg":"admission decision"');
    expect(all).not.toContain('registry.example.com/report');
  });
});
