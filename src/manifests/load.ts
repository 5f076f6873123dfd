import type { Dirent } from 'node:fs';
import { open, readdir, realpath, stat } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import type { InputError } from '../report/types.js';
import { parseManifestText, type ManifestDocument } from './parse.js';

export interface LoadResult {
  documents: ManifestDocument[];
  errors: InputError[];
  /** Files that were read, as shown in locations, in the order they were read. */
  files: string[];
}

export interface ManifestIo {
  readStdin(): Promise<string>;
}

export interface LoadOptions {
  /** Files larger than this are refused instead of read, to bound memory. Default 64 MiB. */
  maxFileBytes?: number;
}

export const DEFAULT_MAX_FILE_BYTES = 64 * 1024 * 1024;
export const STDIN_INPUT = '-';
export const STDIN_NAME = '<stdin>';

const MANIFEST_EXTENSIONS = ['.yaml', '.yml', '.json'];

/** Node's error codes in the words `ls` and `cat` would use. */
const ERROR_REASONS: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOTDIR: 'not a directory',
  EISDIR: 'is a directory',
  ELOOP: 'too many levels of symbolic links',
  ENAMETOOLONG: 'file name too long',
  EMFILE: 'too many open files',
  EIO: 'input/output error',
};

/**
 * Reads manifests from files, directories (recursively: `.yaml`, `.yml` and
 * `.json` files, in sorted order, skipping `node_modules` and hidden entries)
 * and `-` (standard input, shown as `<stdin>`). Never throws for bad input:
 * unreadable paths and unparsable documents become `errors`, and everything
 * else is still returned. Paths in locations are as given, with forward slashes.
 */
export async function loadManifests(
  inputs: readonly string[],
  io: ManifestIo,
  options: LoadOptions = {},
): Promise<LoadResult> {
  const loader = new ManifestLoader(io, options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES);
  for (const input of inputs) await loader.loadInput(input);
  return loader.result;
}

class ManifestLoader {
  readonly result: LoadResult = { documents: [], errors: [], files: [] };
  /** Absolute paths already read, so a file named twice (or also inside a named directory) counts once. */
  private readonly seenFiles = new Set<string>();
  /**
   * Real paths of directories already walked, with the number of manifests
   * found there, so a symbolic link cannot lead into a loop and a directory
   * named twice is not reported as empty the second time.
   */
  private readonly walkedDirectories = new Map<string, number>();
  private stdinRead = false;

  constructor(
    private readonly io: ManifestIo,
    private readonly maxFileBytes: number,
  ) {}

  async loadInput(input: string): Promise<void> {
    if (input === STDIN_INPUT) {
      await this.loadStdin();
      return;
    }
    const shown = toDisplayPath(input);
    let isDirectory: boolean;
    try {
      isDirectory = (await stat(input)).isDirectory();
    } catch (error) {
      this.fail(shown, `cannot read ${shown}: ${describeFsError(error)}`);
      return;
    }
    if (!isDirectory) {
      await this.loadFile(input, shown);
      return;
    }
    const errorsBefore = this.result.errors.length;
    const found = await this.walkDirectory(input, shown.replace(/\/+$/, '') || '/');
    // When a subdirectory could not be read, that error already explains the empty result.
    if (found === 0 && this.result.errors.length === errorsBefore) {
      this.fail(
        shown,
        `${shown} contains no manifests (no ${MANIFEST_EXTENSIONS.join(', ')} files)`,
      );
    }
  }

  private async loadStdin(): Promise<void> {
    // Standard input can only be read once; naming it twice must not add an empty second read.
    if (this.stdinRead) return;
    this.stdinRead = true;
    let text: string;
    try {
      text = await this.io.readStdin();
    } catch (error) {
      this.fail(
        STDIN_NAME,
        `cannot read ${STDIN_NAME}: ${error instanceof Error ? error.message : String(error)}`,
      );
      return;
    }
    // The caller has already buffered it, but the limit (in characters, close
    // enough to bytes here) still bounds the time and memory parsing takes.
    if (text.length > this.maxFileBytes) {
      this.fail(STDIN_NAME, `cannot read ${STDIN_NAME}: ${tooLarge(this.maxFileBytes)}`);
      return;
    }
    this.addText(text, STDIN_NAME);
  }

