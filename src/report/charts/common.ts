import { compile, type TopLevelSpec } from 'vega-lite';
import type { CellSummary, CurvePointSummary, CurveSummary, RunSummary } from '../../records/summary.js';
import { compareSelectors, compareStrings } from '../../analysis/summarize.js';
import type { VgSpec } from './types.js';

export const VEGA_LITE_SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

/** Shared look: every chart the same font and background, so the SVGs match the page. */
export const CHART_CONFIG = {
  font: 'system-ui, -apple-system, Segoe UI, Roboto, sans-serif',
  background: 'white',
  title: { anchor: 'start', fontSize: 14, subtitleFontSize: 11, subtitleColor: '#555' },
  axis: { labelFontSize: 11, titleFontSize: 11 },
  legend: { labelFontSize: 11, titleFontSize: 11, labelLimit: 400, titleLimit: 400 },
} as const;

/** Vega's tableau10: a selector keeps its colour in every chart of the run. */
export const PALETTE = ['#4c78a8', '#f58518', '#e45756', '#72b7b2', '#54a24b', '#eeca3b', '#b279a2', '#ff9da6', '#9d755d', '#bab0ac'] as const;

/** Every selector of the run (curves' selectors; `none` first), the order colours are given in. */
export function runSelectors(summary: RunSummary): string[] {
  return [...new Set(summary.curves.map((c) => c.selector))].sort(compareSelectors);
}

/** The fixed colour of a selector within the run. */
export function selectorColor(selectors: readonly string[], selector: string): string {
  const i = selectors.indexOf(selector);
  return PALETTE[(i < 0 ? 0 : i) % PALETTE.length]!;
}

/** A colour scale over `domain` (legend order) whose colours follow the run's selectors. */
export function selectorScale(
  selectors: readonly string[],
  domain: readonly string[],
  selectorOf: (entry: string) => string = (s) => s,
): { domain: string[]; range: string[] } {
  return { domain: [...domain], range: domain.map((d) => selectorColor(selectors, selectorOf(d))) };
}

/** Providers in the order their curves come (summary order), else the cells'. */
export function runProviders(summary: RunSummary): string[] {
  const out: string[] = [];
  for (const c of summary.curves) if (!out.includes(c.provider)) out.push(c.provider);
  for (const c of summary.cells) if (!out.includes(c.provider)) out.push(c.provider);
  return out;
}

/** `openai:gpt-4o-mini` -> `openai-gpt-4o-mini`: safe in a file name and a URL fragment. */
export function slug(id: string): string {
  const s = id
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[-._]+|[-._]+$/g, '');
  return s || 'provider';
}

/** One slug per provider, unique within the run (a clash gets `-2`, `-3`, ...). */
export function providerSlugs(providers: readonly string[]): Map<string, string> {
  const used = new Set<string>();
  const out = new Map<string, string>();
  for (const p of providers) {
    const base = slug(p);
    let s = base;
    for (let i = 2; used.has(s); i++) s = `${base}-${i}`;
    used.add(s);
    out.set(p, s);
  }
  return out;
}

/** Distinct k values, ascending. */
export function sortedKs(ks: Iterable<number>): number[] {
  return [...new Set(ks)].sort((a, b) => a - b);
}

/**
 * k on a symlog scale (constant 1, so k = 0 sits left of k = 1 and 1, 2, 4, 8 ... are evenly spaced),
 * with ticks at exactly the swept k values.
 */
export function kScaleX(ks: readonly number[]) {
  const min = ks.length > 0 ? Math.min(...ks) : 0;
  const max = ks.length > 0 ? Math.max(...ks) : 1;
  return {
    field: 'k',
    type: 'quantitative' as const,
    title: 'shots (k, log scale)',
    scale: { type: 'symlog' as const, constant: 1, domain: [min, max > min ? max : min + 1], padding: 14 },
    axis: { values: [...ks], format: 'd', grid: true, labelFlush: false },
  };
}

/** The cell a curve point comes from (the shared zero-shot cell for `none` points). */
export function cellOf(summary: RunSummary, provider: string, point: CurvePointSummary): CellSummary | undefined {
  return summary.cells.find((c) => c.provider === provider && c.selector === point.cellSelector && c.k === point.k);
}

