import type { TopLevelSpec } from 'vega-lite';
import type { Comparison, RunSummary } from '../../records/summary.js';
import { formatDifference, pct } from '../format.js';
import { CHART_CONFIG, compareSelectors, selectorScale, sortedKs, VEGA_LITE_SCHEMA } from './common.js';

/** One selector's paired difference against the best selector at one k, oriented other - best. */
export interface SelectorDifference {
  k: number;
  selector: string;
  best: string;
  estimate: number;
  ciLow: number;
  ciHigh: number;
  /** "-10.0 points [-16.9, -3.1]". */
  difference: string;
  nItems: number;
  pAdjusted: number;
  significant: boolean;
  significance: 'significant' | 'not significant';
  method: Comparison['method'];
  /** True when the stored test was best - other and was turned around. */
  flipped: boolean;
}

/** The best selector at one k, by point accuracy. */
export interface BestAtK {
  k: number;
  best: string;
  accuracy: number;
  text: string;
}

/** Answered accuracy of each selector at each k > 0, from the provider's curves (its own cells only). */
function accuracyByK(summary: RunSummary, provider: string): Map<number, Map<string, number>> {
  const out = new Map<number, Map<string, number>>();
  for (const curve of summary.curves) {
    if (curve.provider !== provider) continue;
    for (const p of curve.points) {
      if (p.k <= 0 || p.accuracy === null || p.cellSelector !== curve.selector) continue;
      let at = out.get(p.k);
      if (!at) out.set(p.k, (at = new Map()));
      at.set(curve.selector, p.accuracy);
    }
  }
  return out;
}

/**
 * For each k > 0 where two or more selectors ran: the best selector by point accuracy (ties: selector
 * name order) and every other selector's paired difference against it, from the provider's
 * selectorTests. A test stored as best - other is turned around (estimate and interval negated).
 */
export function selectorDifferences(summary: RunSummary, provider: string): { rows: SelectorDifference[]; best: BestAtK[] } {
  // With prompt variants, one collapse verdict per variant: its selectors are compared among themselves.
  const tests = summary.collapse.filter((c) => c.provider === provider).flatMap((c) => c.selectorTests);
  const rows: SelectorDifference[] = [];
  const best: BestAtK[] = [];
  if (tests.length === 0) return { rows, best };
  const byK = accuracyByK(summary, provider);
  for (const k of sortedKs(byK.keys())) {
    const at = byK.get(k)!;
    if (at.size < 2) continue;
    const ranked = [...at.entries()].sort(([sa, a], [sb, b]) => b - a || compareSelectors(sa, sb));
    const [top, topAccuracy] = ranked[0]!;
    let any = false;
    for (const [other] of ranked.slice(1)) {
      const t = tests.find(
        (x) => x.a.k === k && x.b.k === k && ((x.a.selector === top && x.b.selector === other) || (x.a.selector === other && x.b.selector === top)),
      );
      if (!t) continue;
      // Comparison.estimate is accuracy(b) - accuracy(a): with a = best it already reads other - best.
      const flipped = t.a.selector !== top;
      const estimate = flipped ? -t.estimate : t.estimate;
      const ciLow = flipped ? -t.ciHigh : t.ciLow;
      const ciHigh = flipped ? -t.ciLow : t.ciHigh;
      rows.push({
        k,
        selector: other,
        best: top,
        estimate: clean(estimate),
        ciLow: clean(ciLow),
        ciHigh: clean(ciHigh),
        difference: formatDifference(clean(estimate), clean(ciLow), clean(ciHigh)),
        nItems: t.nItems,
        pAdjusted: t.pAdjusted,
        significant: t.significant,
        significance: t.significant ? 'significant' : 'not significant',
        method: t.method,
        flipped,
      });
      any = true;
    }
    if (any) best.push({ k, best: top, accuracy: topAccuracy, text: `best: ${top}\n${pct(topAccuracy)}` });
  }
  return { rows, best };
}

/** -0 -> 0, so a flipped zero neither prints nor serializes as "-0". */
function clean(x: number): number {
  return x === 0 ? 0 : x;
}

/**
 * Paired differences against the best selector at each k, as points with 95% error bars around a
 * zero rule; filled points are significant after the Holm adjustment of the run's descriptive comparisons, hollow ones are not.
 * Null when the provider has no selector tests that fit (fewer than two selectors, or none stored).
 */
