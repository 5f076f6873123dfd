import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  istioQuitScript,
  linkerdShutdownCommand,
  unwrapIstio,
  wrapForIstio,
} from '../../../../src/rules/mesh/wrap.js';

const stubs = mkdtempSync(join(tmpdir(), 'cronguard-wrap-'));
afterAll(() => {
  rmSync(stubs, { recursive: true, force: true });
});

/** A directory with `curl` (and `wget`) stubs that log their arguments and exit with `status`. */
function stubPath(name: string, status: number): { dir: string; log: string } {
  const dir = join(stubs, name);
  const log = join(dir, 'calls.log');
  spawnSync('mkdir', ['-p', dir]);
  for (const tool of ['curl', 'wget']) {
    const file = join(dir, tool);
    writeFileSync(file, `#!/bin/sh\necho "${tool} $*" >> "${log}"\nexit ${status}\n`);
    chmodSync(file, 0o755);
  }
  return { dir, log };
}

/** Runs a container's command + args as the kubelet would (argv, no extra shell). */
function runContainer(command: readonly string[], args: readonly string[], path: string) {
  const [program, ...rest] = [...command, ...args];
  return spawnSync(program as string, rest, {
    encoding: 'utf8',
    env: { PATH: `${path}:/usr/bin:/bin` },
  });
}

function calls(log: string): string {
  try {
    return readFileSync(log, 'utf8');
  } catch {
    return '';
  }
}

describe('the Istio quit wrapper', () => {
  const job = ['/bin/sh', '-c', 'echo ran; exit 3'];

  it('keeps the exit status of the job when the quit call succeeds', () => {
    const { dir, log } = stubPath('ok', 0);
    const result = runContainer(wrapForIstio(job, 15020), [], dir);
    expect(result.stdout).toBe('ran\n');
    expect(result.status).toBe(3);
    expect(calls(log)).toBe('curl -fsS -X POST http://127.0.0.1:15020/quitquitquit\n');
  });

  it('keeps the exit status of the job when the quit call fails (curl, then wget tried)', () => {
    const { dir, log } = stubPath('fail', 7);
    const result = runContainer(wrapForIstio(job, 15021), [], dir);
    expect(result.status).toBe(3);
    expect(calls(log)).toBe(
      'curl -fsS -X POST http://127.0.0.1:15021/quitquitquit\n' +
        'wget -q -O /dev/null --post-data= http://127.0.0.1:15021/quitquitquit\n',
    );
  });

  it('exits 0 when the job succeeds', () => {
    const { dir } = stubPath('zero', 0);
    expect(runContainer(wrapForIstio(['/bin/sh', '-c', 'exit 0'], 15020), [], dir).status).toBe(0);
  });

  it('passes command and args to the program exactly, whatever characters they hold', () => {
    const { dir } = stubPath('argv', 0);
    const tricky = ['a b', "it's", '"q"', '$HOME', '$(VAR)', '`id`', '*', 'line\nbreak', ''];
    const printer = ['/bin/sh', '-c', 'for a in "$@"; do printf "[%s]" "$a"; done', 'job'];
    const result = runContainer(wrapForIstio(printer, 15020), tricky, dir);
    expect(result.stdout).toBe(tricky.map((arg) => `[${arg}]`).join(''));
  });

  it('contains nothing Kubernetes would expand as a variable reference', () => {
    expect(istioQuitScript(15020)).not.toMatch(/\$\(|\$\$/);
  });

  it('is recognised, so wrapping twice changes nothing', () => {
    const wrapped = wrapForIstio(['/app', '--once'], 15020);
    expect(unwrapIstio(wrapped)).toEqual(['/app', '--once']);
    expect(wrapForIstio(unwrapIstio(wrapped) ?? [], 15020)).toEqual(wrapped);
    expect(unwrapIstio(['/bin/sh', '-c', 'echo hi'])).toBeUndefined();
  });
});

describe('the Linkerd wrapper', () => {
  it('runs the command under linkerd-await --shutdown', () => {
    expect(linkerdShutdownCommand(['/app', '-x'])).toEqual([
      'linkerd-await',
      '--shutdown',
      '--',
      '/app',
      '-x',
    ]);
  });

  it('adds --shutdown to an existing linkerd-await and leaves a complete one alone', () => {
    expect(linkerdShutdownCommand(['/linkerd-await', '--', '/app'])).toEqual([
      '/linkerd-await',
      '--shutdown',
      '--',
      '/app',
    ]);
    const done = ['linkerd-await', '-S', '--', '/app'];
    expect(linkerdShutdownCommand(done)).toEqual(done);
  });
});
