import {
  PROXY_RESOURCE_ANNOTATIONS,
  TRAFFIC_CAPTURE_ANNOTATIONS,
} from '../mesh/istio/annotations.js';
import { SUPPORTED_RETRY_ON } from '../mesh/traffic/validate.js';
import { createHash } from 'node:crypto';
import type { SourceLocation } from '../errors.js';
import { compareQuantities, parseQuantity } from '../k8s/quantity.js';
import { isPlainObject, type Operation, type WorkloadKind } from '../k8s/types.js';
import { parseManifestText, type ManifestDocument } from '../manifests/parse.js';
import {
  validateIstioAnnotationValue,
  parseGoDuration,
  validateIstioDuration,
  validateProxyConfig,
} from '../mesh/istio/validate.js';
import { validateLinkerdAnnotationValue } from '../mesh/linkerd/validate.js';
import type {
  IstioProxyResources,
  IstioTrafficCapture,
  MeshSection,
  TrafficDestination,
} from '../mesh/types.js';
import { parseLinkerdVersion, parseReleaseVersion } from '../rules/mesh/versions.js';
import { validateTimeZone } from '../schedule/index.js';
import { globMatch } from '../util/glob.js';
import { toPointer, type PointerSegment } from '../util/json-pointer.js';
import { parseDuration } from './duration.js';
import {
  POLICY_LIMITS,
  closestName,
  describeValue,
  explainSchemaErrors,
  fieldName,
  validatePolicyDocument,
} from './schema.js';
import {
  POLICY_API_VERSION,
  POLICY_KIND,
  type ApplyMode,
  type FieldSetting,
  type ImagesSection,
  type JobSection,
  type LabelSelector,
  type MatchBlock,
  type Policy,
  type PolicySpec,
  type ProbesSection,
  type ResourceList,
  type ResourcesSection,
  type ScheduleSection,
  type SecurityContextSection,
} from './types.js';

/** A problem in a policy file, at the field it is about. Lines and columns are 1-based. */
export interface PolicyError {
  file: string;
  line: number;
  column: number;
  message: string;
}

export interface PolicySource {
  /** Shown in errors and in `Policy.source`. */
  file: string;
  text: string;
}

export interface LoadPoliciesOptions {
  /** Rule ids that exist; `ruleActions`, `exemptions` and `nonExemptible` may name only these. */
  knownRuleIds: ReadonlySet<string>;
}

export interface LoadPoliciesResult {
  /**
   * Every policy, deep-frozen, sorted by priority (highest first) then name.
   * Empty whenever `errors` is not: one broken file must never leave a cluster
   * running on the policies that happened to parse.
   */
  policies: Policy[];
  errors: PolicyError[];
}

export const VERSION_ANNOTATION = 'cronguard.dev/version';

/** After this many problems in one document the rest are noise (and hostile input could produce millions). */
const MAX_ERRORS_PER_DOCUMENT = 25;
const MAX_ERRORS_TOTAL = 1000;

/**
 * Parses, validates and compiles policy files. Pure: the caller reads the
 * files (see `load-files.ts`). Never throws on bad input; every problem comes
 * back in `errors`, located at the field it is about.
 *
 * Callers must not use `policies` when `errors` is non-empty; to make that
 * hard to get wrong, `policies` is then empty.
 */
export function loadPolicies(
  sources: readonly PolicySource[],
  options: LoadPoliciesOptions,
): LoadPoliciesResult {
  const errors: PolicyError[] = [];
  const loaded: LoadedPolicy[] = [];
  let documentCount = 0;

  let totalCharacters = 0;

  for (const source of sources) {
    if (errors.length >= MAX_ERRORS_TOTAL) break;
    // Checked before parsing: the cost of parsing is what the limits bound.
    const tooLarge = sourceSizeError(source, totalCharacters);
    if (tooLarge !== undefined) {
      errors.push(tooLarge.error);
      if (tooLarge.stop) return finish([], errors);
      continue;
    }
    totalCharacters += source.text.length;
    const parsed = parseManifestText(source.text, source.file);
    for (const inputError of parsed.errors) {
      errors.push({ ...inputError.location, message: inputError.message });
    }
    for (const document of parsed.documents) {
      documentCount++;
      if (documentCount > POLICY_LIMITS.maxPolicies) {
        errors.push({
          ...document.location,
          message: `too many policies: at most ${POLICY_LIMITS.maxPolicies} can be loaded together`,
        });
        return finish([], errors);
      }
      const result = loadDocument(document, options);
      errors.push(...result.errors);
      if (result.loaded !== undefined) loaded.push(result.loaded);
      if (errors.length >= MAX_ERRORS_TOTAL) {
        errors.push({
          ...document.location,
          message: `stopped after ${MAX_ERRORS_TOTAL} errors; fix these and load again`,
        });
        break;
      }
    }
  }

  errors.push(...duplicateNameErrors(loaded));
  return finish(
    loaded.map((entry) => entry.policy),
    errors,
  );
}

/**
 * Why a policy text is too large to parse, alone or after `loadedCharacters` of
 * earlier ones; `stop` when no later text can be read either.
 */
