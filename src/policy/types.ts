import type { Action } from '../engine/types.js';
import type { Operation, WorkloadKind } from '../k8s/types.js';
import type { MeshSection } from '../mesh/types.js';

/**
 * The policy language, `apiVersion: cronguard.dev/v1alpha1`, `kind: CronJobPolicy`.
 * These are the types of a policy *after* schema validation and compilation
 * (durations parsed to seconds, globs kept as strings). The YAML shape is the same
 * except where a comment says otherwise; policies/README.md documents it.
 */
export const POLICY_API_VERSION = 'cronguard.dev/v1alpha1';
export const POLICY_KIND = 'CronJobPolicy';

/**
 * How a field setting applies. The mode is the key that carries the value, so a
 * setting reads as a sentence: `concurrencyPolicy: {default: Forbid}`.
 * - default: fill in only what is missing (never override what the author wrote);
 * - enforce: set it, replacing what is there;
 * - validate: leave it, and report a finding when it differs.
 * `allowed`, `min` and `max` always validate.
 */
export type ApplyMode = 'default' | 'enforce' | 'validate';

export interface FieldSetting<T> {
  mode?: ApplyMode;
  value?: T;
  allowed?: T[];
  min?: number;
  max?: number;
  required?: boolean;
}

export interface LabelSelectorRequirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  values?: string[];
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

export interface MatchBlock {
  /** Kinds the policy applies to; default [CronJob]. Only in `match`. */
  kinds?: WorkloadKind[];
  namespaces?: string[];
  namespaceSelector?: LabelSelector;
  selector?: LabelSelector;
  names?: string[];
  operations?: Operation[];
}

export interface PolicyExemption {
  /** Rule ids, or `*` for every rule of the policy. */
  rules: string[];
  namespaces?: string[];
  names?: string[];
  /** Containers the exemption covers; absent means the whole object. */
  containers?: string[];
  reason: string;
}

export interface RunWindow {
  /** Days the window is open: mon..sun; absent means every day. */
  days?: string[];
  /** "HH:MM" inclusive. */
  start: string;
  /** "HH:MM" exclusive; may be earlier than start for windows across midnight. */
  end: string;
}

export interface ScheduleSection {
  /** Minimum time between two runs, seconds (YAML: a duration such as `5m`). */
  minIntervalSeconds?: number;
  timeZone?: {
    required?: boolean;
    /** Globs such as `Europe/*`. */
    allowed?: string[];
    /** Time zone to fill in when none is set. */
    default?: string;
  };
  /** Every run must start inside one of these windows (evaluated in the CronJob's time zone). */
  windows?: RunWindow[];
}

export interface JobSection {
  concurrencyPolicy?: FieldSetting<'Allow' | 'Forbid' | 'Replace'>;
  startingDeadlineSeconds?: FieldSetting<number>;
  activeDeadlineSeconds?: FieldSetting<number>;
  backoffLimit?: FieldSetting<number>;
  ttlSecondsAfterFinished?: FieldSetting<number>;
  successfulJobsHistoryLimit?: FieldSetting<number>;
  failedJobsHistoryLimit?: FieldSetting<number>;
  /** Pod restartPolicy; only OnFailure and Never are valid for Jobs. */
  restartPolicy?: FieldSetting<'OnFailure' | 'Never'>;
}

export interface SecurityContextSection {
  profile: 'restricted';
  /** How the profile's defaults apply; `validate` only reports. Default `default`. */
  apply: ApplyMode;
  readOnlyRootFilesystem?: boolean;
  runAsUser?: number;
  runAsGroup?: number;
  fsGroup?: number;
  /** Validate the full Pod Security "restricted" profile on the result (default true). */
  validateProfile: boolean;
}

export interface ResourceList {
  cpu?: string;
  memory?: string;
  'ephemeral-storage'?: string;
}

export interface ResourcesSection {
  apply: ApplyMode;
  defaults?: { requests?: ResourceList; limits?: ResourceList };
  max?: { requests?: ResourceList; limits?: ResourceList };
  /** Maximum limit / request ratio per resource, e.g. {cpu: 4, memory: 2}. */
  maxLimitRequestRatio?: Record<string, number>;
  /** Fields every container must set after defaults, e.g. `requests.cpu`, `limits.memory`. */
  required?: string[];
}

export interface ProbeTemplate {
  [key: string]: unknown;
}

export interface ProbesSection {
  /** Report liveness/readiness probes on job containers (default true). */
  warnLivenessReadiness: boolean;
  /** Probes the policy asks for, filled into containers that lack them. */
  startupProbe?: ProbeTemplate;
  livenessProbe?: ProbeTemplate;
  readinessProbe?: ProbeTemplate;
  /** Containers (globs) the asked-for probes go into; default all app containers. */
  containers?: string[];
}

export interface ImagesSection {
  disallowLatest?: boolean;
  /** Registry host (and optional path) prefixes, globs allowed: `registry.example.com`, `*.gcr.io/team`. */
  allowedRegistries?: string[];
  pullPolicy?: FieldSetting<'Always' | 'IfNotPresent' | 'Never'>;
}

/** The `mesh` section; its shape is shared with the mesh rules and the traffic generator. */
export type { MeshSection } from '../mesh/types.js';

export interface PolicySpec {
  priority: number;
  action: Action;
  match: MatchBlock;
  exclude?: MatchBlock;
  /** Per-rule action override; `off` disables the rule in this policy. */
  ruleActions: Record<string, Action | 'off'>;
  exemptions: PolicyExemption[];
  /** Rules that annotations on the workload cannot exempt. */
  nonExemptible: string[];
  schedule?: ScheduleSection;
  job?: JobSection;
  securityContext?: SecurityContextSection;
  resources?: ResourcesSection;
  probes?: ProbesSection;
  images?: ImagesSection;
  mesh?: MeshSection;
}

export interface Policy {
  name: string;
  /** Short content hash of the spec, or `metadata.annotations["cronguard.dev/version"]`. */
  version: string;
  /** Where it was loaded from, `file:line`, or `builtin:<file>`. */
  source: string;
  spec: PolicySpec;
}

/** An immutable, ordered set of policies: priority descending, then name ascending. */
export interface PolicySet {
  readonly policies: readonly Policy[];
}
