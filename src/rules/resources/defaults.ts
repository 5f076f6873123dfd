import type { RuleContext } from '../../engine/context.js';
import { compareQuantities, isValidQuantity } from '../../k8s/quantity.js';
import type { ContainerRef } from '../../k8s/workload.js';
import type { ApplyMode } from '../../policy/types.js';
import type { PointerSegment } from '../../util/json-pointer.js';
import type { Rule } from '../rule.js';
import {
  applyModeOf,
  checkQuantity,
  checkResourceShape,
  describeRequest,
  effectiveRequest,
  parentOf,
  fieldName,
  listEntries,
  policyValue,
  readResource,
  requestFindingPath,
  resourcePath,
  RESOURCE_KINDS,
  showQuantity,
  type ResourceKind,
} from './shared.js';

/**
 * What the rule does with one field of one container:
 * - none: already right for the mode (or, in default mode, set);
 * - write: set the policy's value;
 * - blocked: the value would put a request above its limit, which the API server rejects;
 * - differs: validate mode, the value is not the policy's (`path`: where admission sees it);
 * - unreadable: a value it depends on is not a valid quantity (reported as such).
 */
type Decision =
  | { action: 'none' | 'write' | 'unreadable' }
  | { action: 'blocked'; path: readonly PointerSegment[]; message: string; fix: string }
  | { action: 'differs'; path: readonly PointerSegment[]; current: string };

function decideRequest(
  context: RuleContext,
  ref: ContainerRef,
  resource: string,
  value: string,
  mode: ApplyMode,
): Decision {
  const effective = effectiveRequest(context, ref, resource);
  // A missing request next to a limit is that limit (the API server defaults it), so
  // default mode never fills it: lint and admission then agree, and no request can
  // end up above its limit.
  if (mode === 'default') return effective === undefined ? { action: 'write' } : { action: 'none' };
  if (effective !== undefined) {
    if (!isValidQuantity(effective.value) && mode === 'validate') return { action: 'unreadable' };
    if (compareQuantities(effective.value, value) === 0) return { action: 'none' };
  }
  if (mode === 'validate') {
    return effective === undefined
      ? {
          action: 'differs',
          path: parentOf(resourcePath(ref, 'requests', resource)),
          current: 'is not set',
        }
      : {
          action: 'differs',
          path: requestFindingPath(ref, resource, effective),
          current: `is ${describeRequest(effective.value, effective.fromLimit, resource)}`,
        };
  }
  // Enforce: the limit the request will sit under is the policy's, if it sets one.
  const limitAfter =
    policyValue(context.policy.spec.resources?.defaults?.limits, resource) ??
    readResource(context, ref, 'limits', resource);
  if (limitAfter === undefined) return { action: 'write' };
  const order = compareQuantities(value, limitAfter);
  if (order === undefined) return { action: 'unreadable' };
  if (order <= 0) return { action: 'write' };
  const limitPath = resourcePath(ref, 'limits', resource);
  return {
    action: 'blocked',
    path: limitPath,
    message: `container "${ref.name}" requests.${resource} cannot be set to ${value}: that is above limits.${resource} ${showQuantity(limitAfter)}, and the API server rejects a request above its limit`,
    fix: `raise ${fieldName(limitPath)} to at least ${value}`,
  };
}

function decideLimit(
  context: RuleContext,
  ref: ContainerRef,
  resource: string,
  value: string,
  mode: ApplyMode,
): Decision {
  const limit = readResource(context, ref, 'limits', resource);
  const limitPath = resourcePath(ref, 'limits', resource);
  if (mode === 'default' && limit !== undefined) return { action: 'none' };
  if (mode !== 'default' && limit !== undefined) {
    if (!isValidQuantity(limit) && mode === 'validate') return { action: 'unreadable' };
    if (compareQuantities(limit, value) === 0) return { action: 'none' };
  }
  if (mode === 'validate') {
    return limit === undefined
      ? { action: 'differs', path: parentOf(limitPath), current: 'is not set' }
      : { action: 'differs', path: limitPath, current: `is ${showQuantity(limit)}` };
  }
  // The request the limit must stay above: a missing one is the current limit, which
  // the API server copies into it (at Pod admission, or when the Job creates Pods).
  const floor = effectiveRequest(context, ref, resource);
  if (floor === undefined) return { action: 'write' };
  const order = compareQuantities(value, floor.value);
  if (order === undefined) return { action: 'unreadable' };
  if (order >= 0) return { action: 'write' };
  const requestPath = resourcePath(ref, 'requests', resource);
  return {
    action: 'blocked',
    path: requestFindingPath(ref, resource, floor),
    message: `container "${ref.name}" limits.${resource} cannot be set to ${value}: that is below requests.${resource} ${describeRequest(floor.value, floor.fromLimit, resource)}, and the API server rejects a limit below its request`,
    fix: floor.fromLimit
      ? `set ${fieldName(requestPath)} to at most ${value} explicitly`
      : `lower ${fieldName(requestPath)} to at most ${value}, or set ${fieldName(limitPath)} to at least ${showQuantity(floor.value)} yourself`,
  };
}

