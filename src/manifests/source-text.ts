import type { ReportLocation } from '../report/types.js';

const TAB = 0x09;
const LINE_FEED = 0x0a;
const CARRIAGE_RETURN = 0x0d;
const SPACE = 0x20;
const HASH = 0x23;

/**
 * One input text and the file name to report it under. Positions are kept as
 * UTF-16 offsets while parsing, because that is what js-yaml hands out and it
 * costs nothing; turning an offset into line:column needs the line starts,
 * which are only computed once the first location is asked for.
 */
export class SourceText {
  #lineStarts: number[] | undefined;

  constructor(
    readonly file: string,
    readonly text: string,
  ) {}

  /** The location of exactly `offset` (clamped to the text), e.g. where js-yaml gave up. */
  location(offset: number): ReportLocation {
    const lineStarts = (this.#lineStarts ??= computeLineStarts(this.text));
    const clamped = Math.max(0, Math.min(offset, this.text.length));
    // Binary search for the last line that starts at or before the offset.
    let low = 0;
    let high = lineStarts.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >>> 1;
      if ((lineStarts[middle] ?? 0) <= clamped) low = middle;
      else high = middle - 1;
    }
    return { file: this.file, line: low + 1, column: clamped - (lineStarts[low] ?? 0) + 1 };
  }

  /**
   * The location of the first token at or after `offset`. js-yaml reports where
   * it started composing a node, which for an explicit key (`? key`) or a
   * document root can be whitespace, a line break or a comment before the node.
   * When nothing but those follows, that is `offset` itself.
   */
  tokenLocation(offset: number): ReportLocation {
    const token = skipSpaceAndComments(this.text, offset);
    return this.location(token < this.text.length ? token : offset);
  }
}

/**
 * Offsets where lines start. Like js-yaml (and YAML itself), a lone CR counts as
 * a line break and CRLF counts once, so the lines agree with js-yaml's marks.
 */
function computeLineStarts(text: string): number[] {
  const starts = [0];
  if (!text.includes('\r')) {
    // The common case; indexOf is much faster than looking at every character.
    for (let at = text.indexOf('\n'); at !== -1; at = text.indexOf('\n', at + 1))
      starts.push(at + 1);
    return starts;
  }
  for (let at = 0; at < text.length; at++) {
    const code = text.charCodeAt(at);
    if (code === LINE_FEED) starts.push(at + 1);
    else if (code === CARRIAGE_RETURN && text.charCodeAt(at + 1) !== LINE_FEED) starts.push(at + 1);
  }
  return starts;
}

/**
 * The offset of the first character at or after `offset` that is not a space,
 * tab, line break or part of a comment; the text's length when there is none.
 * Only call it at the start of a token or after whitespace, where `#` always
 * starts a comment.
 */
export function skipSpaceAndComments(text: string, offset: number): number {
  let at = offset;
  while (at < text.length) {
    const code = text.charCodeAt(at);
    if (code === SPACE || code === TAB || isLineBreak(code)) {
      at++;
    } else if (code === HASH) {
      while (at < text.length && !isLineBreak(text.charCodeAt(at))) at++;
    } else {
      break;
    }
  }
  return at;
}

export function isLineBreak(code: number): boolean {
  return code === LINE_FEED || code === CARRIAGE_RETURN;
}
