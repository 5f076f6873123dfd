/**
 * istiod's semantic checks of VirtualServices and DestinationRules (istio/istio
 * pkg/config/validation: validateHTTPRetry, validateTrafficPolicy,
 * validateConnectionPool, validateOutlierDetection, validateSubset), re-implemented
 * because the CRD schema cannot express them: `kubectl apply` of an object that
 * passes the schema is still refused by istiod's validating webhook
 * (failurePolicy Fail), and with the webhook down the object is accepted and then
 * ignored by istiod. Either way the CronJob's calls silently keep the old behaviour.
 *
 * Each function returns one message per problem, `field.path: what is wrong`;
 * an empty list means istiod would accept the object as far as these rules go.
 * Structure (types of fields, unknown fields) is the CRD schema's job.
 */
import { isPlainObject } from '../../k8s/types.js';
import { validateIstioDuration } from '../istio/validate.js';
import { isDnsLabel } from './names.js';

/** istiod `supportedRetryOnPolicies` (Envoy x-envoy-retry-on and x-envoy-retry-grpc-on values). */
export const SUPPORTED_RETRY_ON: ReadonlySet<string> = new Set([
  '5xx',
  'gateway-error',
  'reset',
  'reset-before-request',
  'connect-failure',
  'retriable-4xx',
  'refused-stream',
  'retriable-status-codes',
  'retriable-headers',
  'envoy-ratelimited',
  'http3-post-connect-failure',
  'cancelled',
  'deadline-exceeded',
  'internal',
  'resource-exhausted',
  'unavailable',
]);

/**
 * Codes Go's `http.StatusText` knows: istiod accepts a numeric retryOn token only
 * when StatusText gives it a name, so "503" passes and "599" does not.
 */
const GO_HTTP_STATUS_CODES: ReadonlySet<number> = new Set([
  100, 101, 102, 103, 200, 201, 202, 203, 204, 205, 206, 207, 208, 226, 300, 301, 302, 303, 304,
  305, 307, 308, 400, 401, 402, 403, 404, 405, 406, 407, 408, 409, 410, 411, 412, 413, 414, 415,
  416, 417, 418, 421, 422, 423, 424, 425, 426, 428, 429, 431, 451, 500, 501, 502, 503, 504, 505,
  506, 507, 508, 510, 511,
]);

/** Whether istiod accepts one comma-separated retryOn token (exactly as written: no trimming). */
export function isValidRetryOnToken(token: string): boolean {
  if (SUPPORTED_RETRY_ON.has(token)) return true;
  // Go strconv.Atoi: optional sign, ASCII digits.
  return /^[+-]?[0-9]+$/.test(token) && GO_HTTP_STATUS_CODES.has(Number(token));
}

const INT32_MAX = 2_147_483_647;
const UINT32_MAX = 4_294_967_295;

type Problems = string[];

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return `a ${typeof value}`;
}

function checkDuration(value: unknown, path: string, problems: Problems): void {
  if (value === undefined) return;
  if (typeof value !== 'string') {
    problems.push(`${path}: must be a duration string such as "10s", got ${describe(value)}`);
    return;
  }
  const error = validateIstioDuration(value);
  if (error !== undefined) problems.push(`${path}: ${error}`);
}

function checkInteger(
  value: unknown,
  path: string,
  problems: Problems,
  max: number = INT32_MAX,
): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    problems.push(`${path}: must be an integer, got ${describe(value)}`);
    return;
  }
  if (value < 0) problems.push(`${path}: must not be negative, got ${value}`);
  else if (value > max) problems.push(`${path}: must be at most ${max}, got ${value}`);
}

function checkPercent(value: unknown, path: string, problems: Problems): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 100)
    problems.push(`${path}: must be a percentage between 0 and 100, got ${describe(value)}`);
}

function hasFields(value: Record<string, unknown>): boolean {
  return Object.values(value).some((field) => field !== undefined && field !== null);
}

function checkExportTo(value: unknown, path: string, problems: Problems): void {
  if (value === undefined) return;
  if (!Array.isArray(value)) {
    problems.push(`${path}: must be a list of namespaces`);
    return;
  }
  const seen = new Set<string>();
  value.forEach((entry: unknown, index) => {
    const at = `${path}[${index}]`;
    if (typeof entry !== 'string') {
      problems.push(`${at}: must be a namespace name, "." or "*", got ${describe(entry)}`);
      return;
    }
    if (seen.has(entry)) problems.push(`${at}: ${JSON.stringify(entry)} is listed twice`);
    seen.add(entry);
    if (entry !== '.' && entry !== '*' && entry !== '~' && !isDnsLabel(entry))
      problems.push(`${at}: ${JSON.stringify(entry)} is not a namespace name, "." or "*"`);
  });
  if ((seen.has('*') || seen.has('~')) && seen.size > 1)
    problems.push(`${path}: "*" and "~" must be the only entry`);
}