  /** Loads the manifest files below `path` and returns how many there are. */
  private async walkDirectory(path: string, shown: string): Promise<number> {
    let real: string;
    let entries: Dirent[];
    try {
      real = await realpath(path);
      const walked = this.walkedDirectories.get(real);
      if (walked !== undefined) return walked;
      // Zero while walking it: a link back into it from below adds nothing.
      this.walkedDirectories.set(real, 0);
      entries = await readdir(path, { withFileTypes: true });
    } catch (error) {
      this.fail(shown, `cannot read ${shown}: ${describeFsError(error)}`);
      return 0;
    }
    // Sorted by UTF-16 code units, not locale, so every machine reads files in the same order.
    entries.sort((left, right) => (left.name < right.name ? -1 : left.name > right.name ? 1 : 0));
    let found = 0;
    for (const entry of entries) {
      // Hidden entries are tool configuration (.git, .github, .pre-commit-config.yaml), never manifests.
      if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
      const childPath = join(path, entry.name);
      const childShown = `${shown === '/' ? '' : shown}/${entry.name}`;
      const kind = await entryKind(entry, childPath);
      if (kind === 'directory') {
        found += await this.walkDirectory(childPath, childShown);
      } else if (kind === 'file' && hasManifestExtension(entry.name)) {
        found++;
        await this.loadFile(childPath, childShown);
      }
    }
    this.walkedDirectories.set(real, found);
    return found;
  }

  private async loadFile(path: string, shown: string): Promise<void> {
    const absolute = resolve(path);
    if (this.seenFiles.has(absolute)) return;
    this.seenFiles.add(absolute);
    let bytes: Buffer | undefined;
    try {
      bytes = await readAtMost(path, this.maxFileBytes);
    } catch (error) {
      this.fail(shown, `cannot read ${shown}: ${describeFsError(error)}`);
      return;
    }
    if (bytes === undefined) {
      this.fail(shown, `cannot read ${shown}: ${tooLarge(this.maxFileBytes)}`);
      return;
    }
    this.addText(decodeText(bytes), shown);
  }

  private addText(text: string, shown: string): void {
    this.result.files.push(shown);
    const parsed = parseManifestText(text, shown);
    for (const document of parsed.documents) this.result.documents.push(document);
    for (const error of parsed.errors) this.result.errors.push(error);
  }

  private fail(file: string, message: string): void {
    this.result.errors.push({ message, location: { file, line: 1, column: 1 } });
  }
}

/** What a directory entry is, following symbolic links; a dangling link is neither. */
async function entryKind(entry: Dirent, path: string): Promise<'file' | 'directory' | 'other'> {
  if (entry.isDirectory()) return 'directory';
  if (entry.isFile()) return 'file';
  if (!entry.isSymbolicLink()) return 'other';
  try {
    const target = await stat(path);
    return target.isDirectory() ? 'directory' : target.isFile() ? 'file' : 'other';
  } catch {
    return 'other';
  }
}

function hasManifestExtension(name: string): boolean {
  const lower = name.toLowerCase();
  return MANIFEST_EXTENSIONS.some((extension) => lower.endsWith(extension));
}

/**
 * Reads a file but stops after `limit` bytes, returning undefined when there is
 * more. Checking the size first is not enough: pipes and devices report 0 and
 * a file can grow while it is read.
 */
async function readAtMost(path: string, limit: number): Promise<Buffer | undefined> {
  const handle = await open(path, 'r');
  try {
    const info = await handle.stat();
    if (info.isFile() && info.size > limit) return undefined;
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const buffer = Buffer.allocUnsafe(Math.min(1024 * 1024, limit + 1 - total));
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) break;
      total += bytesRead;
      if (total > limit) return undefined;
      chunks.push(buffer.subarray(0, bytesRead));
    }
    return Buffer.concat(chunks, total);
  } finally {
    await handle.close();
  }
}

/**
 * UTF-8, unless a byte order mark says UTF-16: Windows PowerShell 5 writes
 * `kubectl get -o yaml > file` as UTF-16LE. A UTF-8 byte order mark is kept as
 * U+FEFF, which the parser skips.
 */
function decodeText(bytes: Buffer): string {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return bytes.toString('utf16le', 2);
  if (bytes[0] === 0xfe && bytes[1] === 0xff) {
    const swapped = Buffer.from(bytes.subarray(2, bytes.length - (bytes.length % 2)));
    return swapped.swap16().toString('utf16le');
  }
  return bytes.toString('utf8');
}

function toDisplayPath(input: string): string {
  return sep === '\\' ? input.replace(/\\/g, '/') : input;
}

function tooLarge(limit: number): string {
  return `larger than the ${formatBytes(limit)} limit`;
}

function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} bytes`;
}

function describeFsError(error: unknown): string {
  if (
    typeof error === 'object' &&
    error !== null &&
    'code' in error &&
    typeof error.code === 'string'
  ) {
    return ERROR_REASONS[error.code] ?? error.code;
  }
  return error instanceof Error ? error.message : String(error);
}