function decide(
  context: RuleContext,
  ref: ContainerRef,
  kind: ResourceKind,
  resource: string,
  value: string,
  mode: ApplyMode,
): Decision {
  return kind === 'requests'
    ? decideRequest(context, ref, resource, value, mode)
    : decideLimit(context, ref, resource, value, mode);
}

/** Requests first: a limit filled in below would otherwise make a missing request look defaulted from it. */
function policyFields(context: RuleContext): Array<[ResourceKind, string, string]> {
  const defaults = context.policy.spec.resources?.defaults;
  return RESOURCE_KINDS.flatMap((kind) =>
    listEntries(defaults?.[kind]).map(([resource, value]): [ResourceKind, string, string] => [
      kind,
      resource,
      value,
    ]),
  );
}

function reportDecision(
  context: RuleContext,
  ref: ContainerRef,
  kind: ResourceKind,
  resource: string,
  value: string,
  decision: Decision,
): void {
  if (decision.action === 'blocked') {
    context.report({
      path: decision.path,
      message: decision.message,
      fix: decision.fix,
      container: ref.name,
    });
  } else if (decision.action === 'differs') {
    const path = resourcePath(ref, kind, resource);
    context.report({
      path: decision.path,
      message: `container "${ref.name}" ${kind}.${resource} ${decision.current}; the policy requires ${value}`,
      fix: `set ${fieldName(path)}: ${value}`,
      container: ref.name,
    });
  }
}

/**
 * Before a limit changes where the request is missing: the author's pods would run
 * with request = the current limit. A Pod already carries that copy at admission,
 * while a template would take the new limit when its Pods are created; writing the
 * request makes lint and admission end in the same object, and keeps a raised limit
 * from silently raising what the scheduler reserves.
 */
function keepDefaultedRequest(context: RuleContext, ref: ContainerRef, resource: string): void {
  const limit = readResource(context, ref, 'limits', resource);
  if (limit === undefined || readResource(context, ref, 'requests', resource) !== undefined) return;
  const path = resourcePath(ref, 'requests', resource);
  context.enforce(
    path,
    limit,
    `set ${fieldName(path)} to ${showQuantity(limit)} (the request the API server copies from the current limit, kept while the policy changes the limit)`,
  );
}

export const resourcesDefaults: Rule = {
  id: 'resources-defaults',
  section: 'resources',
  title: 'Container resource defaults',
  description:
    'Fills in (default), sets (enforce) or checks (validate) the requests and limits a policy gives for every container and init container. A missing request next to a limit counts as set, because the API server defaults it to the limit; a request is never set above its limit nor a limit below its request (the API server would reject the object), which is reported instead.',
  kinds: ['CronJob', 'Job', 'Pod'],
  enabled: (spec) => spec.resources?.defaults !== undefined,
  mutate(context) {
    const mode = applyModeOf(context);
    if (mode === 'validate') return;
    const fields = policyFields(context);
    for (const ref of context.containers()) {
      if (!checkResourceShape(context, ref, RESOURCE_KINDS, false)) continue;
      for (const [kind, resource, value] of fields) {
        if (decide(context, ref, kind, resource, value, mode).action !== 'write') continue;
        if (kind === 'limits') keepDefaultedRequest(context, ref, resource);
        const path = resourcePath(ref, kind, resource);
        const message = `set ${fieldName(path)} to ${value} (${mode === 'default' ? 'policy default' : 'enforced by policy'})`;
        // null is "absent" to the API server, so default mode may replace it.
        if (mode === 'default') context.fill(path, value, message, null);
        else context.enforce(path, value, message);
      }
    }
  },
  validate(context) {
    const mode = applyModeOf(context);
    const fields = policyFields(context);
    const resources = [...new Set(fields.map(([, resource]) => resource))];
    for (const ref of context.containers()) {
      if (!checkResourceShape(context, ref, RESOURCE_KINDS, true)) continue;
      for (const resource of resources) {
        for (const kind of RESOURCE_KINDS) {
          const current = readResource(context, ref, kind, resource);
          if (current !== undefined) checkQuantity(context, ref, kind, resource, current);
        }
      }
      for (const [kind, resource, value] of fields) {
        reportDecision(
          context,
          ref,
          kind,
          resource,
          value,
          decide(context, ref, kind, resource, value, mode),
        );
      }
    }
  },
};
