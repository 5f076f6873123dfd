/** What a command may touch. Tests pass fakes; bin.ts passes the process. */
export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  readStdin: () => Promise<string>;
  writeFile: (path: string, text: string) => Promise<void>;
  /** Whether stdout is a terminal (colours, progress). */
  isTTY: boolean;
  env: Readonly<Record<string, string | undefined>>;
  /** Current time, for the `schedule` command only; the engine never reads a clock. */
  now: () => Date;
  /**
   * Resolves when a long-running command (serve, watch) should stop, with the
   * reason. Default: SIGTERM or SIGINT. Tests pass their own.
   */
  stopRequested?: () => Promise<string>;
}