function sourceSizeError(
  source: PolicySource,
  loadedCharacters: number,
): { error: PolicyError; stop: boolean } | undefined {
  const at = { file: source.file, line: 1, column: 1 };
  const { maxSourceCharacters, maxTotalCharacters } = POLICY_LIMITS;
  if (source.text.length > maxSourceCharacters) {
    const message = `policy file too large: ${source.text.length} characters, the limit is ${maxSourceCharacters} per file`;
    return { error: { ...at, message }, stop: false };
  }
  if (loadedCharacters + source.text.length > maxTotalCharacters) {
    const message = `policy files too large together: more than ${maxTotalCharacters} characters with this one; it and any after it were not read`;
    return { error: { ...at, message }, stop: true };
  }
  return undefined;
}

/** `file:line:column: message`, the form editors and terminals turn into links. */
export function formatPolicyError(error: PolicyError): string {
  return `${error.file}:${error.line}:${error.column}: ${error.message}`;
}

function finish(policies: Policy[], errors: PolicyError[]): LoadPoliciesResult {
  if (errors.length > 0) return { policies: [], errors };
  policies.sort(
    (a, b) => b.spec.priority - a.spec.priority || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
  );
  return { policies: policies.map(deepFreeze), errors };
}

/** A compiled policy and where its name was written, for duplicate-name errors. */
interface LoadedPolicy {
  policy: Policy;
  nameLocation: SourceLocation;
}

function duplicateNameErrors(loaded: readonly LoadedPolicy[]): PolicyError[] {
  const firstByName = new Map<string, SourceLocation>();
  const errors: PolicyError[] = [];
  for (const { policy, nameLocation } of loaded) {
    const first = firstByName.get(policy.name);
    if (first === undefined) {
      firstByName.set(policy.name, nameLocation);
    } else {
      errors.push({
        ...nameLocation,
        message: `metadata.name: policy "${policy.name}" is already defined at ${first.file}:${first.line}:${first.column}; policy names must be unique`,
      });
    }
  }
  return errors;
}

// ---------------------------------------------------------------------------
// One document
// ---------------------------------------------------------------------------

/** Collects located problems for one document, up to a cap. */
class DocumentProblems {
  readonly errors: PolicyError[] = [];
  private dropped = 0;

  constructor(private readonly document: ManifestDocument) {}

  at(pointer: string, message: string): void {
    if (this.errors.length >= MAX_ERRORS_PER_DOCUMENT) {
      this.dropped++;
      return;
    }
    const location = this.document.locate(pointer);
    this.errors.push({
      file: location.file,
      line: location.line,
      column: location.column,
      message,
    });
  }

  /** A problem with the field at `segments`, prefixed with its path: `spec.job.backoffLimit: …`. */
  field(segments: readonly PointerSegment[], message: string): void {
    const pointer = toPointer(segments);
    this.at(pointer, `${fieldName(pointer)}: ${message}`);
  }

  get count(): number {
    return this.errors.length + this.dropped;
  }

  /** The problems in reading order (ajv reports them in schema order). */
  finish(): PolicyError[] {
    this.errors.sort((a, b) => a.line - b.line || a.column - b.column);
    if (this.dropped > 0) {
      this.errors.push({
        ...this.document.location,
        message: `${this.dropped} more ${this.dropped === 1 ? 'problem' : 'problems'} in this policy not shown`,
      });
    }
    return this.errors;
  }
}

function loadDocument(
  document: ManifestDocument,
  options: LoadPoliciesOptions,
): { errors: PolicyError[]; loaded?: LoadedPolicy } {
  const problems = new DocumentProblems(document);
  const value = document.value;

  if (!isPolicyDocument(value)) {
    reportNotAPolicy(value, problems);
    return { errors: problems.finish() };
  }

  const tooDeepAt = findTooDeep(value);
  if (tooDeepAt !== undefined) {
    problems.at(
      tooDeepAt,
      `${fieldName(tooDeepAt)}: nested deeper than ${POLICY_LIMITS.maxDepth} levels; a policy never needs that`,
    );
    return { errors: problems.finish() };
  }

  if (!validatePolicyDocument(value)) {
    for (const problem of explainSchemaErrors(validatePolicyDocument.errors ?? [])) {
      problems.at(problem.pointer, problem.message);
    }
    return { errors: problems.finish() };
  }

  // The schema passed, so the document has the YAML shape below.
  const policyDocument = value as unknown as PolicyDocument;
  checkSemantics(policyDocument, options, problems);
  if (problems.count > 0) return { errors: problems.finish() };

  const spec = compileSpec(policyDocument.spec);
  const annotatedVersion = policyDocument.metadata.annotations?.[VERSION_ANNOTATION];
  const policy: Policy = {
    name: policyDocument.metadata.name,
    version: annotatedVersion ?? contentVersion(spec),
    source: `${document.location.file}:${document.location.line}`,
    spec,
  };
  return { errors: [], loaded: { policy, nameLocation: document.locate('/metadata/name') } };
}

