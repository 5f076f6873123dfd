import type { KubeObject, Operation } from '../k8s/types.js';
import { isPlainObject } from '../k8s/types.js';
import {
  listContainers,
  readPath,
  type ContainerRef,
  type WorkloadPaths,
} from '../k8s/workload.js';
import type { ClusterFacts } from '../mesh/types.js';
import type { Policy } from '../policy/types.js';
import type { Rule } from '../rules/rule.js';
import { toPointer, type PointerSegment } from '../util/json-pointer.js';
import type { ExemptionSet } from './exemptions.js';
import { deepEqual } from './patch.js';
import { cloneJson } from '../util/clone.js';
import {
  SEVERITY_OF_ACTION,
  type Action,
  type ExemptionRecord,
  type Finding,
  type Mutation,
} from './types.js';

/** State shared by every rule of every policy during one evaluation. */
export interface EvaluationState {
  readonly working: KubeObject;
  readonly original: KubeObject;
  readonly oldObject: KubeObject | undefined;
  readonly operation: Operation;
  readonly namespace: string;
  /** Labels of the namespace, or undefined when they are not known (offline lint). */
  readonly namespaceLabels?: Readonly<Record<string, string>> | undefined;
  readonly cluster?: ClusterFacts | undefined;
  readonly paths: WorkloadPaths;
  /** Which policy wrote each field first: higher-priority policies run first and win. */
  readonly claims: Map<string, string>;
  readonly mutations: Mutation[];
  readonly findings: Finding[];
  readonly exemptions: ExemptionRecord[];
  /** The working copy's containers, while no write can have changed them (see RuleContext.allContainers). */
  containers?: readonly ContainerRef[] | undefined;
}

export interface ReportInput {
  path: readonly PointerSegment[];
  message: string;
  fix?: string;
  container?: string;
}

/**
 * What a rule sees: the working copy, where things live, and the only ways to
 * change it (`fill`, `enforce`) or report (`report`). Keeping writes here is what
 * makes priorities, exemptions and the mutation log hold for every rule alike.
 */
export class RuleContext {
  constructor(
    readonly rule: Rule,
    readonly policy: Policy,
    readonly action: Action,
    private readonly exemptions: ExemptionSet,
    private readonly state: EvaluationState,
  ) {}

  get object(): KubeObject {
    return this.state.working;
  }
  get original(): KubeObject {
    return this.state.original;
  }
  get oldObject(): KubeObject | undefined {
    return this.state.oldObject;
  }
  get operation(): Operation {
    return this.state.operation;
  }
  get namespace(): string {
    return this.state.namespace;
  }
  get paths(): WorkloadPaths {
    return this.state.paths;
  }
  /** Labels of the object's namespace; undefined when unknown (offline lint without them). */
  get namespaceLabels(): Readonly<Record<string, string>> | undefined {
    return this.state.namespaceLabels;
  }
  /** What is known about the cluster; `{}` when nothing is. */
  get cluster(): ClusterFacts {
    return this.state.cluster ?? NO_CLUSTER_FACTS;
  }

  read(path: readonly PointerSegment[]): unknown {
    return readPath(this.state.working, path);
  }

  /** Containers and init containers that this rule is not exempted for. */
  containers(): readonly ContainerRef[] {
    const all = this.allContainers();
    let kept: ContainerRef[] | undefined;
    for (let index = 0; index < all.length; index++) {
      const ref = all[index] as ContainerRef;
      if (this.isExempt(ref.name)) kept ??= all.slice(0, index);
      else kept?.push(ref);
    }
    // Nothing exempt (the usual case): the shared list, not a copy per rule.
    return kept ?? all;
  }

  /**
   * Every container of the working copy, exemptions aside. Listed once per
   * evaluation and shared by all rules; a write that could replace a container
   * (or its name or restartPolicy, or the lists holding them) lists them again.
   */
  allContainers(): readonly ContainerRef[] {
    return (this.state.containers ??= listContainers(this.state.working, this.state.paths.podSpec));
  }

  /**
   * Default mode: set `path` only when it is missing, or holds the value the API
   * server would have defaulted it to (`apiDefault`), which admission cannot tell
   * from an omitted field.
   */
  fill(
    path: readonly PointerSegment[],
    value: unknown,
    message: string,
    apiDefault?: unknown,
  ): void {
    const current = this.read(path);
    const unset =
      current === undefined || (apiDefault !== undefined && deepEqual(current, apiDefault));
    if (!unset) {
      // The author's value stands, and this policy decided so: a lower-priority
      // policy must not change it either, or a second evaluation of our own output
      // would change what the first left alone (reinvocation must be a no-op).
      this.claim(toPointer(path));
      return;
    }
    this.write(path, value, message);
  }

  /** Enforce mode: set `path`, replacing what is there, unless a higher-priority policy already set it. */
  enforce(path: readonly PointerSegment[], value: unknown, message: string): void {
    this.write(path, value, message);
  }

  /** Records that this policy decides the field, unless a higher-priority policy already does. */
  private claim(pointer: string): void {
    if (!this.state.claims.has(pointer)) this.state.claims.set(pointer, this.policy.name);
  }

