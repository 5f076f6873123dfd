/**
 * The logging the cluster adapters need. The webhook server's JSON logger
 * (src/server/log.ts) satisfies it structurally; the CLI watcher can pass its own.
 */
export interface KubeLogger {
  log(
    level: 'debug' | 'info' | 'warn' | 'error',
    message: string,
    fields?: Readonly<Record<string, string | number | boolean | undefined>>,
  ): void;
}
