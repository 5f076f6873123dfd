import { applyApiServerDefaults } from '../../../src/k8s/api-defaults.js';
import type { KubeObject } from '../../../src/k8s/types.js';
import type { PolicySet } from '../../../src/policy/types.js';
import { policiesFrom } from '../../support/policies.js';

/** `strict` denies (enforce); `hygiene` warns and fills in a TTL (a mutation). */
export const AUDIT_POLICIES_YAML = `
apiVersion: cronguard.dev/v1alpha1
kind: CronJobPolicy
metadata:
  name: strict
spec:
  priority: 100
  action: enforce
  match:
    kinds: [CronJob]
  job:
    startingDeadlineSeconds: {min: 10}
  images:
    disallowLatest: true
---
apiVersion: cronguard.dev/v1alpha1
kind: CronJobPolicy
metadata:
  name: hygiene
spec:
  priority: 0
  action: warn
  match:
    kinds: [CronJob]
  job:
    ttlSecondsAfterFinished: {default: 86400}
    backoffLimit: {max: 10}
`;

export function auditPolicies(yaml = AUDIT_POLICIES_YAML): PolicySet {
  return policiesFrom(yaml);
}

export interface CronJobShape {
  name: string;
  namespace?: string;
  uid?: string;
  image?: string;
  startingDeadlineSeconds?: number;
  ttlSecondsAfterFinished?: number;
  backoffLimit?: number;
  annotations?: Record<string, string>;
}

/** A CronJob as the API server stores it (defaults filled in). */
export function cronJob(shape: CronJobShape): KubeObject {
  const object: KubeObject = {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: {
      name: shape.name,
      namespace: shape.namespace ?? 'team-a',
      ...(shape.uid === undefined ? {} : { uid: shape.uid }),
      ...(shape.annotations === undefined ? {} : { annotations: shape.annotations }),
    },
    spec: {
      schedule: '0 3 * * *',
      startingDeadlineSeconds: shape.startingDeadlineSeconds ?? 60,
      jobTemplate: {
        spec: {
          ttlSecondsAfterFinished: shape.ttlSecondsAfterFinished ?? 3600,
          backoffLimit: shape.backoffLimit ?? 3,
          template: {
            spec: {
              restartPolicy: 'OnFailure',
              containers: [{ name: 'app', image: shape.image ?? 'registry.example.com/app:1.0' }],
            },
          },
        },
      },
    },
  };
  applyApiServerDefaults(object);
  return object;
}

/** A compliant CronJob and one that breaks both policies. */
export function compliantCronJob(namespace = 'team-a'): KubeObject {
  return cronJob({ name: 'backup', namespace, uid: 'uid-backup' });
}

export function nonCompliantCronJob(namespace = 'team-a'): KubeObject {
  const object = cronJob({
    name: 'report',
    namespace,
    uid: 'uid-report',
    image: 'registry.example.com/report:latest',
    startingDeadlineSeconds: 5,
    backoffLimit: 50,
  });
  const template = (object.spec as { jobTemplate: { spec: Record<string, unknown> } }).jobTemplate
    .spec;
  delete template.ttlSecondsAfterFinished;
  return object;
}
