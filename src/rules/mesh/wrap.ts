/**
 * Rewriting a job container's command so the proxy beside it stops when the job
 * ends: the fallback where native sidecars cannot be used (service-mesh.md §2, §6.4).
 *
 * The original argv is passed to the shell as positional parameters and run as
 * `"$@"`, so it reaches the program exactly as written (spaces, quotes, `$`,
 * newlines): nothing is re-quoted or re-parsed. `args` is left alone: Kubernetes
 * appends it to `command`, so it lands in `"$@"` too. The script itself avoids
 * `$(` and `$$`, which Kubernetes would expand as variable references.
 */

/** `$0` of the wrapper shell: marks a command as wrapped, so wrapping twice is a no-op. */
export const ISTIO_WRAP_MARKER = 'cronguard-istio-quit';

/** Runs the job, asks the Istio agent to exit, and exits with the job's status. */
export function istioQuitScript(statusPort: number): string {
  const url = `http://127.0.0.1:${statusPort}/quitquitquit`;
  // curl, else wget (busybox has it): whichever the image ships. A failed quit
  // call must not change the job's exit status.
  return (
    `"$@"; status=$?; ` +
    `curl -fsS -X POST ${url} >/dev/null 2>&1 || ` +
    `wget -q -O /dev/null --post-data= ${url} >/dev/null 2>&1; ` +
    `exit "$status"`
  );
}

export function wrapForIstio(command: readonly string[], statusPort: number): string[] {
  return ['/bin/sh', '-c', istioQuitScript(statusPort), ISTIO_WRAP_MARKER, ...command];
}

/** The command inside an Istio wrapper, or undefined when `command` is not one. */
export function unwrapIstio(command: readonly string[]): string[] | undefined {
  if (command.length < 4 || command[0] !== '/bin/sh' || command[1] !== '-c') return undefined;
  return command[3] === ISTIO_WRAP_MARKER ? command.slice(4) : undefined;
}

export const LINKERD_AWAIT = 'linkerd-await';

/**
 * `linkerd-await --shutdown -- CMD...`: waits for the proxy to be ready, runs the
 * job, then calls the proxy's /shutdown and exits with the job's status.
 */
export function wrapForLinkerd(command: readonly string[]): string[] {
  return [LINKERD_AWAIT, '--shutdown', '--', ...command];
}

export function isLinkerdAwait(command: readonly string[]): boolean {
  const first = command[0];
  return first !== undefined && (first === LINKERD_AWAIT || first.endsWith(`/${LINKERD_AWAIT}`));
}

/** A container's `command` when it is a non-empty list of strings. */
export function commandOf(container: Record<string, unknown>): string[] | undefined {
  const command = container.command;
  if (!Array.isArray(command) || command.length === 0) return undefined;
  const parts: unknown[] = command;
  return parts.every((part): part is string => typeof part === 'string') ? parts : undefined;
}

/**
 * A command to run under `linkerd-await --shutdown`: wrapped when it is not yet,
 * given `--shutdown` when the author already uses linkerd-await without it.
 */
export function linkerdShutdownCommand(command: readonly string[]): string[] {
  if (!isLinkerdAwait(command)) return wrapForLinkerd(command);
  const separator = command.indexOf('--');
  const options = separator === -1 ? command.slice(1) : command.slice(1, separator);
  if (options.includes('--shutdown') || options.includes('-S')) return [...command];
  return [command[0] as string, '--shutdown', ...command.slice(1)];
}
