import type { TopLevelSpec } from 'vega-lite';
import { FAILURE_OUTCOMES, type FailureKey, type RunSummary } from '../../records/summary.js';
import { CHART_CONFIG, curveCells, runProviders, runSelectors, sortedKs, VEGA_LITE_SCHEMA } from './common.js';

export const FAILURE_LABELS: Record<FailureKey, string> = {
  provider_error: 'provider error',
  empty: 'empty output',
  truncated: 'truncated output',
  parse_failure: 'parse failure',
  refusal: 'refusal',
  scorer_failure: 'scorer failure',
};

const FAILURE_COLORS: Record<FailureKey, string> = {
  provider_error: '#e45756',
  empty: '#9d755d',
  truncated: '#f58518',
  parse_failure: '#b279a2',
  refusal: '#54a24b',
  scorer_failure: '#4c78a8',
};

/** One failure kind's share of one cell's trials (the k = 0 cell is in every selector's panel). */
export interface FailureDatum {
  provider: string;
  selector: string;
  /** `provider / selector`: the panel's heading. */
  panel: string;
  k: number;
  kind: string;
  share: number;
  count: number;
  nTrials: number;
  /** "3 of 60 trials". */
  ofTrials: string;
  /** Provider errors by kind ("rate_limit 2, timeout 1"); "—" for other failures. */
  errorKinds: string;
}

/** The kinds the chart shows: scorer failures (only runs with a scorer module of the user's own have them) only when the run has some. */
function shownKinds(summary: RunSummary): FailureKey[] {
  return FAILURE_OUTCOMES.filter((kind) => kind !== 'scorer_failure' || (summary.totals.failures.scorer_failure ?? 0) > 0);
}

export function failureData(summary: RunSummary): FailureDatum[] {
  const rows: FailureDatum[] = [];
  const kinds = shownKinds(summary);
  for (const { provider, selector, point, cell } of curveCells(summary)) {
    if (point.nTrials === 0) continue;
    for (const kind of kinds) {
      const count = point.failures[kind] ?? 0;
      const byKind = kind === 'provider_error' && cell ? Object.entries(cell.providerErrorsByKind) : [];
      rows.push({
        provider,
        selector,
        panel: `${provider} / ${selector}`,
        k: point.k,
        kind: FAILURE_LABELS[kind],
        share: count / point.nTrials,
        count,
        nTrials: point.nTrials,
        ofTrials: `${count} of ${point.nTrials} trials`,
        errorKinds: byKind.length > 0 ? byKind.map(([k, n]) => `${k} ${n}`).join(', ') : '—',
      });
    }
  }
  return rows;
}

/**
 * Failure rate by kind vs k: per provider (rows) and selector (columns), a stacked bar per k of the
 * shares of trials that were provider errors, empty, truncated or unparseable.
 */
export function failuresSpec(summary: RunSummary): TopLevelSpec | null {
  const values = failureData(summary);
  if (values.length === 0) return null;
  const ks = sortedKs(values.map((v) => v.k));
  const providers = runProviders(summary);
  const selectors = runSelectors(summary);
  const panels = [...new Set(values.map((v) => v.panel))];
  panels.sort((a, b) => {
    const pa = values.find((v) => v.panel === a)!;
    const pb = values.find((v) => v.panel === b)!;
    return providers.indexOf(pa.provider) - providers.indexOf(pb.provider) || selectors.indexOf(pa.selector) - selectors.indexOf(pb.selector);
  });
  const columns = Math.max(1, ...providers.map((p) => new Set(values.filter((v) => v.provider === p).map((v) => v.selector)).size));
  // The tallest stack sets the axis, at least 5%, so an all-clear run still draws a readable axis.
  const totals = new Map<string, number>();
  for (const v of values) {
    const key = `${v.provider}\u0000${v.selector}\u0000${v.k}`;
    totals.set(key, (totals.get(key) ?? 0) + v.share);
  }
  const top = Math.min(1, Math.max(0.05, Math.ceil(Math.max(0, ...totals.values()) * 20 - 1e-9) / 20));
  return {
    $schema: VEGA_LITE_SCHEMA,
    description: `Failure rate by kind vs shots for ${summary.experimentName} (${summary.runId})`,
    title: {
      text: 'Failures by kind vs shots',
      subtitle: 'share of trials per cell that did not produce a scorable answer, per provider / selector',
    },
    data: { values },
    // One panel per provider and selector, in provider then selector order, as many columns as the most selectors.
    facet: { field: 'panel', type: 'nominal', title: null, sort: panels, header: { labelFontWeight: 'bold', labelFontSize: 11 } },
    columns,
    spec: {
      width: 180,
      height: 120,
      mark: { type: 'bar' },
      encoding: {
        x: { field: 'k', type: 'ordinal', sort: ks, title: 'shots (k)', axis: { labelAngle: 0 } },
        y: {
          field: 'share',
          type: 'quantitative',
          stack: 'zero',
          title: 'share of trials',
          scale: { domain: [0, top] },
          axis: { format: '%' },
        },
        color: {
          field: 'kind',
          type: 'nominal',
          title: 'failure',
          scale: {
            domain: shownKinds(summary).map((k) => FAILURE_LABELS[k]),
            range: shownKinds(summary).map((k) => FAILURE_COLORS[k]),
          },
        },
        order: { field: 'kind', sort: 'ascending' },
        tooltip: [
          { field: 'provider', type: 'nominal', title: 'provider' },
          { field: 'selector', type: 'nominal', title: 'selector' },
          { field: 'k', type: 'ordinal', title: 'k (shots)' },
          { field: 'kind', type: 'nominal', title: 'failure' },
          { field: 'share', type: 'quantitative', format: '.1%', title: 'share of trials' },
          { field: 'ofTrials', type: 'nominal', title: 'n' },
          { field: 'errorKinds', type: 'nominal', title: 'provider errors by kind' },
        ],
      },
    },
    resolve: { scale: { x: 'independent' }, axis: { y: 'independent' } },
    config: CHART_CONFIG,
  };
}