export function selectionSpec(summary: RunSummary, provider: string, selectors: readonly string[]): TopLevelSpec | null {
  const { rows, best } = selectorDifferences(summary, provider);
  if (rows.length === 0) return null;
  const ks = sortedKs(rows.map((r) => r.k));
  const others = [...new Set(rows.map((r) => r.selector))].sort(compareSelectors);
  const scale = selectorScale(selectors, others);
  const x = { field: 'k', type: 'ordinal' as const, sort: ks, title: 'shots (k)', axis: { labelAngle: 0 } };
  const xOffset = { field: 'selector', type: 'nominal' as const, sort: others };
  const color = { field: 'selector', type: 'nominal' as const, title: 'selector (minus the best at k)', scale };
  const tooltip = [
    { field: 'selector', type: 'nominal' as const, title: 'selector' },
    { field: 'best', type: 'nominal' as const, title: 'against the best at this k' },
    { field: 'k', type: 'ordinal' as const, title: 'k (shots)' },
    { field: 'difference', type: 'nominal' as const, title: 'difference (selector - best) [95% interval]' },
    { field: 'nItems', type: 'quantitative' as const, title: 'n (paired items)' },
    { field: 'pAdjusted', type: 'quantitative' as const, format: '.3~g', title: 'adjusted p (Holm)' },
    { field: 'significance', type: 'nominal' as const, title: 'significance' },
    { field: 'method', type: 'nominal' as const, title: 'test' },
  ];
  // Whole tenths around every interval and zero, with room so no error bar touches the frame.
  const lo = Math.min(0, ...rows.map((r) => r.ciLow));
  const hi = Math.max(0, ...rows.map((r) => r.ciHigh));
  const yDomain = [Math.max(-1, Math.floor((lo - 0.02) * 10) / 10), Math.min(1, Math.ceil((hi + 0.02) * 10) / 10)];
  const model = summary.curves.find((c) => c.provider === provider)?.model;
  return {
    $schema: VEGA_LITE_SCHEMA,
    description: `Selector comparison for ${provider}: paired differences against the best selector at each k`,
    title: {
      text: `Selector comparison: ${provider}${model ? ` (${model})` : ''}`,
      subtitle: 'each selector minus the best selector at that k, paired over items, 95% intervals; filled: significant (Holm)',
    },
    width: Math.max(200, ks.length * Math.max(96, 22 * others.length + 24)),
    height: 240,
    data: { values: rows },
    layer: [
      {
        data: { values: [{ zero: 0 }] },
        mark: { type: 'rule', color: '#333', strokeWidth: 1 },
        encoding: { y: { field: 'zero', type: 'quantitative' } },
      },
      {
        mark: { type: 'rule', strokeWidth: 2 },
        encoding: {
          x,
          xOffset,
          y: {
            field: 'ciLow',
            type: 'quantitative',
            title: 'selector - best (percentage points)',
            scale: { domain: yDomain },
            axis: { format: '+.0%' },
          },
          y2: { field: 'ciHigh' },
          color,
          tooltip,
        },
      },
      {
        // Not significant: hollow.
        transform: [{ filter: { field: 'significant', equal: false } }],
        mark: { type: 'point', shape: 'circle', size: 80, strokeWidth: 2, filled: false, fill: 'white', opacity: 1 },
        encoding: { x, xOffset, y: { field: 'estimate', type: 'quantitative' }, color, tooltip },
      },
      {
        // Significant after the Holm adjustment: filled.
        transform: [{ filter: { field: 'significant', equal: true } }],
        mark: { type: 'point', shape: 'circle', size: 80, strokeWidth: 2, filled: true, opacity: 1 },
        encoding: { x, xOffset, y: { field: 'estimate', type: 'quantitative' }, color, tooltip },
      },
      {
        data: { values: best },
        mark: { type: 'text', baseline: 'bottom', dy: -4, fontSize: 10, color: '#333', lineBreak: '\n' },
        encoding: {
          x,
          y: { value: 0 },
          text: { field: 'text', type: 'nominal' },
        },
      },
    ],
    config: CHART_CONFIG,
  };
}
