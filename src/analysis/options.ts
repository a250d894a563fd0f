import { z } from 'zod';
import { analysisFieldsSchema } from '../config/schema.js';
import { priceOverridesSchema, type Price } from '../config/prices.js';
import { lookSchedule } from '../config/sampling.js';
import { fineTunePriceSchema, type FineTunePrice } from '../config/finetune-prices.js';
import type { AnalysisSettings } from '../records/summary.js';

/** The statistics' settings when neither the experiment nor a flag sets them. */
export const DEFAULT_ANALYSIS_SETTINGS: AnalysisSettings = {
  alpha: 0.05,
  delta: 0.05,
  resamples: 2000,
  seed: 0,
  confidenceLevel: 0.95,
};

/** What the verdicts depend on besides the trials: statistics settings, target, volume, prices. */
export interface AnalysisOptions {
  settings: AnalysisSettings;
  target: number | null;
  requestsPerMonth: number | null;
  priceOverrides: Record<string, Price> | null;
  /** Provider labels -> their ids (prices are looked up by id); null when no provider has a label. */
  providerIds?: Record<string, string> | null;
  /** The experiment's `fineTune:` (horizon, epochs, prices), defaults filled. */
  fineTune?: { horizonMonths: number; epochs?: number; prices?: Record<string, FineTunePrice> };
  /** Provider name -> the entry it was tuned from (`tunedFrom`). */
  tunedFrom?: Record<string, string>;
}

/** Command-line overrides of `fewshot report` (they win over the run's recorded experiment). */
export interface AnalysisOverrides {
  alpha?: number;
  delta?: number;
  resamples?: number;
  target?: number;
  requestsPerMonth?: number;
}

// Lenient on purpose: run.json of an imported run (or an older version) may lack any of these.
const recorded = z
  .object({
    seed: z.number().int().optional(),
    target: z.number().optional(),
    requestsPerMonth: z.number().optional(),
    prices: priceOverridesSchema.optional(),
    providers: z.array(z.unknown()).optional(),
    fineTune: z
      .object({
        horizonMonths: z.number().positive().optional(),
        epochs: z.number().int().positive().optional(),
        prices: z.record(z.string(), fineTunePriceSchema).optional(),
      })
      .partial()
      .optional(),
    // `bootstrapResamples`: the name of `resamples` in runs from older versions.
    analysis: analysisFieldsSchema.partial().optional(),
    // Resolved by the sweep before run.json is written (every number present).
    sampling: z.object({ mode: z.string(), maxItems: z.number(), firstLook: z.number(), step: z.number() }).partial().optional(),
  })
  .passthrough();

/** Reads the options from run.json's recorded config, then applies overrides; defaults fill the rest. */
export function analysisOptions(config: unknown, seed: number, overrides: AnalysisOverrides = {}): AnalysisOptions {
  const parsed = recorded.safeParse(config);
  const c = parsed.success ? parsed.data : {};
  const a = c.analysis ?? {};
  return {
    settings: {
      ...DEFAULT_ANALYSIS_SETTINGS,
      alpha: overrides.alpha ?? a.alpha ?? DEFAULT_ANALYSIS_SETTINGS.alpha,
      delta: overrides.delta ?? a.delta ?? DEFAULT_ANALYSIS_SETTINGS.delta,
      resamples: overrides.resamples ?? a.resamples ?? a.bootstrapResamples ?? DEFAULT_ANALYSIS_SETTINGS.resamples,
      seed,
      ...sequentialOf(c.sampling),
    },
    target: overrides.target ?? c.target ?? null,
    requestsPerMonth: overrides.requestsPerMonth ?? c.requestsPerMonth ?? null,
    priceOverrides: c.prices ?? null,
    providerIds: providerIdsOf(c.providers ?? []),
    fineTune: {
      horizonMonths: c.fineTune?.horizonMonths ?? DEFAULT_FINE_TUNE_HORIZON_MONTHS,
      ...(c.fineTune?.epochs !== undefined && { epochs: c.fineTune.epochs }),
      ...(c.fineTune?.prices !== undefined && { prices: c.fineTune.prices }),
    },
    tunedFrom: tunedFromOf(c.providers ?? []),
  };
}

/** Adaptive sampling's looks, when run.json records a resolved adaptive plan. */
function sequentialOf(s: { mode?: string | undefined; maxItems?: number | undefined; firstLook?: number | undefined; step?: number | undefined } | undefined) {
  if (s?.mode !== 'adaptive' || s.maxItems === undefined || s.firstLook === undefined || s.step === undefined) return {};
  return { sequential: { looks: lookSchedule(s.firstLook, s.step, s.maxItems) } };
}

/** Months a fine-tune's training is spread over when the experiment does not say. */
export const DEFAULT_FINE_TUNE_HORIZON_MONTHS = 6;

const tuned = z.object({ id: z.string(), label: z.string().optional(), tunedFrom: z.string() }).passthrough();

/** Provider name -> the entry it was tuned from. */
function tunedFromOf(providers: readonly unknown[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of providers) {
    const parsed = tuned.safeParse(p);
    if (parsed.success) out[parsed.data.label ?? parsed.data.id] = parsed.data.tunedFrom;
  }
  return out;
}

const labelled = z.object({ id: z.string(), label: z.string() }).passthrough();

/** The labelled provider entries of a recorded config, label -> id; null when there is none. */
function providerIdsOf(providers: readonly unknown[]): Record<string, string> | null {
  const pairs = providers.flatMap((p) => {
    const parsed = labelled.safeParse(p);
    return parsed.success ? [[parsed.data.label, parsed.data.id] as const] : [];
  });
  return pairs.length > 0 ? Object.fromEntries(pairs) : null;
}
