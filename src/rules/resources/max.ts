import { compareQuantities } from '../../k8s/quantity.js';
import type { Rule } from '../rule.js';
import {
  checkQuantity,
  checkResourceShape,
  describeRequest,
  effectiveRequest,
  parentOf,
  fieldName,
  listEntries,
  readResource,
  requestFindingPath,
  resourcePath,
  RESOURCE_KINDS,
  showQuantity,
} from './shared.js';

export const resourcesMax: Rule = {
  id: 'resources-max',
  section: 'resources',
  title: 'Container resource maximums',
  description:
    'Reports requests and limits above the maximum the policy allows (like a LimitRange max, but at apply time and with the field to change). A request missing next to a limit is the limit (the API server defaults it so); a limit that is missing while a maximum limit is configured is unbounded and reported.',
  kinds: ['CronJob', 'Job', 'Pod'],
  enabled: (spec) => spec.resources?.max !== undefined,
  validate(context) {
    const max = context.policy.spec.resources?.max;
    const kinds = RESOURCE_KINDS.filter((kind) => listEntries(max?.[kind]).length > 0);
    for (const ref of context.containers()) {
      if (!checkResourceShape(context, ref, kinds, true)) continue;
      for (const [resource, maximum] of listEntries(max?.requests)) {
        const request = effectiveRequest(context, ref, resource);
        if (request === undefined) continue; // no request: nothing reserved, nothing above the maximum
        if (!checkQuantity(context, ref, request.writtenAt, resource, request.value)) continue;
        if (compareQuantities(request.value, maximum) !== 1) continue;
        const requestPath = resourcePath(ref, 'requests', resource);
        context.report({
          path: requestFindingPath(ref, resource, request),
          message: `container "${ref.name}" requests.${resource} ${describeRequest(request.value, request.fromLimit, resource)} is above the maximum ${maximum}`,
          fix: request.fromLimit
            ? `set ${fieldName(requestPath)} to at most ${maximum} explicitly`
            : `set ${fieldName(requestPath)} to at most ${maximum}`,
          container: ref.name,
        });
      }
      for (const [resource, maximum] of listEntries(max?.limits)) {
        const path = resourcePath(ref, 'limits', resource);
        const limit = readResource(context, ref, 'limits', resource);
        if (limit === undefined) {
          context.report({
            path: parentOf(path),
            message: `container "${ref.name}" limits.${resource} is not set, so it is unbounded; the maximum is ${maximum}`,
            fix: `set ${fieldName(path)} to at most ${maximum}`,
            container: ref.name,
          });
          continue;
        }
        if (!checkQuantity(context, ref, 'limits', resource, limit)) continue;
        if (compareQuantities(limit, maximum) !== 1) continue;
        context.report({
          path,
          message: `container "${ref.name}" limits.${resource} ${showQuantity(limit)} is above the maximum ${maximum}`,
          fix: `set ${fieldName(path)} to at most ${maximum}`,
          container: ref.name,
        });
      }
    }
  },
};
