import {
  existsSync,
  lstatSync,
  mkdirSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';

/**
 * A directory laid out as kubelet lays out ConfigMap and Secret volumes: the files
 * live in a timestamped `..<version>` directory, `..data` points at it, and the
 * visible names are symlinks through `..data`. An update writes a new version
 * directory and renames a fresh symlink over `..data`: one atomic step.
 */
export class ProjectedVolume {
  private version = 0;
  private current: string | undefined;

  constructor(readonly directory: string) {}

  publish(files: Readonly<Record<string, string>>): void {
    this.version += 1;
    const versionDirectory = `..2026_01_01_00_00_${String(this.version).padStart(2, '0')}.${process.pid}`;
    mkdirSync(join(this.directory, versionDirectory));
    for (const [name, text] of Object.entries(files)) {
      writeFileSync(join(this.directory, versionDirectory, name), text);
    }
    symlinkSync(versionDirectory, join(this.directory, '..data_tmp'));
    renameSync(join(this.directory, '..data_tmp'), join(this.directory, '..data'));
    for (const name of Object.keys(files)) {
      const visible = join(this.directory, name);
      if (!existsSync(visible) && !isSymlink(visible)) symlinkSync(join('..data', name), visible);
    }
    if (this.current !== undefined) {
      rmSync(join(this.directory, this.current), { recursive: true });
    }
    this.current = versionDirectory;
  }
}

function isSymlink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}
