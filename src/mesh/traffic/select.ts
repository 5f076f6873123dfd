/**
 * Which destinations one CronJob gets: shared by `cronguard generate mesh` and the
 * watcher's mesh reconciler, so the offline output and what the cluster gets can
 * never disagree. Pure.
 */
import type { KubeObject } from '../../k8s/types.js';
import { matchPolicy } from '../../policy/match.js';
import type { Policy, PolicySet } from '../../policy/types.js';
import type { TrafficDestination } from '../types.js';
import { resolveDestinations, type TrafficOptions } from './generate.js';

export interface SelectDestinationsContext extends Pick<
  TrafficOptions,
  'defaultNamespace' | 'clusterDomain'
> {
  /** The namespace the CronJob lives in (its own, or the default for manifests without one). */
  namespace: string;
  /** Labels of that namespace, for policies with a namespaceSelector; undefined when unknown. */
  namespaceLabels: Readonly<Record<string, string>> | undefined;
}

export interface SelectedDestinations {
  /** The policy whose mesh.traffic list was used, if any matched. */
  policy: Policy | undefined;
  /** Merged from that list and the CronJob's annotation, sorted by normalised host. */
  destinations: TrafficDestination[];
  /** Problems of the list or the annotation; messages start with `policy` or `annotation`. */
  problems: string[];
}

/**
 * The highest-priority matching policy with a mesh.traffic list. Policies are
 * ordered by priority (then name) already, so the first match is the one; lists of
 * lower-priority policies are not merged in (docs/mesh-traffic.md).
 */
export function trafficPolicyFor(
  policySet: PolicySet,
  cronJob: KubeObject,
  namespace: string,
  namespaceLabels: Readonly<Record<string, string>> | undefined,
): Policy | undefined {
  return policySet.policies.find(
    (policy) =>
      policy.spec.mesh?.traffic !== undefined &&
      matchPolicy(policy, 'CronJob', {
        object: cronJob,
        operation: 'CREATE',
        namespace,
        namespaceLabels,
      }).matched,
  );
}

/** The destinations of one CronJob: its traffic policy's list merged with its annotation. */
export function selectDestinations(
  policySet: PolicySet,
  cronJob: KubeObject,
  context: SelectDestinationsContext,
): SelectedDestinations {
  const policy = trafficPolicyFor(policySet, cronJob, context.namespace, context.namespaceLabels);
  const resolved = resolveDestinations(cronJob, policy?.spec.mesh?.traffic ?? [], context);
  return { policy, destinations: resolved.destinations, problems: resolved.problems };
}
