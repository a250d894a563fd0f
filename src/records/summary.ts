/**
 * results/<run>/summary.json: what the reports show, as analysis/summary.ts builds it from
 * trials.jsonl and run.json. The types, the schema that reads the file back, and its writer; the
 * statistics live in analysis/. Every figure has its sample size and interval; a label is only given
 * when the data support it.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { writeFileAtomic } from '../util/writable.js';
import { describeFieldIssue } from './issues.js';
import type { RunInfo } from './run-info.js';
import { TRIAL_ERROR_KINDS, type TrialErrorKind } from './trial.js';

/** Version 3: answer failures count wrong in accuracy, labels rest on `checks`, tests name their `method` and `family`. */
export const SUMMARY_SCHEMA_VERSION = 3;

/** Every outcome, in the order reports list them. */
export const OUTCOMES = ['answered', 'provider_error', 'empty', 'truncated', 'parse_failure', 'refusal', 'scorer_failure'] as const;

/**
 * What happened to one trial (analysis/outcome.ts classifies). Two kinds of failure are told apart:
 * - a provider failure (`provider_error`: rate limit, server, timeout, auth, bad request, context
 *   length, malformed response) produced no answer from the model: it says nothing about the prompt,
 *   so it is kept out of accuracy and reported apart;
 * - an answer failure (`empty`, `truncated`, `parse_failure`, `refusal`) is the model's answer to
 *   that prompt: it scores 0 in the accuracy that drives labels, advice and compare. `scorer_failure`
 *   (a scorer module of the user's own threw, timed out or gave no score in [0, 1]: the trial's
 *   `scorerError`) is counted the same way: the answer could not be shown to be right.
 */
export type Outcome = (typeof OUTCOMES)[number];

/** The failure outcomes (everything but `answered`). */
export const FAILURE_OUTCOMES = ['provider_error', 'empty', 'truncated', 'parse_failure', 'refusal', 'scorer_failure'] as const satisfies readonly Failed[];
type Failed = Exclude<Outcome, 'answered'>;

/** Outcomes added after summary.json version 3 was first written: a count missing from an older summary reads as 0. */
const LATER_OUTCOMES: readonly string[] = ['scorer_failure'] satisfies readonly Outcome[];
export type FailureOutcome = (typeof FAILURE_OUTCOMES)[number];

/** A failure kind as curve points and failure trends count it: the failure outcomes. */
export type FailureKey = FailureOutcome;

/** A proportion estimate with its confidence interval; n is the number of units (items). */
export interface Interval {
  estimate: number;
  lower: number;
  upper: number;
  n: number;
}

/** Settings of the statistics; recorded in summary.json so every number can be reproduced. */
export interface AnalysisSettings {
  /** Error rate of each claim: a curve's label, a provider's collapse verdict, the advice's tied set; each family's tests are corrected within it. */
  alpha: number;
  /** Practical margin: the smallest accuracy difference that matters (0.05 = 5 points). */
  delta: number;
  /** Draws of every bootstrap and of the sign-flip randomization test beyond its exact range (`analysis.resamples`). */
  resamples: number;
  /** Seeds every bootstrap, so the same trials give the same summary bit for bit. */
  seed: number;
  confidenceLevel: number;
  /**
   * Under adaptive sampling, the looks' cumulative item counts: every label check is then tested at
   * the group-sequential nominal level for these looks (analysis/sequential.ts). Absent: a fixed n.
   */
  sequential?: { looks: number[] };
}

/** A cell within one provider: selector `none` is the shared zero-shot cell. */
export interface CellRef {
  selector: string;
  k: number;
}

/**
 * The family a test's correction belongs to: `descriptive` (gains over zero-shot and selector
 * against selector, shown in tables; Holm over the run's descriptive tests, deciding nothing),
 * `failure-trend` (Holm over the run's failure-rate trends), `prompt-variants` (prompt variant against variant, cell by cell: the family deciding "which prompt"), `compare-regression` and
 * `compare-provider-errors` (fewshot compare's two families).
 */
