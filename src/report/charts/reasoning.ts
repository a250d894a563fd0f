import type { TopLevelSpec } from 'vega-lite';
import type { RunSummary } from '../../records/summary.js';
import { curveCells, returnedCalls, runProviders } from './common.js';
import { meanVsShotsSpec } from './latency.js';

/** Mean reasoning (thinking) tokens of one cell's calls that reported them. */
export interface ReasoningDatum {
  provider: string;
  selector: string;
  k: number;
  reasoningTokens: number;
  /** "yes" when some counts are estimates (Anthropic's thinking text), for the tooltip. */
  estimated: string;
  nCalls: number;
  nTrials: number;
}

export function reasoningData(summary: RunSummary): ReasoningDatum[] {
  const rows: ReasoningDatum[] = [];
  for (const { provider, selector, point, cell } of curveCells(summary)) {
    if (!cell || cell.meanReasoningTokens === undefined) continue;
    rows.push({
      provider,
      selector,
      k: point.k,
      reasoningTokens: cell.meanReasoningTokens,
      estimated: cell.reasoningTokensEstimated ? 'yes' : 'no',
      nCalls: returnedCalls(cell),
      nTrials: cell.nTrials,
    });
  }
  return rows;
}

/** Mean reasoning tokens vs k per curve (does the model think less with more shots?); null when no call reported any. */
export function reasoningSpec(summary: RunSummary): TopLevelSpec | null {
  const values = reasoningData(summary);
  return meanVsShotsSpec(
    summary,
    values,
    runProviders(summary).filter((p) => values.some((v) => v.provider === p)),
    {
      field: 'reasoningTokens',
      axisTitle: 'mean reasoning tokens',
      tooltip: [
        { field: 'reasoningTokens', type: 'quantitative', format: ',.0f', title: 'mean reasoning tokens' },
        { field: 'estimated', type: 'nominal', title: 'estimated (thinking text)' },
        { field: 'nCalls', type: 'quantitative', title: 'n (calls that returned)' },
        { field: 'nTrials', type: 'quantitative', title: 'trials' },
      ],
      description: `Mean reasoning tokens vs shots for ${summary.experimentName} (${summary.runId})`,
      title: {
        text: 'Reasoning tokens vs shots',
        subtitle: 'mean thinking tokens per call (part of the output tokens, priced as output); each provider on its own axis',
      },
    },
  );
}
