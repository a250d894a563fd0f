/**
 * The analysis contract: what summary.json carries beyond per-cell numbers.
 * Every figure has its sample size and interval; a label is only given when the data support it.
 */
import type { LabelQuestion } from './label-family.js';
import type { PairedMethod } from './paired.js';

/** Settings of the statistics; recorded in summary.json so every number can be reproduced. */
export interface AnalysisSettings {
  /** Error rate of each claim: a curve's label, a provider's collapse verdict, the advice's tied set; each family's tests are corrected within it. */
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

/**
 * The family a test's correction belongs to: `descriptive` (gains over zero-shot and selector
 * against selector, shown in tables; Holm over the run's descriptive tests, deciding nothing),
 * `failure-trend` (Holm over the run's failure-rate trends), `compare-regression` and
 * `compare-provider-errors` (fewshot compare's two families).
 */
export type FamilyName = 'descriptive' | 'failure-trend' | 'compare-regression' | 'compare-provider-errors';

/** A paired comparison over items of two cells of one provider: estimate = accuracy(b) - accuracy(a). */
export interface Comparison {
  provider: string;
  a: CellRef;
  b: CellRef;
  /** Items the model answered in both cells (the pairs). */
  nItems: number;
  estimate: number;
  /** 95% interval of the difference (adjusted Wald). */
  ciLow: number;
  ciHigh: number;
  /** The test that produced pValue. */
  method: PairedMethod;
  pValue: number;
  /** Holm-adjusted within `family`. */
  pAdjusted: number;
  significant: boolean;
  family: FamilyName;
}

/**
 * One check behind a label (or a collapse verdict): a one-sided bound of accuracy(b) - accuracy(a)
 * compared with a threshold, or a one-sided p-value compared with its level. `level` already holds
 * the claim's share of alpha and any split over candidates (label-family.ts).
 */
export interface LabelCheck {
  question: LabelQuestion | 'collapse' | 'stable';
  /** What the check shows when it holds, e.g. "k=16 gains less than 5.0 points over k=4". */
  claim: string;
  a: CellRef;
  b: CellRef;
  nItems: number;
  estimate: number;
  test: 'upper-bound' | 'lower-bound' | 'one-sided-p';
  level: number;
  /** The bound, or the p-value. */
  value: number;
  threshold: number;
  holds: boolean;
  method: PairedMethod | 'adjusted-wald';
}

export type CurveLabel = 'improving' | 'plateau' | 'peak-regression' | 'no-benefit' | 'inconclusive';

export type FailureKey = 'provider_error' | 'empty' | 'truncated' | 'parse_failure' | 'refusal';

export interface CurvePointSummary {
  k: number;
  /** The cell the point comes from (`none` for the shared zero-shot point). */
  cellSelector: string;
  nItems: number;
  nTrials: number;
  /**
   * Accuracy (items as the unit; answer failures scored 0, provider failures left out) and its 95%
   * interval: what labels, advice and compare use. Null when the model answered nothing.
   */
  accuracy: number | null;
  ciLow: number | null;
  ciHigh: number | null;
  /** Items with at least one trial the model answered: the n behind accuracy. */
  nScoredItems: number;
  /** Secondary: accuracy among parsed replies only, with its interval and n. */
  parsedAccuracy: number | null;
  parsedCiLow: number | null;
  parsedCiHigh: number | null;
  nParsedItems: number;
  /** Every failure scored 0, provider failures included. */
  accuracyEndToEnd: number | null;
  endToEndCiLow: number | null;
  endToEndCiHigh: number | null;
  /** Any failure / all trials. */
  failureRate: number;
  /** Answer failures / trials the model answered. */
  answerFailureRate: number;
  /** Provider failures / all trials. */
  providerFailureRate: number;
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
  /** Highest accuracy (point estimate); null without data. */
  bestK: number | null;
  /** The k after which more shots are shown to buy less than delta (plateau only). */
  kneeK: number | null;
  /** The k of the peak before a significant drop (peak-regression only). */
  peakK: number | null;
  /** The swept range the label speaks for, e.g. "k <= 16": a label is a claim about that range only. */
  scope: string;
  /** One sentence saying why this label (and, when inconclusive, what would decide it). */
  reason: string;
  /** Rough number of items that would decide an inconclusive curve; null otherwise (also when more items cannot decide). */
  itemsNeeded: number | null;
  points: CurvePointSummary[];
  /** The checks the label rests on, in the order made (its own family: see label-family.ts). */
  checks: LabelCheck[];
  /** Descriptive: each k against zero-shot (family `descriptive`). */
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
  /** The checks the verdict rests on (the provider's collapse family). */
  checks: LabelCheck[];
  /** Descriptive: selector against selector at each k both ran, paired over items (family `descriptive`). */
  selectorTests: Comparison[];
}

/** Does a failure rate rise with k? For provider failures an operational finding kept out of accuracy; answer failures count wrong in it. */
export interface FailureTrend {
  provider: string;
  selector: string;
  kind: FailureKey;
  rates: { k: number; rate: number; nTrials: number }[];
  /** Paired difference of item failure rates, largest k minus k = 0, with its 95% interval (family `failure-trend`). */
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