function isPolicyDocument(value: unknown): value is Record<string, unknown> {
  return (
    isPlainObject(value) && value.apiVersion === POLICY_API_VERSION && value.kind === POLICY_KIND
  );
}

function describeField(value: unknown): string {
  return value === undefined ? '(missing)' : describeValue(value);
}

function reportNotAPolicy(value: unknown, problems: DocumentProblems): void {
  const expected = `expected apiVersion: ${POLICY_API_VERSION} and kind: ${POLICY_KIND}`;
  if (!isPlainObject(value)) {
    problems.at('', `not a policy: ${expected}, got ${describeValue(value)}`);
    return;
  }
  const got = `got apiVersion: ${describeField(value.apiVersion)}, kind: ${describeField(value.kind)}`;
  const pointer =
    value.apiVersion !== POLICY_API_VERSION && 'apiVersion' in value
      ? '/apiVersion'
      : 'kind' in value
        ? '/kind'
        : '';
  problems.at(pointer, `not a policy: ${expected}, ${got}`);
}

/**
 * Where the document first nests deeper than the limit, if it does. Checked
 * before the schema because ajv and the compiler recurse once per level. The
 * parser has already expanded YAML aliases into a tree of bounded size, so a
 * plain walk is linear; it stops descending at the limit, so it never
 * recurses deeply itself.
 */
function findTooDeep(node: unknown, path: readonly PointerSegment[] = []): string | undefined {
  if (typeof node !== 'object' || node === null) return undefined;
  if (path.length >= POLICY_LIMITS.maxDepth) return toPointer(path);
  const entries: [PointerSegment, unknown][] = Array.isArray(node)
    ? node.map((child, index): [PointerSegment, unknown] => [index, child])
    : Object.entries(node);
  for (const [key, child] of entries) {
    const found = findTooDeep(child, [...path, key]);
    if (found !== undefined) return found;
  }
  return undefined;
}

// ---------------------------------------------------------------------------
// The YAML form, as the schema guarantees it
// ---------------------------------------------------------------------------

type Quantity = string | number;
type QuantityList = Partial<Record<keyof ResourceList, Quantity>>;

interface FieldSettingDocument<T> {
  default?: T;
  enforce?: T;
  validate?: T;
  allowed?: T[];
  min?: number;
  max?: number;
  required?: boolean;
}

interface PolicyDocument {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: SpecDocument;
}

interface SpecDocument extends Omit<
  PolicySpec,
  | 'priority'
  | 'match'
  | 'ruleActions'
  | 'exemptions'
  | 'nonExemptible'
  | 'schedule'
  | 'job'
  | 'securityContext'
  | 'resources'
  | 'probes'
  | 'images'
  | 'mesh'
> {
  priority?: number;
  match?: MatchBlock;
  ruleActions?: PolicySpec['ruleActions'];
  exemptions?: PolicySpec['exemptions'];
  nonExemptible?: string[];
  schedule?: Omit<ScheduleSection, 'minIntervalSeconds'> & { minInterval?: string };
  job?: { [K in keyof JobSection]?: FieldSettingDocument<FieldValue<JobSection[K]>> };
  securityContext?: Partial<SecurityContextSection> & { profile: 'restricted' };
  resources?: Partial<Omit<ResourcesSection, 'defaults' | 'max'>> & {
    defaults?: { requests?: QuantityList; limits?: QuantityList };
    max?: { requests?: QuantityList; limits?: QuantityList };
  };
  probes?: Partial<ProbesSection>;
  images?: Omit<ImagesSection, 'pullPolicy'> & {
    pullPolicy?: FieldSettingDocument<FieldValue<ImagesSection['pullPolicy']>>;
  };
  mesh?: MeshDocument;
}

/** The YAML form of the mesh section: defaults not yet applied, annotation values maybe numbers. */
interface MeshDocument {
  provider: MeshSection['provider'];
  inject?: boolean;
  apply?: ApplyMode;
  jobCompletion?: Partial<MeshSection['jobCompletion']>;
  istio?: Omit<NonNullable<MeshSection['istio']>, 'proxy' | 'traffic'> & {
    proxy?: Partial<Record<keyof IstioProxyResources, Quantity>>;
    traffic?: Partial<Record<keyof IstioTrafficCapture, string | number>>;
  };
  linkerd?: MeshSection['linkerd'];
  traffic?: (Omit<TrafficDestination, 'idempotent'> & { idempotent?: boolean })[];
}

type FieldValue<S> = NonNullable<S> extends FieldSetting<infer T> ? T : never;

/** The job section's settings; their value types differ, and nothing here depends on them. */
function fieldSettings(job: SpecDocument['job']): [string, FieldSettingDocument<unknown>][] {
  return Object.entries(job ?? {});
}

const APPLY_MODE_KEYS: readonly ApplyMode[] = ['default', 'enforce', 'validate'];
const RESOURCE_KEYS: readonly (keyof ResourceList)[] = ['cpu', 'memory', 'ephemeral-storage'];

// ---------------------------------------------------------------------------
// Checks the schema cannot express
// ---------------------------------------------------------------------------

