import type { TrialSource } from './accumulate.js';
import { promptOf, ZERO_SHOT_SELECTOR } from '../records/trial.js';
import { comparePromptVariants } from './prompt-variants.js';
import { findCandidates, type ProviderCandidates } from './candidates.js';
import { detectCollapse, planSelectorTests } from './collapse.js';
import type { CurveData } from './curve-tests.js';
import { planFailureTrends, summarizeTrend, type PlannedTrend } from './failure-trends.js';
import { buildItemMatrices, type CellItems, type ItemMatrix } from './item-scores.js';
import { labelCurve } from './labels.js';
import { settledCells } from './cell-stopping.js';
import { compareStrings } from './summarize.js';
import type {
  AnalysisSettings,
  CellSummary,
  CollapseSummary,
  Comparison,
  CurvePointSummary,
  CurveSummary,
  FailureTrend,
  PromptComparison,
} from '../records/summary.js';
import { TestFamily } from './test-family.js';

export interface RunAnalysis {
  curves: CurveSummary[];
  /** Prompt variants of each provider compared cell by cell (family `prompt-variants`); empty with one prompt. */
  promptComparisons: PromptComparison[];
  collapse: CollapseSummary[];
  failureTrends: FailureTrend[];
  candidates: ProviderCandidates[];
  /** Tests in the run's descriptive family (Holm within it). */
  testCount: number;
}

/**
 * The whole verdict pipeline over trial records. Each claim is decided in its own family: a curve's
 * label from its own checks (labels.ts), a provider's collapse verdict from its own (collapse.ts),
 * the advice's tied set from its own (candidates.ts). Tests that decide nothing (each k against
 * zero-shot, selector against selector) form the descriptive family, and failure trends theirs;
 * each is Holm-corrected within itself, so adding a provider or selector costs no curve its power.
 * Pure: the same trials and settings give the same result.
 */
export function analyzeRun(trials: TrialSource, cells: readonly CellSummary[], settings: AnalysisSettings): RunAnalysis {
  const descriptive = new TestFamily(settings, 'descriptive');
  const failureFamily = new TestFamily(settings, 'failure-trend');
  // One matrix per lane: a provider under one prompt variant (the built-in prompt when there are none).
  const matrices = buildItemMatrices(trials);
  const planned: { curve: CurveData; gains: Comparison[] }[] = [];
  const trends: PlannedTrend[] = [];
  for (const matrix of matrices) {
    for (const [selector, curveCells] of curvesOf(matrix)) {
      const hasZero = curveCells[0]?.ref.k === 0;
      const curve: CurveData = { provider: matrix.provider, prompt: matrix.prompt, selector, cells: curveCells, hasZero };
      const gains = hasZero ? curveCells.slice(1).map((cell) => descriptive.compareAccuracy(matrix.provider, curveCells[0]!, cell, matrix.prompt)) : [];
      planned.push({ curve, gains });
      trends.push(...planFailureTrends(matrix.provider, selector, curveCells, failureFamily, matrix.prompt));
    }
  }
  const inLane = (p: { curve: CurveData }, m: ItemMatrix) => p.curve.provider === m.provider && p.curve.prompt === m.prompt;
  const bySelector = (m: ItemMatrix) =>
    new Map(planned.filter((p) => inLane(p, m) && p.curve.selector !== ZERO_SHOT_SELECTOR).map((p) => [p.curve.selector, p.curve]));
  const gainsOf = (m: ItemMatrix) => planned.filter((p) => inLane(p, m)).flatMap((p) => p.gains);
  const selectorTests = new Map(matrices.map((m) => [m, planSelectorTests(m.provider, bySelector(m), descriptive, m.prompt)]));
  descriptive.correct();
  failureFamily.correct();

  const curves = planned.map((p) => curveSummary(p.curve, p.gains, cells, settings));
  const collapse = matrices.map((m) => ({ ...detectCollapse(m.provider, bySelector(m), settings, selectorTests.get(m), gainsOf(m)), prompt: m.prompt }));
  return {
    curves,
    promptComparisons: comparePromptVariants(matrices, settings),
    collapse,
    failureTrends: trends.map(summarizeTrend),
    candidates: matrices.map((m) => findCandidates(m, cells, settings)),
    testCount: descriptive.size,
  };
}

