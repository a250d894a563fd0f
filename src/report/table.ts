import type { CellSummary } from '../analysis/summarize.js';
import type { TaskMeasure } from '../tasks/task.js';
import { formatInterval, formatNumber, pct } from './format.js';

/** One table column: a header and how to show a cell in it. Shared by the HTML and Markdown reports. */
export interface Column {
  header: string;
  /** Plain text (renderers escape it). */
  value: (cell: CellSummary) => string;
  numeric?: boolean;
}

function errorKinds(cell: CellSummary): string | undefined {
  const parts = Object.entries(cell.providerErrorsByKind).map(([kind, n]) => `${kind}: ${n}`);
  return parts.length > 0 ? parts.join(', ') : undefined;
}

/** The per-cell table: counts, both accuracies and the task's measures with interval and n, failures by outcome, costs. */
export function cellColumns(measures: readonly TaskMeasure[]): Column[] {
  const columns: Column[] = [
    { header: 'provider', value: (c) => c.provider },
    { header: 'model', value: (c) => c.model },
    { header: 'selector', value: (c) => c.selector },
    { header: 'k', value: (c) => String(c.k), numeric: true },
    { header: 'items', value: (c) => String(c.nItems), numeric: true },
    { header: 'trials', value: (c) => String(c.nTrials), numeric: true },
    { header: 'accuracy (answered) [95% CI] n', value: (c) => formatInterval(c.accuracy), numeric: true },
    { header: 'end-to-end [95% CI] n', value: (c) => formatInterval(c.endToEndAccuracy), numeric: true },
    { header: 'answered', value: (c) => String(c.outcomes.answered), numeric: true },
    {
      header: 'provider errors',
      value: (c) => {
        const kinds = errorKinds(c);
        return kinds ? `${c.outcomes.provider_error} (${kinds})` : String(c.outcomes.provider_error);
      },
      numeric: true,
    },
    { header: 'empty', value: (c) => String(c.outcomes.empty), numeric: true },
    { header: 'truncated', value: (c) => String(c.outcomes.truncated), numeric: true },
    { header: 'parse failures', value: (c) => String(c.outcomes.parse_failure), numeric: true },
    { header: 'failure rate', value: (c) => pct(c.failureRate), numeric: true },
    { header: 'mean tokens in', value: (c) => formatNumber(c.meanTokensIn, 0), numeric: true },
    { header: 'mean tokens out', value: (c) => formatNumber(c.meanTokensOut, 0), numeric: true },
    { header: 'mean latency ms', value: (c) => formatNumber(c.meanLatencyMs, 0), numeric: true },
  ];
  for (const m of measures) {
    columns.push({ header: `${m.label} [95% CI] n`, value: (c) => formatInterval(c.measures[m.key] ?? null), numeric: true });
  }
  return columns;
}
