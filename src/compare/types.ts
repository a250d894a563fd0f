import type { Comparison } from '../records/summary.js';

/** compare.json: a baseline run against a candidate run, cell by cell (schema version 1). */

export interface CompareOptions {
  /** The smallest drop in accuracy (or rise in answer failures) that is a regression: 0.03 = 3 points. */
  margin: number;
  /** Family-wise error rate over the regression tests of every compared cell (Holm). */
  alpha: number;
  /** Relative rise in tokens or cost per request that is flagged: 0.1 = 10%. */
  costThreshold: number;
  /** Draws of the sign-flip test beyond its exact range. */
  resamples: number;
  /** Compare runs of experiments with different names (a renamed experiment); the task type must still match. */
  allowDifferentExperiments: boolean;
}

export const DEFAULT_COMPARE_OPTIONS: CompareOptions = {
  margin: 0.03,
  alpha: 0.05,
  costThreshold: 0.1,
  resamples: 2000,
  allowDifferentExperiments: false,
};

export const COMPARE_SCHEMA_VERSION = 1;

export interface RunRef {
  /** The run folder as given (or as found inside the folder given). */
  dir: string;
  runId: string;
  experimentName: string;
  taskType: string;
  status: string;
  startedAt: string;
  git: { commit: string | null; dirty: boolean | null };
  trials: number;
  /** Trials answered from the response cache. */
  cachedTrials: number;
  /** Provider calls the run made (not from the cache; the local baseline makes none). */
  newCalls: number;
  /** run.json's prompt fingerprint; null in runs without one (older versions, imports). */
  promptHash: string | null;
  settingsHash: string;
  itemsHash: string | null;
}

/** A paired test of candidate minus baseline over the items both runs have in the cell (pAdjusted: Holm within CompareResult.testCount). */
export type PairedTest = Omit<Comparison, 'provider' | 'a' | 'b'>;

/**
 * - regression: a significant drop in accuracy (answer failures counted wrong), or a significant rise in answer failures
 *   (empty, truncated, unparseable), of at least the margin;
 * - improvement: a significant gain in accuracy of at least the margin (and no regression);
 * - within-margin: a significant change smaller than the margin;
 * - no-significant-change; no-pairs: no item answered on both sides (see the failure tests).
 */
export type CellVerdict = 'regression' | 'improvement' | 'within-margin' | 'no-significant-change' | 'no-pairs';

export interface CellSide {
  /** Mean accuracy over the paired items (answered by the model on both sides; answer failures count 0); null without pairs. */
  accuracy: number | null;
  /** Mean per-item share of trials whose answer failed (empty, truncated, parse failure), over items asked on both sides. */
  answerFailureRate: number | null;
  /** The same for provider errors (rate limits, 5xx, timeouts, ...). */
  providerErrorRate: number | null;
  nTrials: number;
  /** Mean tokens in + out of the cell's calls that returned. */
  tokensPerRequest: number | null;
  /** Cost of 1,000 requests at the run's prices; null without a price. */
  costPer1k: number | null;
}

export interface CellComparison {
  provider: string;
  selector: string;
  k: number;
  verdict: CellVerdict;
  /** Why a regression (or improvement), one sentence each. */
  reasons: string[];
  baseline: CellSide;
  candidate: CellSide;
  accuracy: PairedTest;
  answerFailures: PairedTest;
  providerErrors: PairedTest;
  /** Currency of costPer1k; null without a price. */
  currency: string | null;
}

export type FlagKind = 'label-worse' | 'collapse-worse' | 'advice-changed' | 'failure-rise' | 'cost-rise' | 'coverage' | 'snapshot-changed';

/** Something worse that is not a regression of a cell: reported, and fails the gate only with `--fail-on flag`. */
export interface Flag {
  kind: FlagKind;
  provider: string;
  /** The curve or cell it is about, when it is about one. */
  selector: string | null;
  k: number | null;
  message: string;
  baseline: string;
  candidate: string;
}

export interface OneSidedCell {
  provider: string;
  selector: string;
  k: number;
  nItems: number;
}

export interface OneSidedItems {
  provider: string;
  count: number;
  /** The first ids, sorted (all of them in compare.json up to 50). */
  ids: string[];
}

export interface OneSided {
  providers: string[];
  cells: OneSidedCell[];
  items: OneSidedItems[];
}

export interface PromptChange {
  /** Whether the rendered templates differ; null when a run has no fingerprint. */
  templateChanged: boolean | null;
  settingsChanged: boolean;
  /** Whether the evaluation items' texts differ; null when a run has no fingerprint. */
  itemsChanged: boolean | null;
  /** Answer-shaping settings that differ, one `path: before -> after` each. */
  settingsChanges: string[];
  /** Unified diff of the rendered templates (baseline -> candidate); empty when equal or unknown. */
  diff: string[];
  /** Prompt template files (`prompts:`) whose content changed, was added or was removed, by path; empty when none or unknown. */
  templateFiles: string[];
  /** Scoring files (a scorer module, a judge's rubric) whose content changed, was added or was removed: scores may differ for the same replies. */
  scoringFiles: string[];
}

export interface CompareResult {
  schemaVersion: typeof COMPARE_SCHEMA_VERSION;
  generatedAt: string;
  baseline: RunRef;
  candidate: RunRef;
  options: Omit<CompareOptions, 'allowDifferentExperiments'>;
  /** regression: at least one cell regressed; flagged: none did, but something is flagged; clean otherwise. */
  verdict: 'regression' | 'flagged' | 'clean';
  counts: { cells: number; regressions: number; improvements: number; flags: number };
  /** Size of the Holm family of regression tests: two per compared cell (accuracy, answer failures). */
  testCount: number;
  cells: CellComparison[];
  flags: Flag[];
  onlyInBaseline: OneSided;
  onlyInCandidate: OneSided;
  prompt: PromptChange;
  notices: string[];
}

/** What fails the gate: a regression (default), any regression or flag, or nothing. */
export type FailOn = 'regression' | 'flag' | 'none';

export function failsGate(result: CompareResult, failOn: FailOn): boolean {
  if (failOn === 'none') return false;
  if (failOn === 'flag') return result.verdict !== 'clean';
  return result.verdict === 'regression';
}
