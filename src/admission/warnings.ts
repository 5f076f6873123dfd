import { runeLength, toSingleLine, truncateRunes } from './text.js';

export interface WarningLimits {
  /** Longest single warning, in runes. */
  warningRunes: number;
  /** All warnings together, in runes. */
  warningBudgetRunes: number;
}

/**
 * Turns candidate warning lines into what the API server will actually show:
 * single-line, bounded, de-duplicated, and within the shared budget. Past the
 * budget the API server re-truncates every warning to 256 runes and drops the
 * rest, so we stay under it ourselves and say how many were left out.
 * Input order is importance order: the first lines are the ones kept.
 */
export function boundWarnings(candidates: readonly string[], limits: WarningLimits): string[] {
  const lines: string[] = [];
  const seen = new Set<string>();
  for (const candidate of candidates) {
    const line = truncateRunes(toSingleLine(candidate), limits.warningRunes);
    if (line === '' || seen.has(line)) continue;
    seen.add(line);
    lines.push(line);
  }
  const total = lines.reduce((sum, line) => sum + runeLength(line), 0);
  if (total <= limits.warningBudgetRunes) return lines;

  const kept: string[] = [];
  let used = 0;
  // Reserve room for the closing "and N more" line, whose length depends on N.
  const reserve = runeLength(omittedNotice(lines.length));
  for (const line of lines) {
    const length = runeLength(line);
    if (used + length + reserve > limits.warningBudgetRunes) break;
    kept.push(line);
    used += length;
  }
  const notice = truncateRunes(omittedNotice(lines.length - kept.length), limits.warningRunes);
  if (used + runeLength(notice) <= limits.warningBudgetRunes) kept.push(notice);
  return kept;
}

function omittedNotice(count: number): string {
  return `cronguard: ${count} more warnings omitted (run cronguard lint for all)`;
}
