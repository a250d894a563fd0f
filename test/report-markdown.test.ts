import { describe, expect, it } from 'vitest';
import { buildSummary } from '../src/analysis/summary.js';
import { renderSummaryMarkdown } from '../src/report/markdown.js';
import { parseFailure, runInfo, sweep, trial } from './analysis-fixtures.js';

const now = new Date('2025-02-03T04:05:06.000Z');

describe('renderSummaryMarkdown', () => {
  const md = renderSummaryMarkdown(buildSummary([...sweep(), parseFailure({ itemId: 'q', k: 1 })], runInfo(), now));

  it('has the status, notices and a row per cell', () => {
    expect(md).toContain('# demo (run-1)');
    expect(md).toContain('Status: **complete**');
    expect(md).toContain('took 3m 12s');
    expect(md).toContain('- openai:gpt-4o-mini skipped: set OPENAI_API_KEY to run it');
    const rows = md.split('\n').filter((l) => l.startsWith('| local'));
    expect(rows).toHaveLength(7);
  });

  it('shows accuracy with interval and n', () => {
    const row = md.split('\n').find((l) => l.startsWith('| local | baseline | random | 1 |'))!;
    expect(row).toMatch(/\d+\.\d% \[\d+\.\d, \d+\.\d\] n=3/);
    expect(row).toMatch(/n=4/); // end to end counts the item that only failed
  });

  it('escapes pipes and newlines in names', () => {
    const out = renderSummaryMarkdown(
      buildSummary([trial({ provider: 'a|b', selector: 'x\ny' })], runInfo({ notices: [] }), now),
    );
    expect(out).toContain('| a\\|b |');
    expect(out).toContain('x y');
  });
});
