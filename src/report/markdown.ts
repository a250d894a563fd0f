import type { RunSummary } from '../analysis/summary.js';
import { formatDuration } from './format.js';
import { cellColumns } from './table.js';

/** A Markdown table cell: pipes would split the cell and newlines would end the row. */
function md(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

/** summary.md: the run at a glance, with the same per-cell table as report.html. */
export function renderSummaryMarkdown(summary: RunSummary): string {
  const lines: string[] = [];
  lines.push(`# ${md(summary.experimentName)} (${md(summary.runId)})`, '');
  const duration = formatDuration(summary.startedAt, summary.endedAt);
  lines.push(
    `Status: **${summary.status}**, ${summary.totals.trials} trials recorded ` +
      `(${summary.completedTrials} of ${summary.plannedTrials} planned), ${summary.totals.answered} answered. ` +
      `Started ${summary.startedAt}${duration ? `, took ${duration}` : ''}.`,
    '',
  );
  if (summary.notices.length > 0) {
    lines.push('## Notices', '');
    for (const n of summary.notices) lines.push(`- ${md(n)}`);
    lines.push('');
  }
  lines.push('## Cells', '');
  if (summary.cells.length === 0) {
    lines.push('No trials recorded.', '');
  } else {
    const columns = cellColumns(summary.task.measures ?? []);
    lines.push(`| ${columns.map((c) => md(c.header)).join(' | ')} |`);
    lines.push(`|${columns.map((c) => (c.numeric ? ' ---: ' : ' --- ')).join('|')}|`);
    for (const cell of summary.cells) lines.push(`| ${columns.map((c) => md(c.value(cell))).join(' | ')} |`);
    lines.push('');
  }
  lines.push(
    '## How to read this',
    '',
    '- Accuracy is over answered trials only; failures (provider errors, empty, truncated, unparseable outputs) are counted apart, never as wrong answers.',
    '- End-to-end accuracy counts failures as 0.',
    `- ${summary.intervalMethod} n is the number of distinct items.`,
    '- The k = 0 (zero-shot) row is shared by every selector\'s curve.',
    '',
  );
  return lines.join('\n');
}