function checkSemantics(
  document: PolicyDocument,
  options: LoadPoliciesOptions,
  problems: DocumentProblems,
): void {
  const spec = document.spec;
  const version = document.metadata.annotations?.[VERSION_ANNOTATION];
  if (version !== undefined && version.trim() === '') {
    problems.field(['metadata', 'annotations', VERSION_ANNOTATION], 'expected a non-empty version');
  }
  checkRuleIds(spec, options.knownRuleIds, problems);
  if (spec.match !== undefined) checkMatchBlock(spec.match, ['spec', 'match'], problems);
  if (spec.exclude !== undefined) checkMatchBlock(spec.exclude, ['spec', 'exclude'], problems);
  if (spec.schedule !== undefined) checkSchedule(spec.schedule, problems);
  for (const [name, setting] of fieldSettings(spec.job)) {
    checkFieldSetting(setting, ['spec', 'job', name], problems);
  }
  if (spec.images?.pullPolicy !== undefined) {
    checkFieldSetting(spec.images.pullPolicy, ['spec', 'images', 'pullPolicy'], problems);
  }
  if (spec.securityContext !== undefined) checkSecurityContext(spec.securityContext, problems);
  if (spec.resources !== undefined) checkResources(spec.resources, problems);
  if (spec.probes !== undefined) checkProbes(spec.probes, problems);
  if (spec.mesh !== undefined) checkMesh(spec.mesh, problems);
}

function checkRuleIds(
  spec: SpecDocument,
  knownRuleIds: ReadonlySet<string>,
  problems: DocumentProblems,
): void {
  const check = (
    ruleId: string,
    segments: readonly PointerSegment[],
    allowWildcard: boolean,
  ): void => {
    if (knownRuleIds.has(ruleId) || (allowWildcard && ruleId === '*')) return;
    const suggestion = closestName(ruleId, knownRuleIds);
    const hint = suggestion === undefined ? '' : ` (did you mean "${suggestion}"?)`;
    problems.field(segments, `unknown rule "${ruleId}"${hint}`);
  };
  for (const ruleId of Object.keys(spec.ruleActions ?? {})) {
    check(ruleId, ['spec', 'ruleActions', ruleId], false);
  }
  (spec.exemptions ?? []).forEach((exemption, exemptionIndex) => {
    exemption.rules.forEach((ruleId, ruleIndex) => {
      check(ruleId, ['spec', 'exemptions', exemptionIndex, 'rules', ruleIndex], true);
    });
  });
  (spec.nonExemptible ?? []).forEach((ruleId, index) => {
    check(ruleId, ['spec', 'nonExemptible', index], false);
  });
}

function checkMatchBlock(
  block: MatchBlock,
  segments: readonly PointerSegment[],
  problems: DocumentProblems,
): void {
  for (const selectorName of ['namespaceSelector', 'selector'] as const) {
    const selector: LabelSelector | undefined = block[selectorName];
    (selector?.matchExpressions ?? []).forEach((requirement, index) => {
      const at = [...segments, selectorName, 'matchExpressions', index];
      const hasValues = requirement.values !== undefined && requirement.values.length > 0;
      if ((requirement.operator === 'In' || requirement.operator === 'NotIn') && !hasValues) {
        problems.field(
          [...at, 'values'],
          `operator ${requirement.operator} needs at least one value`,
        );
      }
      if (
        (requirement.operator === 'Exists' || requirement.operator === 'DoesNotExist') &&
        requirement.values !== undefined &&
        requirement.values.length > 0
      ) {
        problems.field([...at, 'values'], `operator ${requirement.operator} takes no values`);
      }
    });
  }
}

function checkSchedule(
  schedule: NonNullable<SpecDocument['schedule']>,
  problems: DocumentProblems,
): void {
  // The schema's pattern has already checked the syntax; what is left is Go's range limit.
  if (schedule.minInterval !== undefined && parseDuration(schedule.minInterval) === undefined) {
    problems.field(
      ['spec', 'schedule', 'minInterval'],
      `expected a duration of at most 2562047h (Go's limit), got ${JSON.stringify(schedule.minInterval)}`,
    );
  }
  const timeZone = schedule.timeZone;
  if (timeZone !== undefined) {
    (timeZone.allowed ?? []).forEach((allowed, index) => {
      // Globs are checked when they match; only literal names can be checked here.
      if (allowed.includes('*') || allowed.includes('?')) return;
      const validity = validateTimeZone(allowed);
      if (!validity.ok) {
        problems.field(
          ['spec', 'schedule', 'timeZone', 'allowed', index],
          timeZoneProblem(validity),
        );
      }
    });
    if (timeZone.default !== undefined) {
      const validity = validateTimeZone(timeZone.default);
      const at = ['spec', 'schedule', 'timeZone', 'default'];
      if (!validity.ok) {
        problems.field(at, timeZoneProblem(validity));
      } else if (
        timeZone.allowed !== undefined &&
        !timeZone.allowed.some((pattern) => globMatch(pattern, timeZone.default ?? ''))
      ) {
        problems.field(
          at,
          `"${timeZone.default}" is not among the allowed time zones (${timeZone.allowed.join(', ')})`,
        );
      }
    }
  }
  (schedule.windows ?? []).forEach((window, index) => {
    const at = ['spec', 'schedule', 'windows', index];
    if (window.start === '24:00') {
      problems.field([...at, 'start'], 'a window cannot start at 24:00; use 00:00');
    } else if (window.start === window.end) {
      problems.field(
        [...at, 'end'],
        `start and end are both ${window.start}, so the window never opens; use start 00:00 and end 24:00 for a whole day`,
      );
    }
  });
}

