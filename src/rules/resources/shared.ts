import type { RuleContext } from '../../engine/context.js';
import { parseQuantity } from '../../k8s/quantity.js';
import { isPlainObject } from '../../k8s/types.js';
import type { ContainerRef } from '../../k8s/workload.js';
import type { ApplyMode, ResourceList } from '../../policy/types.js';
import type { PointerSegment } from '../../util/json-pointer.js';
import { fieldName } from '../securityContext/shared.js';

export type ResourceKind = 'requests' | 'limits';
export const RESOURCE_KINDS: readonly ResourceKind[] = ['requests', 'limits'];

export function applyModeOf(context: RuleContext): ApplyMode {
  return context.policy.spec.resources?.apply ?? 'default';
}

export function resourcePath(
  ref: ContainerRef,
  kind: ResourceKind,
  resource: string,
): PointerSegment[] {
  return [...ref.path, 'resources', kind, resource];
}

/** The entries of a policy resource list that are set, in a fixed order. */
export function listEntries(list: ResourceList | undefined): Array<[string, string]> {
  if (list === undefined) return [];
  return Object.entries(list).filter((entry): entry is [string, string] => entry[1] !== undefined);
}

export function policyValue(list: ResourceList | undefined, resource: string): string | undefined {
  return listEntries(list).find(([name]) => name === resource)?.[1];
}

/**
 * A container's resource value as the API server sees it: JSON null decodes to
 * "absent", and a `resources` or `requests`/`limits` that is not an object carries
 * no values (it is reported as malformed separately).
 */
export function readResource(
  context: RuleContext,
  ref: ContainerRef,
  kind: ResourceKind,
  resource: string,
): unknown {
  const value = context.read(resourcePath(ref, kind, resource));
  return value === null ? undefined : value;
}

/** The request a container's pods run with, and how to talk about it. */
export interface EffectiveRequest {
  value: unknown;
  /** Where the value is written in this object (for quantity errors). */
  writtenAt: ResourceKind;
  /**
   * Whether findings say "defaulted from limits": true for templates, whose missing
   * request is copied from the limit only when the Job controller creates the Pods,
   * so admission sees it missing too. A Pod's request is copied before admission
   * (SetDefaults_Pod), so a webhook sees it as if written, and lint says the same.
   */
  fromLimit: boolean;
}

/**
 * The request the container's pods will run with: the API server defaults a missing
 * request to the limit (core/v1 SetDefaults_Pod), so a request that is missing next
 * to a limit is that limit.
 */
export function effectiveRequest(
  context: RuleContext,
  ref: ContainerRef,
  resource: string,
): EffectiveRequest | undefined {
  const request = readResource(context, ref, 'requests', resource);
  if (request !== undefined) return { value: request, writtenAt: 'requests', fromLimit: false };
  const limit = readResource(context, ref, 'limits', resource);
  if (limit === undefined) return undefined;
  return { value: limit, writtenAt: 'limits', fromLimit: context.paths.kind !== 'Pod' };
}

/** Where a finding about a container's request points: where admission sees it. */
export function requestFindingPath(
  ref: ContainerRef,
  resource: string,
  request: EffectiveRequest,
): PointerSegment[] {
  return resourcePath(ref, request.fromLimit ? 'limits' : 'requests', resource);
}

export { fieldName, parentOf } from '../securityContext/shared.js';

/**
 * Reports `resources`, `resources.requests` or `resources.limits` holding something
 * that is not an object; returns false when the container's values for `kinds`
 * cannot be read or written.
 */
export function checkResourceShape(
  context: RuleContext,
  ref: ContainerRef,
  kinds: readonly ResourceKind[],
  report: boolean,
): boolean {
  const resourcesPath = [...ref.path, 'resources'];
  const resources = context.read(resourcesPath);
  const bad: PointerSegment[][] = [];
  if (resources !== undefined && resources !== null && !isPlainObject(resources))
    bad.push(resourcesPath);
  else if (isPlainObject(resources)) {
    for (const kind of kinds) {
      const list = resources[kind];
      if (list !== undefined && list !== null && !isPlainObject(list))
        bad.push([...resourcesPath, kind]);
    }
  }
  if (report) {
    for (const path of bad) {
      context.report({
        path,
        message: `container "${ref.name}" ${fieldName(path.slice(ref.path.length))} must be a map of resource quantities, got ${JSON.stringify(context.read(path))}`,
        fix: `write ${fieldName(path)} as a mapping, e.g. {cpu: 100m, memory: 128Mi}`,
        container: ref.name,
      });
    }
  }
  return bad.length === 0;
}

/**
 * Whether a container's quantity is usable. Anything the API server would refuse —
 * not a quantity at all (`"10 Mi"`), or negative — is reported as a finding of the
 * rule that reads it.
 */
export function checkQuantity(
  context: RuleContext,
  ref: ContainerRef,
  kind: ResourceKind,
  resource: string,
  value: unknown,
): boolean {
  const amount = parseQuantity(value);
  if (amount !== undefined && amount >= 0) return true;
  const path = resourcePath(ref, kind, resource);
  context.report({
    path,
    message:
      amount === undefined
        ? `container "${ref.name}" ${kind}.${resource} ${JSON.stringify(value) ?? 'undefined'} is not a valid quantity`
        : `container "${ref.name}" ${kind}.${resource} ${showQuantity(value)} is negative`,
    fix: `write ${fieldName(path)} as a non-negative Kubernetes quantity, e.g. ${resource === 'cpu' ? '500m or 1' : '256Mi or 1Gi'} (a number and an optional suffix, no spaces)`,
    container: ref.name,
  });
  return false;
}

/** Renders a quantity people would write: `500m`, `2`, `768Mi`, `1Gi`; rounded the safe way. */
export function formatQuantity(amount: number, resource: string, rounding: 'up' | 'down'): string {
  const round = (value: number): number => {
    const nearest = Math.round(value);
    // Float division leaves 300.00000000000006 where 300 was meant.
    if (Math.abs(value - nearest) < 1e-6) return nearest;
    return rounding === 'up' ? Math.ceil(value) : Math.floor(value);
  };
  if (resource === 'cpu') {
    const millis = round(amount * 1000);
    return millis % 1000 === 0 ? String(millis / 1000) : `${millis}m`;
  }
  const bytes = round(amount);
  for (const [suffix, size] of [
    ['Gi', 2 ** 30],
    ['Mi', 2 ** 20],
    ['Ki', 2 ** 10],
  ] as const) {
    if (bytes >= size && bytes % size === 0) return `${bytes / size}${suffix}`;
  }
  return String(bytes);
}

/** A quantity from a manifest, for messages: as written when it is text or a number. */
export function showQuantity(value: unknown): string {
  return typeof value === 'string' || typeof value === 'number'
    ? String(value)
    : (JSON.stringify(value) ?? 'undefined');
}

/** A container's value for messages, saying where a defaulted request comes from. */
export function describeRequest(value: unknown, fromLimit: boolean, resource: string): string {
  return fromLimit
    ? `${showQuantity(value)} (defaulted from limits.${resource})`
    : showQuantity(value);
}
