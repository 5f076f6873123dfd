import { execFileSync } from 'node:child_process';
import jsonpatch from 'fast-json-patch';
import { CronJob } from 'kubernetes-models/batch/v1/CronJob';
import { expect } from 'vitest';
import type { AdmissionOutcome, DecodedReview } from '../../../src/admission/index.js';
import { decodeReview, isReviewError } from '../../../src/admission/index.js';

/** An AdmissionReview as the API server sends it, around `object`. */
export function reviewOf(
  object: unknown,
  overrides: Record<string, unknown> = {},
  apiVersion = 'admission.k8s.io/v1',
): Record<string, unknown> {
  // The API server names the kind after the resource, never after the body, so it is
  // always a string even when the object's own `kind` is something else entirely.
  const declared = (object as { kind?: unknown } | null)?.kind;
  const kind = typeof declared === 'string' ? declared : 'CronJob';
  return {
    apiVersion,
    kind: 'AdmissionReview',
    request: {
      uid: '705ab4f5-6393-11e8-b7cc-42010a800002',
      kind: { group: 'batch', version: 'v1', kind },
      resource: { group: 'batch', version: 'v1', resource: 'cronjobs' },
      requestKind: { group: 'batch', version: 'v1', kind },
      requestResource: { group: 'batch', version: 'v1', resource: 'cronjobs' },
      name: 'nightly',
      namespace: 'team-a',
      operation: 'CREATE',
      userInfo: { username: 'alice', groups: ['system:authenticated'] },
      object,
      oldObject: null,
      dryRun: false,
      options: { apiVersion: 'meta.k8s.io/v1', kind: 'CreateOptions' },
      ...overrides,
    },
  };
}

export function decoded(body: unknown): DecodedReview {
  const result = decodeReview(body);
  if (isReviewError(result)) throw new Error(`unexpected decode error: ${result.message}`);
  return result;
}

export function patchOf(outcome: AdmissionOutcome): jsonpatch.Operation[] | undefined {
  const patch = outcome.review.response.patch;
  if (patch === undefined) return undefined;
  return JSON.parse(Buffer.from(patch, 'base64').toString('utf8')) as jsonpatch.Operation[];
}

/** Applies the returned patch with an independent RFC 6902 library, strictly. */
export function applyWithLibrary(object: unknown, outcome: AdmissionOutcome): unknown {
  const patch = patchOf(outcome);
  expect(patch, 'a patch').toBeDefined();
  return jsonpatch.applyPatch(structuredClone(object), patch!, true, false).newDocument;
}

export function expectValidCronJob(object: unknown): void {
  expect(() => {
    new CronJob(object as ConstructorParameters<typeof CronJob>[0]).validate();
  }).not.toThrow();
}

/** A CronJob from `kubectl create --dry-run=client`, or undefined without kubectl. */
export function kubectlCronJob(name: string, image: string): Record<string, unknown> | undefined {
  try {
    const text = execFileSync(
      'kubectl',
      [
        'create',
        'cronjob',
        name,
        `--image=${image}`,
        '--schedule=*/5 * * * *',
        '--dry-run=client',
        '-o',
        'json',
      ],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 20_000 },
    );
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

export function hasKubectl(): boolean {
  try {
    execFileSync('kubectl', ['version', '--client'], { stdio: 'ignore', timeout: 20_000 });
    return true;
  } catch {
    return false;
  }
}

/** The object without apiVersion and kind, as hand-written reviews often send it. */
export function withoutTypeMeta(object: Record<string, unknown>): Record<string, unknown> {
  const copy = { ...object };
  delete copy.apiVersion;
  delete copy.kind;
  return copy;
}