function timeZoneProblem(validity: { error: string; fix?: string }): string {
  return validity.fix === undefined || validity.fix === ''
    ? validity.error
    : `${validity.error}; ${validity.fix}`;
}

function checkFieldSetting<T>(
  setting: FieldSettingDocument<T>,
  segments: readonly PointerSegment[],
  problems: DocumentProblems,
): void {
  const { min, max, allowed } = setting;
  if (min !== undefined && max !== undefined && min > max) {
    problems.field([...segments, 'min'], `min ${min} is greater than max ${max}`);
    return;
  }
  const outOfRange = (value: T): string | undefined => {
    if (typeof value !== 'number') return undefined;
    if (min !== undefined && value < min) return `${value} is less than min ${min}`;
    if (max !== undefined && value > max) return `${value} is greater than max ${max}`;
    return undefined;
  };
  for (const mode of APPLY_MODE_KEYS) {
    const value = setting[mode];
    if (value === undefined) continue;
    const rangeProblem = outOfRange(value);
    if (rangeProblem !== undefined) {
      problems.field([...segments, mode], rangeProblem);
    } else if (allowed !== undefined && !allowed.includes(value)) {
      problems.field(
        [...segments, mode],
        `${String(value)} is not one of the allowed values (${allowed.map(String).join(', ')})`,
      );
    }
  }
  (allowed ?? []).forEach((value, index) => {
    const rangeProblem = outOfRange(value);
    if (rangeProblem !== undefined) problems.field([...segments, 'allowed', index], rangeProblem);
  });
}

function checkSecurityContext(
  securityContext: NonNullable<SpecDocument['securityContext']>,
  problems: DocumentProblems,
): void {
  if (securityContext.profile === 'restricted' && securityContext.runAsUser === 0) {
    problems.field(
      ['spec', 'securityContext', 'runAsUser'],
      '0 is root, which the restricted profile forbids (runAsNonRoot); use a non-zero user id such as 10001',
    );
  }
}

function checkResources(
  resources: NonNullable<SpecDocument['resources']>,
  problems: DocumentProblems,
): void {
  const valid = new Set<string>();
  for (const group of ['defaults', 'max'] as const) {
    for (const kind of ['requests', 'limits'] as const) {
      for (const resource of RESOURCE_KEYS) {
        const value = resources[group]?.[kind]?.[resource];
        if (value === undefined) continue;
        const amount = parseQuantity(value);
        if (amount === undefined || amount < 0) {
          problems.field(
            ['spec', 'resources', group, kind, resource],
            `expected a Kubernetes quantity such as 100m, 0.5, 128Mi or 1Gi, got ${JSON.stringify(value)}`,
          );
        } else {
          valid.add(`${group}.${kind}.${resource}`);
        }
      }
    }
  }
  const quantity = (path: string): Quantity | undefined => {
    if (!valid.has(path)) return undefined;
    const [group, kind, resource] = path.split('.') as [
      'defaults' | 'max',
      'requests' | 'limits',
      keyof ResourceList,
    ];
    return resources[group]?.[kind]?.[resource];
  };
  const exceeds = (
    smaller: string,
    larger: string,
    message: (a: Quantity, b: Quantity) => string,
  ): void => {
    const a = quantity(smaller);
    const b = quantity(larger);
    if (a === undefined || b === undefined || compareQuantities(a, b) !== 1) return;
    problems.field(['spec', 'resources', ...smaller.split('.')], message(a, b));
  };
  for (const resource of RESOURCE_KEYS) {
    exceeds(
      `defaults.requests.${resource}`,
      `defaults.limits.${resource}`,
      (request, limit) => `default request ${request} is larger than the default limit ${limit}`,
    );
    for (const kind of ['requests', 'limits'] as const) {
      exceeds(
        `defaults.${kind}.${resource}`,
        `max.${kind}.${resource}`,
        (value, max) => `default ${value} is larger than the max ${max}`,
      );
    }
  }
}

function checkProbes(probes: Partial<ProbesSection>, problems: DocumentProblems): void {
  // The API server rejects these for liveness and startup probes; say so at load time.
  for (const probeName of ['livenessProbe', 'startupProbe'] as const) {
    const successThreshold = probes[probeName]?.successThreshold;
    if (typeof successThreshold === 'number' && successThreshold !== 1) {
      problems.field(
        ['spec', 'probes', probeName, 'successThreshold'],
        `must be 1 for a ${probeName} (Kubernetes rejects anything else), got ${successThreshold}`,
      );
    }
  }
}

/** Retrying on these repeats a request the service may already have acted on (istio/istio#50506). */
function isUnsafeRetryOn(token: string): boolean {
  return token === '5xx' || token === 'gateway-error' || /^\d{3}$/.test(token);
}

