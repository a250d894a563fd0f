/**
 * A line diff (Myers' O(ND) algorithm) and its unified rendering, for showing how the rendered
 * prompt templates of two runs differ. The texts are a canonical prompt each (a few hundred lines
 * at most), so this small, tested implementation is enough; see README ("CI regressions").
 */

export interface Edit {
  op: ' ' | '-' | '+';
  line: string;
}

/** Edit budget (D) beyond which the trace would be too large: the diff degrades to "all removed, all added". */
const MAX_EDITS = 4000;

/** The shortest edit script turning a into b, as kept (' '), removed ('-') and added ('+') lines in order. */
export function diffLines(a: readonly string[], b: readonly string[]): Edit[] {
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
  }
  const head: Edit[] = a.slice(0, start).map((line) => ({ op: ' ', line }));
  const tail: Edit[] = a.slice(endA).map((line) => ({ op: ' ', line }));
  return [...head, ...middle(a.slice(start, endA), b.slice(start, endB)), ...tail];
}

function middle(a: readonly string[], b: readonly string[]): Edit[] {
  const n = a.length;
  const m = b.length;
  if (n === 0) return b.map((line) => ({ op: '+', line }));
  if (m === 0) return a.map((line) => ({ op: '-', line }));
  const max = n + m;
  const offset = max + 1;
  const v = new Int32Array(2 * max + 3);
  const trace: Int32Array[] = [];
  for (let d = 0; d <= Math.min(max, MAX_EDITS); d++) {
    trace.push(v.slice());
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && v[offset + k - 1]! < v[offset + k + 1]!) ? v[offset + k + 1]! : v[offset + k - 1]! + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      v[offset + k] = x;
      if (x >= n && y >= m) return backtrack(trace, a, b, offset);
    }
  }
  return [...a.map((line): Edit => ({ op: '-', line })), ...b.map((line): Edit => ({ op: '+', line }))];
}

function backtrack(trace: readonly Int32Array[], a: readonly string[], b: readonly string[], offset: number): Edit[] {
  const out: Edit[] = [];
  let x = a.length;
  let y = b.length;
  for (let d = trace.length - 1; d >= 0; d--) {
    const v = trace[d]!;
    const k = x - y;
    const prevK = k === -d || (k !== d && v[offset + k - 1]! < v[offset + k + 1]!) ? k + 1 : k - 1;
    const prevX = v[offset + prevK]!;
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) {
      out.push({ op: ' ', line: a[x - 1]! });
      x--;
      y--;
    }
    if (d > 0) {
      if (x === prevX) out.push({ op: '+', line: b[prevY]! });
      else out.push({ op: '-', line: a[prevX]! });
    }
    x = prevX;
    y = prevY;
  }
  return out.reverse();
}

/**
 * A unified diff of two texts (`---`/`+++` headers, `@@ -a,n +b,m @@` hunks with `context` lines
 * around each change); an empty array when they are equal.
 */
export function unifiedDiff(aText: string, bText: string, options: { aName?: string; bName?: string; context?: number } = {}): string[] {
  if (aText === bText) return [];
  const context = options.context ?? 3;
  const edits = diffLines(splitLines(aText), splitLines(bText));
  // Position of each edit in a and in b (1-based line numbers of the next line on each side).
  const posA: number[] = [];
  const posB: number[] = [];
  let ia = 1;
  let ib = 1;
  for (const e of edits) {
    posA.push(ia);
    posB.push(ib);
    if (e.op !== '+') ia++;
    if (e.op !== '-') ib++;
  }
  const changed = edits.map((e, i) => (e.op === ' ' ? -1 : i)).filter((i) => i >= 0);
  const lines = [`--- ${options.aName ?? 'a'}`, `+++ ${options.bName ?? 'b'}`];
  let h = 0;
  while (h < changed.length) {
    const from = Math.max(0, changed[h]! - context);
    let to = Math.min(edits.length - 1, changed[h]! + context);
    // Changes closer than 2 x context share a hunk.
    while (h + 1 < changed.length && changed[h + 1]! - context <= to + 1) {
      h++;
      to = Math.min(edits.length - 1, changed[h]! + context);
    }
    h++;
    const slice = edits.slice(from, to + 1);
    const lenA = slice.filter((e) => e.op !== '+').length;
    const lenB = slice.filter((e) => e.op !== '-').length;
    const startA = lenA === 0 ? posA[from]! - 1 : posA[from]!;
    const startB = lenB === 0 ? posB[from]! - 1 : posB[from]!;
    lines.push(`@@ -${range(startA, lenA)} +${range(startB, lenB)} @@`);
    for (const e of slice) lines.push(`${e.op}${e.line}`);
  }
  return lines;
}

function range(start: number, length: number): string {
  return length === 1 ? `${start}` : `${start},${length}`;
}

/** Lines of a text; a final newline does not make an empty last line. */
function splitLines(text: string): string[] {
  const lines = text.split(/\r?\n/);
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}
