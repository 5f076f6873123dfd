/**
 * A small unified diff of two texts, line based (Myers' O(ND) algorithm), for
 * `cronguard mutate --diff`. Inputs are YAML dumps of one object, so they are small.
 */
export function unifiedDiff(
  before: string,
  after: string,
  fromLabel: string,
  toLabel: string,
  context = 3,
): string {
  const a = splitLines(before);
  const b = splitLines(after);
  const edits = diffLines(a, b);
  if (edits.every((edit) => edit.kind === 'same')) return '';
  const out = [`--- ${fromLabel}`, `+++ ${toLabel}`];
  let index = 0;
  while (index < edits.length) {
    if (edits[index]?.kind === 'same') {
      index++;
      continue;
    }
    let start = Math.max(0, index - context);
    let end = index;
    // Extend the hunk while changes are closer than 2*context lines apart.
    for (;;) {
      while (end < edits.length && edits[end]?.kind !== 'same') end++;
      let next = end;
      while (next < edits.length && edits[next]?.kind === 'same') next++;
      if (next < edits.length && next - end <= 2 * context) end = next;
      else break;
    }
    const stop = Math.min(edits.length, end + context);
    const hunk = edits.slice(start, stop);
    const first = hunk[0];
    const oldStart = (first?.oldLine ?? 0) + 1;
    const newStart = (first?.newLine ?? 0) + 1;
    const oldCount = hunk.filter((edit) => edit.kind !== 'add').length;
    const newCount = hunk.filter((edit) => edit.kind !== 'remove').length;
    out.push(`@@ -${oldStart},${oldCount} +${newStart},${newCount} @@`);
    for (const edit of hunk)
      out.push((edit.kind === 'same' ? ' ' : edit.kind === 'add' ? '+' : '-') + edit.text);
    index = stop;
    start = stop;
  }
  return out.join('\n') + '\n';
}

interface Edit {
  kind: 'same' | 'add' | 'remove';
  text: string;
  oldLine: number;
  newLine: number;
}

function splitLines(text: string): string[] {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

function diffLines(a: readonly string[], b: readonly string[]): Edit[] {
  const max = a.length + b.length;
  const offset = max + 1;
  const trace: Int32Array[] = [];
  let frontier: Int32Array = new Int32Array(2 * max + 3);
  let found = false;
  for (let depth = 0; depth <= max && !found; depth++) {
    trace.push(frontier.slice());
    for (let k = -depth; k <= depth; k += 2) {
      const down =
        k === -depth ||
        (k !== depth && (frontier[offset + k - 1] ?? 0) < (frontier[offset + k + 1] ?? 0));
      let x = down ? (frontier[offset + k + 1] ?? 0) : (frontier[offset + k - 1] ?? 0) + 1;
      let y = x - k;
      while (x < a.length && y < b.length && a[x] === b[y]) {
        x++;
        y++;
      }
      frontier[offset + k] = x;
      if (x >= a.length && y >= b.length) {
        found = true;
        break;
      }
    }
  }
  trace.push(frontier);
  // Walk back through the recorded frontiers to recover the edit script.
  const edits: Edit[] = [];
  let x = a.length;
  let y = b.length;
  for (let depth = trace.length - 2; depth >= 0; depth--) {
    frontier = trace[depth] as Int32Array;
    const k = x - y;
    const down =
      k === -depth ||
      (k !== depth && (frontier[offset + k - 1] ?? 0) < (frontier[offset + k + 1] ?? 0));
    const previousK = down ? k + 1 : k - 1;
    const previousX = frontier[offset + previousK] ?? 0;
    const previousY = previousX - previousK;
    while (x > previousX && y > previousY) {
      x--;
      y--;
      edits.push({ kind: 'same', text: a[x] ?? '', oldLine: x, newLine: y });
    }
    if (depth > 0) {
      if (down) {
        y--;
        edits.push({ kind: 'add', text: b[y] ?? '', oldLine: x, newLine: y });
      } else {
        x--;
        edits.push({ kind: 'remove', text: a[x] ?? '', oldLine: x, newLine: y });
      }
    }
  }
  return edits.reverse();
}