/**
 * Everything in the mesh section that is written into an annotation is checked
 * here with the mesh's own rules, so a policy can never make cronguard write a
 * value that Istio's or Linkerd's injector would refuse (which fails pod
 * creation silently, as FailedCreate events on the Job).
 */
function checkMesh(mesh: MeshDocument, problems: DocumentProblems): void {
  checkMeshCombinations(mesh, problems);
  if (mesh.istio !== undefined) checkIstioSettings(mesh.istio, problems);
  if (mesh.linkerd !== undefined) checkLinkerdSettings(mesh.linkerd, problems);
  const hosts = new Map<string, number>();
  (mesh.traffic ?? []).forEach((destination, index) => {
    checkTrafficDestination(destination, meshField('traffic', index), problems);
    const first = hosts.get(destination.host);
    if (first === undefined) hosts.set(destination.host, index);
    else
      problems.field(
        meshField('traffic', index, 'host'),
        `host ${destination.host} is already listed at traffic[${first}]; list each host once`,
      );
  });
}

function meshField(...segments: PointerSegment[]): PointerSegment[] {
  return ['spec', 'mesh', ...segments];
}

/** Settings that can never take effect together. */
function checkMeshCombinations(mesh: MeshDocument, problems: DocumentProblems): void {
  const at = meshField;
  if (mesh.provider === 'linkerd' && mesh.istio !== undefined)
    problems.field(
      at('istio'),
      'Istio settings never apply with provider linkerd; remove them or use provider istio or auto',
    );
  if (mesh.provider === 'istio' && mesh.linkerd !== undefined)
    problems.field(
      at('linkerd'),
      'Linkerd settings never apply with provider istio; remove them or use provider linkerd or auto',
    );
  if (mesh.provider === 'linkerd' && mesh.traffic !== undefined)
    problems.field(
      at('traffic'),
      'traffic generates Istio VirtualServices and DestinationRules, which need provider istio or auto',
    );
  const completion = mesh.jobCompletion;
  if (completion?.containers !== undefined && completion.wrapCommand !== true)
    problems.field(
      at('jobCompletion', 'containers'),
      'containers only choose what wrapCommand wraps; set wrapCommand: true or remove them',
    );
}

function checkIstioSettings(
  istio: NonNullable<MeshDocument['istio']>,
  problems: DocumentProblems,
): void {
  const at = meshField;
  if (istio.version !== undefined && parseReleaseVersion(istio.version) === undefined)
    problems.field(
      at('istio', 'version'),
      `expected an Istio version such as "1.27" or "1.27.3", got ${JSON.stringify(istio.version)}`,
    );
  for (const [key, annotation] of Object.entries(PROXY_RESOURCE_ANNOTATIONS)) {
    const value = istio.proxy?.[key as keyof IstioProxyResources];
    if (value === undefined) continue;
    const problem = validateIstioAnnotationValue(annotation, String(value));
    if (problem !== undefined) problems.field(at('istio', 'proxy', key), problem);
  }
  if (istio.proxy !== undefined) checkProxyRequestsAndLimits(istio.proxy, problems);
  for (const [key, annotation] of Object.entries(TRAFFIC_CAPTURE_ANNOTATIONS)) {
    const value = istio.traffic?.[key as keyof IstioTrafficCapture];
    if (value === undefined) continue;
    const problem = validateIstioAnnotationValue(annotation, String(value));
    if (problem !== undefined) problems.field(at('istio', 'traffic', key), problem);
  }
  if (istio.proxyConfig !== undefined) {
    for (const error of validateProxyConfig(istio.proxyConfig)) {
      const field = error.slice(0, error.indexOf(':'));
      const located = Object.prototype.hasOwnProperty.call(istio.proxyConfig, field);
      problems.field(
        at('istio', 'proxyConfig', ...(located ? [field] : [])),
        located ? error.slice(field.length + 2) : error,
      );
    }
  }
}

function checkProxyRequestsAndLimits(
  proxy: NonNullable<NonNullable<MeshDocument['istio']>['proxy']>,
  problems: DocumentProblems,
): void {
  const at = meshField;
  for (const [request, limit] of [
    ['cpu', 'cpuLimit'],
    ['memory', 'memoryLimit'],
  ] as const) {
    const requestValue = proxy[request];
    const limitValue = proxy[limit];
    if (requestValue === undefined || limitValue === undefined) continue;
    if (compareQuantities(String(requestValue), String(limitValue)) === 1)
      problems.field(
        at('istio', 'proxy', request),
        `request ${requestValue} is larger than the limit ${limitValue}`,
      );
  }
}

function checkLinkerdSettings(
  linkerd: NonNullable<MeshDocument['linkerd']>,
  problems: DocumentProblems,
): void {
  const at = meshField;
  if (linkerd.version !== undefined && parseLinkerdVersion(linkerd.version) === undefined)
    problems.field(
      at('linkerd', 'version'),
      `expected a Linkerd version such as "2.19", "stable-2.14.10" or "edge-25.10.2", got ${JSON.stringify(linkerd.version)}`,
    );
  if (linkerd.shutdownGracePeriod !== undefined) {
    const problem = validateLinkerdAnnotationValue(
      'config.linkerd.io/shutdown-grace-period',
      linkerd.shutdownGracePeriod,
    );
    if (problem !== undefined) problems.field(at('linkerd', 'shutdownGracePeriod'), problem);
  }
}

