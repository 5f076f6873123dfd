/**
 * Checks of Istio pod annotation values, re-implemented from the sidecar
 * injector (istio/istio pkg/kube/inject/validate.go, `AnnotationValidation`)
 * and the ProxyConfig validation it runs (pkg/config/validation/agent).
 *
 * Why this matters for Jobs: the injector's webhook has `failurePolicy: Fail`,
 * so one bad annotation value makes the API server refuse the pod. The Job
 * controller only records `FailedCreate`, and the CronJob silently stops
 * producing runs. Catching the value at lint or admission time of the CronJob
 * is the only place the author gets told.
 *
 * Messages are one line: what Istio does with the value and what a valid value
 * looks like.
 */
import yaml from 'js-yaml';
import { parseQuantity } from '../../k8s/quantity.js';
import { parseGoDuration as parseGoDurationExact } from '../../schedule/go-duration.js';
import { prefixError } from './prefix.js';

/**
 * Our own value types: Istio's annotation registry (istio/api
 * annotation/annotations.yaml) has none; they live only in the injector code.
 *
 * `*-rejected` kinds are refused by the injector (pod creation fails);
 * `strict-bool` values other than "true"/"false" are silently ignored by Istio
 * (it compares the string), which is a different, milder failure.
 */
export type IstioValueType =
  /** Kubernetes resource.Quantity, put verbatim into the proxy's resources. */
  | 'quantity'
  /** Comma list of uint16 ports; "" is an empty list. */
  | 'port-list'
  /** As port-list, or exactly "*" (all ports). */
  | 'port-list-or-star'
  /** Comma list of CIDR prefixes (netip.ParsePrefix); "" is an empty list. */
  | 'cidr-list'
  /** As cidr-list, or exactly "*" (all ranges). */
  | 'cidr-list-or-star'
  /** One uint16 port, surrounding spaces allowed. */
  | 'port'
  /** Decimal uint32 (strconv.ParseUint(value, 10, 32)). */
  | 'uint32'
  /** Compared with "true"/"false"; any other value is ignored by Istio. */
  | 'strict-bool'
  /** Go strconv.ParseBool; anything else is rejected. */
  | 'go-bool'
  | 'interception-mode'
  /** YAML or JSON ProxyConfig. */
  | 'proxy-config'
  /** Free text (names, JSON blobs we do not model): not checked. */
  | 'text';

/** The value type of every Istio annotation or label we check; the registry attaches these. */
export const ISTIO_VALUE_TYPES: ReadonlyMap<string, IstioValueType> = new Map([
  ['sidecar.istio.io/inject', 'strict-bool'],
  ['sidecar.istio.io/nativeSidecar', 'strict-bool'],
  ['sidecar.istio.io/rewriteAppHTTPProbers', 'strict-bool'],
  ['sidecar.istio.io/enableCoreDump', 'strict-bool'],
  ['sidecar.istio.io/proxyCPU', 'quantity'],
  ['sidecar.istio.io/proxyMemory', 'quantity'],
  ['sidecar.istio.io/proxyCPULimit', 'quantity'],
  ['sidecar.istio.io/proxyMemoryLimit', 'quantity'],
  ['sidecar.istio.io/interceptionMode', 'interception-mode'],
  ['proxy.istio.io/config', 'proxy-config'],
  ['traffic.sidecar.istio.io/includeInboundPorts', 'port-list-or-star'],
  ['traffic.sidecar.istio.io/excludeInboundPorts', 'port-list'],
  // The injector does not check this one itself, but istio-init (or the CNI
  // plugin) parses it as a port list and the pod then fails to start.
  ['traffic.sidecar.istio.io/includeOutboundPorts', 'port-list'],
  ['traffic.sidecar.istio.io/excludeOutboundPorts', 'port-list'],
  ['traffic.sidecar.istio.io/includeOutboundIPRanges', 'cidr-list-or-star'],
  ['traffic.sidecar.istio.io/excludeOutboundIPRanges', 'cidr-list'],
  ['status.sidecar.istio.io/port', 'port'],
  ['readiness.status.sidecar.istio.io/initialDelaySeconds', 'uint32'],
  ['readiness.status.sidecar.istio.io/periodSeconds', 'uint32'],
  ['readiness.status.sidecar.istio.io/failureThreshold', 'uint32'],
  ['readiness.status.sidecar.istio.io/applicationPorts', 'port-list'],
]);

