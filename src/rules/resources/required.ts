import type { Rule } from '../rule.js';
import {
  checkQuantity,
  checkResourceShape,
  effectiveRequest,
  parentOf,
  fieldName,
  policyValue,
  readResource,
  resourcePath,
  RESOURCE_KINDS,
  type ResourceKind,
} from './shared.js';

/** `requests.cpu` → ['requests', 'cpu']; the policy schema allows only requests/limits of known resources. */
function splitField(field: string): [ResourceKind, string] | undefined {
  const dot = field.indexOf('.');
  const kind = field.slice(0, dot);
  if (dot < 0 || (kind !== 'requests' && kind !== 'limits')) return undefined;
  return [kind, field.slice(dot + 1)];
}

export const resourcesRequired: Rule = {
  id: 'resources-required',
  section: 'resources',
  title: 'Required resource fields',
  description:
    "Reports containers and init containers that, after the policy's defaults were filled in, still lack a resource field the policy requires (e.g. requests.cpu, limits.memory). A request counts as set when a limit is set for the same resource, because the API server defaults the request to the limit.",
  kinds: ['CronJob', 'Job', 'Pod'],
  enabled: (spec) => spec.resources?.required !== undefined && spec.resources.required.length > 0,
  validate(context) {
    const section = context.policy.spec.resources;
    const fields = (section?.required ?? []).map(splitField).filter((field) => field !== undefined);
    for (const ref of context.containers()) {
      // A required request reads the limit too (it defaults from it), so both lists matter.
      if (!checkResourceShape(context, ref, RESOURCE_KINDS, true)) continue;
      for (const [kind, resource] of fields) {
        const path = resourcePath(ref, kind, resource);
        if (kind === 'requests') {
          const request = effectiveRequest(context, ref, resource);
          if (request !== undefined) {
            checkQuantity(context, ref, request.writtenAt, resource, request.value);
            continue;
          }
        } else {
          const limit = readResource(context, ref, 'limits', resource);
          if (limit !== undefined) {
            checkQuantity(context, ref, 'limits', resource, limit);
            continue;
          }
        }
        const example = policyValue(section?.defaults?.[kind], resource);
        context.report({
          path: parentOf(path),
          message: `container "${ref.name}" ${kind}.${resource} is not set; the policy requires it`,
          fix: `set ${fieldName(path)}${example === undefined ? '' : `, e.g. to ${example}`}`,
          container: ref.name,
        });
      }
    }
  },
};
