/**
 * What the mesh reconciler must do in one namespace: compare the objects the
 * generator wants (generateTraffic) with the VirtualServices and DestinationRules
 * that exist, and list the writes. Pure; src/watcher/mesh/reconciler.ts performs
 * the actions.
 *
 * Rules, and why:
 * - Only objects labelled `app.kubernetes.io/managed-by: cronguard` are ours. Any
 *   other object is never written or deleted: an object with one of our names is a
 *   conflict, and so is an object that Istio would combine with ours (below).
 * - Drift is judged on the fields we write only (spec, our labels and annotations,
 *   ownerReferences): the server adds uid, resourceVersion, generation, timestamps,
 *   and other tools may add labels, none of which is drift.
 * - A create is sent without force, so if a foreign object with our name appears
 *   between the informer's view and our write, the server answers 409 and we report
 *   the conflict instead of taking the object over. Objects we already manage are
 *   applied with force: a field someone else edited in our object is drift to undo.
 * - Deletes carry the observed uid as a precondition, so an object that was deleted
 *   and re-created by someone else meanwhile is not deleted by mistake.
 */
import type { KubeObject } from '../../k8s/types.js';
import { MANAGED_BY_LABEL, MANAGED_BY_VALUE } from '../../mesh/types.js';
import { normalizeHost } from '../../mesh/traffic/names.js';

export type MeshKind = 'VirtualService' | 'DestinationRule';
export const MESH_KINDS: readonly MeshKind[] = ['VirtualService', 'DestinationRule'];

export type ConflictReason =
  /** An object of the same kind and name exists and cronguard does not manage it. */
  | 'name-taken'
  /** An unmanaged VirtualService visible to the namespace's sidecars already routes the host. */
  | 'host-routed'
  /** An unmanaged DestinationRule for the host would be merged with ours by istiod. */
  | 'destination-rule-merged';

export interface ForeignObject {
  kind: MeshKind;
  namespace: string;
  name: string;
}

export type MeshAction =
  | {
      type: 'apply';
      object: KubeObject;
      /** True only for objects we already manage (see the file comment). */
      force: boolean;
      why: 'missing' | 'drifted';
    }
  | {
      type: 'delete';
      kind: MeshKind;
      apiVersion: string;
      namespace: string;
      name: string;
      /** Precondition: delete only this incarnation of the object. */
      uid: string | undefined;
    }
  | {
      type: 'conflict';
      /** The desired object that is not written. */
      object: KubeObject;
      foreign: ForeignObject;
      reason: ConflictReason;
      /** One sentence naming the foreign object and what to do. */
      message: string;
    };

export interface NamespacePlanInput {
  namespace: string;
  /** generateTraffic's objects for this namespace (others are ignored). */
  desired: readonly KubeObject[];
  /** Live VirtualServices and DestinationRules of this namespace, with `kind` set. */
  observed: readonly KubeObject[];
  clusterDomain?: string;
}

/** Conflicts first, then applies in the generator's order, then deletes by kind and name. */
export function planNamespace(input: NamespacePlanInput): MeshAction[] {
  const { namespace } = input;
  const observed = input.observed.filter(
    (object) => isMeshKind(object.kind) && object.metadata?.namespace === namespace,
  );
  const desired = input.desired.filter(
    (object) => isMeshKind(object.kind) && object.metadata?.namespace === namespace,
  );
  const byKey = new Map(observed.map((object) => [keyOf(object), object]));
  const foreign = observed.filter((object) => !isManaged(object));

  const conflicts: MeshAction[] = [];
  const applies: MeshAction[] = [];
  const kept = new Set<string>();
  for (const object of desired) {
    const conflict = findConflict(object, byKey.get(keyOf(object)), foreign, input);
    if (conflict !== undefined) {
      conflicts.push({ type: 'conflict', object, ...conflict });
      continue;
    }
    kept.add(keyOf(object));
    const live = byKey.get(keyOf(object));
    if (live === undefined) applies.push({ type: 'apply', object, force: false, why: 'missing' });
    else if (ownedFieldsDiffer(object, live))
      applies.push({ type: 'apply', object, force: true, why: 'drifted' });
  }
  // A managed object in conflict is deleted too: left in place it would keep
  // fighting the foreign object (Istio would use one of the two, perhaps ours).
  const deletes: MeshAction[] = observed
    .filter((object) => isManaged(object) && !kept.has(keyOf(object)))
    .sort((a, b) => compare(keyOf(a), keyOf(b)))
    .map((object) => ({
      type: 'delete',
      kind: object.kind as MeshKind,
      apiVersion: object.apiVersion ?? 'networking.istio.io/v1',
      namespace,
      name: object.metadata?.name ?? '',
      uid: typeof object.metadata?.uid === 'string' ? object.metadata.uid : undefined,
    }));
  return [...conflicts, ...applies, ...deletes];
}

