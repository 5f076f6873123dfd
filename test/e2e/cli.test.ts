import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/version.js';
import { cli } from '../support/cli.js';

const ROOT = packageRoot();
const EXAMPLES = join(ROOT, 'manifests/examples');
const FIXTURES = join(ROOT, 'test/fixtures');

describe('cronguard lint', () => {
  it('passes a compliant CronJob with exit 0', async () => {
    const result = await cli(['lint', join(EXAMPLES, 'hardened-backup.yaml')]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  });

  it('fails on enforce findings with exit 1, naming file:line:column', async () => {
    const file = join(EXAMPLES, 'legacy-cleanup.yaml');
    const result = await cli(['lint', file]);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(
      /legacy-cleanup\.yaml:4:1 .*apiVersion batch\/v1beta1 is removed/,
    );
    expect(result.stdout).toMatch(/schedule-never-fires/);
  });

  it('respects --fail-on', async () => {
    // Only warnings (an untagged image) and mutations: passes at error, fails at warning.
    const file = join(FIXTURES, 'cli/mixed.yaml');
    expect((await cli(['lint', file])).code).toBe(0);
    expect((await cli(['lint', file, '--fail-on', 'warning'])).code).toBe(1);
    expect(
      (await cli(['lint', join(EXAMPLES, 'legacy-cleanup.yaml'), '--fail-on', 'never'])).code,
    ).toBe(0);
  });

  it('reads standard input and unwraps Lists, counting skipped kinds', async () => {
    const text = (await import('node:fs')).readFileSync(join(FIXTURES, 'cli/mixed.yaml'), 'utf8');
    const result = await cli(['lint', '-', '--format', 'json', '--fail-on', 'never'], text);
    const report = JSON.parse(result.stdout) as {
      results: { object: { name: string } }[];
      summary: { skipped: Record<string, number> };
    };
    expect(report.results.map((r) => r.object.name)).toEqual(['in-a-list']);
    expect(report.summary.skipped).toEqual({ Service: 1 });
  });

  it('writes several formats in one run', async () => {
    const result = await cli([
      'lint',
      EXAMPLES,
      '--format',
      'sarif',
      '--output',
      'out.sarif',
      '--format',
      'junit',
      '--output',
      'out.xml',
      '--format',
      'text',
    ]);
    expect(JSON.parse(result.files.get('out.sarif') ?? '{}')).toMatchObject({ version: '2.1.0' });
    expect(result.files.get('out.xml')).toMatch(/^<\?xml/);
    expect(result.stdout).toMatch(/evaluated/);
  });

  it('reports bad YAML with its line and exits 2', async () => {
    const result = await cli(['lint', join(FIXTURES, 'cli/bad.yaml')]);
    expect(result.code).toBe(2);
    expect(result.stdout).toMatch(/bad\.yaml:\d+:\d+/);
  });

  it('reports an unreadable path clearly and exits 2', async () => {
    const result = await cli(['lint', 'no/such/file.yaml']);
    expect(result.code).toBe(2);
    expect(result.stdout + result.stderr).toMatch(/cannot read no\/such\/file\.yaml/);
  });

  it('rejects a broken policy with file:line:column and exits 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cronguard-policy-'));
    writeFileSync(
      join(dir, 'p.yaml'),
      'apiVersion: cronguard.dev/v1alpha1\nkind: CronJobPolicy\nmetadata: {name: p}\nspec:\n  action: enforce\n  shedule: {minInterval: 5m}\n',
    );
    const result = await cli(['lint', EXAMPLES, '--policies', dir]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      'p.yaml:6:3: spec.shedule: unknown field (did you mean "schedule"?)',
    );
  });

  it('rejects unknown flags and formats with exit 2, no stack trace', async () => {
    for (const argv of [['lint', '--frobnicate'], ['lint', '--format', 'xml'], ['nope']]) {
      const result = await cli(argv);
      expect(result.code, argv.join(' ')).toBe(2);
      expect(result.stderr).not.toMatch(/\n\s+at /);
    }
  });
});

