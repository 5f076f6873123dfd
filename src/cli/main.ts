import { UserError } from '../errors.js';
import { VERSION } from '../version.js';
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

/**
 * Each command's module is imported when the command runs: `lint` in a CI job
 * should not load express, node-forge and @kubernetes/client-node, which
 * `serve` and `watch` need (loading them all made a one-file lint ~10x slower
 * than starting Node).
 */
const COMMANDS: ReadonlyMap<string, Command> = new Map<string, Command>([
  ['lint', async (argv, io) => (await import('./commands/lint.js')).lintCommand(argv, io)],
  ['mutate', async (argv, io) => (await import('./commands/mutate.js')).mutateCommand(argv, io)],
  ['explain', async (argv, io) => (await import('./commands/explain.js')).explainCommand(argv, io)],
  ['test', async (argv, io) => (await import('./commands/test.js')).testCommand(argv, io)],
  [
    'generate',
    async (argv, io) => (await import('./commands/generate.js')).generateCommand(argv, io),
  ],
  ['policy', policyCommand],
  ['serve', async (argv, io) => (await import('./commands/serve.js')).serveCommand(argv, io)],
  ['watch', async (argv, io) => (await import('./commands/watch.js')).watchCommand(argv, io)],
  ['certs', async (argv, io) => (await import('./commands/certs.js')).certsCommand(argv, io)],
  [
    'schedule',
    async (argv, io) => (await import('./commands/schedule.js')).scheduleCommand(argv, io),
  ],
  ['version', versionCommand],
  ['--version', versionCommand],
]);

async function policyCommand(argv: readonly string[], io: CliIo): Promise<number> {
  if (argv[0] === 'check')
    return (await import('./commands/policy-check.js')).policyCheckCommand(argv.slice(1), io);
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
