import { analysisOptions } from '../analysis/options.js';
import { loadPriceTable } from '../analysis/index.js';
import type { SampledTrial } from '../analysis/accumulate.js';
import { FAILURE_OUTCOMES, type Advice, type RunSummary } from '../records/summary.js';
import { points } from '../util/format-numbers.js';
import { CALIBRATION_GUIDE, calibrationSentence } from './calibration.js';
import { confusionViews } from './confusion.js';
import type { RunInfo } from '../records/run-info.js';
import { createHash } from 'node:crypto';
import { SAMPLE_ITEMS, SAMPLE_REPEATS, SAMPLE_TEXT_LIMIT } from '../analysis/accumulate.js';
import { canonicalJson, sha256 } from '../util/hash.js';
import { reportScripts } from './assets.js';
import { buildReportCharts, FINETUNE_CHART_ID, type ReportChart } from './charts/index.js';
import { PAGE_SCRIPT } from './page-script.js';
import { escapeHtml as h, escapeInlineScript, jsonForScript } from './escape.js';
import { formatCount, formatDifference, formatDuration, pct } from './format.js';
import { cellColumns, collapseColumns, curveColumns, failureColumns, type Column } from './table.js';
import {
  adviceAccuracy,
  COLLAPSE_MEANINGS,
  costRows,
  decisionTitle,
  failureRates,
  FAILURE_NAMES,
  fineTuneCardRows,
  fineTuneTableRows,
  type FineTuneRow,
  LABEL_MEANINGS,
  priceCurrency,
  recommendationText,
  settingsLine,
} from './verdict.js';

const CSS = `
:root { color-scheme: light; --fg: #1f2328; --muted: #59636e; --line: #d1d9e0; --bg-alt: #f6f8fa; --warn: #9a6700; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1200px; padding: 24px; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); }
h1 { font-size: 1.5rem; margin: 0 0 4px; }
h2 { font-size: 1.15rem; margin: 28px 0 8px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
.muted { color: var(--muted); }
.status { margin: 4px 0 16px; }
.status .badge { display: inline-block; padding: 0 8px; border-radius: 10px; font-size: 0.85rem; font-weight: 600; background: #dafbe1; color: #116329; }
.status .badge.partial, .status .badge.running, .status .badge.interrupted { background: #fff8c5; color: var(--warn); }
.notices { background: #fff8c5; border: 1px solid #d4a72c66; border-radius: 6px; padding: 8px 12px 8px 28px; margin: 0 0 16px; }
#chart { min-height: 200px; }
.table-wrap { overflow-x: auto; border: 1px solid var(--line); border-radius: 6px; }
table { border-collapse: collapse; width: 100%; font-size: 0.85rem; }
th, td { padding: 4px 8px; border-bottom: 1px solid var(--line); text-align: left; white-space: nowrap; }
th { background: var(--bg-alt); position: sticky; top: 0; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
tbody tr:nth-child(even) { background: #fbfcfd; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 0; }
dt { color: var(--muted); }
dd { margin: 0; }
footer { margin-top: 32px; font-size: 0.8rem; color: var(--muted); }
td.wrap { white-space: normal; min-width: 18rem; }
.badge { display: inline-block; padding: 0 8px; border-radius: 10px; font-size: 0.8rem; font-weight: 600; background: #eaeef2; color: var(--fg); white-space: nowrap; }
.badge.keep-few-shot, .badge.plateau, .badge.stable { background: #dafbe1; color: #116329; }
.badge.fine-tune, .badge.peak-regression, .badge.selection-collapse, .badge.flagged { background: #ffebe9; color: #a40e26; }
.badge.extend-sweep, .badge.improving { background: #ddf4ff; color: #0550ae; }
.badge.no-benefit { background: #fbefff; color: #6e40c9; }
.badge.inconclusive { background: #fff8c5; color: var(--warn); }
.verdicts { display: grid; grid-template-columns: repeat(auto-fit, minmax(340px, 1fr)); gap: 16px; margin: 16px 0 8px; }
.verdict { border: 1px solid var(--line); border-radius: 8px; padding: 12px 16px; }
.verdict h3 { margin: 0; font-size: 1rem; }
.verdict .decision { font-size: 1.05rem; padding: 2px 12px; margin: 8px 0 4px; }
.verdict .pick { font-size: 1.2rem; font-weight: 600; margin: 4px 0 0; }
.verdict .accuracy { margin: 0 0 8px; font-variant-numeric: tabular-nums; }
.verdict table { width: auto; max-width: 100%; margin: 4px 0; }
/* Row labels wrap, so the card's tables stay inside narrow cards (three side by side). */
.verdict th[scope="row"] { white-space: normal; }
.verdict th { position: static; }
.verdict ul { margin: 8px 0 0; padding-left: 20px; font-size: 0.9rem; }
.verdict .target { margin: 0; }
.verdict table.finetune { margin-top: 8px; }
.verdict table.finetune th, .verdict table.finetune td { white-space: normal; position: static; vertical-align: top; }
.verdict table.finetune th { font-weight: normal; color: var(--muted); }
table.finetune-table th { position: static; }
figure.chart { margin: 12px 0 20px; }
figure.chart figcaption { font-size: 0.9rem; margin-bottom: 4px; }
.chart-view { min-height: 120px; overflow-x: auto; }
.filters { display: flex; flex-wrap: wrap; gap: 8px 16px; align-items: center; margin: 8px 0; font-size: 0.9rem; }
#drilldown td.output { white-space: pre-wrap; font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 0.8rem; min-width: 16rem; max-width: 32rem; }
#drilldown tr.outcome-wrong td, #drilldown tr.outcome-partial td { background: #fff8f0; }
#drilldown tr.outcome-provider_error td, #drilldown tr.outcome-empty td, #drilldown tr.outcome-truncated td, #drilldown tr.outcome-parse_failure td, #drilldown tr.outcome-refusal td, #drilldown tr.outcome-scorer_failure td { background: #ffebe9; }
h3 { font-size: 1rem; margin: 20px 0 6px; }
.flagged-list { background: #ffebe9; border: 1px solid #ff818266; border-radius: 6px; padding: 8px 12px 8px 28px; margin: 0 0 12px; }
`;

