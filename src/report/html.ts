import type { RunSummary } from '../analysis/summary.js';
import type { RunInfo } from '../runner/run-info.js';
import { vegaBrowserScripts } from './assets.js';
import { accuracyChartSpec } from './chart.js';
import { escapeHtml as h, escapeInlineScript, jsonForScript } from './escape.js';
import { formatDuration } from './format.js';
import { cellColumns } from './table.js';

const CSS = `
:root { color-scheme: light; --fg: #1f2328; --muted: #59636e; --line: #d1d9e0; --bg-alt: #f6f8fa; --warn: #9a6700; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1200px; padding: 24px; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); }
h1 { font-size: 1.5rem; margin: 0 0 4px; }
h2 { font-size: 1.15rem; margin: 28px 0 8px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
.muted { color: var(--muted); }
.status { margin: 4px 0 16px; }
.status .badge { display: inline-block; padding: 0 8px; border-radius: 10px; font-size: 0.85rem; font-weight: 600; background: #dafbe1; color: #116329; }
.status .badge.partial, .status .badge.running { background: #fff8c5; color: var(--warn); }
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
`;

/**
 * report.html: one self-contained file that opens offline from disk (file://). The vega, vega-lite
 * and vega-embed browser builds and the data are inlined; nothing is fetched.
 */
export function renderReportHtml(summary: RunSummary, runInfo: RunInfo): string {
  const scripts = vegaBrowserScripts();
  const spec = accuracyChartSpec(summary);
  const title = `${summary.experimentName} — ${summary.runId}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
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
<h2>Accuracy vs shots</h2>
<div id="chart" role="img" aria-label="${h(`Accuracy vs shots for ${summary.curves.length} series`)}"></div>
<noscript><p class="notices">The chart needs JavaScript (everything it needs is inside this file). The table below has every number.</p></noscript>
<h2>Cells</h2>
${cellTable(summary)}
<h2>How to read this</h2>
<ul>
<li><strong>Accuracy</strong> is measured over <em>answered</em> trials only: what the model knows when it gives a readable answer.</li>
<li><strong>Failures</strong> (provider errors, empty outputs, truncated outputs, unparseable outputs) are counted apart and never scored as wrong answers. <strong>End-to-end</strong> accuracy counts them as 0: what a user of the whole pipeline would get.</li>
<li>Intervals are <strong>95% Wilson intervals on item means</strong>: repeats of the same item are averaged first, so n is the number of distinct items, not trials. For graded scores and repeated items this interval is conservative.</li>
${(summary.task.measures ?? []).map((m) => `<li><strong>${h(m.label)}</strong>: ${h(m.description)} (over answered trials, same interval).</li>`).join('')}
<li>The k = 0 (zero-shot) point is shared by every selector's curve: with no shots there is nothing to select.</li>
<li>Overlapping intervals mean the difference may be noise; more items narrow them, more repeats of the same items barely do.</li>
</ul>
<h2>Run</h2>
${runDetails(summary, runInfo)}
<footer>Generated ${h(summary.generatedAt)} by ${h(runInfo.tool.name)} ${h(runInfo.tool.version)}. ${h(summary.intervalMethod)}</footer>
<script>${escapeInlineScript(scripts.vega)}</script>
<script>${escapeInlineScript(scripts.vegaLite)}</script>
<script>${escapeInlineScript(scripts.vegaEmbed)}</script>
<script type="application/json" id="fewshot-chart-spec">${jsonForScript(spec)}</script>
<script>
(function () {
  var el = document.getElementById('chart');
  try {
    var spec = JSON.parse(document.getElementById('fewshot-chart-spec').textContent);
    vegaEmbed(el, spec, { actions: false, renderer: 'svg' }).catch(function (e) {
      el.textContent = 'The chart could not be drawn: ' + e;
    });
  } catch (e) {
    el.textContent = 'The chart could not be drawn: ' + e;
  }
})();
</script>
</body>
</html>
`;
}

function statusLine(s: RunSummary): string {
  const duration = formatDuration(s.startedAt, s.endedAt);
  const parts = [
    `${s.totals.trials} trials recorded (${s.completedTrials} of ${s.plannedTrials} planned)`,
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
  if (s.cells.length === 0) return '<p class="muted">No trials recorded.</p>';
  const columns = cellColumns(s.task.measures ?? []);
  const cls = (numeric?: boolean) => (numeric ? ' class="num"' : '');
  const head = columns.map((c) => `<th${cls(c.numeric)}>${h(c.header)}</th>`).join('');
  const rows = s.cells.map((cell) => {
    const tds = columns.map((c) => `<td${cls(c.numeric)}>${h(c.value(cell))}</td>`);
    return `<tr>${tds.join('')}</tr>`;
  });
  return `<div class="table-wrap"><table><thead><tr>${head}</tr></thead><tbody>\n${rows.join('\n')}\n</tbody></table></div>`;
}

function runDetails(s: RunSummary, runInfo: RunInfo): string {
  const providers = s.providers
    .map((p) => {
      const what = p.status === 'skipped' ? `skipped${p.reason ? `: ${p.reason}` : ''}` : `ran${p.model ? ` (${p.model})` : ''}`;
      return `${p.id} ${what}`;
    })
    .join('; ');
  const git = runInfo.git.commit
    ? `${runInfo.git.commit}${runInfo.git.dirty ? ' (uncommitted changes)' : ''}`
    : 'unknown';
  const rows: [string, string][] = [
    ['experiment', `${s.experimentName} (${runInfo.experiment.path})`],
    ['task', `${s.task.type}: ${s.task.evalItems} evaluation items, pool of ${s.task.poolSize} examples`],
    ['baseline (local)', s.task.baseline],
    ['providers', providers || 'none'],
    ['seed', String(runInfo.seed)],
    ['started', s.startedAt],
    ['ended', s.endedAt ?? 'not recorded'],
    ['git commit', git],
  ];
  return `<dl>${rows.map(([k, v]) => `<dt>${h(k)}</dt><dd>${h(v)}</dd>`).join('')}</dl>`;
}
