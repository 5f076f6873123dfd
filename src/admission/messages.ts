import type { Finding } from '../engine/types.js';
import { pointerToFieldPath } from '../util/json-pointer.js';
import { runeLength, toSingleLine, truncateRunes, truncateUtf8Bytes } from './text.js';

/** Field path for people, tolerant of a malformed pointer (a message must never throw). */
export function fieldOf(pointer: string): string {
  try {
    return pointerToFieldPath(pointer);
  } catch {
    return pointer;
  }
}

/**
 * One warning line: rule and message first (they carry the meaning), then where,
 * but only if it still fits: a field path is long and the line is cut at the limit.
 */
export function warningLine(finding: Finding, maxRunes: number): string {
  const head = toSingleLine(`${finding.ruleId}: ${finding.message}`);
  const where = toSingleLine(
    finding.container !== undefined ? `container ${finding.container}` : fieldOf(finding.path),
  );
  const full = where === '' || head.includes(where) ? head : `${head} (${where})`;
  return runeLength(full) <= maxRunes ? full : truncateRunes(head, maxRunes);
}

/** Per-violation cap, so that one huge quoted value cannot crowd out the others. */
const DENIAL_LINE_RUNES = 600;

/**
 * The denial status message: a summary line, then one line per violated rule with
 * its field path and fix, within `maxBytes`. Lines that do not fit are counted in
 * a closing "and N more".
 */
export function denialMessage(
  kind: string,
  violations: readonly Finding[],
  maxBytes: number,
): string {
  const noun = violations.length === 1 ? 'violation' : 'violations';
  const header = toSingleLine(`cronguard: ${kind} violates policy (${violations.length} ${noun}):`);
  const lines = violations.map((finding) => {
    const fix = finding.fix === undefined ? '' : `; fix: ${finding.fix}`;
    const text = `- ${fieldOf(finding.path)}: ${finding.message} [${finding.policy}/${finding.ruleId}]${fix}`;
    return truncateRunes(toSingleLine(text), DENIAL_LINE_RUNES);
  });
  let message = header;
  for (const [index, line] of lines.entries()) {
    const remaining = lines.length - index - 1;
    const tail = remaining > 0 ? `\n- and ${remaining} more` : '';
    // Keep room for the "and N more" line that would follow if the next lines are cut.
    if (Buffer.byteLength(`${message}\n${line}${tail}`, 'utf8') > maxBytes) {
      return truncateUtf8Bytes(`${message}\n- and ${lines.length - index} more`, maxBytes);
    }
    message += `\n${line}`;
  }
  return truncateUtf8Bytes(message, maxBytes);
}
