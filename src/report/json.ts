import type { LintReport } from './types.js';

/**
 * `--format json`: the {@link LintReport} exactly as the engine built it, two-space
 * indented, with a trailing newline so the file ends like any other text file.
 *
 * This shape is a public contract documented in docs/json-format.md and versioned
 * by `schemaVersion`: fields may be added within a version, never renamed, removed
 * or retyped. Order is the engine's; consumers that need the stable order of the
 * other formats sort by `location` (file, line, column) and `ruleId`.
 */
export function formatJson(report: LintReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}
