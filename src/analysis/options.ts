import { z } from 'zod';
import { analysisSchema } from '../config/schema.js';
import { priceOverridesSchema, type Price } from './prices.js';
import { DEFAULT_ANALYSIS_SETTINGS, type AnalysisSettings } from './verdict-types.js';

/** What the verdicts depend on besides the trials: statistics settings, target, volume, prices. */
export interface AnalysisOptions {
  settings: AnalysisSettings;
  target: number | null;
  requestsPerMonth: number | null;
  priceOverrides: Record<string, Price> | null;
}

/** Command-line overrides of `fewshot report` (they win over the run's recorded experiment). */
export interface AnalysisOverrides {
  alpha?: number;
  delta?: number;
  bootstrapResamples?: number;
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
    analysis: analysisSchema.partial().optional(),
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
      bootstrapResamples: overrides.bootstrapResamples ?? a.bootstrapResamples ?? DEFAULT_ANALYSIS_SETTINGS.bootstrapResamples,
      seed,
    },
    target: overrides.target ?? c.target ?? null,
    requestsPerMonth: overrides.requestsPerMonth ?? c.requestsPerMonth ?? null,
    priceOverrides: c.prices ?? null,
  };
}
