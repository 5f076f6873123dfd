import { readFileSync } from 'node:fs';
import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PolicyError, PolicySource } from './load.js';

/**
 * Reading policy files from disk: the only part of policy loading that does
 * I/O. Problems come back as `PolicyError`s (located at line 1, column 1 of
 * the path) so the CLI and the webhook report them like any policy error.
 */

/** ConfigMaps are capped at 1 MiB; anything much larger is not a policy file. */
export const MAX_POLICY_FILE_BYTES = 4 * 1024 * 1024;
/** Matches the cap on policies: more files than that cannot all hold one. */
export const MAX_POLICY_FILES = 1000;

const POLICY_FILE = /\.ya?ml$/i;

export interface PolicyFiles {
  sources: PolicySource[];
  errors: PolicyError[];
}

/**
 * Reads every `.yaml`/`.yml` file under each path (recursively, sorted), or
 * the path itself when it is a file. Entries whose names start with `.` are
 * skipped: that covers `.git`, editor files, and Kubernetes ConfigMap volumes,
 * where the real files sit in a timestamped `..2026_01_01_…` directory reached
 * through the `..data` symlink, and the visible top-level names are symlinks
 * into `..data`. Reading only the visible names reads each file exactly once,
 * and always from the current ConfigMap version.
 *
 * Never throws: unreadable paths, oversized files and directories without
 * policy files are reported in `errors`.
 */
export async function readPolicyDirectories(paths: readonly string[]): Promise<PolicyFiles> {
  const sources: PolicySource[] = [];
  const errors: PolicyError[] = [];
  // The same file reached twice (a directory and a file inside it, or two
  // symlinks) would otherwise load as two policies with the same name.
  const seenFiles = new Set<string>();

  const readOne = async (file: string): Promise<void> => {
    const realFile = await realpath(file).catch(() => file);
    if (seenFiles.has(realFile)) return;
    seenFiles.add(realFile);
    if (sources.length >= MAX_POLICY_FILES) {
      errors.push(fileError(file, `too many policy files: at most ${MAX_POLICY_FILES} are read`));
      return;
    }
    try {
      const info = await stat(file);
      if (info.size > MAX_POLICY_FILE_BYTES) {
        errors.push(
          fileError(
            file,
            `file is too large for a policy file (${info.size} bytes; at most ${MAX_POLICY_FILE_BYTES})`,
          ),
        );
        return;
      }
      sources.push({ file, text: await readFile(file, 'utf8') });
    } catch (error) {
      errors.push(fileError(file, `cannot read: ${describeFsError(error)}`));
    }
  };

  for (const path of paths) {
    let info;
    try {
      info = await stat(path);
    } catch (error) {
      errors.push(fileError(path, `cannot read: ${describeFsError(error)}`));
      continue;
    }
    if (!info.isDirectory()) {
      await readOne(path);
      continue;
    }
    const files = await listPolicyFiles(path, errors);
    if (files.length === 0) {
      errors.push(fileError(path, `no policy files in ${path} (expected .yaml or .yml files)`));
      continue;
    }
    for (const file of files) await readOne(file);
  }
  return { sources, errors };
}

/** Policy files under `directory`, sorted, depth first; dot-entries skipped. */
async function listPolicyFiles(directory: string, errors: PolicyError[]): Promise<string[]> {
  const files: string[] = [];
  // Symlinked directories could form a loop; each real directory is walked once.
  const walkedDirectories = new Set<string>();

  const walk = async (current: string): Promise<void> => {
    let realDirectory: string;
    let names: string[];
    try {
      realDirectory = await realpath(current);
      names = await readdir(current);
    } catch (error) {
      errors.push(fileError(current, `cannot read: ${describeFsError(error)}`));
      return;
    }
    if (walkedDirectories.has(realDirectory)) return;
    walkedDirectories.add(realDirectory);
    // Code-unit order, not locale order: the load order must not depend on the machine.
    names.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    for (const name of names) {
      if (name.startsWith('.')) continue;
      if (files.length > MAX_POLICY_FILES) return;
      const entry = join(current, name);
      let info;
      try {
        // stat, not lstat: ConfigMap files are symlinks and must be followed.
        info = await stat(entry);
      } catch (error) {
        errors.push(fileError(entry, `cannot read: ${describeFsError(error)}`));
        continue;
      }
      if (info.isDirectory()) await walk(entry);
      else if (info.isFile() && POLICY_FILE.test(name)) files.push(entry);
    }
  };

  await walk(directory);
  return files;
}

function fileError(file: string, message: string): PolicyError {
  return { file, line: 1, column: 1, message };
}

function describeFsError(error: unknown): string {
  if (typeof error === 'object' && error !== null && 'code' in error) {
    const code = String(error.code);
    const reasons: Record<string, string> = {
      ENOENT: 'no such file or directory',
      EACCES: 'permission denied',
      EISDIR: 'is a directory',
      ELOOP: 'too many levels of symbolic links',
    };
    return reasons[code] ?? code;
  }
  return error instanceof Error ? error.message : String(error);
}

/**
 * The `policies/` directory shipped with cronguard. Found by walking up from
 * this module to the directory whose package.json names this package, so it
 * works from `src/policy/` (vitest, tsx) and from `dist/src/policy/` (built)
 * alike, without assuming how deep the module sits.
 */
export function builtinPoliciesDir(): string {
  let directory = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (isPackageRoot(directory)) return join(directory, 'policies');
    const parent = dirname(directory);
    if (parent === directory) {
      throw new Error(
        `cannot find the cronguard package root above ${fileURLToPath(import.meta.url)}; the installation is incomplete`,
      );
    }
    directory = parent;
  }
}

const PACKAGE_NAME = 'cronguard';

function isPackageRoot(directory: string): boolean {
  try {
    const manifest = JSON.parse(readFileSync(join(directory, 'package.json'), 'utf8')) as unknown;
    return (
      typeof manifest === 'object' &&
      manifest !== null &&
      (manifest as { name?: unknown }).name === PACKAGE_NAME
    );
  } catch {
    return false;
  }
}
