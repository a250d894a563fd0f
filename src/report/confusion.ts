import type { Confusion, RunSummary } from '../records/summary.js';
import type { Column } from './table.js';

/** One confusion matrix to show: the recommended setting of a provider on a label task. */
export interface ConfusionView {
  title: string;
  rows: ConfusionRow[];
  columns: Column<ConfusionRow>[];
}

export interface ConfusionRow {
  expected: string;
  counts: Record<string, number>;
  total: number;
}

/**
 * The per-label confusion of each provider's recommended cell (label tasks only): which labels the
 * recommended setting confuses, with the counts behind the accuracy.
 */
export function confusionViews(summary: RunSummary): ConfusionView[] {
  const views: ConfusionView[] = [];
  for (const advice of summary.advice) {
    if (advice.selector === null || advice.k === null) continue;
    const cell = summary.cells.find((c) => c.provider === advice.provider && c.selector === advice.selector && c.k === advice.k);
    if (!cell?.confusion) continue;
    views.push({
      title: `${advice.provider}, ${advice.k === 0 ? 'zero-shot' : `k=${advice.k} with ${advice.selector}`} (answered trials; rows: expected, columns: predicted)`,
      rows: rowsOf(cell.confusion),
      columns: columnsOf(cell.confusion),
    });
  }
  return views;
}

function rowsOf(confusion: Confusion): ConfusionRow[] {
  return confusion.labels.map((expected) => {
    const counts = confusion.counts[expected] ?? {};
    return { expected, counts, total: Object.values(counts).reduce((a, b) => a + b, 0) };
  });
}

function columnsOf(confusion: Confusion): Column<ConfusionRow>[] {
  return [
    { header: 'expected \\ predicted', value: (r) => r.expected },
    ...confusion.labels.map((label) => ({ header: label, value: (r: ConfusionRow) => String(r.counts[label] ?? 0), numeric: true })),
    { header: 'n', value: (r) => String(r.total), numeric: true },
    { header: 'recall', value: (r) => (r.total > 0 ? `${((100 * (r.counts[r.expected] ?? 0)) / r.total).toFixed(1)}%` : '—'), numeric: true },
  ];
}
