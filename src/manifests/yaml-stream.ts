/** `---` or `...` at the start of a line, followed by whitespace or the end of the text. */
const DOCUMENT_MARKER = /^(?:---|\.\.\.)(?![^ \t\r\n])/gm;
/** A line that is neither blank, a comment nor a directive (`%YAML 1.2`). */
const CONTENT_LINE = /^[ \t]*[^ \t\r\n#%]/m;

const LINE_FEED = 0x0a;
const CARRIAGE_RETURN = 0x0d;
const HYPHEN = 0x2d;

/**
 * Splits a YAML stream into its documents, so that each can be parsed on its
 * own and a syntax error in one does not hide the others (js-yaml's `loadAll`
 * gives up on the whole stream at the first error).
 *
 * Returns the offsets where documents start; document i runs up to the start
 * of document i + 1. The splits are where js-yaml itself ends a document:
 * - before a `---` line, unless nothing but blank lines, comments and
 *   directives precede it since the last split (they belong to its document);
 * - after a `...` line.
 *
 * A `---` or `...` at the start of a line can never be document content: YAML
 * forbids it inside every kind of scalar and block scalars at the top level
 * must be indented, so splitting there never cuts a valid document in two. For
 * valid streams the parts hold exactly the documents `loadAll` returns.
 */
export function documentStarts(text: string): number[] {
  const starts = [0];
  let partStart = 0;
  let partHasDirectivesEnd = false;
  for (const match of text.matchAll(DOCUMENT_MARKER)) {
    const at = match.index;
    // JavaScript's `^` also matches after U+2028/U+2029, which YAML does not treat as line breaks.
    if (at > 0 && !isLineBreak(text.charCodeAt(at - 1))) continue;
    if (text.charCodeAt(at) === HYPHEN) {
      if (
        at > partStart &&
        (partHasDirectivesEnd || CONTENT_LINE.test(text.slice(partStart, at)))
      ) {
        starts.push(at);
        partStart = at;
      }
      partHasDirectivesEnd = true;
    } else {
      const next = startOfNextLine(text, at);
      if (next < text.length) {
        starts.push(next);
        partStart = next;
        partHasDirectivesEnd = false;
      }
    }
  }
  return starts;
}

function startOfNextLine(text: string, at: number): number {
  let position = at;
  while (position < text.length && !isLineBreak(text.charCodeAt(position))) position++;
  if (text.charCodeAt(position) === CARRIAGE_RETURN) position++;
  if (text.charCodeAt(position) === LINE_FEED) position++;
  return position;
}

function isLineBreak(code: number): boolean {
  return code === LINE_FEED || code === CARRIAGE_RETURN;
}