/**
 * Undefined when `value` is valid for the annotation (or label) `name`, or when
 * we know no type for `name`; else a one-line error.
 */
export function validateIstioAnnotationValue(name: string, value: string): string | undefined {
  const type = ISTIO_VALUE_TYPES.get(name);
  if (type === undefined) return undefined;
  const problem = valueProblem(type, value);
  return problem === undefined ? undefined : `${name}: ${problem}`;
}

const REJECTS = "Istio's injector rejects the pod";

function valueProblem(type: IstioValueType, value: string): string | undefined {
  switch (type) {
    case 'quantity':
      return quantityProblem(value);
    case 'port-list':
      return portListProblem(value, false);
    case 'port-list-or-star':
      return portListProblem(value, true);
    case 'cidr-list':
      return cidrListProblem(value, false);
    case 'cidr-list-or-star':
      return cidrListProblem(value, true);
    case 'port':
      return portError(value) === undefined
        ? undefined
        : `${REJECTS}: ${quote(value)} is not a port number; use 0..65535, e.g. "15020"`;
    case 'uint32':
      return isUint32(value)
        ? undefined
        : `${REJECTS}: ${quote(value)} is not an unsigned 32-bit integer; use digits only, e.g. "10"`;
    case 'strict-bool':
      return value === 'true' || value === 'false'
        ? undefined
        : `Istio ignores ${quote(value)}: it only understands "true" or "false"`;
    case 'go-bool':
      return GO_BOOLEANS.has(value)
        ? undefined
        : `${REJECTS}: ${quote(value)} is not a boolean; use "true" or "false"`;
    case 'interception-mode':
      return INTERCEPTION_MODES.has(value)
        ? undefined
        : `${REJECTS}: ${quote(value)} is not an interception mode; use REDIRECT, TPROXY or NONE`;
    case 'proxy-config':
      return proxyConfigProblem(value);
    case 'text':
      return undefined;
  }
}

function quote(value: string): string {
  return JSON.stringify(value);
}

/**
 * The injector writes the value verbatim into the proxy's resources; a value
 * that is not a Quantity fails to decode there and injection fails, and a
 * negative one makes the API server reject the pod.
 */
function quantityProblem(value: string): string | undefined {
  const parsed = parseQuantity(value);
  if (parsed === undefined)
    return `${REJECTS}: ${quote(value)} is not a Kubernetes quantity; use e.g. "100m" (CPU) or "128Mi" (memory)`;
  if (parsed < 0) return `${REJECTS}: ${quote(value)} is negative; use e.g. "100m" or "128Mi"`;
  return undefined;
}

/** Go strconv.ParseUint(text, 10, bits): ASCII digits only, no sign, no spaces, leading zeros allowed. */
function parseUnsigned(text: string, max: number): number | undefined {
  if (!/^[0-9]+$/.test(text)) return undefined;
  // Leading zeros do not change the value; strip them so the length check stays meaningful.
  const digits = text.replace(/^0+(?=.)/, '');
  if (digits.length > 10) return undefined;
  const value = Number(digits);
  return value <= max ? value : undefined;
}

function isUint32(text: string): boolean {
  return parseUnsigned(text, 0xffff_ffff) !== undefined;
}

/** Istio's parsePort: spaces around the number are trimmed, then uint16. */
function portError(text: string): string | undefined {
  return parseUnsigned(text.trim(), 0xffff) === undefined ? 'not a port' : undefined;
}

function portListProblem(value: string, starAllowed: boolean): string | undefined {
  if (starAllowed && value === '*') return undefined;
  const trimmed = value.trim();
  if (trimmed === '') return undefined;
  const bad = trimmed.split(',').find((port) => portError(port) !== undefined);
  if (bad === undefined) return undefined;
  const shape = starAllowed
    ? '"*" or comma-separated ports 0..65535'
    : 'comma-separated ports 0..65535';
  return `${REJECTS}: ${quote(bad)} is not a port; use ${shape}, e.g. "5432,6379"`;
}