export const FAMILY_NAMES = ['descriptive', 'failure-trend', 'prompt-variants', 'compare-regression', 'compare-provider-errors'] as const;
export type FamilyName = (typeof FAMILY_NAMES)[number];

/**
 * How a p-value was computed (analysis/paired.ts). The sign-flip kinds are one randomization test read
 * three ways: exactly (enumeration, or the binomial when every difference has the same magnitude), by
 * Monte Carlo, or from the continuity-corrected normal tail when Monte Carlo cannot resolve it.
 */
export const PAIRED_METHODS = ['mcnemar-exact', 'sign-flip-exact', 'sign-flip-monte-carlo', 'sign-flip-normal', 'none'] as const;
export type PairedMethod = (typeof PAIRED_METHODS)[number];

/** The kinds of claim a curve's label rests on, each with its share of alpha (analysis/label-family.ts). */
export const LABEL_QUESTIONS = ['drop', 'gain', 'none', 'flat', 'rise'] as const;
export type LabelQuestion = (typeof LABEL_QUESTIONS)[number];

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

export const CURVE_LABELS = ['improving', 'plateau', 'peak-regression', 'no-benefit', 'inconclusive'] as const;
export type CurveLabel = (typeof CURVE_LABELS)[number];

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
  /** The prompt variant (`builtin`: the task's own prompt); absent in summaries from older versions. */
  prompt?: string;
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
  /**
   * Adaptive sampling only: the items the curve had taken when its label was decided (it then stopped
   * taking more); null when still inconclusive at maxItems. Absent under full sampling.
   */
  decidedAtItems?: number | null;
  /**
   * Adaptive sampling, undecided curves only: the k's of cells that no longer matter to the label or
   * the advice (before the reference k, shown more than delta below the curve's best, no-benefit
   * settled: analysis/cell-stopping.ts). The sweep stops asking them; run.json's sampling.stopped
   * says at how many items.
   */
  settledKs?: number[];
  points: CurvePointSummary[];
  /** The checks the label rests on, in the order made (its own family: see label-family.ts). */
  checks: LabelCheck[];
  /** Descriptive: each k against zero-shot (family `descriptive`). */
  tests: Comparison[];
}

