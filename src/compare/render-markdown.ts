import { md } from '../report/markdown.js';
import { cellName, commitOf, difference, hash8, headline, oneSidedLines, pAdjusted, pctOrNa, promptLine, rule, trialsOf, VERDICT_WORDS } from './describe.js';
import type { CellComparison, CompareResult } from './types.js';

/** Template diff lines in the Markdown (GitHub caps a job summary at 1 MiB); compare.json has them all. */
const MAX_DIFF_LINES = 200;

/**
 * compare.md, for the job summary ($GITHUB_STEP_SUMMARY) or a pull-request comment: the verdict,
 * the regressed cells with their intervals and reasons, the flags, what changed in the prompt (with
 * the template diff), one-sided cells and items, then every compared cell.
 */
export function renderCompareMarkdown(r: CompareResult): string {
  const out: string[] = [];
  const icon = r.verdict === 'regression' ? ':x:' : r.verdict === 'flagged' ? ':warning:' : ':white_check_mark:';
  out.push(`## ${icon} fewshot compare: ${md(headline(r))}`, '');
  out.push(`${md(capital(rule(r)))}.`, '');
  out.push('| | run | commit | trials |', '| --- | --- | --- | --- |');
  out.push(`| baseline | ${code(r.baseline.runId)} | ${md(commitOf(r.baseline))} | ${md(trialsOf(r.baseline))} |`);
  out.push(`| candidate | ${code(r.candidate.runId)} | ${md(commitOf(r.candidate))} | ${md(trialsOf(r.candidate))} |`, '');

  const regressions = r.cells.filter((c) => c.verdict === 'regression');
  if (regressions.length > 0) {
    out.push('### Regressions', '');
    out.push(...cellTable(regressions, true));
  }
  if (r.flags.length > 0) {
    out.push('### Flags', '');
    for (const f of r.flags) out.push(`- **${md(f.kind)}**: ${md(f.message)}`);
    out.push('');
  }
  out.push('### What changed', '');
  out.push(`${md(capital(promptLine(r)))}.`, '');
  for (const s of r.prompt.settingsChanges) out.push(`- ${code(s)}`);
  if (r.prompt.settingsChanges.length > 0) out.push('');
  if (r.prompt.diff.length > 0) {
    const shown = r.prompt.diff.slice(0, MAX_DIFF_LINES);
    if (r.prompt.diff.length > MAX_DIFF_LINES) shown.push(`... ${r.prompt.diff.length - MAX_DIFF_LINES} more lines in compare.json`);
    const fence = fenceFor(shown);
    out.push(
      `<details><summary>Rendered template diff (${hash8(r.baseline.promptHash)} -> ${hash8(r.candidate.promptHash)})</summary>`,
      '',
      `${fence}diff`,
      ...shown,
      fence,
      '',
      '</details>',
      '',
    );
  }
  for (const [name, side] of [
    ['Only in the baseline', r.onlyInBaseline],
    ['Only in the candidate', r.onlyInCandidate],
  ] as const) {
    const lines = oneSidedLines(side);
    if (lines.length === 0) continue;
    out.push(`### ${name}`, '', ...lines.map((l) => `- ${md(l)}`), '');
  }
  out.push(`<details><summary>All ${r.cells.length} compared cells</summary>`, '', ...cellTable(r.cells, false), '</details>', '');
  if (r.notices.length > 0) out.push('### Notices', '', ...r.notices.map((n) => `- ${md(n)}`), '');
  return `${out.join('\n')}\n`;
}

function cellTable(cells: readonly CellComparison[], withReasons: boolean): string[] {
  const lines = [
    `| cell | n | baseline | candidate | difference [95% CI], points | p (Holm) | ${withReasons ? 'why' : 'verdict'} |`,
    '| --- | ---: | ---: | ---: | ---: | ---: | --- |',
  ];
  for (const c of cells) {
    const last = withReasons ? c.reasons.join('; ') : VERDICT_WORDS[c.verdict];
    const verdict = c.verdict === 'regression' && !withReasons ? `**${md(last)}**` : md(last);
    lines.push(
      `| ${md(cellName(c))} | ${c.accuracy.nItems} | ${pctOrNa(c.baseline.accuracy)} | ${pctOrNa(c.candidate.accuracy)} | ${md(difference(c))} | ${md(pAdjusted(c))} | ${verdict} |`,
    );
  }
  lines.push('');
  return lines;
}

/** Inline code that no backtick in the text can close early. */
function code(text: string): string {
  const run = Math.max(0, ...(text.match(/`+/g) ?? []).map((s) => s.length));
  const ticks = '`'.repeat(run + 1);
  const pad = text.startsWith('`') || text.endsWith('`') ? ' ' : '';
  return `${ticks}${pad}${text.replace(/\r?\n/g, ' ')}${pad}${ticks}`;
}

/** A code fence longer than any run of backticks in the lines (a template may contain ```). */
function fenceFor(lines: readonly string[]): string {
  let run = 0;
  for (const l of lines) for (const m of l.match(/`+/g) ?? []) run = Math.max(run, m.length);
  return '`'.repeat(Math.max(3, run + 1));
}

function capital(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