  private write(path: readonly PointerSegment[], value: unknown, message: string): void {
    if (!this.structureExists(path)) return;
    const pointer = toPointer(path);
    const owner = this.state.claims.get(pointer);
    if (owner !== undefined && owner !== this.policy.name) return;
    const previous = this.read(path);
    if (deepEqual(previous, value)) {
      this.state.claims.set(pointer, this.policy.name);
      return;
    }
    if (this.state.containers !== undefined && mayChangeContainers(path, this.state.paths.podSpec))
      this.state.containers = undefined;
    if (!setPath(this.state.working, path, cloneJson(value))) {
      this.report({
        path: path.slice(0, -1),
        message: `cannot set ${pointer}: a parent field is not an object`,
        fix: 'fix the type of the parent field',
      });
      return;
    }
    this.state.claims.set(pointer, this.policy.name);
    this.state.mutations.push({
      ruleId: this.rule.id,
      policy: this.policy.name,
      path: pointer,
      op: previous === undefined ? 'add' : 'replace',
      value,
      ...(previous === undefined ? {} : { previous }),
      message,
    });
  }

  /**
   * Rules fill fields in; they never invent the workload's structure. A pod
   * template without a `spec` (or a CronJob without `spec`) stays that way, so a
   * mutation cannot turn a schema-valid object into one without containers.
   */
  private structureExists(path: readonly PointerSegment[]): boolean {
    const { podSpec, jobSpec } = this.state.paths;
    const anchor = isStrictPrefix(podSpec, path)
      ? podSpec
      : jobSpec !== undefined && isStrictPrefix(jobSpec, path)
        ? jobSpec
        : isStrictPrefix(SPEC_PATH, path)
          ? SPEC_PATH
          : undefined;
    return anchor === undefined || isPlainObject(readPath(this.state.working, anchor));
  }

  report(finding: ReportInput): void {
    if (finding.container !== undefined && this.isExempt(finding.container)) return;
    this.state.findings.push({
      ruleId: this.rule.id,
      policy: this.policy.name,
      action: this.action,
      severity: SEVERITY_OF_ACTION[this.action],
      message: finding.message,
      path: toPointer(finding.path),
      ...(finding.fix === undefined ? {} : { fix: finding.fix }),
      ...(finding.container === undefined ? {} : { container: finding.container }),
    });
  }

  /** Whether this rule is exempted for one container (records the exemption once). */
  isExempt(container: string): boolean {
    const decision = this.exemptions.decide(this.rule.id, container);
    if (!decision.exempt) return false;
    const already = this.state.exemptions.some(
      (record) =>
        record.ruleId === this.rule.id &&
        record.policy === this.policy.name &&
        record.container === container,
    );
    if (!already) {
      this.state.exemptions.push({
        ruleId: this.rule.id,
        policy: this.policy.name,
        source: decision.source ?? 'policy',
        reason: decision.reason ?? '',
        container,
      });
    }
    return true;
  }
}

const SPEC_PATH: readonly PointerSegment[] = ['spec'];
const NO_CLUSTER_FACTS: ClusterFacts = Object.freeze({});

function isStrictPrefix(
  prefix: readonly PointerSegment[],
  path: readonly PointerSegment[],
): boolean {
  if (prefix.length >= path.length) return false;
  for (let index = 0; index < prefix.length; index++)
    if (path[index] !== prefix[index]) return false;
  return true;
}

/**
 * Whether writing at `path` can change what listContainers returns: a write at or
 * above the pod spec, or one that replaces a container list, a container, or a
 * container's own field (its name and restartPolicy are part of the listing).
 */
function mayChangeContainers(
  path: readonly PointerSegment[],
  podSpec: readonly PointerSegment[],
): boolean {
  const shared = Math.min(path.length, podSpec.length);
  for (let index = 0; index < shared; index++) if (path[index] !== podSpec[index]) return false;
  if (path.length <= podSpec.length) return true;
  const list = path[podSpec.length];
  if (list !== 'containers' && list !== 'initContainers') return false;
  return path.length <= podSpec.length + 3;
}

/** Sets a value, creating missing parent objects; refuses to go through non-objects. */
export function setPath(root: unknown, path: readonly PointerSegment[], value: unknown): boolean {
  if (path.length === 0) return false;
  let current: unknown = root;
  for (let index = 0; index < path.length - 1; index++) {
    const segment = path[index] as PointerSegment;
    const nextIsIndex = typeof path[index + 1] === 'number';
    if (Array.isArray(current) && typeof segment === 'number') {
      if (current[segment] === undefined) return false;
      current = current[segment];
    } else if (isPlainObject(current)) {
      const key = String(segment);
      let child = Object.prototype.hasOwnProperty.call(current, key) ? current[key] : undefined;
      if (child === undefined || child === null) {
        if (nextIsIndex) return false;
        child = {};
        defineOwn(current, key, child);
      }
      current = child;
    } else {
      return false;
    }
  }
  const last = path[path.length - 1] as PointerSegment;
  if (Array.isArray(current) && typeof last === 'number') {
    if (last > current.length) return false;
    current[last] = value;
    return true;
  }
  if (!isPlainObject(current)) return false;
  defineOwn(current, String(last), value);
  return true;
}

/** Assignment that cannot change a prototype, whatever the key (`__proto__` included). */
function defineOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  // The working copy is made of plain objects (cloneJson), whose only inherited
  // setter is `__proto__`: any other key is assigned as an own data property,
  // which is much cheaper than defineProperty.
  if (key !== '__proto__') {
    target[key] = value;
    return;
  }
  Object.defineProperty(target, key, {
    value,
    writable: true,
    enumerable: true,
    configurable: true,
  });
}
