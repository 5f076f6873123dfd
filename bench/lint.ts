/**
 * Lint benchmarks: in-process throughput on 10,000 CronJob documents against
 * bare YAML parsing, and the cold start of one `cronguard lint` process on one
 * file against `node -e ""` (what any Node CLI pays before its first line runs).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import yaml from 'js-yaml';
import { buildLintReport, evaluateDocuments } from '../src/cli/pipeline.js';
import { loadPolicySet } from '../src/cli/policies.js';
import { parseManifestText } from '../src/manifests/index.js';
import { formatReport } from '../src/report/index.js';
import type { Print } from './figures.js';
import { cronJobStream } from './generate.js';

const QUICK = process.env.BENCH_QUICK === '1';
// BENCH_QUICK lints a fifth: the documents/s figure is still comparable, within a run.
const LINT_DOCUMENTS = QUICK ? 2_000 : 10_000;
const REPEATS = QUICK ? 2 : 5;
const COLD_START_RUNS = QUICK ? 5 : 15;

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

export async function lintBenchmark(print: Print): Promise<void> {
  const text = cronJobStream(LINT_DOCUMENTS);
  const policySet = await loadPolicySet([]);
  const options = {
    operation: 'CREATE' as const,
    defaultNamespace: 'default',
    namespaceLabels: new Map(),
  };
  const report = () => {
    const parsed = parseManifestText(text, 'bench.yaml');
    const evaluated = evaluateDocuments(parsed.documents, policySet, options);
    return buildLintReport({
      files: ['bench.yaml'],
      documents: parsed.documents,
      evaluated,
      errors: parsed.errors,
      policySet,
    });
  };
  let findings = 0;
  const bareMs = best(() => void yaml.loadAll(text));
  const positionsMs = best(() => void parseManifestText(text, 'bench.yaml'));
  const lintMs = best(() => {
    findings = report().results.reduce((sum, result) => sum + result.findings.length, 0);
  });
  const withOutputMs = best(
    () => {
      formatReport('json', report(), { color: false, verbose: false, failOn: 'error', rules: [] });
    },
    Math.min(REPEATS, 3),
  );
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

interface WallTimes {
  bestMs: number;
  medianMs: number;
}

/** Wall times of `node <args>` run `runs` times, one after the other. */
function wallTimes(args: readonly string[], runs: number): WallTimes {
  const samples: number[] = [];
  for (let attempt = 0; attempt < runs; attempt++) {
    const start = performance.now();
    const result = spawnSync(process.execPath, args, { encoding: 'utf8' });
    const elapsed = performance.now() - start;
    // lint exits 1 when it has findings; anything else means it did not lint.
    if (result.status === null || result.status > 1)
      throw new Error(`cold start command failed (${result.status}): ${result.stderr}`);
    samples.push(elapsed);
  }
  samples.sort((a, b) => a - b);
  return { bestMs: samples[0] ?? NaN, medianMs: samples[Math.floor(samples.length / 2)] ?? NaN };
}

/**
 * The baseline runs COLD_START_RUNS times, then lint as many. Both get a warm OS
 * file cache after their first run (as a CI job's second lint would); the best is
 * the least disturbed run, the median what a user typically waits.
 */
export function coldStartBenchmark(print: Print, binPath: string): void {
  const dir = mkdtempSync(join(tmpdir(), 'cronguard-bench-'));
  const file = join(dir, 'one.yaml');
  writeFileSync(file, cronJobStream(1));
  const node = wallTimes(['-e', ''], COLD_START_RUNS);
  const lint = wallTimes([binPath, 'lint', file, '--fail-on', 'never'], COLD_START_RUNS);
  print('coldstart.runs', COLD_START_RUNS, 'runs', 0);
  print('coldstart.node_baseline_best', node.bestMs, 'ms', 1);
  print('coldstart.node_baseline_median', node.medianMs, 'ms', 1);
  print('coldstart.lint_one_file_best', lint.bestMs, 'ms', 1);
  print('coldstart.lint_one_file_median', lint.medianMs, 'ms', 1);
  print('coldstart.lint_over_node_median', lint.medianMs - node.medianMs, 'ms', 1);
  print('coldstart.lint_to_node_ratio_median', lint.medianMs / node.medianMs, 'x');
}