// ---------------------------------------------------------------------------
// VirtualService

export function validateVirtualService(object: unknown): string[] {
  const problems: Problems = [];
  if (!isPlainObject(object)) return ['the VirtualService must be an object'];
  const spec = object.spec;
  if (!isPlainObject(spec)) return ['spec: missing'];
  const hosts = spec.hosts;
  if (!Array.isArray(hosts) || hosts.length === 0)
    problems.push('spec.hosts: a VirtualService needs at least one host');
  else
    hosts.forEach((host: unknown, index) => {
      if (typeof host !== 'string' || host === '')
        problems.push(`spec.hosts[${index}]: must be a non-empty host name`);
    });
  checkExportTo(spec.exportTo, 'spec.exportTo', problems);
  const http = spec.http;
  if (http !== undefined) {
    if (!Array.isArray(http)) problems.push('spec.http: must be a list of routes');
    else
      http.forEach((route: unknown, index) => {
        checkHttpRoute(route, `spec.http[${index}]`, problems);
      });
  }
  return problems;
}

function checkHttpRoute(route: unknown, path: string, problems: Problems): void {
  if (!isPlainObject(route)) {
    problems.push(`${path}: must be an object`);
    return;
  }
  checkDuration(route.timeout, `${path}.timeout`, problems);
  if (route.retries !== undefined) checkRetries(route.retries, `${path}.retries`, problems);
  const destinations = route.route;
  if (destinations === undefined) {
    if (
      route.redirect === undefined &&
      route.directResponse === undefined &&
      route.delegate === undefined
    )
      problems.push(`${path}.route: an HTTP route needs at least one destination`);
    return;
  }
  if (!Array.isArray(destinations) || destinations.length === 0) {
    problems.push(`${path}.route: an HTTP route needs at least one destination`);
    return;
  }
  destinations.forEach((entry: unknown, index) => {
    const at = `${path}.route[${index}].destination`;
    const destination = isPlainObject(entry) ? entry.destination : undefined;
    if (
      !isPlainObject(destination) ||
      typeof destination.host !== 'string' ||
      destination.host === ''
    ) {
      problems.push(`${at}.host: required`);
      return;
    }
    if (
      destination.subset !== undefined &&
      (typeof destination.subset !== 'string' || !isDnsLabel(destination.subset))
    )
      problems.push(`${at}.subset: ${describe(destination.subset)} is not a DNS-1123 label`);
  });
}

function checkRetries(retries: unknown, path: string, problems: Problems): void {
  if (!isPlainObject(retries)) {
    problems.push(`${path}: must be an object`);
    return;
  }
  const attempts = retries.attempts ?? 0;
  if (typeof attempts !== 'number' || !Number.isInteger(attempts))
    problems.push(`${path}.attempts: must be an integer, got ${describe(attempts)}`);
  else if (attempts < 0) problems.push(`${path}.attempts: cannot be negative, got ${attempts}`);
  else if (attempts > INT32_MAX) problems.push(`${path}.attempts: must be at most ${INT32_MAX}`);
  else if (
    attempts === 0 &&
    (retries.perTryTimeout !== undefined ||
      retries.retryOn !== undefined ||
      retries.retryRemoteLocalities !== undefined)
  )
    problems.push(
      `${path}: attempts 0 disables retries, so perTryTimeout, retryOn and retryRemoteLocalities must not be set`,
    );
  checkDuration(retries.perTryTimeout, `${path}.perTryTimeout`, problems);
  checkDuration(retries.backoff, `${path}.backoff`, problems);
  const retryOn = retries.retryOn;
  if (retryOn === undefined || retryOn === '') return;
  if (typeof retryOn !== 'string') {
    problems.push(`${path}.retryOn: must be a comma-separated string, got ${describe(retryOn)}`);
    return;
  }
  for (const token of retryOn.split(',')) {
    if (!isValidRetryOnToken(token))
      problems.push(
        `${path}.retryOn: ${JSON.stringify(token)} is not a valid retryOn policy (an Envoy retry-on token such as "connect-failure", or an HTTP status code)`,
      );
  }
}

// ---------------------------------------------------------------------------
// DestinationRule

export function validateDestinationRule(object: unknown): string[] {
  const problems: Problems = [];
  if (!isPlainObject(object)) return ['the DestinationRule must be an object'];
  const spec = object.spec;
  if (!isPlainObject(spec)) return ['spec: missing'];
  if (typeof spec.host !== 'string' || spec.host === '') problems.push('spec.host: required');
  checkExportTo(spec.exportTo, 'spec.exportTo', problems);
  if (spec.trafficPolicy !== undefined)
    checkTrafficPolicy(spec.trafficPolicy, 'spec.trafficPolicy', problems);
  checkWorkloadSelector(spec.workloadSelector, 'spec.workloadSelector', problems);
  const subsets = spec.subsets;
  if (subsets !== undefined) {
    if (!Array.isArray(subsets)) problems.push('spec.subsets: must be a list');
    else
      subsets.forEach((subset: unknown, index) => {
        const at = `spec.subsets[${index}]`;
        if (!isPlainObject(subset)) {
          problems.push(`${at}: must be an object`);
          return;
        }
        if (typeof subset.name !== 'string' || !isDnsLabel(subset.name))
          problems.push(
            `${at}.name: ${describe(subset.name)} is not a DNS-1123 label (lowercase letters, digits and '-', at most 63)`,
          );
        if (subset.trafficPolicy !== undefined)
          checkTrafficPolicy(subset.trafficPolicy, `${at}.trafficPolicy`, problems);
      });
  }
  return problems;
}

