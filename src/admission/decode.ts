import { isPlainObject, type KubeObject, type Operation } from '../k8s/types.js';
import {
  ADMISSION_V1,
  ADMISSION_V1BETA1,
  type AdmissionApiVersion,
  type DecodedReview,
  type GroupVersionKind,
  type ReviewError,
} from './types.js';

const OPERATIONS: readonly Operation[] = ['CREATE', 'UPDATE', 'DELETE', 'CONNECT'];

/**
 * Deepest nesting of objects and arrays an object may have. Evaluation copies, diffs
 * and compares objects recursively; on Node's default stack that overflows at about
 * 3,200 levels (measured), which made mutate fail with an internal error and
 * validate fail open. A CronJob's deepest field is about 15 levels down, and the API
 * server itself decodes up to 10,000, so deeper objects are refused up front.
 */
export const MAX_OBJECT_DEPTH = 512;

/**
 * Checks a parsed request body and extracts what admission needs.
 *
 * Two kinds of problem are told apart:
 * - the envelope is unusable (no request, no uid, wrong apiVersion...): a
 *   ReviewError, answered with HTTP 400 because no AdmissionReview can echo it;
 * - the envelope is fine but the object is not (not an object, not the kind the
 *   request claims): a DecodedReview with `objectProblem`, answered by admit()
 *   with a well-formed 400 denial so the API server gets a valid response.
 * The API server never sends either; these come from hand-made or hostile requests.
 */
export function decodeReview(body: unknown): DecodedReview | ReviewError {
  const envelope = decodeEnvelope(body);
  if ('ok' in envelope) return envelope;
  const { apiVersion, request } = envelope;
  const uid = readUid(request.uid);
  if (uid === undefined) {
    return reviewError(
      'request.uid',
      `request.uid must be a non-empty string, got ${describe(request.uid)}`,
    );
  }
  const fields = decodeRequestFields(request, uid);
  if ('ok' in fields) return fields;
  const { operation, kind, subResource } = fields;
  const decoded: DecodedReview = {
    ok: true,
    apiVersion,
    uid,
    operation,
    kind,
    subResource,
    name: typeof request.name === 'string' ? request.name : '',
    namespace: typeof request.namespace === 'string' ? request.namespace : '',
    dryRun: request.dryRun === true,
    object: undefined,
    oldObject: undefined,
    filledFields: [],
    objectProblem: undefined,
  };
  // DELETE carries no object, CONNECT carries options; neither is evaluated, and a
  // subresource's object (e.g. a Scale) is not the workload either.
  if ((operation !== 'CREATE' && operation !== 'UPDATE') || subResource !== undefined)
    return decoded;

  const checked = checkObject(request.object, 'request.object', kind);
  if (typeof checked === 'string') return { ...decoded, objectProblem: checked };
  let oldObject: KubeObject | undefined;
  if (operation === 'UPDATE' && request.oldObject !== undefined && request.oldObject !== null) {
    const old = checkObject(request.oldObject, 'request.oldObject', kind);
    if (typeof old === 'string') return { ...decoded, objectProblem: old };
    oldObject = old.object;
  }
  return { ...decoded, object: checked.object, filledFields: checked.filled, oldObject };
}

interface Envelope {
  apiVersion: AdmissionApiVersion;
  request: Record<string, unknown>;
}

function decodeEnvelope(body: unknown): Envelope | ReviewError {
  if (!isPlainObject(body))
    return reviewError('', `body must be a JSON object, got ${describe(body)}`);
  // A bare request has a GroupVersionKind object (or nothing) as `kind`, and no apiVersion.
  const bareKind = body.kind === undefined || isPlainObject(body.kind);
  if (body.apiVersion === undefined && bareKind && ('operation' in body || 'uid' in body)) {
    return reviewError(
      '',
      'body is a bare AdmissionRequest; wrap it as {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": {...}}',
      readUid(body.uid),
    );
  }
  const apiVersion = body.apiVersion;
  if (apiVersion !== ADMISSION_V1 && apiVersion !== ADMISSION_V1BETA1) {
    return reviewError(
      'apiVersion',
      `apiVersion must be ${ADMISSION_V1} or ${ADMISSION_V1BETA1}, got ${describe(apiVersion)}`,
    );
  }
  if (body.kind !== 'AdmissionReview') {
    return reviewError('kind', `kind must be AdmissionReview, got ${describe(body.kind)}`);
  }
  const request = body.request;
  if (request === undefined || request === null) {
    const hint = body.response === undefined ? '' : ' (this is an AdmissionReview response)';
    return reviewError('request', `request is missing${hint}`);
  }
  if (!isPlainObject(request))
    return reviewError('request', `request must be an object, got ${describe(request)}`);
  return { apiVersion, request };
}

interface RequestFields {
  operation: Operation;
  kind: GroupVersionKind | undefined;
  subResource: string | undefined;
}

