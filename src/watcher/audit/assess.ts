import { admit, validationFindings } from '../../admission/admit.js';
import { decodeReview, isReviewError } from '../../admission/decode.js';
import { fieldOf, warningLine } from '../../admission/messages.js';
import { toSingleLine, truncateUtf8Bytes } from '../../admission/text.js';
import { ADMISSION_V1 } from '../../admission/types.js';
import type { Finding, Severity } from '../../engine/types.js';
import type { KubeObject } from '../../k8s/types.js';
import type { ClusterFacts } from '../../mesh/types.js';
import type { PolicySet } from '../../policy/types.js';
import { BUILTIN_RULES } from '../../rules/index.js';
import type { Rule } from '../../rules/rule.js';

/**
 * What the validating webhook would say about one existing CronJob, in the terms of a
 * PolicyReport: one verdict per (policy, rule). Pure.
 *
 * The object is judged as a no-op UPDATE (oldObject = the object). That is the answer
 * /validate gives the next time the CronJob is applied unchanged, and it keeps the
 * checks the API server itself only makes on create (name length, time zone validity)
 * from flagging CronJobs that the API server accepts as they are.
 */

/** PolicyReport result values (wgpolicyk8s.io/v1alpha2). */
export type ReportResultValue = 'pass' | 'fail' | 'warn' | 'error' | 'skip';

export interface CronJobRef {
  name: string;
  namespace: string;
  /** Empty when the object has none (a manifest, not a stored object). */
  uid: string;
}

export interface Verdict {
  policy: string;
  /** Undefined for a verdict about the whole policy (pass, evaluation error). */
  rule: string | undefined;
  result: ReportResultValue;
  /** cronguard's severity of a fail/warn verdict; undefined for pass, skip and error. */
  severity: Severity | undefined;
  /** The rule's section (schedule, job, securityContext, ...), when there is a rule. */
  category: string | undefined;
  message: string;
  /** Extra detail for `kubectl describe`: action, fields, fix, ... (string values only). */
  properties: Readonly<Record<string, string>>;
}

export interface CronJobAssessment {
  cronJob: CronJobRef;
  verdicts: Verdict[];
}

export interface AssessmentContext {
  policySet: PolicySet;
  namespaceLabels?:
    ((namespace: string) => Readonly<Record<string, string>> | undefined) | undefined;
  cluster?: ClusterFacts | undefined;
  /** Rules to run; the built-in set unless a test says otherwise. */
  rules?: readonly Rule[] | undefined;
}

/** Policy name of verdicts about cronguard itself (the CronJob could not be evaluated). */
export const ENGINE_POLICY = 'cronguard';

/** Bounds that keep one verdict small: a report holds up to 1000 of them (see report.ts). */
export const MESSAGE_MAX_BYTES = 512;
export const PROPERTY_MAX_BYTES = 256;

const CRONJOB_KIND = { group: 'batch', version: 'v1', kind: 'CronJob' };
const RESULT_RANK: Readonly<Record<ReportResultValue, number>> = {
  fail: 4,
  error: 3,
  warn: 2,
  skip: 1,
  pass: 0,
};

export function assessCronJob(cronJob: KubeObject, context: AssessmentContext): CronJobAssessment {
  const ref = cronJobRef(cronJob);
  const rules = context.rules ?? BUILTIN_RULES;
  const engineError = (message: string): CronJobAssessment => ({
    cronJob: ref,
    verdicts: [errorVerdict(message)],
  });

  // The same decoding and admission path as an AdmissionReview sent to /validate, so
  // that a CronJob from a list response (no kind/apiVersion) is read the same way.
  const decoded = decodeReview({
    apiVersion: ADMISSION_V1,
    kind: 'AdmissionReview',
    request: {
      uid: `audit-${ref.namespace}-${ref.name}`,
      kind: CRONJOB_KIND,
      resource: { group: 'batch', version: 'v1', resource: 'cronjobs' },
      operation: 'UPDATE',
      name: ref.name,
      namespace: ref.namespace,
      object: cronJob,
      oldObject: cronJob,
      dryRun: true,
    },
  });
  if (isReviewError(decoded)) return engineError(`cannot evaluate: ${decoded.message}`);
  const outcome = admit(
    decoded,
    {
      policySet: context.policySet,
      webhook: 'validate',
      namespaceLabels: context.namespaceLabels,
      cluster: context.cluster,
    },
    { rules },
  );
  if (outcome.internalError !== undefined) return engineError(outcome.internalError);
  if (outcome.decision === 'invalid') {
    return engineError(outcome.review.response.status?.message ?? 'the object is malformed');
  }
  if (outcome.decision === 'skipped' || decoded.object === undefined) {
    return { cronJob: ref, verdicts: [] };
  }

  const evaluation = outcome.evaluation;
  if (evaluation === undefined) return engineError('the webhook answered without evaluating');
  // Exactly the findings /validate judged, with its actions and wording.
  const findings = validationFindings(evaluation, context.policySet);
  const sections = new Map(rules.map((rule) => [rule.id, rule.section]));
  const verdicts = mergeByRule(findings.map((finding) => findingVerdict(finding, sections)));

  for (const exemption of evaluation.exemptions) {
    verdicts.push(
      bounded({
        policy: exemption.policy,
        rule: exemption.ruleId,
        result: 'skip',
        severity: undefined,
        category: sections.get(exemption.ruleId),
        message: `exempted by ${exemption.source}: ${exemption.reason}`,
        properties: {
          exemption: exemption.source,
          ...(exemption.container === undefined ? {} : { containers: exemption.container }),
        },
      }),
    );
  }

  // The engine reports neither which rules ran nor the findings it folded into another
  // policy's identical finding, so a policy can only be said to pass when nothing at all
  // was found: then every rule of every matched policy passed.
  if (findings.length === 0) {
    for (const match of evaluation.policies) {
      if (!match.matched) continue;
      verdicts.push({
        policy: match.policy,
        rule: undefined,
        result: 'pass',
        severity: undefined,
        category: undefined,
        message: `all rules of policy ${match.policy} passed`,
        properties: { policyVersion: match.version },
      });
    }
  }
  return { cronJob: ref, verdicts: mergeByRule(verdicts) };
}