function checkTrafficDestination(
  destination: NonNullable<MeshDocument['traffic']>[number],
  segments: readonly PointerSegment[],
  problems: DocumentProblems,
): void {
  const durations: [PointerSegment[], string | undefined][] = [
    [['timeout'], destination.timeout],
    [['retries', 'perTryTimeout'], destination.retries?.perTryTimeout],
    [['connectionPool', 'tcp', 'connectTimeout'], destination.connectionPool?.tcp?.connectTimeout],
    [['connectionPool', 'tcp', 'idleTimeout'], destination.connectionPool?.tcp?.idleTimeout],
    [['connectionPool', 'http', 'idleTimeout'], destination.connectionPool?.http?.idleTimeout],
    [['outlierDetection', 'interval'], destination.outlierDetection?.interval],
    [['outlierDetection', 'baseEjectionTime'], destination.outlierDetection?.baseEjectionTime],
  ];
  for (const [path, value] of durations) {
    if (value === undefined) continue;
    const problem = validateIstioDuration(value);
    if (problem !== undefined) problems.field([...segments, ...path], problem);
  }
  if (destination.retries !== undefined)
    checkRetries(destination, destination.retries, segments, problems);
}

function checkRetries(
  destination: NonNullable<MeshDocument['traffic']>[number],
  retries: NonNullable<TrafficDestination['retries']>,
  segments: readonly PointerSegment[],
  problems: DocumentProblems,
): void {
  if (
    retries.attempts === 0 &&
    (retries.perTryTimeout !== undefined || retries.retryOn !== undefined)
  ) {
    problems.field(
      [...segments, 'retries', 'attempts'],
      'attempts 0 disables retries; Istio rejects it together with perTryTimeout or retryOn, so remove those',
    );
  }
  (retries.retryOn ?? []).forEach((token, index) => {
    const at = [...segments, 'retries', 'retryOn', index];
    if (!SUPPORTED_RETRY_ON.has(token) && !/^\d{3}$/.test(token)) {
      problems.field(
        at,
        `${JSON.stringify(token)} is not a retry-on condition Istio accepts (${[...SUPPORTED_RETRY_ON].join(', ')}, or an HTTP status code)`,
      );
    } else if (isUnsafeRetryOn(token) && destination.idempotent !== true) {
      problems.field(
        at,
        `${token} retries requests the service may already have acted on; allowed only with idempotent: true`,
      );
    }
  });
  const timeout =
    destination.timeout === undefined ? undefined : parseGoDuration(destination.timeout);
  const perTry =
    retries.perTryTimeout === undefined ? undefined : parseGoDuration(retries.perTryTimeout);
  if (timeout !== undefined && perTry !== undefined && retries.attempts * perTry > timeout) {
    problems.field(
      [...segments, 'retries', 'perTryTimeout'],
      `${retries.attempts} attempts × ${retries.perTryTimeout} is longer than the timeout ${destination.timeout ?? ''}; later tries would be cut off`,
    );
  }
}

// ---------------------------------------------------------------------------
// Compilation: YAML form → Policy
// ---------------------------------------------------------------------------

const DEFAULT_KINDS: readonly WorkloadKind[] = ['CronJob'];
const DEFAULT_OPERATIONS: readonly Operation[] = ['CREATE', 'UPDATE'];

function compileSpec(document: SpecDocument): PolicySpec {
  // A deep copy, so the compiled policy (frozen later) shares nothing with the
  // parser's output, which callers may still hold.
  const source = structuredClone(document);
  return {
    priority: source.priority ?? 0,
    action: source.action,
    match: {
      ...source.match,
      kinds: source.match?.kinds ?? [...DEFAULT_KINDS],
      operations: source.match?.operations ?? [...DEFAULT_OPERATIONS],
    },
    ...(source.exclude === undefined ? {} : { exclude: source.exclude }),
    ruleActions: source.ruleActions ?? {},
    exemptions: source.exemptions ?? [],
    nonExemptible: source.nonExemptible ?? [],
    ...(source.schedule === undefined ? {} : { schedule: compileSchedule(source.schedule) }),
    ...(source.job === undefined ? {} : { job: compileJob(source.job) }),
    ...(source.securityContext === undefined
      ? {}
      : { securityContext: compileSecurityContext(source.securityContext) }),
    ...(source.resources === undefined ? {} : { resources: compileResources(source.resources) }),
    ...(source.probes === undefined ? {} : { probes: compileProbes(source.probes) }),
    ...(source.images === undefined ? {} : { images: compileImages(source.images) }),
    ...(source.mesh === undefined ? {} : { mesh: compileMesh(source.mesh) }),
  };
}

