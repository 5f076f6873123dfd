import { UserError } from '../errors.js';
import { VERSION } from '../version.js';
import { certsCommand } from './commands/certs.js';
import { explainCommand } from './commands/explain.js';
import { generateCommand } from './commands/generate.js';
import { lintCommand } from './commands/lint.js';
import { mutateCommand } from './commands/mutate.js';
import { policyCheckCommand } from './commands/policy-check.js';
import { scheduleCommand } from './commands/schedule.js';
import { serveCommand } from './commands/serve.js';
import { testCommand } from './commands/test.js';
import { watchCommand } from './commands/watch.js';
import type { CliIo } from './io.js';

export const USAGE = `cronguard ${VERSION}: policy engine for Kubernetes CronJobs

Usage: cronguard COMMAND [options]

Commands:
  lint [PATH ... | -]      report what admission would deny, warn about or change
  mutate [PATH ... | -]    print objects as admission would leave them (--diff, --patch)
  explain [PATH ... | -]   which policies matched, why others did not, what each rule did
  test DIR                 run policy test suites (expected findings and mutated objects)
  generate mesh [PATH ...] print Istio VirtualServices/DestinationRules for the services CronJobs call
  policy check [DIR ...]   validate policy files
  schedule EXPR            explain a schedule: next runs, interval, warnings
  serve                    run the admission webhook over HTTPS (/mutate, /validate, metrics)
  watch                    watch CronJobs and Jobs and serve their run metrics (/metrics)
  certs --out DIR          a CA, serving certificate, Secret and caBundle for the webhook
  version                  print the version

Run 'cronguard COMMAND --help' for a command's options.`;

/**
 * Runs one CLI invocation and returns its exit code. User mistakes (bad flags,
 * unreadable files, broken policies) print a message and return 2; anything else
 * is a bug, reported as one with its stack.
 */
type Command = (argv: readonly string[], io: CliIo) => number | Promise<number>;

const COMMANDS: ReadonlyMap<string, Command> = new Map<string, Command>([
  ['lint', lintCommand],
  ['mutate', mutateCommand],
  ['explain', explainCommand],
  ['test', testCommand],
  ['generate', generateCommand],
  ['policy', policyCommand],
  ['serve', serveCommand],
  ['watch', watchCommand],
  ['certs', certsCommand],
  ['schedule', scheduleCommand],
  ['version', versionCommand],
  ['--version', versionCommand],
]);

function policyCommand(argv: readonly string[], io: CliIo): Promise<number> {
  if (argv[0] === 'check') return policyCheckCommand(argv.slice(1), io);
  throw new UserError(
    `unknown policy subcommand "${argv[0] ?? ''}"; did you mean "cronguard policy check"?`,
  );
}

function versionCommand(_argv: readonly string[], io: CliIo): number {
  io.stdout(`${VERSION}\n`);
  return 0;
}

const HELP = new Set([undefined, 'help', '--help', '-h']);

/**
 * Runs one CLI invocation and returns its exit code. User mistakes (bad flags,
 * unreadable files, broken policies) print a message and return 2; anything else
 * is a bug, reported as one with its stack.
 */
export async function run(argv: readonly string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (HELP.has(command)) {
      io.stdout(USAGE + '\n');
      return command === undefined ? 2 : 0;
    }
    const handler = command === undefined ? undefined : COMMANDS.get(command);
    if (handler === undefined)
      throw new UserError(`unknown command "${command ?? ''}"\n\n${USAGE}`);
    return await handler(rest, io);
  } catch (error) {
    if (error instanceof UserError || isParseArgsError(error)) {
      io.stderr(`cronguard: ${(error as Error).message}\n`);
      for (const detail of error instanceof UserError ? error.details : [])
        io.stderr(`  ${detail}\n`);
      return 2;
    }
    io.stderr(
      `cronguard: internal error (please report it): ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    return 3;
  }
}

/** node:util parseArgs throws TypeErrors with ERR_PARSE_ARGS_* codes for unknown or malformed flags. */
function isParseArgsError(error: unknown): boolean {
  const code = error instanceof Error ? (error as Error & { code?: unknown }).code : undefined;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS');
}