function decodeRequestFields(
  request: Record<string, unknown>,
  uid: string,
): RequestFields | ReviewError {
  const fail = (field: string, message: string): ReviewError =>
    reviewError(`request.${field}`, message, uid);
  const operation = OPERATIONS.find((candidate) => candidate === request.operation);
  if (operation === undefined) {
    return fail(
      'operation',
      `request.operation must be one of ${OPERATIONS.join(', ')}, got ${describe(request.operation)}`,
    );
  }
  const kind = readGroupVersionKind(request.kind);
  if (kind === 'invalid')
    return fail('kind', 'request.kind must be an object with string group, version and kind');
  for (const field of ['subResource', 'name', 'namespace'] as const) {
    const value = request[field];
    if (value !== undefined && value !== null && typeof value !== 'string')
      return fail(field, `request.${field} must be a string, got ${describe(value)}`);
  }
  const dryRun = request.dryRun;
  if (dryRun !== undefined && dryRun !== null && typeof dryRun !== 'boolean')
    return fail('dryRun', `request.dryRun must be a boolean, got ${describe(dryRun)}`);
  const subResource =
    typeof request.subResource === 'string' && request.subResource !== ''
      ? request.subResource
      : undefined;
  return { operation, kind, subResource };
}

export function isReviewError(value: DecodedReview | ReviewError): value is ReviewError {
  return !value.ok;
}

/**
 * The object must be an object of the kind the request names. When it omits
 * apiVersion or kind (the API server always sets them; hand-written reviews often
 * do not) they are taken from request.kind; when it states another kind, it is
 * refused rather than evaluated as something it does not claim to be.
 * Returns the object to evaluate, or why it cannot be.
 */
interface CheckedObject {
  object: KubeObject;
  filled: ('apiVersion' | 'kind')[];
}

function checkObject(
  value: unknown,
  field: string,
  kind: GroupVersionKind | undefined,
): CheckedObject | string {
  if (!isPlainObject(value)) return `${field} must be an object, got ${describe(value)}`;
  if (nestedDeeperThan(value, MAX_OBJECT_DEPTH))
    return `${field} is nested deeper than ${MAX_OBJECT_DEPTH} levels, which no Kubernetes object needs`;
  const claimedApiVersion = kind === undefined ? undefined : groupVersion(kind);
  const filled: Record<string, string> = {};
  for (const [key, claimed] of [
    ['apiVersion', claimedApiVersion],
    ['kind', kind?.kind],
  ] as const) {
    const actual = value[key];
    if (actual === undefined || actual === null || actual === '') {
      if (claimed === undefined)
        return `${field}.${key} is missing and request.kind does not give it`;
      filled[key] = claimed;
    } else if (typeof actual !== 'string') {
      return `${field}.${key} must be a string, got ${describe(actual)}`;
    } else if (claimed !== undefined && actual !== claimed) {
      return `${field}.${key} is ${describe(actual)} but request.kind says ${describe(claimed)}`;
    }
  }
  for (const key of ['metadata', 'spec'] as const) {
    const part = value[key];
    if (part !== undefined && part !== null && !isPlainObject(part))
      return `${field}.${key} must be an object, got ${describe(part)}`;
  }
  const filledKeys = Object.keys(filled) as ('apiVersion' | 'kind')[];
  // Only copy when something was filled in: the received object is what a patch applies to.
  if (filledKeys.length === 0) return { object: value, filled: [] };
  return { object: { ...value, ...filled }, filled: filledKeys };
}

/** Whether objects and arrays nest more than `maxDepth` levels (the root is level 1); iterative. */
function nestedDeeperThan(root: object, maxDepth: number): boolean {
  const pending: object[] = [root];
  const depths: number[] = [1];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const depth = depths.pop() ?? 0;
    if (depth > maxDepth) return true;
    const children: unknown[] = Array.isArray(next) ? next : Object.values(next);
    for (const child of children) {
      if (typeof child === 'object' && child !== null) {
        pending.push(child);
        depths.push(depth + 1);
      }
    }
  }
  return false;
}

function readGroupVersionKind(value: unknown): GroupVersionKind | undefined | 'invalid' {
  if (value === undefined || value === null) return undefined;
  if (!isPlainObject(value)) return 'invalid';
  const group = value.group ?? '';
  const { version, kind } = value;
  if (
    typeof group !== 'string' ||
    typeof version !== 'string' ||
    typeof kind !== 'string' ||
    version === '' ||
    kind === ''
  )
    return 'invalid';
  return { group, version, kind };
}

function groupVersion(kind: GroupVersionKind): string {
  return kind.group === '' ? kind.version : `${kind.group}/${kind.version}`;
}

function readUid(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function reviewError(field: string, message: string, uid?: string): ReviewError {
  return { ok: false, httpStatus: 400, field, message, uid };
}

/** A short description of an unexpected value for error messages (never the whole value). */
function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string')
    return value.length > 40 ? `a ${value.length}-character string` : JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean')
    return `${typeof value} ${String(value)}`;
  return typeof value;
}
