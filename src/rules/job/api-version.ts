import type { Rule } from '../rule.js';

const REMOVED: Readonly<Record<string, string>> = {
  'batch/v1beta1': 'removed in Kubernetes 1.25',
  'batch/v2alpha1': 'removed in Kubernetes 1.21 and never enabled by default',
};

export const jobApiVersion: Rule = {
  id: 'job-api-version',
  section: 'job',
  title: 'Removed CronJob API versions',
  description:
    'CronJobs must use batch/v1. batch/v1beta1 was removed in Kubernetes 1.25 (batch/v2alpha1 earlier); manifests that still use it fail to apply on current clusters. Old kubectl clients (1.20) still write batch/v1beta1.',
  kinds: ['CronJob'],
  enabled: () => true,
  validate(context) {
    const apiVersion = context.object.apiVersion;
    if (typeof apiVersion !== 'string') return;
    const removed = REMOVED[apiVersion];
    if (removed === undefined) return;
    context.report({
      path: ['apiVersion'],
      message: `apiVersion ${apiVersion} is ${removed}`,
      fix: 'set apiVersion: batch/v1 (the fields are the same)',
    });
  },
};
