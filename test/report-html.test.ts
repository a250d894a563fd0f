import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createContext, runInContext, runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { packageDir, reportScripts } from '../src/report/assets.js';
import { escapeHtml, escapeInlineScript, jsonForScript } from '../src/report/escape.js';
import { TrialAccumulator } from '../src/analysis/accumulate.js';
import { renderReportHtml } from '../src/report/html.js';
import { empty, providerError, runInfo, sweep, trial } from './analysis-fixtures.js';
import { fixtureSummary, truncationTrend } from './report-fixtures.js';

const evil = '</script><script>alert(1)</script>';

function report(name = 'demo') {
  const info = runInfo({ experiment: { name, path: 'experiments/x.yaml' } });
  const trials = [
    ...sweep().map((t) => ({
      ...t,
      tokensIn: 100 + 50 * t.k,
      details: { feasible: t.score === 1, optimalityRatio: 0.5 + t.score / 2 },
    })),
    providerError({ itemId: 'z', k: 1 }),
    empty({ itemId: 'z', k: 1, repeat: 1 }),
  ];
  const summary = fixtureSummary(trials, info, {
    labels: { random: 'plateau', similar: 'plateau' },
    target: 0.5,
    requestsPerMonth: 100_000,
    collapse: [
      {
        provider: 'local',
        label: 'stable',
        detail: 'The gain holds with both selectors.',
        k: null,
        gainSelector: null,
        lossSelector: null,
        checks: [],
        selectorTests: [],
      },
    ],
    failureTrends: [
      truncationTrend(),
      truncationTrend({
        selector: 'similar',
        kind: 'parse_failure',
        flagged: false,
        estimate: 0.01,
        ciLow: -0.03,
        ciHigh: 0.05,
        pAdjusted: 0.8,
        detail: 'No rise.',
      }),
    ],
  });
  return renderReportHtml(summary, info);
}

/** Assert on a big page without dumping all of it into the failure message. */
function has(page: string, needle: string | RegExp, expected = true): void {
  const found = typeof needle === 'string' ? page.includes(needle) : needle.test(page);
  expect(found, `${expected ? 'missing' : 'unexpected'}: ${String(needle)}`).toBe(expected);
}

/** The page without the inlined library code, for checks that library internals would trip. */
function markup(html: string): string {
  return html.replace(/(<script[^>]*>)[\s\S]*?<\/script>/gi, '$1</script>');
}

/** The contents of each <script> element, as a browser would split them. */
function scripts(html: string): { type: string | null; body: string }[] {
  return [...html.matchAll(/<script(?: type="([^"]+)")?[^>]*>([\s\S]*?)<\/script>/gi)].map((m) => ({
    type: m[1] ?? null,
    body: m[2]!,
  }));
}