function checkTrafficPolicy(policy: unknown, path: string, problems: Problems): void {
  if (!isPlainObject(policy) || !hasFields(policy)) {
    problems.push(`${path}: a traffic policy must have at least one field`);
    return;
  }
  if (policy.connectionPool !== undefined)
    checkConnectionPool(policy.connectionPool, `${path}.connectionPool`, problems);
  if (policy.outlierDetection !== undefined)
    checkOutlierDetection(policy.outlierDetection, `${path}.outlierDetection`, problems);
  const ports = policy.portLevelSettings;
  if (Array.isArray(ports))
    ports.forEach((port: unknown, index) => {
      if (!isPlainObject(port)) return;
      const at = `${path}.portLevelSettings[${index}]`;
      if (port.connectionPool !== undefined)
        checkConnectionPool(port.connectionPool, `${at}.connectionPool`, problems);
      if (port.outlierDetection !== undefined)
        checkOutlierDetection(port.outlierDetection, `${at}.outlierDetection`, problems);
    });
}

function checkConnectionPool(pool: unknown, path: string, problems: Problems): void {
  if (!isPlainObject(pool) || (pool.tcp === undefined && pool.http === undefined)) {
    problems.push(`${path}: a connection pool must have at least one field (tcp or http)`);
    return;
  }
  const { tcp, http } = pool;
  if (isPlainObject(tcp)) {
    checkInteger(tcp.maxConnections, `${path}.tcp.maxConnections`, problems);
    checkDuration(tcp.connectTimeout, `${path}.tcp.connectTimeout`, problems);
    checkDuration(tcp.maxConnectionDuration, `${path}.tcp.maxConnectionDuration`, problems);
    checkDuration(tcp.idleTimeout, `${path}.tcp.idleTimeout`, problems);
  }
  if (isPlainObject(http)) {
    for (const field of [
      'http1MaxPendingRequests',
      'http2MaxRequests',
      'maxRequestsPerConnection',
      'maxRetries',
      'maxConcurrentStreams',
    ])
      checkInteger(http[field], `${path}.http.${field}`, problems);
    checkDuration(http.idleTimeout, `${path}.http.idleTimeout`, problems);
  }
}

function checkOutlierDetection(outlier: unknown, path: string, problems: Problems): void {
  if (!isPlainObject(outlier)) {
    problems.push(`${path}: must be an object`);
    return;
  }
  for (const field of [
    'consecutive5xxErrors',
    'consecutiveGatewayErrors',
    'consecutiveLocalOriginFailures',
  ])
    checkInteger(outlier[field], `${path}.${field}`, problems, UINT32_MAX);
  checkDuration(outlier.interval, `${path}.interval`, problems);
  checkDuration(outlier.baseEjectionTime, `${path}.baseEjectionTime`, problems);
  checkPercent(outlier.maxEjectionPercent, `${path}.maxEjectionPercent`, problems);
  checkPercent(outlier.minHealthPercent, `${path}.minHealthPercent`, problems);
  const localFailures = outlier.consecutiveLocalOriginFailures;
  if (
    typeof localFailures === 'number' &&
    localFailures > 0 &&
    outlier.splitExternalLocalOriginErrors !== true
  )
    problems.push(
      `${path}.consecutiveLocalOriginFailures: only takes effect with splitExternalLocalOriginErrors: true`,
    );
}

function checkWorkloadSelector(selector: unknown, path: string, problems: Problems): void {
  if (selector === undefined) return;
  if (!isPlainObject(selector)) {
    problems.push(`${path}: must be an object with matchLabels`);
    return;
  }
  const labels = selector.matchLabels;
  if (labels === undefined) return;
  if (!isPlainObject(labels)) {
    problems.push(`${path}.matchLabels: must be a map of labels`);
    return;
  }
  for (const [key, value] of Object.entries(labels)) {
    if (key === '') problems.push(`${path}.matchLabels: an empty key is not supported`);
    if (typeof value !== 'string')
      problems.push(`${path}.matchLabels.${key}: must be a string, got ${describe(value)}`);
    else if (key.includes('*') || value.includes('*'))
      problems.push(`${path}.matchLabels.${key}: wildcards are not supported`);
  }
}
