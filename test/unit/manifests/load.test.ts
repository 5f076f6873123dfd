import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadManifests, type LoadResult, type ManifestIo } from '../../../src/manifests/index.js';

const noStdin: ManifestIo = {
  readStdin: () => Promise.reject(new Error('stdin must not be read')),
};

let root: string;
/** The temporary directory relative to the working directory, as a user would type it. */
let base: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'cronguard-manifests-'));
  base = relative(process.cwd(), root).split(sep).join('/');
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

/** A path below the temporary directory, relative to the working directory. */
function at(path: string): string {
  return `${base}/${path}`;
}

async function write(path: string, content: string | Buffer): Promise<void> {
  await mkdir(join(root, path, '..'), { recursive: true });
  await writeFile(join(root, path), content);
}

function names(result: LoadResult): string[] {
  return result.documents.map((document) => {
    const value = document.value as { metadata?: { name?: string } };
    return `${document.location.file}:${document.location.line} ${value.metadata?.name ?? '?'}`;
  });
}

const job = (name: string): string => `kind: Job\nmetadata:\n  name: ${name}\n`;

describe('loadManifests', () => {
  it('walks directories recursively in sorted order, skipping hidden entries and node_modules', async () => {
    await write('manifests/b.yaml', job('b'));
    await write('manifests/a.yml', `${job('a1')}---\n${job('a2')}`);
    await write('manifests/sub/c.json', JSON.stringify({ kind: 'Job', metadata: { name: 'c' } }));
    await write('manifests/Z.YAML', job('upper'));
    await write('manifests/readme.md', '# not a manifest');
    await write('manifests/.hidden.yaml', job('hidden'));
    await write('manifests/.git/config.yaml', job('git'));
    await write('manifests/node_modules/pkg/x.yaml', job('module'));

    const result = await loadManifests([at('manifests')], noStdin);

    expect(result.errors).toEqual([]);
    expect(result.files).toEqual(
      ['manifests/Z.YAML', 'manifests/a.yml', 'manifests/b.yaml', 'manifests/sub/c.json'].map(at),
    );
    expect(names(result)).toEqual([
      `${at('manifests/Z.YAML')}:1 upper`,
      `${at('manifests/a.yml')}:1 a1`,
      `${at('manifests/a.yml')}:5 a2`,
      `${at('manifests/b.yaml')}:1 b`,
      `${at('manifests/sub/c.json')}:1 c`,
    ]);
  });

  it('keeps relative paths relative, with ./ as typed and without a trailing slash', async () => {
    await write('dir/x.yaml', job('x'));
    const result = await loadManifests([`./${at('dir')}/`, join(root, 'dir', 'x.yaml')], noStdin);
    // The second input is the same file, so it is read once.
    expect(result.files).toEqual([`./${at('dir/x.yaml')}`]);
    expect(result.documents[0]!.location.file).toBe(`./${at('dir/x.yaml')}`);
  });

  it('reads a named file whatever its extension', async () => {
    await write('rendered.txt', job('rendered'));
    const result = await loadManifests([at('rendered.txt')], noStdin);
    expect(names(result)).toEqual([`${at('rendered.txt')}:1 rendered`]);
  });

  it('reports paths that cannot be read and goes on', async () => {
    await write('ok.yaml', job('ok'));
    const inputs = [at('missing.yaml'), at('ok.yaml'), at('ok.yaml/below')];
    const result = await loadManifests(inputs, noStdin);
    expect(result.errors).toEqual([
      {
        message: `cannot read ${at('missing.yaml')}: no such file or directory`,
        location: { file: at('missing.yaml'), line: 1, column: 1 },
      },
      {
        message: `cannot read ${at('ok.yaml/below')}: not a directory`,
        location: { file: at('ok.yaml/below'), line: 1, column: 1 },
      },
    ]);
    expect(names(result)).toEqual([`${at('ok.yaml')}:1 ok`]);
  });

  it('reads a directory named twice once, without calling it empty the second time', async () => {
    await write('dir/x.yaml', job('x'));
    const result = await loadManifests([at('dir'), at('dir/')], noStdin);
    expect(result.errors).toEqual([]);
    expect(result.files).toEqual([at('dir/x.yaml')]);
  });

  it('reports a directory without manifests', async () => {
    await write('empty/notes.txt', 'nothing');
    const result = await loadManifests([at('empty')], noStdin);
    expect(result.errors.map((error) => error.message)).toEqual([
      `${at('empty')} contains no manifests (no .yaml, .yml, .json files)`,
    ]);
  });

  it('reports parse errors with the file they are in', async () => {
    await write('bad.yaml', 'a: 1\na: 2\n');
    const result = await loadManifests([at('bad.yaml')], noStdin);
    expect(result.files).toEqual([at('bad.yaml')]);
    expect(result.errors).toEqual([
      { message: 'duplicated mapping key', location: { file: at('bad.yaml'), line: 2, column: 1 } },
    ]);
  });

  it('reads standard input once, as <stdin>', async () => {
    let reads = 0;
    const io: ManifestIo = {
      readStdin: () => {
        reads++;
        return Promise.resolve(job('piped'));
      },
    };
    const result = await loadManifests(['-', '-'], io);
    expect(reads).toBe(1);
    expect(result.files).toEqual(['<stdin>']);
    expect(names(result)).toEqual(['<stdin>:1 piped']);
  });

  it('reports standard input that cannot be read', async () => {
    const result = await loadManifests(['-'], noStdin);
    expect(result.errors).toEqual([
      {
        message: 'cannot read <stdin>: stdin must not be read',
        location: { file: '<stdin>', line: 1, column: 1 },
      },
    ]);
  });

  it('refuses files over the size limit', async () => {
    await write('big.yaml', `${job('big')}# ${'x'.repeat(2000)}\n`);
    await write('small.yaml', job('small'));
    const inputs = [at('big.yaml'), at('small.yaml')];
    const result = await loadManifests(inputs, noStdin, { maxFileBytes: 1024 });
    expect(result.errors.map((error) => error.message)).toEqual([
      `cannot read ${at('big.yaml')}: larger than the 1 KiB limit`,
    ]);
    expect(names(result)).toEqual([`${at('small.yaml')}:1 small`]);
  });

  it('decodes UTF-16 files that start with a byte order mark', async () => {
    const text = `\uFEFF${job('wide')}`;
    await write('le.yaml', Buffer.from(text, 'utf16le'));
    await write('be.yaml', Buffer.from(text, 'utf16le').swap16());
    await write('utf8.yaml', Buffer.from(text, 'utf8'));
    const result = await loadManifests([at('le.yaml'), at('be.yaml'), at('utf8.yaml')], noStdin);
    expect(result.errors).toEqual([]);
    expect(names(result)).toEqual([
      `${at('le.yaml')}:1 wide`,
      `${at('be.yaml')}:1 wide`,
      `${at('utf8.yaml')}:1 wide`,
    ]);
  });

  it('follows symbolic links without walking in circles', async () => {
    await write('real/job.yaml', job('linked'));
    await symlink(join(root, 'real'), join(root, 'real', 'loop'));
    await symlink(join(root, 'real', 'job.yaml'), join(root, 'real', 'alias.yaml'));
    await symlink(join(root, 'nowhere'), join(root, 'real', 'dangling.yaml'));
    const result = await loadManifests([at('real')], noStdin);
    expect(result.errors).toEqual([]);
    // A link to a file is read under its own name; the link back to the directory is not followed.
    expect(result.files).toEqual([at('real/alias.yaml'), at('real/job.yaml')]);
  });
});