/** Defaults filled in, annotation values as text (YAML may have read `5432` as a number). */
function compileMesh(mesh: MeshDocument): MeshSection {
  const { apply, jobCompletion, istio, traffic, ...rest } = mesh;
  const compiled: MeshSection = {
    ...rest,
    apply: apply ?? 'default',
    jobCompletion: {
      ...jobCompletion,
      nativeSidecar: jobCompletion?.nativeSidecar ?? 'auto',
      wrapCommand: jobCompletion?.wrapCommand ?? false,
    },
  };
  if (istio !== undefined) {
    const { proxy, traffic: capture, ...istioRest } = istio;
    compiled.istio = {
      ...istioRest,
      ...(proxy === undefined ? {} : { proxy: textValues(proxy) }),
      ...(capture === undefined ? {} : { traffic: textValues(capture) }),
    };
  }
  if (traffic !== undefined) {
    compiled.traffic = traffic.map((destination) => ({
      ...destination,
      idempotent: destination.idempotent ?? false,
    }));
  }
  return compiled;
}

function textValues<K extends string>(
  values: Partial<Record<K, string | number>>,
): Partial<Record<K, string>> {
  const compiled: Partial<Record<K, string>> = {};
  for (const [key, value] of Object.entries(values) as [K, string | number | undefined][])
    if (value !== undefined) compiled[key] = String(value);
  return compiled;
}

function compileSecurityContext(
  securityContext: NonNullable<SpecDocument['securityContext']>,
): SecurityContextSection {
  return {
    ...securityContext,
    apply: securityContext.apply ?? 'default',
    validateProfile: securityContext.validateProfile ?? true,
  };
}

function compileProbes(probes: Partial<ProbesSection>): ProbesSection {
  return { ...probes, warnLivenessReadiness: probes.warnLivenessReadiness ?? true };
}

function compileImages(images: NonNullable<SpecDocument['images']>): ImagesSection {
  const { pullPolicy, ...rest } = images;
  return pullPolicy === undefined ? rest : { ...rest, pullPolicy: compileFieldSetting(pullPolicy) };
}

function compileSchedule(schedule: NonNullable<SpecDocument['schedule']>): ScheduleSection {
  const { minInterval, ...rest } = schedule;
  if (minInterval === undefined) return rest;
  // checkSemantics already rejected durations that do not parse.
  return { ...rest, minIntervalSeconds: parseDuration(minInterval) ?? 0 };
}

function compileJob(job: NonNullable<SpecDocument['job']>): JobSection {
  const compiled: Record<string, FieldSetting<unknown>> = {};
  for (const [name, setting] of fieldSettings(job)) {
    compiled[name] = compileFieldSetting(setting);
  }
  return compiled;
}

/** `{default: Forbid, allowed: [...]}` → `{mode: 'default', value: 'Forbid', allowed: [...]}`. */
function compileFieldSetting<T>(setting: FieldSettingDocument<T>): FieldSetting<T> {
  const compiled: FieldSetting<T> = {};
  for (const mode of APPLY_MODE_KEYS) {
    const value = setting[mode];
    if (value !== undefined) {
      compiled.mode = mode;
      compiled.value = value;
    }
  }
  if (setting.allowed !== undefined) compiled.allowed = setting.allowed;
  if (setting.min !== undefined) compiled.min = setting.min;
  if (setting.max !== undefined) compiled.max = setting.max;
  if (setting.required !== undefined) compiled.required = setting.required;
  return compiled;
}

function compileResources(resources: NonNullable<SpecDocument['resources']>): ResourcesSection {
  const { apply, defaults, max, ...rest } = resources;
  const compiled: ResourcesSection = { ...rest, apply: apply ?? 'default' };
  if (defaults !== undefined) compiled.defaults = compileRequestsAndLimits(defaults);
  if (max !== undefined) compiled.max = compileRequestsAndLimits(max);
  return compiled;
}

function compileRequestsAndLimits(value: { requests?: QuantityList; limits?: QuantityList }): {
  requests?: ResourceList;
  limits?: ResourceList;
} {
  const compiled: { requests?: ResourceList; limits?: ResourceList } = {};
  if (value.requests !== undefined) compiled.requests = compileResourceList(value.requests);
  if (value.limits !== undefined) compiled.limits = compileResourceList(value.limits);
  return compiled;
}

/** YAML reads `cpu: 2` as a number; the compiled form keeps quantities as Kubernetes writes them, as text. */
function compileResourceList(list: QuantityList): ResourceList {
  const compiled: ResourceList = {};
  for (const resource of RESOURCE_KEYS) {
    const value = list[resource];
    if (value !== undefined) compiled[resource] = String(value);
  }
  return compiled;
}

/**
 * First 8 hex digits of sha256 over the compiled spec as canonical JSON
 * (sorted keys). Hashing the compiled form means spelling out a default
 * (`priority: 0`) or reordering keys does not change the version.
 */
function contentVersion(spec: PolicySpec): string {
  return createHash('sha256').update(canonicalJson(spec)).digest('hex').slice(0, 8);
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value)
      .filter(([, child]) => child !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, child]) => `${JSON.stringify(key)}:${canonicalJson(child)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
