import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { builtinPoliciesDir, readPolicyDirectories } from '../../../src/policy/load-files.js';

let root: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'cronguard-policy-files-'));
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function write(path: string, text = 'kind: x\n'): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, text);
}

describe('readPolicyDirectories', () => {
  it('reads .yaml and .yml files recursively in sorted order, skipping dot entries and other files', async () => {
    await write(join(root, 'b.yaml'), 'b');
    await write(join(root, 'a.yml'), 'a');
    await write(join(root, 'nested', 'c.yaml'), 'c');
    await write(join(root, 'README.md'), 'docs');
    await write(join(root, '.hidden.yaml'), 'hidden');
    await write(join(root, '.git', 'config.yaml'), 'git');

    const { sources, errors } = await readPolicyDirectories([root]);

    expect(errors).toEqual([]);
    expect(sources).toEqual([
      { file: join(root, 'a.yml'), text: 'a' },
      { file: join(root, 'b.yaml'), text: 'b' },
      { file: join(root, 'nested', 'c.yaml'), text: 'c' },
    ]);
  });

  it('reads a ConfigMap volume through its visible symlinks exactly once', async () => {
    // The layout the kubelet writes: real files in a timestamped directory,
    // `..data` pointing at it, and one visible symlink per key through `..data`.
    const volume = join(root, 'volume');
    const timestamped = join(volume, '..2026_01_15_10_00_00.123456789');
    await write(join(timestamped, 'payments.yaml'), 'payments');
    await write(join(timestamped, 'defaults.yaml'), 'defaults');
    await write(join(volume, '..2025_12_01_09_00_00.000000001', 'stale.yaml'), 'stale');
    await symlink(basename(timestamped), join(volume, '..data'));
    await symlink(join('..data', 'payments.yaml'), join(volume, 'payments.yaml'));
    await symlink(join('..data', 'defaults.yaml'), join(volume, 'defaults.yaml'));

    const { sources, errors } = await readPolicyDirectories([volume]);

    expect(errors).toEqual([]);
    expect(sources).toEqual([
      { file: join(volume, 'defaults.yaml'), text: 'defaults' },
      { file: join(volume, 'payments.yaml'), text: 'payments' },
    ]);
  });

  it('reads a single file given directly, whatever its extension, and never the same file twice', async () => {
    await write(join(root, 'dir', 'one.yaml'), 'one');
    await write(join(root, 'policy.txt'), 'text');

    const { sources, errors } = await readPolicyDirectories([
      join(root, 'dir'),
      join(root, 'dir', 'one.yaml'),
      join(root, 'policy.txt'),
    ]);

    expect(errors).toEqual([]);
    expect(sources.map((source) => source.text)).toEqual(['one', 'text']);
  });

  it('survives a symlink loop between directories', async () => {
    await write(join(root, 'a', 'policy.yaml'), 'p');
    await symlink(join(root, 'a'), join(root, 'a', 'loop'));

    const { sources, errors } = await readPolicyDirectories([join(root, 'a')]);

    expect(errors).toEqual([]);
    expect(sources.map((source) => source.text)).toEqual(['p']);
  });

  it('reports a missing path and an empty directory as errors instead of throwing', async () => {
    await mkdir(join(root, 'empty'));
    await write(join(root, 'empty', 'notes.txt'), 'not a policy');
    const missing = join(root, 'missing');

    const { sources, errors } = await readPolicyDirectories([missing, join(root, 'empty')]);

    expect(sources).toEqual([]);
    expect(errors).toEqual([
      { file: missing, line: 1, column: 1, message: 'cannot read: no such file or directory' },
      {
        file: join(root, 'empty'),
        line: 1,
        column: 1,
        message: `no policy files in ${join(root, 'empty')} (expected .yaml or .yml files)`,
      },
    ]);
  });

  it.skipIf(process.getuid?.() === 0)(
    'reports an unreadable file and keeps reading the others',
    async () => {
      await write(join(root, 'a.yaml'), 'a');
      await write(join(root, 'b.yaml'), 'b');
      await chmod(join(root, 'a.yaml'), 0o000);

      const { sources, errors } = await readPolicyDirectories([root]);

      expect(sources.map((source) => source.text)).toEqual(['b']);
      expect(errors).toEqual([
        {
          file: join(root, 'a.yaml'),
          line: 1,
          column: 1,
          message: 'cannot read: permission denied',
        },
      ]);
    },
  );

  it('reports a dangling symlink as unreadable', async () => {
    await write(join(root, 'good.yaml'), 'good');
    await symlink(join(root, 'gone.yaml'), join(root, 'broken.yaml'));

    const { sources, errors } = await readPolicyDirectories([root]);

    expect(sources.map((source) => source.text)).toEqual(['good']);
    expect(errors).toEqual([
      {
        file: join(root, 'broken.yaml'),
        line: 1,
        column: 1,
        message: 'cannot read: no such file or directory',
      },
    ]);
  });
});

describe('builtinPoliciesDir', () => {
  it("finds the package's policies directory", () => {
    const directory = builtinPoliciesDir();
    expect(basename(directory)).toBe('policies');
    expect(existsSync(join(dirname(directory), 'package.json'))).toBe(true);
    expect(existsSync(directory)).toBe(true);
  });
});
