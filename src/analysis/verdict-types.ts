/**
 * The analysis contract: what summary.json carries beyond per-cell numbers.
 * Every figure has its sample size and interval; a label is only given when the data support it.
 */

/** Settings of the statistics; recorded in summary.json so every number can be reproduced. */
export interface AnalysisSettings {
  /** Family-wise error rate of the run's significance tests (Holm-corrected). */
  alpha: number;
  /** Practical margin: the smallest accuracy difference that matters (0.05 = 5 points). */
  delta: number;
  bootstrapResamples: number;
  /** Seeds every bootstrap, so the same trials give the same summary bit for bit. */
  seed: number;
  confidenceLevel: number;
}

export const DEFAULT_ANALYSIS_SETTINGS: AnalysisSettings = {
  alpha: 0.05,
  delta: 0.05,
  bootstrapResamples: 2000,
  seed: 0,
  confidenceLevel: 0.95,
};

/** A cell within one provider: selector `none` is the shared zero-shot cell. */
export interface CellRef {
  selector: string;
  k: number;
}

/** A paired comparison over items of two cells of one provider: estimate = accuracy(b) - accuracy(a). */
export interface Comparison {
  provider: string;
  a: CellRef;
  b: CellRef;
  /** Items with answered trials in both cells (the pairs). */
  nItems: number;
  estimate: number;
  /** 95% interval of the difference. */
  ciLow: number;
  ciHigh: number;
  method: 'mcnemar-exact' | 'paired-bootstrap';
  pValue: number;
  /** Holm-adjusted over every significance test of the run. */
  pAdjusted: number;
  significant: boolean;
}

export type CurveLabel = 'improving' | 'plateau' | 'peak-regression' | 'no-benefit' | 'inconclusive';

export type FailureKey = 'provider_error' | 'empty' | 'truncated' | 'parse_failure';

export interface CurvePointSummary {
  k: number;
  /** The cell the point comes from (`none` for the shared zero-shot point). */
  cellSelector: string;
  nItems: number;
  nTrials: number;
  /** Answered accuracy (items as the unit) and its 95% interval; null when nothing was answered. */
  accuracy: number | null;
  ciLow: number | null;
  ciHigh: number | null;
  /** Items with at least one answered trial: the n behind accuracy. */
  nAnsweredItems: number;
  accuracyEndToEnd: number | null;
  endToEndCiLow: number | null;
  endToEndCiHigh: number | null;
  failureRate: number;
  /** Failure counts by kind (trials). */
  failures: Record<FailureKey, number>;
  meanTokensIn: number | null;
  meanTokensOut: number | null;
}

export interface CurveSummary {
  provider: string;
  model: string;
  selector: string;
  label: CurveLabel;
  /** Highest answered accuracy (point estimate); null without data. */
  bestK: number | null;
  /** The k after which more shots are shown to buy less than delta (plateau only). */
  kneeK: number | null;
  /** The k of the peak before a significant drop (peak-regression only). */
  peakK: number | null;
  /** One sentence saying why this label (and, when inconclusive, what would decide it). */
  reason: string;
  /** Rough number of items that would decide an inconclusive curve; null otherwise. */
  itemsNeeded: number | null;
  points: CurvePointSummary[];
  /** The paired tests behind the label. */
  tests: Comparison[];
}

export interface CollapseSummary {
  provider: string;
  label: 'selection-collapse' | 'stable' | 'inconclusive';
  detail: string;
  /** Where a collapse was found: the k and the selector whose gain vanished under another. */
  k: number | null;
  gainSelector: string | null;
  lossSelector: string | null;
  /** Selector against selector at each k both ran, paired over items (Holm-corrected with the run). */
  selectorTests: Comparison[];
}

/** Does a failure rate rise with k? An operational finding, never mixed into accuracy labels. */
export interface FailureTrend {
  provider: string;
  selector: string;
  kind: FailureKey;
  rates: { k: number; rate: number; nTrials: number }[];
  /** Paired difference of item failure rates, largest k minus k = 0, with its 95% interval. */
  estimate: number;
  ciLow: number;
  ciHigh: number;
  pAdjusted: number;
  flagged: boolean;
  detail: string;
}

export type Decision = 'keep-few-shot' | 'fine-tune' | 'extend-sweep' | 'inconclusive';

export interface Advice {
  provider: string;
  decision: Decision;
  /** The recommended cell: the cheapest (prompt tokens) statistically tied with the best. */
  selector: string | null;
  k: number | null;
  accuracy: number | null;
  ciLow: number | null;
  ciHigh: number | null;
  nItems: number;
  /** One sentence each, built from the labels. */
  reasons: string[];
  tokensPerRequest: { recommended: number | null; zeroShot: number | null };
  /** In the price table's currency; null when the model has no price. */
  costPer1k: { recommended: number | null; zeroShot: number | null } | null;
  costPerMonth: { recommended: number | null; zeroShot: number | null; requestsPerMonth: number } | null;
  priceSource: string | null;
}

/** A provider's cells with their accuracy and prompt size: the input to advice. */
export interface CandidateCell extends CellRef {
  accuracy: number;
  ciLow: number;
  ciHigh: number;
  nItems: number;
  meanTokensIn: number | null;
  meanTokensOut: number | null;
  /** Of meanTokensIn, the part served from the provider's prompt cache. */
  meanCachedTokens: number | null;
}

/**
 * For one provider: the best cell and every cell statistically tied with it. The best is chosen
 * inside each bootstrap resample (winner's curse), so `tied` is not biased against cheap cells.
 */
export interface ProviderCandidates {
  provider: string;
  model: string;
  best: CandidateCell | null;
  /** Includes the best; empty when nothing was answered. */
  tied: CandidateCell[];
  /** The zero-shot cell, for cost comparison; null when the sweep had no k = 0. */
  zeroShot: CandidateCell | null;
}