/**
 * report.html: one self-contained file that opens offline from disk (file://). The charts are
 * Vega-Lite specs compiled to Vega in Node, so the page inlines only vega and its CSP-safe expression
 * interpreter; the data and the drill-down's sampled trials are embedded as JSON; nothing is fetched.
 * A Content-Security-Policy allows exactly the page's own inline scripts (by hash) and no network.
 */
export function renderReportHtml(summary: RunSummary, runInfo: RunInfo, samples: readonly SampledTrial[] = []): string {
  const scripts = reportScripts();
  // The experiment's own prices, as the advice used them: summary.json records only where a price came from.
  const charts = buildReportCharts(summary, analysisOptions(runInfo.config, runInfo.seed, {}));
  const title = `${summary.experimentName} — ${summary.runId}`;
  const code = [escapeInlineScript(scripts.vega), escapeInlineScript(scripts.interpreter), escapeInlineScript(PAGE_SCRIPT)];
  const chartData = jsonForScript(charts.map((c) => ({ id: c.id, vega: c.vega })));
  const sampleData = jsonForScript(samples);
  // The fine-tune chart is drawn in the verdict section, beside its tables.
  const bySection = (section: ReportChart['section']) =>
    charts
      .filter((c) => c.section === section && c.id !== FINETUNE_CHART_ID)
      .map(figure)
      .join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${h(contentSecurityPolicy(code))}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${h(title)}</title>
<style>${CSS}</style>
</head>
<body>
<header>
<h1>${h(summary.experimentName)} <span class="muted">${h(summary.runId)}</span></h1>
${statusLine(summary)}
</header>
${notices(summary)}
<section id="verdict">
<h2>Verdict: keep few-shot or fine-tune?</h2>
${verdictCards(summary)}
${fineTuneSection(summary, charts)}
</section>
<section id="curves">
<h2>Accuracy vs shots</h2>
<noscript><p class="notices">The charts need JavaScript (everything they need is inside this file); static copies are in the run's charts/ folder. The tables have every number.</p></noscript>
${bySection('curves')}
${table(summary.curves, curveColumns({ adaptive: summary.settings.sequential !== undefined }), 'No curves were summarized.')}
</section>
${confusionViews(summary)
  .map((v) => `<section class="confusion"><h2>Confusion: ${h(v.title)}</h2>\n${table(v.rows, v.columns, 'No answered trials.')}</section>`)
  .join('\n')}
<section id="selection">
<h2>Selection: does the gain survive a change of selector?</h2>
${bySection('selection')}
${table(summary.collapse, collapseColumns(), 'No selection check: it needs more than one selector.')}
</section>
<section id="operations">
<h2>Operations: failures, latency, tokens, cost, cache</h2>
${bySection('operations')}
<h3>Failure trends</h3>
${failures(summary)}
<h3>Cells</h3>
${cellTable(summary)}
</section>
${drilldown(summary, samples)}
<section id="methodology">
<h2>Methodology</h2>
${methodology(summary, runInfo)}
<h3>How to read this</h3>
${howToRead(summary)}
</section>
<footer>Generated ${h(summary.generatedAt)} by ${h(runInfo.tool.name)} ${h(runInfo.tool.version)}.</footer>
<script>${code[0]}</script>
<script>${code[1]}</script>
<script type="application/json" id="fewshot-charts">${chartData}</script>
<script type="application/json" id="fewshot-samples">${sampleData}</script>
<script>${code[2]}</script>
</body>
</html>
`;
}

/**
 * Scripts run only when their hash is listed (the inline library code and the page's own script);
 * JSON data blocks are not scripts. No fetch, no frame, no form, no base: the page is inert beyond
 * drawing itself. Styles are inline (`style-src 'unsafe-inline'`); images only from the page itself.
 */
export function contentSecurityPolicy(inlineScripts: readonly string[]): string {
  const hashes = inlineScripts.map((code) => `'sha256-${createHash('sha256').update(code, 'utf8').digest('base64')}'`);
  return [
    "default-src 'none'",
    `script-src ${hashes.join(' ')}`,
    "style-src 'unsafe-inline'",
    "img-src 'self' data:",
    "connect-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
}

function figure(chart: ReportChart): string {
  return `<figure class="chart" data-chart="${h(chart.id)}">
<figcaption><strong>${h(chart.title)}</strong> <span class="muted">${h(chart.description)}</span></figcaption>
<div class="chart-view" role="img" aria-label="${h(chart.title)}"></div>
<noscript><img src="charts/${h(chart.id)}.svg" alt="${h(chart.title)}"></noscript>
</figure>`;
}

/** The sampled trials behind the numbers, filled in by the page script (textContent only). */
function drilldown(summary: RunSummary, samples: readonly SampledTrial[]): string {
  const items = new Set(samples.map((t) => `${t.provider}\u0000${t.itemId}`)).size;
  const intro =
    samples.length === 0
      ? '<p class="muted">No trials to show.</p>'
      : `<p class="muted">${h(
          `${formatCount(samples.length)} of ${formatCount(summary.totals.trials)} trials: every cell's trials of the same ${SAMPLE_ITEMS} evaluation items per provider ` +
            `(${items} in all, chosen by a hash of the item id, so one item can be followed across k and selectors), up to ${SAMPLE_REPEATS} repeats each; ` +
            `outputs are cut at ${SAMPLE_TEXT_LIMIT} characters. trials.jsonl has every trial in full.`,
        )}</p>`;
  const select = (name: string, label: string, extra = '') =>
    `<label>${h(label)} <select name="${name}"><option value="">all</option>${extra}</select></label>`;
  const outcomes = ['right', 'wrong', 'partial', 'failed', ...FAILURE_OUTCOMES].map((o) => `<option value="${o}">${o}</option>`).join('');
  const headers = ['provider', 'selector', 'k', 'item', 'repeat', 'shots', 'outcome', 'score', 'raw output', 'parsed answer', 'error', 'latency'];
  const numeric = new Set(['k', 'repeat', 'score', 'latency']);
  return `<section id="drilldown">
<h2>Drill-down: the answers behind the numbers</h2>
${intro}
<div class="filters">${select('provider', 'provider')} ${select('selector', 'selector')} ${select('k', 'k')} ${select('outcome', 'outcome', outcomes)}
<label>search <input name="text" type="search" placeholder="item, shot, output, error"></label>
<button name="prev" type="button">previous</button> <button name="next" type="button">next</button> <span class="page-info muted"></span></div>
<div class="table-wrap"><table><thead><tr>${headers.map((c) => `<th${numeric.has(c) ? ' class="num"' : ''}>${c}</th>`).join('')}</tr></thead><tbody></tbody></table></div>
</section>`;
}

/** What a sceptic needs to reproduce the numbers: sample sizes, settings, seeds, versions, warnings. */
function methodology(s: RunSummary, runInfo: RunInfo): string {
  const scoredItems = s.curves.flatMap((c) => c.points.map((p) => p.nScoredItems));
  const trialsPerCell = s.cells.map((c) => c.nTrials);
  const range = (xs: number[]) => (xs.length > 0 ? `${Math.min(...xs)}-${Math.max(...xs)}` : 'none');
  const rows: [string, string][] = [
    [
      'sample sizes',
      `${formatCount(s.totals.trials)} trials (${formatCount(s.totals.answered)} answered) in ${s.cells.length} cells; ${s.task.evalItems} evaluation items; ` +
        `items the model answered per curve point: ${range(scoredItems)}; trials per cell: ${range(trialsPerCell)}; repeats: ${(runInfo.config as { repeats?: number } | null)?.repeats ?? 'n/a'}`,
    ],
    [
      'alpha',
      `${s.settings.alpha} for each claim (a curve's label, a collapse verdict, the advice's tied set); descriptive comparisons: Holm over ${s.testCount} tests`,
    ],
    ['delta (practical margin)', `${points(s.settings.delta)} points`],
    ['confidence level', pct(s.confidenceLevel, 0)],
    ['bootstrap / randomization resamples', formatCount(s.settings.resamples)],
    ['seeds', `experiment ${runInfo.seed}; analysis ${s.settings.seed}`],
    ['config hash', `sha256:${sha256(canonicalJson(runInfo.config)).slice(0, 16)} (of the resolved experiment in run.json)`],
    ['tool', `${runInfo.tool.name} ${runInfo.tool.version}`],
    ...(s.judgeCalibration ? [['judge calibration', `${calibrationSentence(s.judgeCalibration)} ${CALIBRATION_GUIDE}`] as [string, string]] : []),
  ];
  const warnings = [
    ...(s.status !== 'complete' ? [`The run is ${s.status}: ${s.completedTrials} of ${s.plannedTrials} planned trials were recorded.`] : []),
    ...s.notices,
  ];
  return `<dl>${[...rows, ...runDetails(s, runInfo)].map(([k, v]) => `<dt>${h(k)}</dt><dd>${h(v)}</dd>`).join('')}</dl>
<h3>Warnings</h3>
${warnings.length > 0 ? `<ul class="notices">${warnings.map((w) => `<li>${h(w)}</li>`).join('')}</ul>` : '<p class="muted">None: every planned trial ran and no provider was skipped.</p>'}`;
}

/** The reading guide: verdicts, statistics, labels, costs, failures, intervals. */
function howToRead(s: RunSummary): string {
  return `<ul>
<li><strong>The verdict</strong> per provider: <em>keep few-shot</em> (at the selector and k shown), <em>fine-tune</em> (a stated target is missed even at the upper end of the best interval and more shots will not help), <em>extend the sweep</em> (accuracy is still rising at the largest k), or <em>inconclusive</em> (more items needed). The recommended setting is the cheapest, in tokens per request, of those statistically tied with the best.</li>
<li><strong>Statistics</strong>: ${h(settingsLine(s.settings))}. Cells are compared with <strong>paired tests</strong> over the same items: McNemar's exact test for one 0/1 score per item, a sign-flip randomization test over items otherwise. Each curve's label rests on one-sided checks, each at a fixed <strong>share of alpha</strong> (a fixed sequence over candidate knees, a split over data-picked pairs), so alpha bounds the chance that the label is wrong; the descriptive comparisons in the tables are <strong>Holm</strong>-adjusted within their own family. The best cell is chosen again inside each bootstrap resample, so the <strong>winner's curse</strong> (the best of many noisy cells looks better than it is) does not make cheaper cells look worse than they are.</li>
<li><strong>Curve labels</strong>: ${(Object.keys(LABEL_MEANINGS) as (keyof typeof LABEL_MEANINGS)[]).map((l) => `<span class="badge ${h(l)}">${h(l)}</span> ${h(LABEL_MEANINGS[l])}`).join(' ')}</li>
<li><strong>Selection</strong>: ${(Object.keys(COLLAPSE_MEANINGS) as (keyof typeof COLLAPSE_MEANINGS)[]).map((l) => `<span class="badge ${h(l)}">${h(l)}</span> ${h(COLLAPSE_MEANINGS[l])}`).join(' ')}</li>
<li><strong>Failure trends</strong> (a failure rate that rises with k, e.g. truncated outputs as prompts grow) are reported beside the accuracy labels: a rising rate of provider failures is an operational finding kept out of accuracy; a rising rate of answer failures (empty, truncated, unparseable, refused, scorer failures) is part of what accuracy measures.</li>
<li><strong>Costs</strong> are mean tokens per request (in + out) times list prices; ${h(priceNote())} An experiment's <code>prices:</code> wins over the table.</li>
<li><strong>Accuracy</strong> is measured over <em>answered</em> trials only: what the model knows when it gives a readable answer.</li>
<li><strong>Failures</strong> (provider errors, empty outputs, truncated outputs, unparseable outputs) are counted apart and never scored as wrong answers. <strong>End-to-end</strong> accuracy counts them as 0: what a user of the whole pipeline would get.</li>
<li>Intervals are <strong>95% intervals with items as the unit</strong>: repeats of the same item are averaged first, so n is the number of distinct items, not trials. ${h(s.intervalMethod)}</li>
${(s.task.measures ?? []).map((m) => `<li><strong>${h(m.label)}</strong>: ${h(m.description)} (over answered trials, same interval).</li>`).join('')}
<li>The k = 0 (zero-shot) point is shared by every selector's curve: with no shots there is nothing to select.</li>
<li>Overlapping intervals mean the difference may be noise (the paired tests above are sharper than comparing intervals by eye); more items narrow them, more repeats of the same items barely do.</li>
</ul>`;
}

function statusLine(s: RunSummary): string {
  const duration = formatDuration(s.startedAt, s.endedAt);
  const parts = [
    `${s.totals.trials} trials recorded (${s.totals.trials} of ${s.plannedTrials} planned${s.completedTrials !== s.totals.trials ? `; run.json counts ${s.completedTrials} completed` : ''})`,
    `${s.totals.answered} answered`,
    `started ${s.startedAt}`,
  ];
  if (duration) parts.push(`took ${duration}`);
  return `<p class="status"><span class="badge ${h(s.status)}">${h(s.status)}</span> ${parts.map(h).join(' · ')}</p>`;
}

function notices(s: RunSummary): string {
  if (s.notices.length === 0) return '';
  return `<ul class="notices">${s.notices.map((n) => `<li>${h(n)}</li>`).join('')}</ul>`;
}

function cellTable(s: RunSummary): string {
  return table(
    s.cells,
    cellColumns(s.task.measures ?? [], {
      scorerFailures: s.totals.failures.scorer_failure > 0,
      reasoning: s.cells.some((c) => c.meanReasoningTokens !== undefined),
      promptCache: s.cells.some((c) => c.cacheSavings !== undefined),
    }),
    'No trials recorded.',
  );
}

/** A table from shared column definitions; every value is escaped. */
function table<T>(rows: readonly T[], columns: readonly Column<T>[], emptyText: string): string {
  if (rows.length === 0) return `<p class="muted">${h(emptyText)}</p>`;
  const cls = (c: Column<T>) => (c.numeric ? ' class="num"' : c.wrap ? ' class="wrap"' : '');
  const head = columns.map((c) => `<th${c.numeric ? ' class="num"' : ''}>${h(c.header)}</th>`).join('');
  const body = rows.map((row) => {
    const tds = columns.map((c) => {
      const value = c.value(row);
      return `<td${cls(c)}>${c.badge ? `<span class="badge ${h(value)}">${h(value)}</span>` : h(value)}</td>`;
    });
    return `<tr>${tds.join('')}</tr>`;
  });
  return `<div class="table-wrap"><table><thead><tr>${head}</tr></thead><tbody>\n${body.join('\n')}\n</tbody></table></div>`;
}

/** One card per provider: the decision, the setting, its accuracy with interval and n, its cost vs zero-shot, why. */
function verdictCards(s: RunSummary): string {
  if (s.advice.length === 0) {
    return '<p class="muted">No verdict: nothing was answered, so there is nothing to compare.</p>';
  }
  const currency = priceCurrency();
  const target = s.target !== null ? `<p class="target muted">target: ${h(pct(s.target))} accuracy</p>` : '';
  return `<div class="verdicts">\n${s.advice.map((a) => verdictCard(s, a, currency, target)).join('\n')}\n</div>`;
}

function verdictCard(s: RunSummary, a: Advice, currency: string, target: string): string {
  const model = s.providers.find((p) => (p.label ?? p.id) === a.provider)?.model ?? null;
  const costs = costRows(a, currency)
    .map((r) => `<tr><th scope="row">${h(r.what)}</th><td class="num">${h(r.recommended)}</td><td class="num">${h(r.zeroShot)}</td></tr>`)
    .join('');
  const price = a.priceSource ? `<p class="muted">prices: ${h(a.priceSource)}</p>` : '';
  return `<article class="verdict" data-provider="${h(a.provider)}" data-decision="${h(a.decision)}">
<h3>${h(a.provider)}${model && model !== a.provider ? ` <span class="muted">${h(model)}</span>` : ''}</h3>
<span class="badge decision ${h(a.decision)}">${h(decisionTitle(a))}</span>
<p class="pick">${h(recommendationText(a))}</p>
<p class="accuracy">accuracy ${h(adviceAccuracy(a))}</p>
${target}
<table><thead><tr><th></th><th class="num">recommended</th><th class="num">zero-shot</th></tr></thead><tbody>${costs}</tbody></table>
${price}
${fineTuneTable(fineTuneCardRows(a), 'finetune')}
<ul class="reasons">${a.reasons.map((r) => `<li>${h(r)}</li>`).join('')}</ul>
</article>`;
}

/** Rows of what/value as a two-column table ('' without rows); `wrap`: long values wrap in a wide cell. */
function fineTuneTable(rows: readonly FineTuneRow[], cls: string, wrap = false): string {
  if (rows.length === 0) return '';
  const body = rows.map((r) => `<tr><th scope="row">${h(r.what)}</th><td${wrap ? ' class="wrap"' : ''}>${h(r.value)}</td></tr>`).join('');
  return `<table class="${h(cls)}"><tbody>${body}</tbody></table>`;
}

/** "Keep few-shot or fine-tune?": per provider with a fine-tune block, its table, then the cost-by-volume chart. */
function fineTuneSection(s: RunSummary, charts: readonly ReportChart[]): string {
  const priced = s.advice.filter((a) => a.fineTune);
  if (priced.length === 0) return '';
  const tables = priced.map(
    (a) =>
      `<h3>Keep few-shot or fine-tune? <span class="muted">${h(a.provider)}</span></h3>\n<div class="table-wrap finetune" data-provider="${h(a.provider)}">${fineTuneTable(fineTuneTableRows(a), 'finetune-table', true)}</div>`,
  );
  return [...tables, ...charts.filter((c) => c.id === FINETUNE_CHART_ID).map(figure)].join('\n');
}

/** Flagged failure trends first and prominent, then every trend tested. */
function failures(s: RunSummary): string {
  if (s.failureTrends.length === 0) return '<p class="muted">No failure trends were tested.</p>';
  const flagged = s.failureTrends.filter((t) => t.flagged);
  const list =
    flagged.length > 0
      ? `<ul class="flagged-list">${flagged
          .map(
            (t) =>
              `<li><span class="badge flagged">rises with k</span> <strong>${h(FAILURE_NAMES[t.kind])}</strong> for ${h(t.provider)} / ${h(t.selector)}: ${h(failureRates(t))}; ${h(formatDifference(t.estimate, t.ciLow, t.ciHigh))}. ${h(t.detail)}</li>`,
          )
          .join('')}</ul>`
      : '<p class="muted">No failure rate is shown to rise with k.</p>';
  return `${list}\n${table(s.failureTrends, failureColumns(), '')}`;
}

function priceNote(): string {
  try {
    const t = loadPriceTable();
    return `the table is as of ${t.asOf} (${t.currency} ${t.unit}; ${t.source}).`;
  } catch (e) {
    return `the price table could not be read (${(e as Error).message}).`;
  }
}

/** The snapshots each provider's API said answered (a silent model update shows as two), as one methodology row. */
function snapshotRows(s: RunSummary): [string, string][] {
  const listed = s.providers.filter((p) => p.snapshots !== undefined);
  if (listed.length === 0) return [];
  const text = listed
    .map(
      (p) =>
        `${p.label ?? p.id}: ${Object.entries(p.snapshots!)
          .map(([name, n]) => `${name} (${n} trial${n === 1 ? '' : 's'})`)
          .join(', ')}`,
    )
    .join('; ');
  return [['model snapshots', text]];
}

/** The run's identity: experiment, task, providers, seed, times, commit (rows of the methodology list). */
function runDetails(s: RunSummary, runInfo: RunInfo): [string, string][] {
  const providers = s.providers
    .map((p) => {
      const what = p.status === 'skipped' ? `skipped${p.reason ? `: ${p.reason}` : ''}` : `ran${p.model ? ` (${p.model})` : ''}`;
      return `${p.label !== undefined ? `${p.label} (${p.id})` : p.id} ${what}`;
    })
    .join('; ');
  const git = runInfo.git.commit ? `${runInfo.git.commit}${runInfo.git.dirty ? ' (uncommitted changes)' : ''}` : 'unknown';
  const rows: [string, string][] = [
    ['experiment', `${s.experimentName} (${runInfo.experiment.path})`],
    ['task', `${s.task.type}: ${s.task.evalItems} evaluation items, pool of ${s.task.poolSize} examples`],
    ['baseline (local)', s.task.baseline],
    ['providers', providers || 'none'],
    ...snapshotRows(s),
    ...(s.settings.sequential
      ? ([
          [
            'sampling',
            `adaptive: looks at ${s.settings.sequential.looks.join(', ')} items; a curve stops at the look its label is decided (see "decided at items"), and a cell of an undecided curve once it no longer matters ("settled": before the reference k and shown more than delta below the curve's best), every label check at the group-sequential level for these looks`,
          ],
        ] as [string, string][])
      : []),
    ['seed', String(runInfo.seed)],
    ['started', s.startedAt],
    ['ended', s.endedAt ?? 'not recorded'],
    ['git commit', git],
  ];
  return rows;
}
