import { createHash } from 'node:crypto';
import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { Logger } from './log.js';

/** Editors and kubelet write in several steps; one reload per burst of events is enough. */
export const DEFAULT_DEBOUNCE_MS = 250;

export interface ChangeWatchOptions {
  /** What is watched, for log lines ("policies", "certificate"). */
  subject: string;
  /**
   * Directories whose entries are watched, non-recursively. Kubernetes ConfigMap
   * and Secret volumes update by renaming a fresh `..data` symlink over the old
   * one, which is an event in the directory itself; a watch on the file would stay
   * attached to the old inode and never fire again.
   */
  directories: readonly string[];
  /**
   * fs.watch is best effort (network file systems, overlay quirks, a directory
   * that is replaced): the fingerprint is also compared on this interval.
   */
  pollIntervalMs: number;
  debounceMs?: number;
  /** A digest of what is watched; must not throw (fold read errors into the digest). */
  fingerprint: () => Promise<string>;
  /** Called when the fingerprint changed; never runs twice at once. */
  onChange: () => Promise<void>;
  logger: Logger;
}

export interface ChangeWatch {
  /** Stops watching and waits for a reload in progress to finish. */
  close(): Promise<void>;
}

/**
 * Watches directories for changes and calls `onChange` once per change of the
 * fingerprint. The fingerprint taken at start is the baseline: what was loaded
 * before watching began is not reloaded. A fingerprint is remembered even when
 * `onChange` fails, so a broken version is reported once, not on every poll.
 */
export async function watchForChanges(options: ChangeWatchOptions): Promise<ChangeWatch> {
  const { logger, subject } = options;
  const debounceMs = options.debounceMs ?? DEFAULT_DEBOUNCE_MS;
  let lastSeen = await options.fingerprint();
  let closed = false;
  let running: Promise<void> | undefined;
  let checkAgain = false;
  let debounceTimer: NodeJS.Timeout | undefined;

  const checkOnce = async (): Promise<void> => {
    const current = await options.fingerprint();
    if (current === lastSeen || closed) return;
    lastSeen = current;
    await options.onChange();
  };
  const runChecks = async (): Promise<void> => {
    // A change that arrives while a reload runs is checked right after it, so
    // the last version written is always the one that ends up loaded.
    do {
      checkAgain = false;
      try {
        await checkOnce();
      } catch (error) {
        logger.log('error', `${subject} reload failed unexpectedly`, { error: messageOf(error) });
      }
    } while (checkAgain && !closed);
    running = undefined;
  };
  const requestCheck = (): void => {
    if (closed) return;
    if (running !== undefined) {
      checkAgain = true;
      return;
    }
    running = runChecks();
  };
  const onEvent = (): void => {
    clearTimeout(debounceTimer);
    debounceTimer = setTimeout(requestCheck, debounceMs);
    debounceTimer.unref();
  };

  const watchers: FSWatcher[] = [];
  for (const directory of new Set(options.directories)) {
    try {
      const watcher = watch(directory, { persistent: false }, onEvent);
      watcher.on('error', (error) => {
        // The directory went away or the platform gave up: polling still covers it.
        logger.log('warn', `watching ${directory} stopped; polling only`, {
          subject,
          error: error.message,
        });
        watcher.close();
      });
      watchers.push(watcher);
    } catch (error) {
      logger.log('warn', `cannot watch ${directory}; polling only`, {
        subject,
        error: messageOf(error),
      });
    }
  }
  const poll = setInterval(requestCheck, options.pollIntervalMs);
  poll.unref();

  return {
    async close(): Promise<void> {
      closed = true;
      clearInterval(poll);
      clearTimeout(debounceTimer);
      for (const watcher of watchers) watcher.close();
      await running;
    },
  };
}

/**
 * SHA-256 over the contents of files, in order. Content rather than size and
 * mtime: a rewrite within the same second with the same size would otherwise go
 * unnoticed, and the files watched here (policies, a certificate) are small.
 * An unreadable file contributes its error code, so "became unreadable" and
 * "became readable again" are changes too.
 */
export async function fingerprintFiles(paths: readonly string[]): Promise<string> {
  const hash = createHash('sha256');
  for (const path of paths) {
    hash.update(`${path}\0`);
    try {
      hash.update(await readFile(path));
    } catch (error) {
      hash.update(`unreadable: ${errorCode(error)}`);
    }
    hash.update('\0');
  }
  return hash.digest('hex');
}

function errorCode(error: unknown): string {
  if (typeof error === 'object' && error !== null && 'code' in error) return String(error.code);
  return messageOf(error);
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
