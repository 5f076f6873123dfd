import { parseArgs } from 'node:util';
import { UserError } from '../../errors.js';
import { explainSchedule } from '../../schedule/index.js';
import { formatDuration } from '../../policy/index.js';
import type { CliIo } from '../io.js';

export const SCHEDULE_USAGE = `Usage: cronguard schedule EXPR [--tz ZONE] [-n N] [--json]

Explains a CronJob schedule as Kubernetes reads it: whether it is valid, when
it runs next (in ZONE, default UTC), the shortest interval between runs, and
warnings (never fires, sub-minute runs, ...).

Exit codes: 0 valid, 1 invalid schedule, 2 usage errors.`;

export function scheduleCommand(argv: readonly string[], io: CliIo): number {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      tz: { type: 'string' },
      n: { type: 'string', short: 'n' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help === true) {
    io.stdout(SCHEDULE_USAGE + '\n');
    return 0;
  }
  if (positionals.length !== 1) {
    throw new UserError(
      'schedule needs exactly one expression; quote it: cronguard schedule "*/5 * * * *"',
    );
  }
  const count = values.n === undefined ? 5 : Number(values.n);
  if (!Number.isInteger(count) || count < 1 || count > 1000)
    throw new UserError('-n must be an integer from 1 to 1000');
  const explanation = explainSchedule(positionals[0] as string, {
    ...(values.tz === undefined ? {} : { timeZone: values.tz }),
    count,
    now: io.now(),
  });
  if (values.json === true) {
    io.stdout(JSON.stringify(explanation, null, 2) + '\n');
    return explanation.valid ? 0 : 1;
  }
  if (!explanation.valid) {
    io.stdout(`invalid: ${explanation.error ?? 'unknown error'}\n`);
    if (explanation.fix !== undefined) io.stdout(`fix: ${explanation.fix}\n`);
    return 1;
  }
  io.stdout(`${explanation.description} (${explanation.timeZone})\n`);
  if (explanation.minIntervalSeconds !== undefined) {
    io.stdout(`shortest interval: ${formatDuration(explanation.minIntervalSeconds)}\n`);
  }
  io.stdout('next runs:\n');
  for (const run of explanation.nextRuns) io.stdout(`  ${run}\n`);
  for (const warning of explanation.warnings) io.stdout(`warning: ${warning}\n`);
  return 0;
}