function cidrListProblem(value: string, starAllowed: boolean): string | undefined {
  if (starAllowed && value === '*') return undefined;
  // Empty means an empty list: for includeOutboundIPRanges that disables
  // outbound capture entirely, which is valid though rarely intended.
  if (value === '') return undefined;
  for (const cidr of value.split(',')) {
    const error = prefixError(cidr);
    if (error !== undefined) {
      const star = starAllowed ? '"*" or ' : '';
      const hint = cidr === '*' ? ' ("*" is only allowed alone in includeOutboundIPRanges)' : '';
      return `${REJECTS}: ${quote(cidr)} is not a CIDR (${error})${hint}; use ${star}comma-separated CIDRs without spaces, e.g. "10.0.0.0/8,fd00::/8"`;
    }
  }
  return undefined;
}

/** What Go's strconv.ParseBool accepts (Linkerd reads its boolean annotations with it). */
export const GO_BOOLEANS: ReadonlySet<string> = new Set([
  '1',
  't',
  'T',
  'TRUE',
  'true',
  'True',
  '0',
  'f',
  'F',
  'FALSE',
  'false',
  'False',
]);

const INTERCEPTION_MODES: ReadonlySet<string> = new Set(['REDIRECT', 'TPROXY', 'NONE']);

function proxyConfigProblem(value: string): string | undefined {
  let parsed: unknown;
  try {
    parsed = yaml.load(value);
  } catch (error) {
    const reason = error instanceof yaml.YAMLException ? error.reason : String(error);
    return `${REJECTS}: the value is not valid YAML or JSON (${reason}); write a ProxyConfig object, e.g. "holdApplicationUntilProxyStarts: true"`;
  }
  const errors = validateProxyConfig(parsed);
  return errors.length === 0 ? undefined : `${REJECTS}: ${errors.join('; ')}`;
}

// ---------------------------------------------------------------------------
// Durations

/**
 * Go `time.ParseDuration` in milliseconds (fractional below 1ms, e.g. "500us"
 * is 0.5), or undefined when `text` is not a Go duration. Istio decodes every
 * ProxyConfig and networking duration with it.
 */
export function parseGoDuration(text: string): number | undefined {
  const result = parseGoDurationExact(text);
  return result.ok ? Number(result.nanoseconds) / 1e6 : undefined;
}

/**
 * Istio's duration rule (`ValidateDuration`, pkg/config/validation/agent):
 * at least 1ms and a whole number of milliseconds.
 */
export function validateIstioDuration(text: string): string | undefined {
  const result = parseGoDurationExact(text);
  if (!result.ok)
    return `${quote(text)} is not a duration; use a number with a unit h, m, s or ms, e.g. "30s" or "1m30s"`;
  if (result.nanoseconds < 1_000_000n)
    return `${quote(text)} is shorter than 1ms; Istio requires at least "1ms"`;
  if (result.nanoseconds % 1_000_000n !== 0n)
    return `${quote(text)} is not a whole number of milliseconds; Istio only supports ms precision`;
  return undefined;
}

// ---------------------------------------------------------------------------
// ProxyConfig (istio/api mesh/v1alpha1/proxy.proto)

type FieldCheck = (value: unknown) => string | undefined;

/**
 * Fields whose types we check. Istio decodes the annotation with unknown fields
 * allowed, so fields missing here are never errors; a known field of the wrong
 * JSON type fails decoding, and a few fields have range checks
 * (`ValidateMeshConfigProxyConfig`).
 */
const PROXY_CONFIG_FIELDS: ReadonlyMap<string, FieldCheck> = new Map<string, FieldCheck>([
  ['holdApplicationUntilProxyStarts', booleanField],
  ['terminationDrainDuration', durationField],
  // Istio additionally requires whole seconds for drainDuration.
  ['drainDuration', (value) => durationField(value) ?? wholeSecondsField(value)],
  ['fileFlushInterval', durationField],
  ['statusPort', portField],
  ['proxyAdminPort', portField],
  ['concurrency', (value) => integerField(value, -2_147_483_648, 2_147_483_647)],
  ['statNameLength', (value) => integerField(value, -2_147_483_648, 2_147_483_647)],
  ['fileFlushMinSizeKb', (value) => integerField(value, 0, 0xffff_ffff)],
  ['proxyMetadata', stringMapField],
  ['runtimeValues', stringMapField],
  ['interceptionMode', interceptionModeField],
  ['extraStatTags', stringListField],
  ['caCertificatesPem', stringListField],
  ['configPath', nonEmptyStringField],
  ['binaryPath', nonEmptyStringField],
  ['discoveryAddress', nonEmptyStringField],
  ['serviceCluster', stringField],
  ['customConfigFile', stringField],
  ['proxyBootstrapTemplatePath', stringField],
  ['meshId', stringField],
  ['statsdUdpAddress', stringField],
  ['tracing', objectField],
  ['proxyStatsMatcher', objectField],
  ['gatewayTopology', objectField],
  ['readinessProbe', objectField],
  ['image', objectField],
  ['proxyHeaders', objectField],
  ['envoyAccessLogService', objectField],
  ['envoyMetricsService', objectField],
  ['privateKeyProvider', objectField],
]);

