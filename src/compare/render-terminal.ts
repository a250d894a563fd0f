import { cellName, commitOf, difference, headline, oneSidedLines, pAdjusted, pctOrNa, promptLine, rule, trialsOf, VERDICT_WORDS } from './describe.js';
import type { CompareResult } from './types.js';

/** Template diff lines printed in a terminal; the rest is in compare.json. */
const MAX_DIFF_LINES = 120;

/** The plain-text report: headline, runs, the cell table, flags, what changed, one-sided cells and items, notices. */
export function renderCompareTable(r: CompareResult): string {
  const out: string[] = [];
  out.push(`fewshot compare: ${headline(r)}`);
  out.push(`  baseline   ${r.baseline.dir} (${r.baseline.runId}, ${commitOf(r.baseline)}, ${trialsOf(r.baseline)})`);
  out.push(`  candidate  ${r.candidate.dir} (${r.candidate.runId}, ${commitOf(r.candidate)}, ${trialsOf(r.candidate)})`);
  out.push(`  ${rule(r)}`, '');

  const header = ['provider', 'selector', 'k', 'n', 'baseline', 'candidate', 'difference [95% CI], points', 'p (Holm)', 'verdict'];
  const rows = r.cells.map((c) => [
    c.provider,
    c.selector,
    String(c.k),
    String(c.accuracy.nItems),
    pctOrNa(c.baseline.accuracy),
    pctOrNa(c.candidate.accuracy),
    difference(c),
    pAdjusted(c),
    VERDICT_WORDS[c.verdict],
  ]);
  out.push(...table(header, rows, new Set([2, 3, 4, 5, 7])), '');

  const regressions = r.cells.filter((c) => c.verdict === 'regression');
  if (regressions.length > 0) {
    out.push('regressions:');
    for (const c of regressions) out.push(`  ${cellName(c)}: ${c.reasons.join('; ')}`);
    out.push('');
  }
  if (r.flags.length > 0) {
    out.push('flags:');
    for (const f of r.flags) out.push(`  [${f.kind}] ${f.message}`);
    out.push('');
  }
  out.push(`prompt: ${promptLine(r)}`);
  for (const s of r.prompt.settingsChanges) out.push(`  ${s}`);
  if (r.prompt.diff.length > 0) {
    out.push(...r.prompt.diff.slice(0, MAX_DIFF_LINES).map((l) => `  ${l}`));
    if (r.prompt.diff.length > MAX_DIFF_LINES) out.push(`  ... ${r.prompt.diff.length - MAX_DIFF_LINES} more lines (compare.json has the whole diff)`);
  }
  for (const [name, side] of [
    ['only in the baseline', r.onlyInBaseline],
    ['only in the candidate', r.onlyInCandidate],
  ] as const) {
    const lines = oneSidedLines(side);
    if (lines.length > 0) out.push(`${name}:`, ...lines.map((l) => `  ${l}`));
  }
  if (r.notices.length > 0) out.push('notices:', ...r.notices.map((n) => `  ${n}`));
  return `${out.join('\n')}\n`;
}

function table(header: string[], rows: string[][], right: ReadonlySet<number>): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (right.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}