function cronJobRef(cronJob: KubeObject): CronJobRef {
  const metadata = cronJob.metadata ?? {};
  return {
    name: typeof metadata.name === 'string' ? metadata.name : '',
    namespace: typeof metadata.namespace === 'string' ? metadata.namespace : '',
    uid: typeof metadata.uid === 'string' ? metadata.uid : '',
  };
}

function findingVerdict(finding: Finding, sections: ReadonlyMap<string, string>): Verdict {
  return bounded({
    policy: finding.policy,
    rule: finding.ruleId,
    // /validate denies enforce findings and warns for warn findings; audit findings it
    // only records, and a report shows them as warn (low) rather than as a denial.
    result: finding.action === 'enforce' ? 'fail' : 'warn',
    severity: finding.severity,
    category: sections.get(finding.ruleId),
    // The webhook's warning wording, without its 120-rune cut for terminals.
    message: warningLine(finding, MESSAGE_MAX_BYTES),
    properties: {
      action: finding.action,
      fields: fieldOf(finding.path),
      ...(finding.fix === undefined ? {} : { fix: finding.fix }),
      ...(finding.container === undefined ? {} : { containers: finding.container }),
    },
  });
}

function errorVerdict(message: string): Verdict {
  return bounded({
    policy: ENGINE_POLICY,
    rule: undefined,
    result: 'error',
    severity: undefined,
    category: undefined,
    message,
    properties: {},
  });
}

/**
 * One verdict per (policy, rule): a rule may find several things (per container, per
 * field). The most serious result wins; messages and details are listed in order.
 */
function mergeByRule(verdicts: readonly Verdict[]): Verdict[] {
  const byKey = new Map<string, Verdict>();
  for (const verdict of verdicts) {
    const key = `${verdict.policy}\u0000${verdict.rule ?? ''}`;
    const existing = byKey.get(key);
    if (existing === undefined) {
      byKey.set(key, verdict);
      continue;
    }
    const [first, second] =
      RESULT_RANK[verdict.result] > RESULT_RANK[existing.result]
        ? [verdict, existing]
        : [existing, verdict];
    const properties: Record<string, string> = { ...second.properties, ...first.properties };
    for (const name of ['fields', 'containers'] as const) {
      const values = [first.properties[name], second.properties[name]].filter(
        (value): value is string => value !== undefined && value !== '',
      );
      if (values.length > 0) properties[name] = [...new Set(values.join(',').split(','))].join(',');
    }
    byKey.set(
      key,
      bounded({
        ...first,
        message:
          first.message === second.message ? first.message : `${first.message}; ${second.message}`,
        properties,
      }),
    );
  }
  return [...byKey.values()];
}

/** Keeps a verdict within the per-result budget the report's size limit is built on. */
function bounded(verdict: Verdict): Verdict {
  const properties: Record<string, string> = {};
  for (const [name, value] of Object.entries(verdict.properties)) {
    properties[name] = truncateUtf8Bytes(toSingleLine(value), PROPERTY_MAX_BYTES);
  }
  return {
    ...verdict,
    message: truncateUtf8Bytes(toSingleLine(verdict.message), MESSAGE_MAX_BYTES),
    properties,
  };
}