/**
 * Errors of a decoded `proxy.istio.io/config` value (or a policy's ProxyConfig
 * fields), each `field: problem`. Null or undefined is an empty config.
 */
export function validateProxyConfig(config: unknown): string[] {
  if (config === null || config === undefined) return [];
  if (!isRecord(config))
    return [`ProxyConfig must be an object of fields, got ${describe(config)}`];
  const errors: string[] = [];
  for (const [field, value] of Object.entries(config)) {
    const check = PROXY_CONFIG_FIELDS.get(field);
    // null is proto JSON for "unset", accepted for every field.
    if (check === undefined || value === null) continue;
    const problem = check(value);
    if (problem !== undefined) errors.push(`${field}: ${problem}`);
  }
  return errors;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string') return `the string ${quote(value)}`;
  if (typeof value === 'number' || typeof value === 'boolean')
    return `${typeof value} ${String(value)}`;
  return `a ${typeof value}`;
}

function booleanField(value: unknown): string | undefined {
  return typeof value === 'boolean'
    ? undefined
    : `must be true or false (unquoted), got ${describe(value)}`;
}

function durationField(value: unknown): string | undefined {
  if (typeof value !== 'string')
    return `must be a duration string such as "5s", got ${describe(value)}`;
  return validateIstioDuration(value);
}

function wholeSecondsField(value: unknown): string | undefined {
  const result = parseGoDurationExact(value as string);
  return result.ok && result.nanoseconds % 1_000_000_000n !== 0n
    ? `${quote(value as string)} is not a whole number of seconds; Istio requires seconds precision here`
    : undefined;
}

/** proto JSON integers: a number, or a string holding one. */
function integerField(value: unknown, min: number, max: number): string | undefined {
  const number =
    typeof value === 'number'
      ? value
      : typeof value === 'string' && /^-?[0-9]+$/.test(value)
        ? Number(value)
        : Number.NaN;
  if (!Number.isInteger(number)) return `must be an integer, got ${describe(value)}`;
  if (number < min || number > max) return `must be between ${min} and ${max}, got ${number}`;
  return undefined;
}

/** Istio's ValidatePort: 1..65535 (0 is refused, unlike the status-port annotation). */
function portField(value: unknown): string | undefined {
  return integerField(value, 1, 65535);
}

function stringField(value: unknown): string | undefined {
  return typeof value === 'string' ? undefined : `must be a string, got ${describe(value)}`;
}

function nonEmptyStringField(value: unknown): string | undefined {
  return stringField(value) ?? (value === '' ? 'must not be empty' : undefined);
}

function objectField(value: unknown): string | undefined {
  return isRecord(value) ? undefined : `must be an object, got ${describe(value)}`;
}

function stringMapField(value: unknown): string | undefined {
  if (!isRecord(value)) return `must be a map of strings, got ${describe(value)}`;
  for (const [key, entry] of Object.entries(value)) {
    if (typeof entry !== 'string')
      return `${key} must be a string (quote it, e.g. "true"), got ${describe(entry)}`;
  }
  return undefined;
}

function stringListField(value: unknown): string | undefined {
  if (!Array.isArray(value) || !value.every((entry) => typeof entry === 'string'))
    return `must be a list of strings, got ${describe(value)}`;
  return undefined;
}

/** proto enum InboundInterceptionMode: its names, or their numbers. */
function interceptionModeField(value: unknown): string | undefined {
  if (typeof value === 'string' && INTERCEPTION_MODES.has(value)) return undefined;
  if (typeof value === 'number' && [0, 1, 2].includes(value)) return undefined;
  return `must be REDIRECT, TPROXY or NONE, got ${describe(value)}`;
}