/** Each selector's curve starts at the shared zero-shot cell; a zero-shot-only sweep has one `none` curve. */
function curvesOf(matrix: ItemMatrix): [string, CellItems[]][] {
  const zero = matrix.cells.find((c) => c.ref.selector === ZERO_SHOT_SELECTOR && c.ref.k === 0);
  const selectors = [...new Set(matrix.cells.map((c) => c.ref.selector))].filter((s) => s !== ZERO_SHOT_SELECTOR).sort(compareStrings);
  if (selectors.length === 0) return zero ? [[ZERO_SHOT_SELECTOR, [zero]]] : [];
  return selectors.map((selector) => {
    const own = matrix.cells.filter((c) => c.ref.selector === selector).sort((a, b) => a.ref.k - b.ref.k);
    const ownZero = own.some((c) => c.ref.k === 0);
    return [selector, zero && !ownZero ? [zero, ...own] : own];
  });
}

function curveSummary(curve: CurveData, gains: Comparison[], cells: readonly CellSummary[], settings: AnalysisSettings): CurveSummary {
  const label = labelCurve(curve, settings);
  const points = curve.cells.map((c) => pointSummary(curve.provider, promptOf(curve), c, cells));
  let bestK: number | null = null;
  let best = Number.NEGATIVE_INFINITY;
  for (const point of points) {
    if (point.accuracy !== null && point.accuracy > best) {
      best = point.accuracy;
      bestK = point.k;
    }
  }
  return {
    provider: curve.provider,
    model: cells.find((c) => c.provider === curve.provider)?.model ?? curve.provider,
    prompt: curve.prompt,
    selector: curve.selector,
    label: label.label,
    bestK,
    kneeK: label.kneeK,
    peakK: label.peakK,
    scope: label.scope,
    reason: label.reason,
    itemsNeeded: label.itemsNeeded,
    ...(settings.sequential && { decidedAtItems: label.label === 'inconclusive' ? null : curveItems(curve) }),
    ...(settings.sequential && label.label === 'inconclusive' && { settledKs: settledCells(curve, settings) }),
    points,
    checks: label.checks,
    tests: gains,
  };
}

/** The items a curve's own cells answered (the shared zero-shot cell may have more): where an adaptive curve stopped. */
function curveItems(curve: CurveData): number {
  const own = curve.cells.filter((c) => c.ref.k > 0);
  let most = 0;
  for (const cell of own.length > 0 ? own : curve.cells) {
    let n = 0;
    for (let i = 0; i < cell.trialCount.length; i++) if (cell.trialCount[i]! > 0) n++;
    most = Math.max(most, n);
  }
  return most;
}

function pointSummary(provider: string, prompt: string, cell: CellItems, cells: readonly CellSummary[]): CurvePointSummary {
  const s = cells.find((c) => c.provider === provider && promptOf(c) === prompt && c.selector === cell.ref.selector && c.k === cell.ref.k)!;
  return {
    k: s.k,
    cellSelector: s.selector,
    nItems: s.nItems,
    nTrials: s.nTrials,
    accuracy: s.accuracy?.estimate ?? null,
    ciLow: s.accuracy?.lower ?? null,
    ciHigh: s.accuracy?.upper ?? null,
    nScoredItems: s.accuracy?.n ?? 0,
    parsedAccuracy: s.parsedAccuracy?.estimate ?? null,
    parsedCiLow: s.parsedAccuracy?.lower ?? null,
    parsedCiHigh: s.parsedAccuracy?.upper ?? null,
    nParsedItems: s.parsedAccuracy?.n ?? 0,
    accuracyEndToEnd: s.endToEndAccuracy?.estimate ?? null,
    endToEndCiLow: s.endToEndAccuracy?.lower ?? null,
    endToEndCiHigh: s.endToEndAccuracy?.upper ?? null,
    failureRate: s.failureRate,
    answerFailureRate: s.answerFailureRate,
    providerFailureRate: s.providerFailureRate,
    failures: {
      provider_error: s.outcomes.provider_error,
      empty: s.outcomes.empty,
      truncated: s.outcomes.truncated,
      parse_failure: s.outcomes.parse_failure,
      refusal: s.outcomes.refusal,
      scorer_failure: s.outcomes.scorer_failure,
    },
    meanTokensIn: s.meanTokensIn,
    meanTokensOut: s.meanTokensOut,
  };
}
