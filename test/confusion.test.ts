import { describe, expect, it } from 'vitest';
import { buildSummary } from '../src/analysis/summary.js';
import { summarizeCells } from '../src/analysis/summarize.js';
import { confusionViews } from '../src/report/confusion.js';
import { renderSummaryMarkdown } from '../src/report/markdown.js';
import { record } from '../src/analysis/simulate.js';
import type { TrialRecord } from '../src/records/trial.js';
import { runInfo } from './analysis-fixtures.js';

/** A label-task trial: the task recorded what it expected and what the model answered. */
function labelled(k: number, itemId: string, expected: string, predicted: string | null): TrialRecord {
  const t: TrialRecord = record('local', k === 0 ? 'none' : 'random', k, 0, itemId, predicted === null ? null : Number(expected === predicted));
  return { ...t, details: predicted === null ? {} : { expected, predicted } };
}

describe('per-label confusion', () => {
  const trials = [
    labelled(0, 'a', 'billing', 'billing'),
    labelled(0, 'b', 'billing', 'shipping'),
    labelled(0, 'c', 'shipping', 'shipping'),
    labelled(0, 'd', 'returns', null), // a failed call: not a prediction
  ];

  it('counts answered trials by expected and predicted label', () => {
    const [cell] = summarizeCells(trials);
    expect(cell!.confusion).toEqual({
      labels: ['billing', 'shipping'],
      counts: { billing: { billing: 1, shipping: 1 }, shipping: { billing: 0, shipping: 1 } },
    });
  });

  it('is absent for tasks without labels', () => {
    expect(summarizeCells([record('local', 'none', 0, 0, 'x', 1)])[0]!.confusion).toBeUndefined();
  });

  it('is shown for the recommended setting, with recall per label', () => {
    const summary = buildSummary(trials, runInfo(), new Date(0));
    const views = confusionViews(summary);
    expect(views).toHaveLength(1);
    expect(views[0]!.rows.map((r) => [r.expected, r.total])).toEqual([
      ['billing', 2],
      ['shipping', 1],
    ]);
    expect(views[0]!.columns.map((c) => c.header)).toEqual(['expected \\ predicted', 'billing', 'shipping', 'n', 'recall']);
    expect(views[0]!.columns.at(-1)!.value(views[0]!.rows[0]!)).toBe('50.0%');
    expect(renderSummaryMarkdown(summary)).toContain('## Confusion: local, zero-shot');
  });
});
