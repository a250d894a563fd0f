import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { buildSummary } from '../src/analysis/summary.js';
import { packageDir } from '../src/report/assets.js';
import { escapeHtml, escapeInlineScript, jsonForScript } from '../src/report/escape.js';
import { renderReportHtml } from '../src/report/html.js';
import { empty, providerError, runInfo, sweep, trial } from './analysis-fixtures.js';

const now = new Date('2025-02-03T04:05:06.000Z');
const evil = '</script><script>alert(1)</script>';

function report(name = 'demo') {
  const info = runInfo({ experiment: { name, path: 'experiments/x.yaml' } });
  const trials = [
    ...sweep().map((t) => ({ ...t, details: { feasible: t.score === 1, optimalityRatio: 0.5 + t.score / 2 } })),
    providerError({ itemId: 'z', k: 1 }),
    empty({ itemId: 'z', k: 1, seed: 1 }),
  ];
  return renderReportHtml(buildSummary(trials, info, now), info);
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

  it('inlines the vega, vega-lite and vega-embed browser builds', () => {
    for (const [pkg, file] of [
      ['vega', 'build/vega.min.js'],
      ['vega-lite', 'build/vega-lite.min.js'],
      ['vega-embed', 'build/vega-embed.min.js'],
    ] as const) {
      const code = readFileSync(join(packageDir(pkg), file), 'utf8');
      has(html, escapeInlineScript(code));
    }
    has(html, "vegaEmbed(el, spec, { actions: false, renderer: 'svg' })");
  });

  it('carries the data and the page sections', () => {
    has(html, '"series":"local / random"');
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

  it('runs: the inlined libraries load and compile the embedded spec', () => {
    const parts = scripts(html);
    expect(parts.map((p) => p.type)).toEqual([null, null, null, 'application/json', null]);
    // A bare global like a browser page's, minus the DOM; timers are stubs so nothing outlives the test.
    const noop = () => 0;
    const sandbox: Record<string, unknown> = {
      console,
      structuredClone,
      TextEncoder,
      TextDecoder,
      URL,
      setTimeout: noop,
      clearTimeout: noop,
      setInterval: noop,
      clearInterval: noop,
    };
    for (const p of parts.slice(0, 3)) runInNewContext(p.body, sandbox);
    expect(typeof sandbox.vegaEmbed).toBe('function');
    sandbox.specText = parts[3]!.body;
    const compiled = runInNewContext('vegaLite.compile(JSON.parse(specText)).spec', sandbox) as { marks: unknown[] };
    expect(compiled.marks.length).toBeGreaterThan(0);
  });

  it('escapes a hostile experiment name everywhere', () => {
    const page = report(evil);
    has(page, '<script>alert(1)', false);
    has(page, '&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;');
    // Exactly the five script elements close: the name never ends one early.
    expect(page.match(/<\/script/gi)).toHaveLength(5);
    // And the name survives the trip through the embedded JSON.
    const spec = JSON.parse(scripts(page)[3]!.body) as { description: string };
    expect(spec.description).toContain(evil);
  });

  it('escapes provider, selector and notice strings', () => {
    const info = runInfo({ notices: ['<img src=x onerror=alert(1)>'] });
    const page = renderReportHtml(
      buildSummary([trial({ provider: '<b>p</b>', selector: 'a"b' })], info, now),
      info,
    );
    has(page, '<img src=x', false);
    has(page, '<b>p</b>', false);
    has(page, '&lt;b&gt;p&lt;/b&gt;');
    has(page, 'a&quot;b');
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