describe('renderReportHtml', () => {
  const html = report();

  it('is self-contained', () => {
    has(html, /src="http/i, false);
    has(html, /href="http/i, false);
    has(html, /<script[^>]+src=/i, false);
    has(html, /<link\b/i, false);
    // CSS could still fetch; library code mentions url( internally, so look at the markup only.
    has(markup(html), /@import|url\(/i, false);
  });

  it('inlines vega and its CSP-safe interpreter only (the charts arrive compiled to Vega)', () => {
    has(html, escapeInlineScript(readFileSync(join(packageDir('vega'), 'build/vega.min.js'), 'utf8')));
    has(html, 'vega.expressionInterpreter = ');
    has(html, 'vega-lite.min.js', false);
    has(html, 'vegaEmbed', false);
  });

  it('has a Content-Security-Policy that allows exactly its own inline scripts and no network', () => {
    const csp = html.match(/<meta http-equiv="Content-Security-Policy" content="([^"]+)">/)![1]!.replace(/&#39;/g, "'");
    expect(csp).toMatch(/default-src 'none'/);
    expect(csp).toMatch(/connect-src 'none'/);
    expect(csp).not.toMatch(/unsafe-eval|unsafe-inline'[^;]*script|script-src[^;]*unsafe-inline/);
    const allowed = [...csp.matchAll(/'sha256-([^']+)'/g)].map((m) => m[1]);
    const executable = scripts(html).filter((p) => p.type === null);
    expect(executable).toHaveLength(3);
    expect(allowed).toEqual(executable.map((p) => createHash('sha256').update(p.body, 'utf8').digest('base64')));
    const { vega, interpreter } = reportScripts();
    const inlined = Buffer.byteLength(vega) + Buffer.byteLength(interpreter);
    console.log(
      `report.html: ${executable.length} inline scripts allowed by sha256 hash; vega + vega-interpreter inlined: ${(inlined / 1e6).toFixed(2)} MB (${inlined} bytes)`,
    );
  });

  it('carries the data and the page sections', () => {
    const charts = JSON.parse(scripts(html)[2]!.body) as { id: string }[];
    expect(charts.map((c) => c.id)).toContain('curves-local');
    for (const c of charts) has(html, `<figure class="chart" data-chart="${c.id}">`);
    has(html, '<title>demo — run-1</title>');
    has(html, 'openai:gpt-4o-mini skipped: set OPENAI_API_KEY to run it');
    has(html, '<noscript>');
    has(html, 'How to read this');
    has(html, 'feasible [95% CI] n');
    has(html, 'the route meets every window');
    expect(html).not.toContain('optimalityRatio'); // a detail the task does not declare as a measure
    has(html, '1 (rate_limit: 1)');
    has(html, /complete<\/span> 44 trials recorded/);
  });

  it('opens with one verdict card per provider, before the chart and the tables', () => {
    const cards = [...html.matchAll(/<article class="verdict" data-provider="([^"]+)" data-decision="([^"]+)">([\s\S]*?)<\/article>/g)];
    expect(cards.map((c) => [c[1], c[2]])).toEqual([['local', 'keep-few-shot']]);
    const card = cards[0]![3]!;
    // Three items tie everything down to zero-shot: the cheapest cell tied with the best.
    has(card, '<span class="badge decision keep-few-shot">Keep zero-shot</span>');
    has(card, '<p class="pick">zero-shot (k=0)</p>');
    has(card, 'Zero-shot is enough: it is statistically tied with the best setting, so shots buy nothing measurable');
    has(card, /accuracy \d+\.\d% \[\d+\.\d, \d+\.\d\] n=3 items/);
    has(card, 'tokens per request');
    has(card, 'cost per 1k requests');
    has(card, 'cost per month (100,000 requests)');
    has(card, '$0'); // local is free in the price table
    has(card, 'prices: price table (as of 2025-10-01)');
    has(card, 'target: 50.0% accuracy');
    has(card, 'is the cheapest setting statistically tied with the best');
    has(card, 'Failure rate of truncated outputs rises with k for random');
    const order = [
      'id="verdict"',
      'class="verdict"',
      'data-chart="curves-local"',
      'id="selection"',
      'id="operations"',
      '<h3>Failure trends</h3>',
      '<h3>Cells</h3>',
      'id="drilldown"',
      'id="methodology"',
      'config hash',
      '<h3>Warnings</h3>',
      'How to read this',
    ];
    const at = order.map((needle) => html.indexOf(needle));
    expect(at.every((i) => i >= 0)).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
  });

  it('shows the curves with their labels, the selection check and the failure trends', () => {
    const page = markup(html);
    has(page, '<th>label</th>');
    has(page, /<td><span class="badge plateau">plateau<\/span><\/td>/);
    has(page, 'knee k=1');
    has(page, 'plateau because of the hand-made fixture.');
    has(page, /<span class="badge stable">stable<\/span>/);
    has(page, 'The gain holds with both selectors.');
    // The flagged trend is listed prominently, the unflagged one only in the table.
    const flagged = page.match(/<ul class="flagged-list">([\s\S]*?)<\/ul>/)![1]!;
    has(flagged, 'truncated outputs');
    has(flagged, 'k=0: 2.0% (60) · k=8: 15.0% (60)');
    has(flagged, '+13.0 points [5.0, 21.0]');
    has(flagged, 'parse failures', false);
    has(page, '+1.0 points [-3.0, 5.0]');
  });

  it('explains the statistics and the labels', () => {
    const page = markup(html);
    for (const word of ['alpha = 0.05', 'delta = 5.0%', 'Holm', 'paired tests', 'McNemar', 'sign-flip randomization', "winner's curse", 'resample']) {
      has(page, word);
    }
    for (const label of ['improving', 'plateau', 'peak-regression', 'no-benefit', 'inconclusive']) {
      has(page, `<span class="badge ${label}">${label}</span>`);
    }
  });

  it('runs: the inlined vega and interpreter draw every embedded chart without eval', async () => {
    const parts = scripts(html);
    expect(parts.map((p) => p.type)).toEqual([null, null, 'application/json', 'application/json', null]);
    // A bare global like a browser page's, minus the DOM, where eval and new Function throw, as under the page's CSP.
    const sandbox: Record<string, unknown> = { console, structuredClone, TextEncoder, TextDecoder, URL, setTimeout, clearTimeout, setInterval, clearInterval };
    createContext(sandbox, { codeGeneration: { strings: false, wasm: false } });
    expect(() => runInContext('new Function("return 1")', sandbox)).toThrow();
    for (const p of parts.slice(0, 2)) runInContext(p.body, sandbox);
    expect((sandbox.vega as { expressionInterpreter?: unknown }).expressionInterpreter).toBeTruthy();
    sandbox.chartsText = parts[2]!.body;
    const svgs = (await runInContext(
      `Promise.all(JSON.parse(chartsText).map(function (c) {
        return new vega.View(vega.parse(c.vega, null, { ast: true }), { expr: vega.expressionInterpreter, renderer: 'none' }).toSVG();
      }))`,
      sandbox,
    )) as string[];
    expect(svgs.length).toBeGreaterThan(2);
    for (const svg of svgs) expect(svg).toMatch(/<svg[\s\S]*<path/);
  });

  it('escapes a hostile experiment name and hostile outputs; the drill-down carries them as data', () => {
    const info = runInfo({ experiment: { name: evil, path: 'x.yaml' } });
    const trials = sweep().map((t, i) => (i === 0 ? { ...t, output: evil, itemId: `a${evil}` } : t));
    const summary = fixtureSummary(trials, info);
    const samples = TrialAccumulator.of(trials).samples();
    const page = renderReportHtml(summary, info, samples);
    has(page, '<script>alert(1)', false);
    has(page, '&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;');
    // Exactly the five script elements close: no string ends one early.
    expect(page.match(/<\/script/gi)).toHaveLength(5);
    const carried = JSON.parse(scripts(page)[3]!.body) as { output: string | null; itemId: string }[];
    expect(carried.some((t) => t.output === evil && t.itemId === `a${evil}`)).toBe(true);
  });

  it('the drill-down keeps the same sampled items in every cell, and says how it sampled', () => {
    const trials = sweep();
    const samples = TrialAccumulator.of(trials).samples();
    const cells = new Map<string, Set<string>>();
    for (const t of samples) {
      const key = `${t.selector}/${t.k}`;
      if (!cells.has(key)) cells.set(key, new Set());
      cells.get(key)!.add(t.itemId);
    }
    const sets = [...cells.values()].map((set) => [...set].sort().join(','));
    expect(new Set(sets).size).toBe(1);
    has(html, /Drill-down: the answers behind the numbers/);
  });

  it('escapes provider, selector and notice strings', () => {
    const info = runInfo({ notices: ['<img src=x onerror=alert(1)>'] });
    const summary = fixtureSummary([trial({ provider: '<b>p</b>', selector: 'a"b' })], info, {
      failureTrends: [truncationTrend({ provider: '<b>p</b>', selector: 'a"b', detail: '<i>x</i>' })],
      collapse: [
        { provider: '<b>p</b>', label: 'inconclusive', detail: '<i>y</i>', k: null, gainSelector: null, lossSelector: null, checks: [], selectorTests: [] },
      ],
    });
    expect(summary.advice[0]!.provider).toBe('<b>p</b>');
    const page = renderReportHtml(summary, info);
    has(page, '<img src=x', false);
    has(page, '<b>p</b>', false);
    has(page, '<i>', false);
    has(page, '&lt;b&gt;p&lt;/b&gt;');
    has(page, 'data-provider="&lt;b&gt;p&lt;/b&gt;"');
    has(page, 'a&quot;b');
    has(page, '&lt;i&gt;x&lt;/i&gt;');
  });

  it('says when there is no verdict and no price', () => {
    const info = runInfo({ providers: [{ id: 'openai-compatible:llama', status: 'ran' }] });
    const page = markup(renderReportHtml(fixtureSummary([], info), info));
    has(page, 'No verdict: nothing was answered');
    const priced = fixtureSummary([trial({ provider: 'openai-compatible:llama' })], info);
    const card = markup(renderReportHtml(priced, info));
    has(card, 'no price');
    has(card, 'No price for openai-compatible:llama: add it under prices: in the experiment');
  });
});

describe('escaping helpers', () => {
  it('escapes html', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });

  it('keeps inlined script meaning while breaking </script and <!--', () => {
    const code = 'var s = "</SCRIPT><!--"; var r = /<\\/script>/; var t = `</script>`;';
    const safe = escapeInlineScript(code);
    expect(safe).not.toMatch(/<\/script|<!--/i);
    const a = runInNewContext(`${code}; [s, r.source, t]`);
    const b = runInNewContext(`${safe}; [s, r.source, t]`);
    expect(b[0]).toBe(a[0]);
    expect(b[2]).toBe(a[2]);
  });

  it('json for script round-trips', () => {
    const value = { a: evil, b: '<!-- & \u2028' };
    const text = jsonForScript(value);
    expect(text).not.toMatch(/[<>&\u2028]/);
    expect(JSON.parse(text)).toEqual(value);
  });
});
