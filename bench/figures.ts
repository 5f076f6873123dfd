/**
 * The bench's figures: each is printed as `name: value unit` the moment it is
 * measured (so a long run shows progress) and kept, in order, for bench/RESULTS.md.
 *
 * RESULTS.md is committed, so its layout depends only on the figures and the
 * machine: groups in the fixed GROUPS order, figures in the order measured, fixed
 * digits per figure, no timings of the run itself. Two runs on one machine differ
 * only in values, date and commit, and the diff reads as a table diff.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, release, totalmem, type } from 'node:os';

export type Print = (name: string, value: number, unit: string, digits?: number) => void;

/** The BENCH_ONLY names, in the order they run and appear in RESULTS.md. */
export const GROUPS = ['webhook', 'latency', 'engine', 'lint', 'coldstart', 'watcher'] as const;
export type Group = (typeof GROUPS)[number];

export interface Figure {
  group: Group;
  name: string;
  /** As printed: value.toFixed(digits). */
  value: string;
  unit: string;
}

export class Figures {
  readonly #figures: Figure[] = [];
  readonly #notes: { group: Group; text: string }[] = [];

  /** A printer whose figures are filed under `group`. */
  printer(group: Group): Print {
    return (name, value, unit, digits = 2) => {
      const text = value.toFixed(digits);
      console.log(`${name}: ${text} ${unit}`);
      this.#figures.push({ group, name, value: text, unit });
    };
  }

  /** Free-form context (which signal ended a measurement, ...): printed, and listed as a note. */
  note(group: Group, text: string): void {
    console.log(`# ${group}: ${text}`);
    this.#notes.push({ group, text });
  }

  get all(): readonly Figure[] {
    return this.#figures;
  }

  get notes(): readonly { group: Group; text: string }[] {
    return this.#notes;
  }
}

export interface Machine {
  cpu: string;
  memory: string;
  os: string;
  node: string;
  date: string;
  commit: string;
  quick: boolean;
}

function osName(): string {
  try {
    const text = readFileSync('/etc/os-release', 'utf8');
    const pretty = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(text)?.[1];
    if (pretty !== undefined) return `${pretty}, ${type()} ${release()}`;
  } catch {
    // not Linux, or no os-release: the kernel alone still says something
  }
  return `${type()} ${release()}`;
}

/** The commit of the first directory that is a git checkout (a private build lives outside one). */
function gitCommit(directories: readonly string[]): string {
  for (const directory of directories) {
    const git = (args: string[]): string =>
      execFileSync('git', args, { cwd: directory, encoding: 'utf8', stdio: 'pipe' }).trim();
    try {
      const commit = git(['rev-parse', '--short=12', 'HEAD']);
      // Other work in the tree changes what was measured; say so rather than hide it.
      const dirty = git(['status', '--porcelain', '--untracked-files=no']) !== '';
      return dirty ? `${commit} (with uncommitted changes)` : commit;
    } catch {
      // not a checkout (or no git): try the next directory
    }
  }
  return 'unknown (not a git checkout)';
}

export function describeMachine(repositories: readonly string[], quick: boolean): Machine {
  const processors = cpus();
  return {
    cpu: `${processors.length} x ${processors[0]?.model.trim() ?? 'unknown CPU'}`,
    memory: `${(totalmem() / 2 ** 30).toFixed(1)} GiB`,
    os: osName(),
    node: process.version,
    date: new Date().toISOString().slice(0, 10),
    commit: gitCommit(repositories),
    quick,
  };
}

function tableRow(cells: readonly string[]): string {
  return `| ${cells.map((cell) => cell.replaceAll('|', '\\|')).join(' | ')} |`;
}

export function resultsMarkdown(machine: Machine, figures: Figures): string {
  const lines = [
    '# cronguard benchmark results',
    '',
    'Written by `npm run bench` (bench/run.ts); do not edit by hand. The machine is',
    'usually shared and noisy: compare ratios measured in the same run, not absolute',
    'figures across runs. Every figure is printed as `name: value unit` too.',
    '',
    '## Machine',
    '',
    tableRow(['', '']),
    tableRow(['---', '---']),
    tableRow(['CPU', machine.cpu]),
    tableRow(['Memory', machine.memory]),
    tableRow(['OS / kernel', machine.os]),
    tableRow(['Node.js', machine.node]),
    tableRow(['Date', machine.date]),
    tableRow(['Commit', machine.commit]),
    tableRow([
      'BENCH_QUICK',
      machine.quick ? 'set (shortened runs and a smaller watcher list)' : 'not set',
    ]),
  ];
  for (const group of GROUPS) {
    const rows = figures.all.filter((figure) => figure.group === group);
    const notes = figures.notes.filter((note) => note.group === group);
    if (rows.length === 0 && notes.length === 0) continue;
    lines.push('', `## ${group}`, '');
    for (const note of notes) lines.push(`- ${note.text}`);
    if (notes.length > 0) lines.push('');
    lines.push(tableRow(['Figure', 'Value', 'Unit']), tableRow(['---', '---:', '---']));
    for (const figure of rows) lines.push(tableRow([figure.name, figure.value, figure.unit]));
  }
  return lines.join('\n') + '\n';
}

export function writeResults(path: string, machine: Machine, figures: Figures): void {
  writeFileSync(path, resultsMarkdown(machine, figures));
}

/** The nearest-rank percentile of ascending `sorted` (p in 0..100); NaN when empty. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, index)] ?? NaN;
}
