import type { Rule } from '../rule.js';

/** The controller appends `-<minutes since epoch>` (11 characters) to make Job names of at most 63. */
export const MAX_CRONJOB_NAME_LENGTH = 52;

export const jobNameLength: Rule = {
  id: 'job-name-length',
  section: 'job',
  title: 'CronJob name length',
  description:
    'The API server rejects CronJob names longer than 52 characters on create, because the controller appends an 11-character suffix to name each Job. Existing longer names stay editable, so the rule applies on CREATE only.',
  kinds: ['CronJob'],
  enabled: () => true,
  validate(context) {
    if (context.operation !== 'CREATE') return;
    const name = context.object.metadata?.name;
    if (typeof name !== 'string' || name.length <= MAX_CRONJOB_NAME_LENGTH) return;
    context.report({
      path: ['metadata', 'name'],
      message: `name is ${name.length} characters; CronJob names may have at most ${MAX_CRONJOB_NAME_LENGTH}`,
      fix: `shorten metadata.name to ${MAX_CRONJOB_NAME_LENGTH} characters or fewer`,
    });
  },
};