/** Each curve point with its cell: the k = 0 cell belongs to every selector's curve, as in the curves. */
export interface CurveCell {
  provider: string;
  selector: string;
  curve: CurveSummary;
  point: CurvePointSummary;
  cell: CellSummary | undefined;
}

export function curveCells(summary: RunSummary): CurveCell[] {
  const out: CurveCell[] = [];
  for (const curve of summary.curves) {
    for (const point of [...curve.points].sort((a, b) => a.k - b.k)) {
      out.push({ provider: curve.provider, selector: curve.selector, curve, point, cell: cellOf(summary, curve.provider, point) });
    }
  }
  return out;
}

/** Calls that returned (no provider error): the n behind the token and latency means. */
export function returnedCalls(cell: CellSummary): number {
  return cell.nTrials - (cell.outcomes.provider_error ?? 0);
}

/** One tooltip line: a datum field with its title (and a d3 format for numbers). */
export interface Tip {
  field: string;
  type: 'nominal' | 'ordinal' | 'quantitative';
  title: string;
  format?: string;
}

/** The tooltip lines that name a cell: provider, selector and k. */
export function cellTips(): Tip[] {
  return [
    { field: 'provider', type: 'nominal', title: 'provider' },
    { field: 'selector', type: 'nominal', title: 'selector' },
    { field: 'k', type: 'quantitative', title: 'k (shots)' },
  ];
}

/**
 * A per-cell mean drawn as a line per selector (from zero) with points that carry the tooltip: the
 * shape of the latency, token and cost panels. `strokeDash` tells apart two lines of one selector.
 */
export function meanLayers(
  y: { field: string; title: string; axis?: { format: string } },
  tooltip: Tip[],
  options: { pointSize?: number; strokeDash?: { field: string; type: 'nominal'; title: string; scale: { domain: string[]; range: number[][] } } } = {},
) {
  return [
    {
      mark: { type: 'line' as const, strokeWidth: 2 },
      encoding: {
        y: { field: y.field, type: 'quantitative' as const, title: y.title, scale: { zero: true }, ...(y.axis && { axis: y.axis }) },
        ...(options.strokeDash && { strokeDash: options.strokeDash }),
      },
    },
    {
      mark: { type: 'point' as const, filled: true, size: options.pointSize ?? 35 },
      encoding: { y: { field: y.field, type: 'quantitative' as const }, tooltip },
    },
  ];
}

/** One panel per provider, side by side, each with the k axis and the selector colours. */
export function providerPanels<T>(
  values: T[],
  providers: string[],
  size: { width: number; height: number },
  encoding: { x: ReturnType<typeof kScaleX>; color: { field: string; type: 'nominal'; title: string; scale: ReturnType<typeof selectorScale> } },
  layer: ReturnType<typeof meanLayers>,
) {
  return {
    data: { values },
    facet: { column: { field: 'provider', type: 'nominal' as const, title: null, sort: providers } },
    spec: { ...size, encoding, layer },
  };
}

/** Plain-text ordering helper re-exported for the chart modules. */
export { compareSelectors, compareStrings };

/** Vega-Lite's compile() logger interface, taken from its own signature. */
type Logger = NonNullable<NonNullable<Parameters<typeof compile>[1]>['logger']>;

/** A logger that keeps vega-lite's warnings instead of printing them in the middle of a CLI run. */
function collectingLogger(warnings: string[]): Logger {
  let level = 2;
  const logger = {
    level(l?: number) {
      if (l === undefined) return level;
      level = l;
      return logger;
    },
    error(...args: readonly unknown[]) {
      throw new Error(args.map(String).join(' '));
    },
    warn(...args: readonly unknown[]) {
      warnings.push(args.map(String).join(' '));
      return logger;
    },
    info() {
      return logger;
    },
    debug() {
      return logger;
    },
  };
  return logger as unknown as Logger;
}

/** Compile a Vega-Lite spec to Vega in Node; warnings are returned (tests assert there are none). */
export function compileChart(spec: TopLevelSpec): { vega: VgSpec; warnings: string[] } {
  const warnings: string[] = [];
  // compile() hands inline data rows over by reference: copy, so the two specs share no objects.
  const { spec: vega } = compile(structuredClone(spec), { logger: collectingLogger(warnings) });
  return { vega, warnings };
}
