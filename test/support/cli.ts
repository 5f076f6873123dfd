import { run } from '../../src/cli/main.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  files: Map<string, string>;
}

/** Runs the CLI in-process with captured output, as a user would from a shell. */
export async function cli(argv: string[], stdin = ''): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const files = new Map<string, string>();
  const code = await run(argv, {
    stdout: (text) => (stdout += text),
    stderr: (text) => (stderr += text),
    readStdin: () => Promise.resolve(stdin),
    writeFile: (path, text) => {
      files.set(path, text);
      return Promise.resolve();
    },
    isTTY: false,
    env: {},
    now: () => new Date('2026-11-24T12:00:00Z'),
  });
  return { code, stdout, stderr, files };
}
