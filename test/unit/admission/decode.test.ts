import { describe, expect, it } from 'vitest';
import { decodeReview, isReviewError } from '../../../src/admission/index.js';
import { reviewOf, withoutTypeMeta } from './support.js';

const cronJob = {
  apiVersion: 'batch/v1',
  kind: 'CronJob',
  metadata: { name: 'nightly' },
  spec: { schedule: '0 3 * * *', jobTemplate: { spec: { template: { spec: {} } } } },
};

function errorOf(body: unknown): { field: string; message: string } {
  const result = decodeReview(body);
  if (!isReviewError(result)) throw new Error('expected a decode error');
  expect(result.httpStatus).toBe(400);
  return result;
}

describe('decodeReview: envelope errors (HTTP 400)', () => {
  it.each([
    ['a string', 'hello', ''],
    ['an array', [], ''],
    ['null', null, ''],
  ])('refuses %s as body', (_label, body, field) => {
    expect(errorOf(body).field).toBe(field);
  });

  it('refuses a missing request, and says when the body is a response', () => {
    expect(errorOf({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' })).toMatchObject({
      field: 'request',
      message: 'request is missing',
    });
    const response = { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: {} };
    expect(errorOf(response).message).toContain('response');
  });

  it('refuses unknown apiVersions and kinds', () => {
    const body = reviewOf(cronJob);
    expect(errorOf({ ...body, apiVersion: 'admission.k8s.io/v2' }).field).toBe('apiVersion');
    expect(errorOf({ ...body, kind: 'TokenReview' }).field).toBe('kind');
  });

  it('points at a bare AdmissionRequest and how to wrap it', () => {
    const bare = reviewOf(cronJob).request;
    const error = errorOf(bare);
    expect(error.message).toContain('bare AdmissionRequest');
  });

  it.each([
    ['uid', undefined],
    ['uid', ''],
    ['uid', 42],
    ['operation', 'PATCH'],
    ['kind', 'CronJob'],
    ['namespace', 3],
    ['dryRun', 'yes'],
  ])('refuses request.%s = %j', (field, value) => {
    const body = reviewOf(cronJob, { [field]: value });
    expect(errorOf(body).field).toBe(`request.${field}`);
  });
});

describe('decodeReview: what it extracts', () => {
  it('keeps the version, uid, operation, names and dryRun', () => {
    const result = decodeReview(reviewOf(cronJob, { dryRun: true }, 'admission.k8s.io/v1beta1'));
    expect(result).toMatchObject({
      ok: true,
      apiVersion: 'admission.k8s.io/v1beta1',
      uid: '705ab4f5-6393-11e8-b7cc-42010a800002',
      operation: 'CREATE',
      kind: { group: 'batch', version: 'v1', kind: 'CronJob' },
      namespace: 'team-a',
      dryRun: true,
      objectProblem: undefined,
      filledFields: [],
    });
    expect(isReviewError(result) ? undefined : result.object).toBe(cronJob);
  });

  it('accepts DELETE without an object and ignores the object of a subresource', () => {
    const deletion = decodeReview(reviewOf(null, { operation: 'DELETE', oldObject: cronJob }));
    expect(deletion).toMatchObject({ ok: true, operation: 'DELETE', objectProblem: undefined });
    const status = decodeReview(reviewOf('not even an object', { subResource: 'status' }));
    expect(status).toMatchObject({ ok: true, subResource: 'status', objectProblem: undefined });
  });

  it('fills apiVersion and kind from request.kind when the object omits them', () => {
    const bare = withoutTypeMeta(cronJob);
    const result = decodeReview(reviewOf(bare));
    expect(result).toMatchObject({ ok: true, filledFields: ['apiVersion', 'kind'] });
    expect(isReviewError(result) ? undefined : result.object).toMatchObject({
      apiVersion: 'batch/v1',
      kind: 'CronJob',
    });
  });
});

describe('decodeReview: object problems (a 400 denial, not an HTTP error)', () => {
  it.each([
    ['missing', undefined, 'request.object must be an object'],
    ['a string', 'CronJob', 'request.object must be an object'],
    ['another kind', { ...cronJob, kind: 'Pod', apiVersion: 'v1' }, 'request.kind says'],
    ['another group', { ...cronJob, apiVersion: 'example.com/v1' }, 'request.kind says'],
    ['a string spec', { ...cronJob, spec: 'k8tz' }, 'request.object.spec must be an object'],
    ['a list as metadata', { ...cronJob, metadata: [] }, 'request.object.metadata'],
    ['a numeric kind', { ...cronJob, kind: 5 }, 'request.object.kind must be a string'],
  ])('reports an object that is %s', (_label, object, problem) => {
    const body = reviewOf(null);
    (body.request as Record<string, unknown>).object = object;
    const result = decodeReview(body);
    expect(result.ok).toBe(true);
    expect(isReviewError(result) ? undefined : result.objectProblem).toContain(problem);
  });

  it('checks the old object of an UPDATE too', () => {
    const result = decodeReview(reviewOf(cronJob, { operation: 'UPDATE', oldObject: [] }));
    expect(isReviewError(result) ? undefined : result.objectProblem).toContain('request.oldObject');
  });
});