export interface CollapseSummary {
  provider: string;
  /** The prompt variant the verdict is about (each variant's selectors are compared among themselves). */
  prompt?: string;
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
  prompt?: string;
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

export const DECISIONS = ['keep-few-shot', 'fine-tune', 'extend-sweep', 'inconclusive'] as const;
export type Decision = (typeof DECISIONS)[number];

export interface Advice {
  provider: string;
  decision: Decision;
  /**
   * The recommended prompt variant (`builtin`: the task's own prompt): with several variants, the one
   * whose recommended cell is most accurate (the `prompt-variants` family says whether that is a
   * significant difference); absent in summaries from older versions.
   */
  prompt?: string;
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
  /** The same through the provider's batch API (sweep --batch), with where the batch price comes from; null when unpriced, absent in older summaries. */
  batchCostPer1k?: { recommended: number | null; zeroShot: number | null; source: string } | null;
  costPerMonth: { recommended: number | null; zeroShot: number | null; requestsPerMonth: number } | null;
  priceSource: string | null;
  /**
   * Keep few-shot or fine-tune, priced (issue 19): present when the model has a fine-tuning price
   * (data/finetune-prices.json or `fineTune.prices`) and the run recorded the pool's training tokens;
   * absent otherwise and in older summaries.
   */
  fineTune?: FineTuneAdvice;
}

/** The fine-tune side of one provider's advice: what training costs, what a tuned request costs, and the break-even volume. */
export interface FineTuneAdvice {
  /** Where the fine-tuning prices come from, with the table's date. */
  source: string;
  currency: string;
  /** The provider's own note on the price (hosting, where tuning is offered). */
  note?: string;
  /** The pool rendered as training examples, against the provider's minimum and recommended numbers. */
  examples: number;
  minExamples: number | null;
  recommendedExamples: number | null;
  trainingTokensPerEpoch: number;
  epochs: number;
  /** trainingTokensPerEpoch x epochs, and its cost. */
  trainingTokens: number;
  trainingCost: number;
  /** Fixed monthly fee of the tuned model (hosting, storage); null: one the price does not state. */
  hostingPerMonth: number | null;
  horizonMonths: number;
  /** Per 1,000 requests: the tuned model at k = 0, the recommended few-shot cell, zero-shot on the base model. */
  costPer1k: { tuned: number; fewShot: number; zeroShot: number | null };
  /** The few-shot cell the tuned model is weighed against. */
  fewShot: { selector: string | null; k: number };
  /** Requests per month at which fine-tuning (training spread over the horizon) costs less; `never`/`unknown` with why. */
  breakEven: { kind: 'volume'; requestsPerMonth: number } | { kind: 'never' | 'unknown'; reason: string };
  /** With requestsPerMonth: which side of the break-even the stated volume is on. */
  atVolume?: { requestsPerMonth: number; cheaper: 'fine-tune' | 'few-shot'; fewShotPerMonth: number; tunedPerMonth: number };
  /**
   * How the tuned model's accuracy is known: `assumed` (matching the recommended few-shot cell until
   * measured), or `measured` (an entry with `tunedFrom`, compared over the same items).
   */
  accuracy: { kind: 'assumed'; text: string } | { kind: 'measured'; text: string; comparison: TunedComparison };
}

/** A tuned entry at k = 0 against its base model's recommended cell, paired over the items both answered. */
export interface TunedComparison {
  tuned: string;
  base: string;
  baseSelector: string | null;
  baseK: number;
  /** Tuned minus base, in accuracy (0-1), with its 95% interval and the paired items. */
  difference: number;
  ciLow: number;
  ciHigh: number;
  nItems: number;
  tunedAccuracy: number;
  baseAccuracy: number;
}

/** One (provider, prompt, selector, k) cell of the sweep. */
export interface CellSummary {
  provider: string;
  model: string;
  /** The prompt variant (`builtin`: the task's own prompt); absent in summaries from older versions. */
  prompt?: string;
  selector: string;
  k: number;
  /** Distinct items asked in this cell. */
  nItems: number;
  nTrials: number;
  /** Trials answered from the response cache (not paid again). */
  cachedTrials: number;
  outcomes: Record<Outcome, number>;
  providerErrorsByKind: Partial<Record<TrialErrorKind, number>>;
  /**
   * The accuracy every verdict uses: over the trials the model answered, answer failures (empty,
   * truncated, unparseable, refused) scored 0, provider failures left out; items as the unit
   * (n = items with at least one such trial).
   */
  accuracy: Interval | null;
  /** Secondary: over parsed replies only (n = items with at least one parsed reply). */
  parsedAccuracy: Interval | null;
  /** Over all trials, provider failures scored 0 as well: what a user of the pipeline would get today. */
  endToEndAccuracy: Interval | null;
  /** Non-answered trials / all trials. */
  failureRate: number;
  /** Answer failures / trials the model answered (0 when it answered none). */
  answerFailureRate: number;
  /** Provider failures / all trials. */
  providerFailureRate: number;
  /** Means over calls that returned (no provider error): a failed call says nothing about prompt size or speed. */
  meanTokensIn: number | null;
  /** Of meanTokensIn, the part the provider served from its prompt cache (cheaper). */
  meanCachedTokens: number | null;
  /**
   * Of meanTokensIn, the part written to the provider's prompt cache (Anthropic: billed at 1.25x input).
   * Absent when no call of the cell wrote any, and in older summaries.
   */
  meanCacheWriteTokens?: number;
  /**
   * The net effect of the provider's prompt cache, per 1,000 requests in the price's currency: the
   * cell's mean prompt at the plain input price minus the same prompt as billed (reads at the cached
   * rate, writes at the cache-write rate). Negative: prefixes were written and not read enough to pay
   * for it. Absent when the cell's calls neither read nor wrote the cache, or the model has no price.
   */
  cacheSavings?: number;
  meanTokensOut: number | null;
  meanLatencyMs: number | null;
  /**
   * Of meanTokensOut, the mean tokens spent thinking, over the returned calls that reported them (priced
   * as output). Absent when no call in the cell reported reasoning tokens, and in older summaries.
   */
  meanReasoningTokens?: number;
  /** True when some of those counts are estimates (Anthropic's thinking text). */
  reasoningTokensEstimated?: boolean;
  /**
   * Replies cut off at the output limit with no visible answer after thinking (counted as truncated):
   * the thinking used the budget. Absent when none.
   */
  thinkingCutoffs?: number;
  /** The snapshots that answered (`model`, or `model fingerprint` for OpenAI), with their trial counts; absent when the API named none. */
  snapshots?: Record<string, number>;
  /**
   * Each task measure (a [0, 1] detail such as routes' feasibility) over parsed replies,
   * items as the unit like accuracy; null when no answered trial carries it.
   */
  measures: Record<string, Interval | null>;
  /** Label tasks: answered trials by expected label (rows) and predicted label (columns). */
  confusion?: Confusion;
}

export interface Confusion {
  labels: string[];
  /** counts[expected][predicted], every label present in both. */
  counts: Record<string, Record<string, number>>;
}

/**
 * Two prompt variants of one provider in one cell (same selector and k, same items, same shots):
 * accuracy(b) - accuracy(a), paired over items; Holm over the run's `prompt-variants` family.
 */
export interface PromptComparison {
  provider: string;
  a: string;
  b: string;
  selector: string;
  k: number;
  nItems: number;
  estimate: number;
  ciLow: number;
  ciHigh: number;
  method: PairedMethod;
  pValue: number;
  pAdjusted: number;
  significant: boolean;
}

/**
 * How well the judge of model-graded scoring agrees with people (`scoring.calibration`): its grades of
 * the calibration file's human-graded replies against theirs (analysis/agreement.ts). An interval is
 * null when its statistic is undefined (fewer than two graded records, or grades that do not vary).
 */
export interface JudgeCalibrationSummary {
  /** The calibration file as the experiment names it. */
  file: string;
  /** The judge's provider id. */
  judge: string;
  /** The grading scale, e.g. `0-10`. */
  scale: string;
  /** The rubric file, as the experiment names it. */
  rubric: string;
  /** Records in the file. */
  records: number;
  /** Records the judge graded: the pairs every statistic here is over. */
  n: number;
  /** Records without a judge grade (a failed call, an unreadable grade, the budget, a stop). */
  ungraded: number;
  /** Cohen's kappa with quadratic weights (1: the same grades; 0: chance), with its bootstrap interval. */
  kappa: Interval | null;
  /** Spearman's rank correlation (do judge and people order replies alike?), with its bootstrap interval. */
  spearman: Interval | null;
  /** Mean of judge - human grade, in scale points (> 0: the judge is more lenient), with its bootstrap interval. */
  meanDifference: Interval | null;
  /** How the intervals are drawn. */
  method: string;
}

export interface ProviderSummary {
  id: string;
  /** The entry's label: it names the provider's trials, cells, curves and advice in place of the id. */
  label?: string;
  status: 'ran' | 'skipped';
  reason?: string;
  /** Model(s) seen in the trials; null when the provider has none (e.g. skipped). */
  model: string | null;
  /**
   * The snapshots the API said answered (`model`, or `model fingerprint` for OpenAI), with trial
   * counts. More than one model is a silent update within the run (a notice says so). Absent when the
   * API named none, and in older summaries.
   */
  snapshots?: Record<string, number>;
}

/** results/<run>/summary.json: everything the reports show, computed from trials.jsonl and run.json. */
export interface RunSummary {
  schemaVersion: typeof SUMMARY_SCHEMA_VERSION;
  runId: string;
  experimentName: string;
  generatedAt: string;
  /** Every interval in the summary is a 95% interval. */
  confidenceLevel: 0.95;
  intervalMethod: string;
  /** run.json's status; `interrupted` when it still says `running` (the sweep never finished: no end time). Reports from older versions may say `running`. */
  status: RunInfo['status'] | 'interrupted';
  startedAt: string;
  endedAt: string | null;
  plannedTrials: number;
  completedTrials: number;
  providers: ProviderSummary[];
  /** Skipped providers first, then run.json's notices, then notices passed in (e.g. a torn trials line). */
  notices: string[];
  task: RunInfo['task'];
  /** `sharedTrials`: trials answered by an identical call in flight (trials.jsonl's `shared`); absent when none, and in older summaries. */
  totals: { trials: number; answered: number; failures: Record<FailureOutcome, number>; sharedTrials?: number };
  /** The statistics' settings: with the trials they reproduce every number here. */
  settings: AnalysisSettings;
  /** Tests in the run's descriptive family (Holm within it): each k against zero-shot, selector against selector. */
  testCount: number;
  /** The experiment's target accuracy, when it states one. */
  target: number | null;
  requestsPerMonth: number | null;
  cells: CellSummary[];
  /** One per provider x selector: points with intervals, the label and the tests behind it. */
  curves: CurveSummary[];
  /** One per provider: does the gain survive a change of selector? */
  collapse: CollapseSummary[];
  /** Failure rates that rise with k: operational findings, reported beside the labels. */
  failureTrends: FailureTrend[];
  /** One per provider: keep few-shot (at which prompt, selector and k), fine-tune, extend the sweep, or inconclusive. */
  advice: Advice[];
  /** Prompt variants compared cell by cell (family `prompt-variants`); empty with one prompt, absent in older summaries. */
  promptComparisons?: PromptComparison[];
  /** The judge's agreement with human grades (`scoring.calibration`); absent without one, and in older summaries. */
  judgeCalibration?: JudgeCalibrationSummary;
}

// The schema of summary.json, shape by shape. Unknown fields are dropped on reading (what a reader
// uses is typed); every field of the types above is checked.

/** A number; JSON.stringify writes NaN and the infinities as null, which reads back as NaN. */
const num = z.union([z.number(), z.null().transform(() => Number.NaN)]);
const nullableNum = z.number().nullable();
/** A count per key, every key present. */
const countsBy = <const K extends string>(keys: readonly [K, ...K[]]) =>
  z.object(Object.fromEntries(keys.map((k) => [k, LATER_OUTCOMES.includes(k) ? num.default(0) : num])) as Record<K, typeof num>);

const intervalSchema = z.object({ estimate: num, lower: num, upper: num, n: num });
const cellRefSchema = z.object({ selector: z.string(), k: num });

const settingsSchema = z.object({
  alpha: num,
  delta: num,
  resamples: num,
  seed: num,
  confidenceLevel: num,
  sequential: z.object({ looks: z.array(z.number().int().positive()) }).optional(),
});

const comparisonSchema = z.object({
  provider: z.string(),
  a: cellRefSchema,
  b: cellRefSchema,
  nItems: num,
  estimate: num,
  ciLow: num,
  ciHigh: num,
  method: z.enum(PAIRED_METHODS),
  pValue: num,
  pAdjusted: num,
  significant: z.boolean(),
  family: z.enum(FAMILY_NAMES),
});

const labelCheckSchema = z.object({
  question: z.enum([...LABEL_QUESTIONS, 'collapse', 'stable']),
  claim: z.string(),
  a: cellRefSchema,
  b: cellRefSchema,
  nItems: num,
  estimate: num,
  test: z.enum(['upper-bound', 'lower-bound', 'one-sided-p']),
  level: num,
  value: num,
  threshold: num,
  holds: z.boolean(),
  method: z.enum([...PAIRED_METHODS, 'adjusted-wald']),
});

const curvePointSchema = z.object({
  k: num,
  cellSelector: z.string(),
  nItems: num,
  nTrials: num,
  accuracy: nullableNum,
  ciLow: nullableNum,
  ciHigh: nullableNum,
  nScoredItems: num,
  parsedAccuracy: nullableNum,
  parsedCiLow: nullableNum,
  parsedCiHigh: nullableNum,
  nParsedItems: num,
  accuracyEndToEnd: nullableNum,
  endToEndCiLow: nullableNum,
  endToEndCiHigh: nullableNum,
  failureRate: num,
  answerFailureRate: num,
  providerFailureRate: num,
  failures: countsBy(FAILURE_OUTCOMES),
  meanTokensIn: nullableNum,
  meanTokensOut: nullableNum,
});

const curveSchema = z.object({
  provider: z.string(),
  model: z.string(),
  prompt: z.string().optional(),
  selector: z.string(),
  label: z.enum(CURVE_LABELS),
  bestK: nullableNum,
  kneeK: nullableNum,
  peakK: nullableNum,
  scope: z.string(),
  reason: z.string(),
  itemsNeeded: nullableNum,
  decidedAtItems: nullableNum.optional(),
  settledKs: z.array(z.number()).optional(),
  points: z.array(curvePointSchema),
  checks: z.array(labelCheckSchema),
  tests: z.array(comparisonSchema),
});

const collapseSchema = z.object({
  provider: z.string(),
  prompt: z.string().optional(),
  label: z.enum(['selection-collapse', 'stable', 'inconclusive']),
  detail: z.string(),
  k: nullableNum,
  gainSelector: z.string().nullable(),
  lossSelector: z.string().nullable(),
  checks: z.array(labelCheckSchema),
  selectorTests: z.array(comparisonSchema),
});

const failureTrendSchema = z.object({
  provider: z.string(),
  prompt: z.string().optional(),
  selector: z.string(),
  kind: z.enum(FAILURE_OUTCOMES),
  rates: z.array(z.object({ k: num, rate: num, nTrials: num })),
  estimate: num,
  ciLow: num,
  ciHigh: num,
  pAdjusted: num,
  flagged: z.boolean(),
  detail: z.string(),
});

const recommendedPair = { recommended: nullableNum, zeroShot: nullableNum };
const adviceSchema = z.object({
  provider: z.string(),
  decision: z.enum(DECISIONS),
  prompt: z.string().optional(),
  selector: z.string().nullable(),
  k: nullableNum,
  accuracy: nullableNum,
  ciLow: nullableNum,
  ciHigh: nullableNum,
  nItems: num,
  reasons: z.array(z.string()),
  tokensPerRequest: z.object(recommendedPair),
  costPer1k: z.object(recommendedPair).nullable(),
  batchCostPer1k: z
    .object({ ...recommendedPair, source: z.string() })
    .nullable()
    .optional(),
  costPerMonth: z.object({ ...recommendedPair, requestsPerMonth: num }).nullable(),
  priceSource: z.string().nullable(),
  fineTune: z
    .object({
      source: z.string(),
      currency: z.string(),
      note: z.string().optional(),
      examples: num,
      minExamples: nullableNum,
      recommendedExamples: nullableNum,
      trainingTokensPerEpoch: num,
      epochs: num,
      trainingTokens: num,
      trainingCost: num,
      hostingPerMonth: nullableNum,
      horizonMonths: num,
      costPer1k: z.object({ tuned: num, fewShot: num, zeroShot: nullableNum }),
      fewShot: z.object({ selector: z.string().nullable(), k: num }),
      breakEven: z.union([
        z.object({ kind: z.literal('volume'), requestsPerMonth: num }),
        z.object({ kind: z.enum(['never', 'unknown']), reason: z.string() }),
      ]),
      atVolume: z.object({ requestsPerMonth: num, cheaper: z.enum(['fine-tune', 'few-shot']), fewShotPerMonth: num, tunedPerMonth: num }).optional(),
      accuracy: z.union([
        z.object({ kind: z.literal('assumed'), text: z.string() }),
        z.object({
          kind: z.literal('measured'),
          text: z.string(),
          comparison: z.object({
            tuned: z.string(),
            base: z.string(),
            baseSelector: z.string().nullable(),
            baseK: num,
            difference: num,
            ciLow: num,
            ciHigh: num,
            nItems: num,
            tunedAccuracy: num,
            baseAccuracy: num,
          }),
        }),
      ]),
    })
    .optional(),
});

const confusionSchema = z.object({ labels: z.array(z.string()), counts: z.record(z.string(), z.record(z.string(), num)) });

const cellSchema = z.object({
  provider: z.string(),
  model: z.string(),
  prompt: z.string().optional(),
  selector: z.string(),
  k: num,
  nItems: num,
  nTrials: num,
  cachedTrials: num,
  outcomes: countsBy(OUTCOMES),
  providerErrorsByKind: z.partialRecord(z.enum(TRIAL_ERROR_KINDS), num),
  accuracy: intervalSchema.nullable(),
  parsedAccuracy: intervalSchema.nullable(),
  endToEndAccuracy: intervalSchema.nullable(),
  failureRate: num,
  answerFailureRate: num,
  providerFailureRate: num,
  meanTokensIn: nullableNum,
  meanCachedTokens: nullableNum,
  meanCacheWriteTokens: z.number().nonnegative().optional(),
  cacheSavings: z.number().optional(),
  meanTokensOut: nullableNum,
  meanLatencyMs: nullableNum,
  meanReasoningTokens: z.number().nonnegative().optional(),
  reasoningTokensEstimated: z.boolean().optional(),
  thinkingCutoffs: z.number().int().nonnegative().optional(),
  snapshots: z.record(z.string(), z.number().int().nonnegative()).optional(),
  measures: z.record(z.string(), intervalSchema.nullable()),
  confusion: confusionSchema.optional(),
});

const promptComparisonSchema = z.object({
  provider: z.string(),
  a: z.string(),
  b: z.string(),
  selector: z.string(),
  k: num,
  nItems: num,
  estimate: num,
  ciLow: num,
  ciHigh: num,
  method: z.enum(PAIRED_METHODS),
  pValue: num,
  pAdjusted: num,
  significant: z.boolean(),
});

const judgeCalibrationSchema = z.object({
  file: z.string(),
  judge: z.string(),
  scale: z.string(),
  rubric: z.string(),
  records: num,
  n: num,
  ungraded: num,
  kappa: intervalSchema.nullable(),
  spearman: intervalSchema.nullable(),
  meanDifference: intervalSchema.nullable(),
  method: z.string(),
});

const providerSummarySchema = z.object({
  id: z.string(),
  label: z.string().optional(),
  status: z.enum(['ran', 'skipped']),
  reason: z.string().optional(),
  model: z.string().nullable(),
  snapshots: z.record(z.string(), z.number().int().nonnegative()).optional(),
});

const taskSchema = z.object({
  type: z.string(),
  poolSize: num,
  evalItems: num,
  baseline: z.string(),
  measures: z.array(z.object({ key: z.string(), label: z.string(), description: z.string() })),
});

/** What summary.json must hold (this version's: see SUMMARY_SCHEMA_VERSION). */
export const summarySchema = z.object({
  schemaVersion: z.literal(SUMMARY_SCHEMA_VERSION),
  runId: z.string(),
  experimentName: z.string(),
  generatedAt: z.string(),
  confidenceLevel: z.literal(0.95),
  intervalMethod: z.string(),
  status: z.enum(['running', 'complete', 'partial', 'interrupted']),
  startedAt: z.string(),
  endedAt: z.string().nullable(),
  plannedTrials: num,
  completedTrials: num,
  providers: z.array(providerSummarySchema),
  notices: z.array(z.string()),
  task: taskSchema,
  totals: z.object({ trials: num, answered: num, failures: countsBy(FAILURE_OUTCOMES), sharedTrials: num.optional() }),
  settings: settingsSchema,
  testCount: num,
  target: nullableNum,
  requestsPerMonth: nullableNum,
  cells: z.array(cellSchema),
  curves: z.array(curveSchema),
  collapse: z.array(collapseSchema),
  failureTrends: z.array(failureTrendSchema),
  advice: z.array(adviceSchema),
  promptComparisons: z.array(promptComparisonSchema).optional(),
  judgeCalibration: judgeCalibrationSchema.optional(),
});

/** True when A and B are the same type (each assignable to the other). */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Holds<T extends true> = T;

/**
 * Compile-time checks: each schema reads exactly its type. A field added to, removed from or
 * retyped in one of the types above fails to compile here until its schema follows.
 */
export type SummarySchemaAgrees = [
  Holds<Same<z.output<typeof intervalSchema>, Interval>>,
  Holds<Same<z.output<typeof settingsSchema>, AnalysisSettings>>,
  Holds<Same<z.output<typeof comparisonSchema>, Comparison>>,
  Holds<Same<z.output<typeof labelCheckSchema>, LabelCheck>>,
  Holds<Same<z.output<typeof curvePointSchema>, CurvePointSummary>>,
  Holds<Same<z.output<typeof curveSchema>, CurveSummary>>,
  Holds<Same<z.output<typeof collapseSchema>, CollapseSummary>>,
  Holds<Same<z.output<typeof failureTrendSchema>, FailureTrend>>,
  Holds<Same<z.output<typeof adviceSchema>, Advice>>,
  Holds<Same<z.output<typeof cellSchema>, CellSummary>>,
  Holds<Same<z.output<typeof providerSummarySchema>, ProviderSummary>>,
  Holds<Same<z.output<typeof judgeCalibrationSchema>, JudgeCalibrationSummary>>,
  Holds<Same<z.output<typeof promptComparisonSchema>, PromptComparison>>,
  Holds<Same<z.output<typeof summarySchema>, RunSummary>>,
];

/** A summary.json that cannot be used: which file, which field (null: the file as a whole), and what was expected. */
export class SummaryError extends Error {
  constructor(
    readonly file: string,
    readonly field: string | null,
    readonly reason: string,
  ) {
    super(`${file}: ${reason}`);
    this.name = 'SummaryError';
  }
}

/** Validate a parsed summary.json; `file` is named in the error. */
export function parseSummary(value: unknown, file: string): RunSummary {
  const version = typeof value === 'object' && value !== null ? (value as { schemaVersion?: unknown }).schemaVersion : undefined;
  if (typeof version === 'number' && version !== SUMMARY_SCHEMA_VERSION) {
    const why =
      version < SUMMARY_SCHEMA_VERSION
        ? 'written by an earlier fewshot: `fewshot report <run folder>` rebuilds it from trials.jsonl'
        : 'written by a newer fewshot';
    throw new SummaryError(file, 'schemaVersion', `summary.json schema version ${version}, this fewshot reads version ${SUMMARY_SCHEMA_VERSION} (${why})`);
  }
  const result = summarySchema.safeParse(value);
  if (result.success) return result.data;
  const issues = result.error.issues;
  const problems = issues.slice(0, 3).map((issue) => describeFieldIssue(issue, value));
  const more = issues.length - problems.length;
  throw new SummaryError(
    file,
    issues[0]!.path.map(String).join('.') || null,
    `not a fewshot summary.json: ${problems.join('; ')}${more > 0 ? `; and ${more} more` : ''}`,
  );
}

/** Read and validate results/<run>/summary.json: a SummaryError for a file that is missing, unreadable, not JSON or not a summary. */
export function readSummary(path: string): RunSummary {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new SummaryError(path, null, code === 'ENOENT' ? 'not found' : `cannot read (${(err as Error).message})`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new SummaryError(path, null, `not valid JSON (${(err as Error).message})`);
  }
  return parseSummary(value, path);
}

/** Writes summary.json (indented, as people read it) atomically: a reader never sees half a file. */
export function writeSummary(path: string, summary: RunSummary): void {
  writeFileAtomic(path, `${JSON.stringify(summary, null, 2)}\n`);
}
