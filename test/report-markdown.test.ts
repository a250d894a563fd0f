import { describe, expect, it } from 'vitest';
import { renderSummaryMarkdown, md as escapeMd } from '../src/report/markdown.js';
import { parseFailure, runInfo, sweep, trial } from './analysis-fixtures.js';
import { fixtureSummary, truncationTrend } from './report-fixtures.js';

describe('renderSummaryMarkdown', () => {
  const trials = [...sweep().map((t) => ({ ...t, tokensIn: 100 + 50 * t.k })), parseFailure({ itemId: 'q', k: 1 })];
  const md = renderSummaryMarkdown(
    fixtureSummary(trials, runInfo(), {
      labels: { random: 'inconclusive', similar: 'improving' },
      requestsPerMonth: 20_000,
      failureTrends: [truncationTrend(), truncationTrend({ kind: 'empty', flagged: false, detail: 'flat' })],
    }),
  );

  it('has the status, notices and a row per cell', () => {
    expect(md).toContain('# demo (run-1)');
    expect(md).toContain('Status: **complete**');
    expect(md).toContain('took 3m 12s');
    expect(md).toContain('- openai:gpt-4o-mini skipped: set OPENAI\\_API\\_KEY to run it');
    const cells = md.slice(md.indexOf('## Cells'), md.indexOf('## How to read this'));
    const rows = cells.split('\n').filter((l) => l.startsWith('| local'));
    expect(rows).toHaveLength(7);
  });

  it('opens with the advice per provider, before the curves, failures and cells', () => {
    const order = ['## Verdict', '### local: **Extend the sweep**, ', '## Curves', '## Failures', '## Cells', '## How to read this'];
    const at = order.map((needle) => md.indexOf(needle));
    expect(
      at.every((i) => i >= 0),
      md.slice(0, 2000),
    ).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
    expect(md).toMatch(/^Accuracy \d+\.\d% \[\d+\.\d, \d+\.\d\] n=\d+ items\.$/m);
    expect(md).toContain('| cost per month (20,000 requests) | $0 | $0 |');
    expect(md).toContain('- similar is still improving at k=8: extend the sweep to k=16 before deciding');
  });

  it('has the curves with their labels and the failure trends, flagged ones first', () => {
    expect(md).toContain('| local | random | **inconclusive** | 8 |');
    expect(md).toContain('| local | similar | **improving** | 8 |');
    expect(md).toMatch(/\| inconclusive because of the hand-made fixture\. \| 240 \|/);
    expect(md).toContain('- **truncated outputs rise with k** for local / random: k=0: 2.0% (60) · k=8: 15.0% (60); +13.0 points [5.0, 21.0].');
    expect(md).not.toContain('**empty outputs rise with k**');
    expect(md).toContain('| local | random | empty outputs |');
  });

  it('shows accuracy with interval and n', () => {
    const row = md.split('\n').find((l) => l.startsWith('| local | baseline | random | 1 |'))!;
    expect(row).toMatch(/\d+\.\d% \[\d+\.\d, \d+\.\d\] n=3/);
    expect(row).toMatch(/n=4/); // end to end counts the item that only failed
  });

  it('escapes pipes and newlines in names', () => {
    const out = renderSummaryMarkdown(fixtureSummary([trial({ provider: 'a|b', selector: 'x\ny' })], runInfo({ notices: [] })));
    expect(out).toContain('| a\\|b |');
    expect(out).toContain('x y');
    expect(out).toContain('### a\\|b: ');
  });

  it('escapes markdown and html in user text but keeps intervals readable', () => {
    expect(escapeMd('<img src=x onerror=alert(1)> [a](http://e) *b* `c` &lt;')).toBe('\\<img src=x onerror=alert(1)\\> [a\\](http://e) \\*b\\* \\`c\\` \\&lt;');
    expect(escapeMd('72.0% [65.1, 78.3] n=60')).toBe('72.0% [65.1, 78.3] n=60');
  });
});
