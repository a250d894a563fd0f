import { CALIBRATION_GUIDE, calibrationSentence } from './calibration.js';
import { confusionViews } from './confusion.js';
import type { RunSummary } from '../records/summary.js';
import { formatDifference, formatDuration, pct } from './format.js';
import { pEquals } from '../util/format-numbers.js';
import { cellColumns, collapseColumns, curveColumns, failureColumns, type Column } from './table.js';
import {
  adviceAccuracy,
  costRows,
  decisionTitle,
  failureRates,
  FAILURE_NAMES,
  fineTuneTableRows,
  LABEL_MEANINGS,
  priceCurrency,
  recommendationText,
  settingsLine,
} from './verdict.js';

/**
 * Markdown text: characters that would format, make a link, or (on GitHub) become HTML or an
 * entity are backslash-escaped; pipes would split a table cell and newlines would end the row.
 * A `]` is escaped only where it could close a link (before `(`, `[` or `:`), so intervals such
 * as "72.0% [65.1, 78.3]" stay readable in the raw text.
 */
export function md(text: string): string {
  return text
    .replace(/[\\`*_<>|&~]/g, '\\$&')
    .replace(/\](?=[([:])/g, '\\]')
    .replace(/\r?\n/g, ' ');
}

function table<T>(rows: readonly T[], columns: readonly Column<T>[]): string[] {
  const lines = [`| ${columns.map((c) => md(c.header)).join(' | ')} |`, `|${columns.map((c) => (c.numeric ? ' ---: ' : ' --- ')).join('|')}|`];
  for (const row of rows) {
    lines.push(`| ${columns.map((c) => (c.badge ? `**${md(c.value(row))}**` : md(c.value(row)))).join(' | ')} |`);
  }
  lines.push('');
  return lines;
}

/**
 * summary.md, meant for a pull-request comment: the verdict per provider first (decision,
 * setting, accuracy with interval and n, cost vs zero-shot, why), then the curves with their
 * labels, the selection check, failure trends, and the per-cell table of report.html.
 */
export function renderSummaryMarkdown(summary: RunSummary): string {
  const lines: string[] = [];
  lines.push(`# ${md(summary.experimentName)} (${md(summary.runId)})`, '');
  const duration = formatDuration(summary.startedAt, summary.endedAt);
  lines.push(
    `Status: **${md(summary.status)}**, ${summary.totals.trials} trials recorded ` +
      `(${summary.totals.trials} of ${summary.plannedTrials} planned${summary.completedTrials !== summary.totals.trials ? `; run.json counts ${summary.completedTrials} completed` : ''}), ${summary.totals.answered} answered. ` +
      `Started ${md(summary.startedAt)}${duration ? `, took ${duration}` : ''}.`,
    '',
  );
  if (summary.notices.length > 0) {
    lines.push('## Notices', '');
    for (const n of summary.notices) lines.push(`- ${md(n)}`);
    lines.push('');
  }

  lines.push('## Verdict', '');
  if (summary.target !== null) lines.push(`Target: ${pct(summary.target)} accuracy.`, '');
  if (summary.advice.length === 0) {
    lines.push('No verdict: nothing was answered, so there is nothing to compare.', '');
  } else {
    const currency = priceCurrency();
    for (const a of summary.advice) {
      lines.push(`### ${md(a.provider)}: **${md(decisionTitle(a))}**, ${md(recommendationText(a))}`, '');
      lines.push(`Accuracy ${md(adviceAccuracy(a))}.`, '');
      lines.push('| | recommended | zero-shot |', '| --- | ---: | ---: |');
      for (const r of costRows(a, currency)) lines.push(`| ${md(r.what)} | ${md(r.recommended)} | ${md(r.zeroShot)} |`);
      lines.push('');
      if (a.priceSource) lines.push(`Prices: ${md(a.priceSource)}.`, '');
      const fineTune = fineTuneTableRows(a);
      if (fineTune.length > 0) {
        lines.push('| Keep few-shot or fine-tune? | |', '| --- | --- |');
        for (const r of fineTune) lines.push(`| ${md(r.what)} | ${md(r.value)} |`);
        lines.push('');
      }
      for (const r of a.reasons) lines.push(`- ${md(r)}`);
      lines.push('');
    }
  }

  lines.push('## Curves', '');
  if (summary.curves.length === 0) lines.push('No curves were summarized.', '');
  else lines.push(...table(summary.curves, curveColumns({ adaptive: summary.settings.sequential !== undefined })));

  for (const view of confusionViews(summary)) lines.push(`## Confusion: ${md(view.title)}`, '', ...table(view.rows, view.columns));

  if (summary.collapse.length > 0) {
    lines.push('## Selection', '', ...table(summary.collapse, collapseColumns()));
  }

  const variants = summary.promptComparisons ?? [];
  if (variants.length > 0) {
    lines.push(
      '## Prompt variants',
      '',
      'Each row: variant b minus variant a in one cell (same selector, k, items and shots), paired over items; Holm within the provider (the prompt-variants family).',
      '',
      '| provider | selector | k | b − a | difference [95% CI] | n | p (Holm) | significant |',
      '| --- | --- | ---: | --- | --- | ---: | ---: | --- |',
    );
    for (const c of variants) {
      lines.push(
        `| ${md(c.provider)} | ${md(c.selector)} | ${c.k} | ${md(`${c.b} − ${c.a}`)} | ${md(formatDifference(c.estimate, c.ciLow, c.ciHigh))} | ${c.nItems} | ${md(pEquals(c.pAdjusted))} | ${c.significant ? 'yes' : 'no'} |`,
      );
    }
    lines.push('');
  }

  lines.push('## Failures', '');
  const flagged = summary.failureTrends.filter((t) => t.flagged);
  if (summary.failureTrends.length === 0) {
    lines.push('No failure trends were tested.', '');
  } else {
    if (flagged.length === 0) lines.push('No failure rate is shown to rise with k.', '');
    for (const t of flagged) {
      lines.push(
        `- **${md(FAILURE_NAMES[t.kind])} rise with k** for ${md(t.provider)} / ${md(t.selector)}: ` +
          `${md(failureRates(t))}; ${md(formatDifference(t.estimate, t.ciLow, t.ciHigh))}. ` +
          `${md(t.detail)}`,
      );
    }
    if (flagged.length > 0) lines.push('');
    lines.push(...table(summary.failureTrends, failureColumns()));
  }

  lines.push('## Cells', '');
  if (summary.cells.length === 0) lines.push('No trials recorded.', '');
  else
    lines.push(
      ...table(
        summary.cells,
        cellColumns(summary.task.measures ?? [], {
          scorerFailures: summary.totals.failures.scorer_failure > 0,
          reasoning: summary.cells.some((c) => c.meanReasoningTokens !== undefined),
          promptCache: summary.cells.some((c) => c.cacheSavings !== undefined),
        }),
      ),
    );

  if (summary.judgeCalibration) {
    lines.push('## Judge calibration', '', md(calibrationSentence(summary.judgeCalibration)), '', md(CALIBRATION_GUIDE), '');
  }

  lines.push(
    '## How to read this',
    '',
    '- The recommended setting is the cheapest (tokens per request) of those statistically tied with the best; ' +
      "the best is re-selected inside each bootstrap resample, so the winner's curse does not penalize cheaper cells.",
    `- ${md(settingsLine(summary.settings))}. Paired tests over items (exact McNemar, or a sign-flip randomization test); ` +
      'each label rests on one-sided checks at its share of alpha (listed under the curve in summary.json), so a label is wrong with probability at most alpha; descriptive comparisons are Holm-adjusted within their own family.',
    ...(Object.keys(LABEL_MEANINGS) as (keyof typeof LABEL_MEANINGS)[]).map((l) => `- **${l}**: ${md(LABEL_MEANINGS[l])}`),
    "- Accuracy counts answer failures (empty, truncated, unparseable, refused replies: the model's answer to the prompt; and a scorer module's failures) as wrong and leaves provider failures (rate limits, server errors, timeouts: the API's) out; both are also counted apart by kind.",
    '- Accuracy among parsed replies is a secondary figure; end-to-end accuracy counts provider failures as 0 too.',
    `- ${md(summary.intervalMethod)} n is the number of distinct items.`,
    "- The k = 0 (zero-shot) row is shared by every selector's curve.",
    ...(summary.settings.sequential
      ? [
          `- Adaptive sampling: items entered in looks of ${md(summary.settings.sequential.looks.join(', '))} items; a curve stopped taking items at the look where its label was decided ("decided at items"), and every label check ran at the group-sequential level for these looks, so a label is still wrong with probability at most alpha over all looks. A curve still inconclusive ran to the last look, except its settled cells: cells before the reference k shown more than delta below the curve's best, which matter neither to the label nor to the advice, stopped at the look that settled them.`,
        ]
      : []),
    '',
  );
  return lines.join('\n');
}
