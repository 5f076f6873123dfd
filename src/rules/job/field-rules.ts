import type { RuleContext } from '../../engine/context.js';
import { CRONJOB_SPEC_DEFAULTS, JOB_SPEC_DEFAULTS } from '../../k8s/api-defaults.js';
import type { WorkloadPaths } from '../../k8s/workload.js';
import type { FieldSetting, JobSection, Policy } from '../../policy/types.js';
import type { Rule } from '../rule.js';
import { mutateSetting, validateSetting, type SettingField } from '../setting.js';

type JobField = Exclude<keyof JobSection, 'restartPolicy'>;

interface JobFieldRuleSpec {
  id: string;
  title: string;
  description: string;
  field: JobField;
  /** CronJob-level fields live on the CronJob spec; the others on the Job spec. */
  level: 'cronjob' | 'job';
  apiDefault?: unknown;
  unsetMeaning: string;
  /** A minimum that holds even when the policy sets none. */
  intrinsicMin?: number;
}

/** One rule per Job/CronJob numeric or enum field, all driven by a FieldSetting. */
function jobFieldRule(spec: JobFieldRuleSpec): Rule {
  // Both depend only on the (frozen) policy and the kind's paths, so they are
  // worked out once per policy and kind instead of for every object.
  const settings = new WeakMap<Policy, { setting: FieldSetting<unknown> | undefined }>();
  const settingOf = (context: RuleContext): FieldSetting<unknown> | undefined => {
    let cached = settings.get(context.policy);
    if (cached === undefined) {
      const policy = context.policy;
      const setting = policy.spec.job?.[spec.field] as FieldSetting<unknown> | undefined;
      cached = {
        setting:
          spec.intrinsicMin === undefined
            ? setting
            : { ...setting, min: setting?.min ?? spec.intrinsicMin },
      };
      settings.set(policy, cached);
    }
    return cached.setting;
  };
  const fields = new WeakMap<WorkloadPaths, { field: SettingField | undefined }>();
  const fieldOf = (context: RuleContext): SettingField | undefined => {
    const paths = context.paths;
    let cached = fields.get(paths);
    if (cached === undefined) {
      const base = spec.level === 'cronjob' ? ['spec'] : paths.jobSpec;
      cached = {
        field:
          base === undefined
            ? undefined
            : {
                path: [...base, spec.field],
                apiDefault: spec.apiDefault,
                unsetMeaning: spec.unsetMeaning,
                type: spec.field === 'concurrencyPolicy' ? 'string' : 'integer',
              },
      };
      fields.set(paths, cached);
    }
    return cached.field;
  };
  return {
    id: spec.id,
    section: 'job',
    title: spec.title,
    description: spec.description,
    kinds: spec.level === 'cronjob' ? ['CronJob'] : ['CronJob', 'Job'],
    enabled: (policy) =>
      policy.job?.[spec.field] !== undefined ||
      (spec.intrinsicMin !== undefined && policy.job !== undefined),
    mutate(context) {
      const field = fieldOf(context);
      if (field !== undefined) mutateSetting(context, settingOf(context), field);
    },
    validate(context) {
      const field = fieldOf(context);
      if (field !== undefined) validateSetting(context, settingOf(context), field);
    },
  };
}

export const jobConcurrencyPolicy = jobFieldRule({
  id: 'job-concurrency-policy',
  title: 'CronJob concurrencyPolicy',
  description:
    'Whether a run may start while the previous one is still running. The API server defaults it to Allow, so overlapping runs are the default; most batch jobs want Forbid or Replace.',
  field: 'concurrencyPolicy',
  level: 'cronjob',
  apiDefault: CRONJOB_SPEC_DEFAULTS.concurrencyPolicy,
  unsetMeaning: 'defaults to Allow',
});

export const jobStartingDeadline = jobFieldRule({
  id: 'job-starting-deadline',
  title: 'CronJob startingDeadlineSeconds',
  description:
    'How late a missed run may still start. Unset, a run missed during an outage starts whenever the controller catches up; below 10 seconds it may never start, because the CronJob controller checks every 10 seconds.',
  field: 'startingDeadlineSeconds',
  level: 'cronjob',
  unsetMeaning: 'missed runs start however late',
  intrinsicMin: 10,
});

export const jobActiveDeadline = jobFieldRule({
  id: 'job-active-deadline',
  title: 'Job activeDeadlineSeconds',
  description:
    'How long a Job may run before Kubernetes stops it. Without it a hung run (or a mesh sidecar that never exits) holds its pod forever.',
  field: 'activeDeadlineSeconds',
  level: 'job',
  unsetMeaning: 'a run may last forever',
});

export const jobBackoffLimit = jobFieldRule({
  id: 'job-backoff-limit',
  title: 'Job backoffLimit',
  description: 'How many times a failed run is retried. The API server defaults it to 6.',
  field: 'backoffLimit',
  level: 'job',
  apiDefault: JOB_SPEC_DEFAULTS.backoffLimit,
  unsetMeaning: 'defaults to 6',
});

export const jobTtlAfterFinished = jobFieldRule({
  id: 'job-ttl-after-finished',
  title: 'Job ttlSecondsAfterFinished',
  description:
    'How long a finished Job (and its pods) is kept. For CronJobs the history limits already prune Jobs; a TTL also cleans up Jobs started by hand from the template.',
  field: 'ttlSecondsAfterFinished',
  level: 'job',
  unsetMeaning: 'finished Jobs are never deleted by TTL',
});

export const jobSuccessfulHistoryLimit = jobFieldRule({
  id: 'job-successful-history-limit',
  title: 'CronJob successfulJobsHistoryLimit',
  description: 'How many succeeded Jobs a CronJob keeps. The API server defaults it to 3.',
  field: 'successfulJobsHistoryLimit',
  level: 'cronjob',
  apiDefault: CRONJOB_SPEC_DEFAULTS.successfulJobsHistoryLimit,
  unsetMeaning: 'defaults to 3',
});

export const jobFailedHistoryLimit = jobFieldRule({
  id: 'job-failed-history-limit',
  title: 'CronJob failedJobsHistoryLimit',
  description:
    'How many failed Jobs a CronJob keeps for debugging. The API server defaults it to 1.',
  field: 'failedJobsHistoryLimit',
  level: 'cronjob',
  apiDefault: CRONJOB_SPEC_DEFAULTS.failedJobsHistoryLimit,
  unsetMeaning: 'defaults to 1',
});
