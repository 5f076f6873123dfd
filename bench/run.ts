/**
 * `npm run bench`: figures printed as `name: value unit`, so a regression is one
 * diff away. Performance is measured as ratios within one run (this machine is
 * shared and noisy), never asserted in tests.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import yaml from 'js-yaml';
import { buildLintReport, evaluateDocuments } from '../src/cli/pipeline.js';
import { loadPolicySet } from '../src/cli/policies.js';
import { evaluate } from '../src/engine/evaluate.js';
import type { KubeObject } from '../src/k8s/types.js';
import { parseManifestText } from '../src/manifests/index.js';
import { formatReport } from '../src/report/index.js';
import { BUILTIN_RULES } from '../src/rules/index.js';
import { packageRoot } from '../src/version.js';
import { cronJobStream } from './generate.js';
import { webhookBenchmark } from './webhook.js';

const LINT_DOCUMENTS = 10_000;
const REPEATS = 5;

function print(name: string, value: number, unit: string, digits = 2): void {
  console.log(`${name}: ${value.toFixed(digits)} ${unit}`);
}

/** Best of N wall times in milliseconds: the least disturbed run on a shared machine. */
function best(run: () => void, repeats = REPEATS): number {
  let fastest = Infinity;
  for (let attempt = 0; attempt < repeats; attempt++) {
    const start = performance.now();
    run();
    fastest = Math.min(fastest, performance.now() - start);
  }
  return fastest;
}

async function lintBenchmark(): Promise<void> {
  const text = cronJobStream(LINT_DOCUMENTS);
  const policySet = await loadPolicySet([]);
  const options = {
    operation: 'CREATE' as const,
    defaultNamespace: 'default',
    namespaceLabels: new Map(),
  };
  let findings = 0;
  const lint = (): void => {
    const parsed = parseManifestText(text, 'bench.yaml');
    const evaluated = evaluateDocuments(parsed.documents, policySet, options);
    const report = buildLintReport({
      files: ['bench.yaml'],
      documents: parsed.documents,
      evaluated,
      errors: parsed.errors,
      policySet,
    });
    findings = report.results.reduce((sum, result) => sum + result.findings.length, 0);
  };
  const bareMs = best(() => void yaml.loadAll(text));
  const positionsMs = best(() => void parseManifestText(text, 'bench.yaml'));
  const lintMs = best(lint);
  const withOutputMs = best(() => {
    const parsed = parseManifestText(text, 'bench.yaml');
    const evaluated = evaluateDocuments(parsed.documents, policySet, options);
    const report = buildLintReport({
      files: ['bench.yaml'],
      documents: parsed.documents,
      evaluated,
      errors: parsed.errors,
      policySet,
    });
    formatReport('json', report, { color: false, verbose: false, failOn: 'error', rules: [] });
  }, 3);
  print('lint.documents', LINT_DOCUMENTS, 'docs', 0);
  print('lint.findings', findings, 'findings', 0);
  print('yaml.bare_parse', (LINT_DOCUMENTS / bareMs) * 1000, 'docs/s', 0);
  print('yaml.parse_with_positions', (LINT_DOCUMENTS / positionsMs) * 1000, 'docs/s', 0);
  print('lint.throughput', (LINT_DOCUMENTS / lintMs) * 1000, 'docs/s', 0);
  print('lint.throughput_with_json_output', (LINT_DOCUMENTS / withOutputMs) * 1000, 'docs/s', 0);
  print('lint.ratio_to_bare_parse', lintMs / bareMs, 'x');
  print('yaml.positions_ratio_to_bare_parse', positionsMs / bareMs, 'x');
  print('lint.peak_rss', process.resourceUsage().maxRSS / 1024, 'MiB', 0);
}

async function engineBenchmark(): Promise<void> {
  const policySet = await loadPolicySet([]);
  const objects = (yaml.loadAll(cronJobStream(1000)) as KubeObject[]).filter(Boolean);
  const ms = best(() => {
    for (const object of objects)
      evaluate(
        policySet,
        { object, operation: 'CREATE', namespace: 'default' },
        { rules: BUILTIN_RULES },
      );
  });
  print('engine.evaluate_builtin_policies', (ms * 1000) / objects.length, 'us/cronjob', 1);
}

function startupBenchmark(): void {
  const bin = join(packageRoot(), 'dist/src/cli/bin.js');
  const dir = mkdtempSync(join(tmpdir(), 'cronguard-bench-'));
  const file = join(dir, 'one.yaml');
  writeFileSync(file, cronJobStream(1));
  const time = (args: string[]): number => {
    const samples: number[] = [];
    for (let attempt = 0; attempt < 7; attempt++) {
      const start = performance.now();
      const result = spawnSync(process.execPath, args, { encoding: 'utf8' });
      if (result.status === null || result.status > 1)
        throw new Error(`benchmark command failed: ${result.stderr}`);
      samples.push(performance.now() - start);
    }
    samples.sort((a, b) => a - b);
    return samples[Math.floor(samples.length / 2)] ?? NaN;
  };
  const nodeMs = time(['-e', '0']);
  const lintMs = time([bin, 'lint', file, '--fail-on', 'never']);
  print('startup.node_baseline', nodeMs, 'ms', 0);
  print('startup.lint_one_file', lintMs, 'ms', 0);
}

console.log(
  `# cronguard bench on ${cpus().length} x ${cpus()[0]?.model ?? 'unknown CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`,
);
// BENCH_ONLY=webhook,engine runs a subset while working on one part.
const only = new Set((process.env.BENCH_ONLY ?? '').split(',').filter((name) => name !== ''));
const wanted = (name: string): boolean => only.size === 0 || only.has(name);
if (wanted('lint')) await lintBenchmark();
if (wanted('engine')) await engineBenchmark();
if (wanted('startup')) startupBenchmark();
if (wanted('webhook')) await webhookBenchmark(print);
