import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root: the nearest directory above this module with our package.json. */
export function packageRoot(): string {
  let directory = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    try {
      const manifest = JSON.parse(readFileSync(join(directory, 'package.json'), 'utf8')) as {
        name?: string;
      };
      if (manifest.name === 'cronguard') return directory;
    } catch {
      // not here; keep walking up
    }
    const parent = dirname(directory);
    if (parent === directory) throw new Error('cannot find the cronguard package root');
    directory = parent;
  }
}

function readVersion(): string {
  const manifest = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as {
    version?: string;
  };
  return manifest.version ?? '0.0.0';
}

export const VERSION = readVersion();