export function isManaged(object: KubeObject): boolean {
  return object.metadata?.labels?.[MANAGED_BY_LABEL] === MANAGED_BY_VALUE;
}

function isMeshKind(kind: unknown): kind is MeshKind {
  return kind === 'VirtualService' || kind === 'DestinationRule';
}

function keyOf(object: KubeObject): string {
  return `${String(object.kind)}/${object.metadata?.name ?? ''}`;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

type Conflict = Omit<Extract<MeshAction, { type: 'conflict' }>, 'type' | 'object'>;

function findConflict(
  object: KubeObject,
  sameName: KubeObject | undefined,
  foreign: readonly KubeObject[],
  input: NamespacePlanInput,
): Conflict | undefined {
  const kind = object.kind as MeshKind;
  const name = object.metadata?.name ?? '';
  if (sameName !== undefined && !isManaged(sameName)) {
    return {
      foreign: { kind, namespace: input.namespace, name },
      reason: 'name-taken',
      message: `${kind} ${input.namespace}/${name} exists and is not managed by cronguard, so cronguard leaves it alone; delete or rename it to let cronguard manage the traffic settings, or remove the destination from the CronJob's policy or annotation`,
    };
  }
  const host = hostsOf(object, input)[0];
  if (host === undefined) return undefined;
  for (const other of foreign) {
    if (other.kind !== kind || !visibleInOwnNamespace(other, input.namespace)) continue;
    if (!hostsOf(other, input).includes(host)) continue;
    const ref = { kind, namespace: input.namespace, name: other.metadata?.name ?? '' };
    if (kind === 'VirtualService' && appliesToSidecars(other)) {
      // Istio merges VirtualServices for one host only on gateways; for sidecars
      // one wins and the other is ignored ("Split large virtual services and
      // destination rules into multiple resources",
      // https://istio.io/latest/docs/ops/best-practices/traffic-management/#split-virtual-services,
      // and istioctl analyze IST0109 ConflictingMeshGatewayVirtualServiceHosts).
      // Ours would either do nothing or hijack the owner's routing.
      return {
        foreign: ref,
        reason: 'host-routed',
        message: `VirtualService ${ref.namespace}/${ref.name} already routes ${host} for the namespace's sidecars and Istio uses only one VirtualService per host, so cronguard does not write its own; copy the cronjob-* routes of 'cronguard generate mesh' in front of that VirtualService's routes, or export it away from this namespace`,
      };
    }
    if (kind === 'DestinationRule' && mergedByIstiod(object, other)) {
      return {
        foreign: ref,
        reason: 'destination-rule-merged',
        message: `DestinationRule ${ref.namespace}/${ref.name} for ${host} would be merged with cronguard's by istiod (${mergeReason(other)}), changing traffic beyond the CronJob's pods, so cronguard does not write its own; give that rule a top-level trafficPolicy or a different workloadSelector, or delete it`,
      };
    }
  }
  return undefined;
}

/**
 * istiod (pilot/pkg/model/destination_rule.go, mergeDestinationRule) keeps
 * DestinationRules for one host apart when both have workloadSelectors that
 * differ, and merges them otherwise. Ours always selects the CronJob's pods, so:
 * - a foreign rule with the same selector is merged into one, and whichever
 *   came first keeps its top-level trafficPolicy: a conflict;
 * - a foreign namespace-wide rule (no selector) with a trafficPolicy of its own
 *   keeps it, and ours stays a separate entry for the CronJob's pods: fine;
 * - a foreign namespace-wide rule WITHOUT a trafficPolicy gets ours copied into
 *   it ("if the original rule did not have any top level traffic policy, traffic
 *   policies from the new rule will be used"), so every client of the namespace
 *   would inherit one CronJob's pool and outlier settings: a conflict;
 * - a foreign rule with a different selector never meets ours: fine.
 */
function mergedByIstiod(ours: KubeObject, other: KubeObject): boolean {
  const theirSelector = selectorOf(other);
  if (theirSelector === undefined) return spec(other).trafficPolicy === undefined;
  return sameLabels(theirSelector, selectorOf(ours) ?? {});
}

function mergeReason(other: KubeObject): string {
  return selectorOf(other) === undefined
    ? 'it has no workloadSelector and no top-level trafficPolicy, so istiod would copy the CronJob-specific trafficPolicy into it'
    : 'it selects the same pods, so only one of the two trafficPolicies would apply';
}

function selectorOf(object: KubeObject): Record<string, unknown> | undefined {
  const selector = spec(object).workloadSelector;
  if (!isRecord(selector) || !isRecord(selector.matchLabels)) return undefined;
  return Object.keys(selector.matchLabels).length === 0 ? undefined : selector.matchLabels;
}

function sameLabels(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => a[key] === b[key]);
}

