import type { Spec as VgSpec } from 'vega';
import type { TopLevelSpec } from 'vega-lite';
import type { PriceOverrides, PriceTable } from '../../analysis/index.js';

export type { VgSpec };

/** Where a chart belongs in the report. */
export type ChartSection = 'curves' | 'selection' | 'operations';

/** One figure of the report: its Vega-Lite spec and the Vega spec compiled from it in Node. */
export interface ReportChart {
  /** File-name safe and unique within a run: `curves-openai-gpt-4o-mini`, `selectors-local`, `failures`, ... */
  id: string;
  section: ChartSection;
  /** Plain text (no HTML). */
  title: string;
  /** One plain-text sentence: how to read the chart. */
  description: string;
  vegaLite: TopLevelSpec;
  /** Compiled with vega-lite's compile(); what the page and the SVG renderer run. */
  vega: VgSpec;
}

/** Where costs come from; by default the packaged price table (read once per process), as the advice does. */
export interface ChartOptions {
  /** The experiment's `prices:` (run.json's config): they win over the table, as in the advice. */
  priceOverrides?: PriceOverrides | null;
  /** Provider labels -> ids (run.json's config): a labelled provider is priced by its id, as in the advice. */
  providerIds?: Readonly<Record<string, string>> | null;
  /** The price table; defaults to data/prices.json. */
  priceTable?: PriceTable | null;
}

type LayeredSpec = Extract<TopLevelSpec, { layer: unknown }>;
/** One layer of a layered Vega-Lite spec. */
export type LayerEntry = LayeredSpec['layer'][number];
/** A single-view (unit) spec inside a layer. */
export type UnitLayer = Exclude<LayerEntry, { layer: unknown }>;
type UnitEncoding = NonNullable<UnitLayer['encoding']>;
/** The tooltip channel of a unit spec. */
export type TooltipEncoding = NonNullable<UnitEncoding['tooltip']>;
