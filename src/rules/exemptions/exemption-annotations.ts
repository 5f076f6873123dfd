import { readAnnotationExemptions } from '../../engine/exemptions.js';
import { parsePointer } from '../../util/json-pointer.js';
import type { Rule } from '../rule.js';

/**
 * Checks the `ignore-check.cronguard.dev/<rule-id>` annotations themselves: an
 * exemption without a reason, for an unknown rule, or for a rule the policy marks
 * non-exemptible exempts nothing, and the author should hear about it rather than
 * believe it works.
 */
export function exemptionAnnotationsRule(knownRuleIds: () => ReadonlySet<string>): Rule {
  return {
    id: 'exemption-annotations',
    section: 'exemptions',
    title: 'Exemption annotations',
    description:
      'Exemption annotations (ignore-check.cronguard.dev/<rule-id>: "<reason>") must name a known rule, give a reason, and not target a rule the policy lists as nonExemptible; otherwise they exempt nothing.',
    kinds: ['CronJob', 'Job', 'Pod'],
    enabled: () => true,
    validate(context) {
      for (const exemption of readAnnotationExemptions(context.original, context.paths)) {
        const path = parsePointer(exemption.path);
        if (!knownRuleIds().has(exemption.ruleId)) {
          context.report({
            path,
            message: `exemption names unknown rule "${exemption.ruleId}"`,
            fix: 'use a rule id from policies/README.md',
          });
        } else if (exemption.problem !== undefined) {
          context.report({
            path,
            message: `exemption for ${exemption.ruleId} is ignored: ${exemption.problem}`,
            fix: 'write the reason as the annotation value, e.g. "vendor image runs as root; PLAT-123"',
          });
        } else if (context.policy.spec.nonExemptible.includes(exemption.ruleId)) {
          context.report({
            path,
            message: `rule ${exemption.ruleId} cannot be exempted by annotation (policy ${context.policy.name} lists it as nonExemptible)`,
            fix: 'fix the finding, or ask the platform team for a policy exemption',
          });
        }
      }
    },
  };
}