/** Bound to no gateway, or to the reserved `mesh` gateway: it configures sidecars. */
function appliesToSidecars(virtualService: KubeObject): boolean {
  const gateways = spec(virtualService).gateways;
  return !Array.isArray(gateways) || gateways.length === 0 || gateways.includes('mesh');
}

/** exportTo absent (Istio's default is every namespace), `*`, `.` or the namespace itself. */
function visibleInOwnNamespace(object: KubeObject, namespace: string): boolean {
  const exportTo = spec(object).exportTo;
  if (!Array.isArray(exportTo) || exportTo.length === 0) return true;
  return exportTo.some((entry) => entry === '*' || entry === '.' || entry === namespace);
}

/**
 * Hosts normalised the way the generator writes them, so a foreign rule written
 * with `ledger` or `ledger.batch` is recognised as routing
 * `ledger.batch.svc.cluster.local`. Wildcard hosts are skipped: a specific host
 * is more specific than a wildcard for Istio, so they do not hide ours.
 */
function hostsOf(object: KubeObject, input: NamespacePlanInput): string[] {
  const value = spec(object);
  const raw = object.kind === 'VirtualService' ? value.hosts : [value.host];
  if (!Array.isArray(raw)) return [];
  return raw.flatMap((entry) => {
    if (typeof entry !== 'string') return [];
    const host = normalizeHost(entry, input.namespace, input.clusterDomain);
    return host.ok ? [host.host] : [];
  });
}

function spec(object: KubeObject): Record<string, unknown> {
  return isRecord(object.spec) ? object.spec : {};
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Whether the live object differs from the desired one in what we write. spec is
 * compared whole: a subset test would miss a field our desired state no longer
 * has (server-side apply removes it only when we apply again). The price: a field
 * another manager adds inside our spec, which a forced apply does not remove,
 * makes every reconcile re-apply (a no-op on the server: same resourceVersion, no
 * watch event). Labels and annotations are compared on our keys only (others may
 * add theirs); ownerReferences whole, absent equal to empty.
 */
export function ownedFieldsDiffer(desired: KubeObject, live: KubeObject): boolean {
  if (!deepEqual(desired.spec, live.spec)) return true;
  for (const field of ['labels', 'annotations'] as const) {
    const wanted = desired.metadata?.[field] ?? {};
    const actual = live.metadata?.[field] ?? {};
    if (Object.entries(wanted).some(([key, value]) => actual[key] !== value)) return true;
  }
  const owners = (object: KubeObject): unknown =>
    Array.isArray(object.metadata?.ownerReferences) ? object.metadata.ownerReferences : [];
  return !deepEqual(owners(desired), owners(live));
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((item, index) => deepEqual(item, b[index]));
  }
  if (!isRecord(a) || !isRecord(b)) return false;
  // Undefined-valued keys equal missing ones: JSON round-trips drop them anyway.
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const key of keys) if (!deepEqual(a[key], b[key])) return false;
  return true;
}
