import { parseQuantity } from '../../k8s/quantity.js';
import type { Rule } from '../rule.js';
import {
  checkQuantity,
  checkResourceShape,
  fieldName,
  formatQuantity,
  readResource,
  resourcePath,
  RESOURCE_KINDS,
  showQuantity,
} from './shared.js';

/** Relative slack for float division: 1 / 3 × 3 must not count as above 3. */
const RATIO_TOLERANCE = 1e-9;

export const resourcesLimitRequestRatio: Rule = {
  id: 'resources-limit-request-ratio',
  section: 'resources',
  title: 'Limit to request ratio',
  description:
    'Reports containers whose limit is more than the allowed multiple of their request for a resource, like a LimitRange maxLimitRequestRatio: a large ratio lets a job burst far beyond what the scheduler reserved, so nodes overcommit. Containers that lack the request or the limit are left to the other resource rules.',
  kinds: ['CronJob', 'Job', 'Pod'],
  enabled: (spec) => spec.resources?.maxLimitRequestRatio !== undefined,
  validate(context) {
    const ratios = Object.entries(context.policy.spec.resources?.maxLimitRequestRatio ?? {});
    for (const ref of context.containers()) {
      if (!checkResourceShape(context, ref, RESOURCE_KINDS, true)) continue;
      for (const [resource, maxRatio] of ratios) {
        const request = readResource(context, ref, 'requests', resource);
        const limit = readResource(context, ref, 'limits', resource);
        if (request === undefined || limit === undefined) continue;
        const requestOk = checkQuantity(context, ref, 'requests', resource, request);
        const limitOk = checkQuantity(context, ref, 'limits', resource, limit);
        if (!requestOk || !limitOk) continue;
        const requestAmount = parseQuantity(request) ?? 0;
        const limitAmount = parseQuantity(limit) ?? 0;
        if (limitAmount <= requestAmount * maxRatio * (1 + RATIO_TOLERANCE)) continue;
        const requestPath = resourcePath(ref, 'requests', resource);
        const limitPath = resourcePath(ref, 'limits', resource);
        const raise = `raise ${fieldName(requestPath)} to at least ${formatQuantity(limitAmount / maxRatio, resource, 'up')}`;
        if (requestAmount === 0) {
          context.report({
            path: requestPath,
            message: `container "${ref.name}" requests.${resource} is 0, so limits.${resource} ${showQuantity(limit)} is unboundedly above it; the maximum limit/request ratio is ${maxRatio}`,
            fix: `${raise}, or lower ${fieldName(limitPath)}`,
            container: ref.name,
          });
          continue;
        }
        const ratio = Math.round((limitAmount / requestAmount) * 100) / 100;
        context.report({
          path: limitPath,
          message: `container "${ref.name}" limits.${resource} / requests.${resource} is ${ratio} (${showQuantity(limit)} / ${showQuantity(request)}); the maximum ratio is ${maxRatio}`,
          fix: `${raise}, or lower ${fieldName(limitPath)} to at most ${formatQuantity(requestAmount * maxRatio, resource, 'down')}`,
          container: ref.name,
        });
      }
    }
  },
};
