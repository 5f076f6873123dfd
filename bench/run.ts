/**
 * `npm run bench`: every figure printed as `name: value unit`, so a regression is
 * one diff away, and written to bench/RESULTS.md with a description of the
 * machine. Performance is measured as ratios within one run (this machine is
 * shared and noisy), never asserted in tests.
 *
 *   BENCH_ONLY=webhook,latency,engine,lint,coldstart,watcher   run a subset
 *   BENCH_QUICK=1        shorter runs everywhere (the whole run in under 2 minutes)
 *   BENCH_RESULTS=FILE   where to write the results; `-` for nowhere. By default a
 *                        full run (no BENCH_ONLY) writes bench/RESULTS.md and a
 *                        subset writes nothing, so a partial run never replaces
 *                        the committed figures of the other groups.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { packageRoot } from '../src/version.js';
import { coldStartBenchmark, lintBenchmark } from './lint.js';
import { engineBenchmark } from './engine.js';
import { describeMachine, Figures, GROUPS, writeResults, type Group } from './figures.js';
import { latencyBenchmark } from './latency.js';
import { watcherBenchmark } from './watcher.js';
import { webhookBenchmark } from './webhook.js';

const QUICK = process.env.BENCH_QUICK === '1';
// The CLI next to this build of the bench (dist/, or a private --outDir), not
// whichever dist/ the package root has.
const BIN_PATH = join(dirname(fileURLToPath(import.meta.url)), '../src/cli/bin.js');

const only = (process.env.BENCH_ONLY ?? '').split(',').filter((name) => name !== '');
const unknown = only.filter((name) => !GROUPS.includes(name as Group));
if (unknown.length > 0) {
  console.error(`BENCH_ONLY: unknown group ${unknown.join(', ')}; groups: ${GROUPS.join(', ')}`);
  process.exit(2);
}
const wanted = (group: Group): boolean => only.length === 0 || only.includes(group);
const resultsPath =
  process.env.BENCH_RESULTS ?? (only.length === 0 ? join(packageRoot(), 'bench/RESULTS.md') : '-');

const machine = describeMachine([packageRoot(), process.cwd()], QUICK);
console.log(
  `# cronguard bench on ${machine.cpu}, ${machine.memory}, ${machine.os}, Node ${machine.node}, commit ${machine.commit}${QUICK ? ', BENCH_QUICK' : ''}`,
);
const figures = new Figures();
const runners: Record<Group, () => Promise<void> | void> = {
  webhook: () => webhookBenchmark(figures.printer('webhook')),
  latency: () => latencyBenchmark(figures.printer('latency')),
  engine: () => engineBenchmark(figures.printer('engine')),
  lint: () => lintBenchmark(figures.printer('lint')),
  coldstart: () => {
    coldStartBenchmark(figures.printer('coldstart'), BIN_PATH);
  },
  watcher: () => watcherBenchmark(figures.printer('watcher'), BIN_PATH, figures),
};
for (const group of GROUPS) {
  if (!wanted(group)) continue;
  await runners[group]();
  // Each group starts from a collected heap: one group's garbage is not the next one's pause.
  globalThis.gc?.();
}
if (resultsPath !== '-') {
  writeResults(resultsPath, machine, figures);
  console.log(`# results written to ${resultsPath}`);
}
