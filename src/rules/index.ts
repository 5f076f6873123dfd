import type { Rule } from './rule.js';
import { exemptionAnnotationsRule } from './exemptions/exemption-annotations.js';
import { jobApiVersion } from './job/api-version.js';
import {
  jobActiveDeadline,
  jobBackoffLimit,
  jobConcurrencyPolicy,
  jobFailedHistoryLimit,
  jobStartingDeadline,
  jobSuccessfulHistoryLimit,
  jobTtlAfterFinished,
} from './job/field-rules.js';
import { jobNameLength } from './job/name-length.js';
import { meshAnnotations } from './mesh/annotations.js';
import { meshInjectAnnotation } from './mesh/inject-annotation.js';
import { meshActiveDeadline } from './mesh/active-deadline.js';
import { meshInjection } from './mesh/injection.js';
import { meshJobCompletion } from './mesh/job-completion.js';
import { meshProxySettings } from './mesh/proxy-settings.js';
import { jobRestartPolicy } from './job/restart-policy.js';
import { imagesAllowedRegistries } from './images/allowed-registries.js';
import { imagesDisallowLatest } from './images/disallow-latest.js';
import { imagesPullPolicy } from './images/pull-policy.js';
import { probesLivenessReadiness } from './probes/liveness-readiness.js';
import { probesRequired } from './probes/required.js';
import { resourcesDefaults } from './resources/defaults.js';
import { resourcesMax } from './resources/max.js';
import { resourcesLimitRequestRatio } from './resources/ratio.js';
import { resourcesRequired } from './resources/required.js';
import { scheduleMinInterval } from './schedule/min-interval.js';
import { scheduleNeverFires } from './schedule/never-fires.js';
import { scheduleRunWindow } from './schedule/run-window.js';
import { scheduleSyntax } from './schedule/syntax.js';
import { scheduleTimezone } from './schedule/timezone.js';
import { securityContextContainer } from './securityContext/container.js';
import { securityContextPod } from './securityContext/pod.js';
import { securityContextRestricted } from './securityContext/restricted.js';

/**
 * Every built-in rule, in evaluation order. Order matters only for mutations that
 * build on each other (none do across sections today) and for report ordering.
 */
export const BUILTIN_RULES: readonly Rule[] = [
  scheduleSyntax,
  scheduleNeverFires,
  // Fills spec.timeZone first; the interval and window analysis read the zone.
  scheduleTimezone,
  scheduleMinInterval,
  scheduleRunWindow,
  jobApiVersion,
  jobNameLength,
  jobConcurrencyPolicy,
  jobStartingDeadline,
  jobActiveDeadline,
  jobBackoffLimit,
  jobTtlAfterFinished,
  jobSuccessfulHistoryLimit,
  jobFailedHistoryLimit,
  jobRestartPolicy,
  // After job-restart-policy: probes-required reads the restartPolicy it may fill in.
  probesRequired,
  probesLivenessReadiness,
  // Pod before container fields; the restricted check only validates, after all mutations.
  securityContextPod,
  securityContextContainer,
  securityContextRestricted,
  // Defaults first: max, ratio and required judge the object after defaults.
  resourcesDefaults,
  resourcesMax,
  resourcesLimitRequestRatio,
  resourcesRequired,
  imagesDisallowLatest,
  imagesAllowedRegistries,
  imagesPullPolicy,
  // Injection first: the others read the inject label it writes to tell whether a proxy runs.
  meshInjection,
  meshProxySettings,
  meshJobCompletion,
  meshActiveDeadline,
  // Validate only; they judge the pod template after the mesh mutations.
  meshAnnotations,
  meshInjectAnnotation,
  exemptionAnnotationsRule(() => BUILTIN_RULE_IDS),
];

export const BUILTIN_RULE_IDS: ReadonlySet<string> = new Set(BUILTIN_RULES.map((rule) => rule.id));

export function findRule(id: string): Rule | undefined {
  return BUILTIN_RULES.find((rule) => rule.id === id);
}

export type { Rule, RuleSection } from './rule.js';