describe('cronguard mutate', () => {
  it('prints the object as admission would leave it', async () => {
    const result = await cli(['mutate', join(EXAMPLES, 'nightly-report.yaml')]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/concurrencyPolicy: Forbid/);
    expect(result.stdout).toMatch(/cronguard\.dev\/policies: /);
  });

  it('shows a unified diff with --diff and JSON patches with --patch', async () => {
    const diff = await cli(['mutate', '--diff', join(EXAMPLES, 'nightly-report.yaml')]);
    expect(diff.stdout).toMatch(/^\+\s+concurrencyPolicy: Forbid$/m);
    const patch = await cli(['mutate', '--patch', join(EXAMPLES, 'nightly-report.yaml')]);
    const patches = JSON.parse(patch.stdout) as { patch: { op: string; path: string }[] }[];
    expect(patches[0]?.patch).toContainEqual(
      expect.objectContaining({ op: 'add', path: '/spec/concurrencyPolicy' }),
    );
  });

  it('exits 1 and says why when admission would deny', async () => {
    const result = await cli(['mutate', join(EXAMPLES, 'legacy-cleanup.yaml')]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/denied: .*\[job-api-version\]/);
  });
});

describe('cronguard explain, schedule, policy check, test', () => {
  it('explains why a policy did not match', async () => {
    const result = await cli([
      'explain',
      join(EXAMPLES, 'nightly-report.yaml'),
      '--namespace',
      'kube-system',
    ]);
    expect(result.stdout).toMatch(/not matched: excluded by exclude \(namespaces \[kube-system/);
  });

  it('explains a schedule', async () => {
    const result = await cli(['schedule', '0 9 * * mon-fri', '--tz', 'Europe/Oslo', '-n', '2']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/2026-11-25T09:00:00\+01:00/);
    const invalid = await cli(['schedule', '0 0 * * 7']);
    expect(invalid.code).toBe(1);
  });

  it('validates the built-in policies', async () => {
    const result = await cli(['policy', 'check']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/3 policies valid/);
  });

  it('runs a policy test suite and reports pass/fail exactly', async () => {
    const result = await cli(['test', join(FIXTURES, 'policy-test')]);
    expect(result.stdout).toContain('2 passed, 0 failed');
    expect(result.code).toBe(0);
  });
});

describe('cronguard as a process', () => {
  const bin = join(ROOT, 'dist/src/cli/bin.js');
  it.skipIf(!existsSync(bin))('runs from the built bin with the documented exit codes', () => {
    const clean = spawnSync(
      process.execPath,
      [bin, 'lint', join(EXAMPLES, 'hardened-backup.yaml')],
      { encoding: 'utf8' },
    );
    expect(clean.status).toBe(0);
    const usage = spawnSync(process.execPath, [bin, 'lint', '--bogus'], { encoding: 'utf8' });
    expect(usage.status).toBe(2);
    const piped = spawnSync(process.execPath, [bin, 'lint', '-', '--fail-on', 'never'], {
      encoding: 'utf8',
      input:
        'apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: x}\nspec: {schedule: "* * * * *", jobTemplate: {spec: {template: {spec: {containers: [{name: a, image: b}]}}}}}\n',
    });
    expect(piped.status).toBe(0);
    expect(piped.stdout).toMatch(/1 object/);
  });
});

const kubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).status === 0;
describe.skipIf(!kubectl)('kubectl output', () => {
  it('lints what `kubectl create cronjob --dry-run=client` writes', async () => {
    const yamlText = execFileSync(
      'kubectl',
      [
        'create',
        'cronjob',
        'from-kubectl',
        '--image=busybox:1.36',
        '--schedule=*/10 * * * *',
        '--dry-run=client',
        '-o',
        'yaml',
        '--',
        'date',
      ],
      { encoding: 'utf8' },
    );
    const result = await cli(['lint', '-', '--format', 'json', '--fail-on', 'never'], yamlText);
    const report = JSON.parse(result.stdout) as {
      results: { object: { apiVersion: string; name: string }; mutations: unknown[] }[];
    };
    expect(report.results).toHaveLength(1);
    expect(report.results[0]?.object.name).toBe('from-kubectl');
    // kubectl writes no concurrencyPolicy and no securityContext: the built-in policies fill them in.
    expect(report.results[0]?.mutations.length).toBeGreaterThan(3);
  });
});
