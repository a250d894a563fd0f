import type { TrialSource } from './accumulate.js';
import { ZERO_SHOT_SELECTOR } from '../runner/trial.js';
import { findCandidates } from './candidates.js';
import { detectCollapse, planSelectorTests } from './collapse.js';
import { planCurveTests, type CurveTests } from './curve-tests.js';
import { planFailureTrends, summarizeTrend, type PlannedTrend } from './failure-trends.js';
import { buildItemMatrices, type CellItems, type ItemMatrix } from './item-scores.js';
import { labelCurve } from './labels.js';
import { compareStrings, type CellSummary } from './summarize.js';
import { TestFamily } from './test-family.js';
import type {
  AnalysisSettings,
  CollapseSummary,
  Comparison,
  CurvePointSummary,
  CurveSummary,
  FailureTrend,
  ProviderCandidates,
} from './verdict-types.js';

export interface RunAnalysis {
  curves: CurveSummary[];
  collapse: CollapseSummary[];
  failureTrends: FailureTrend[];
  candidates: ProviderCandidates[];
  /** How many significance tests the Holm correction covered. */
  testCount: number;
}

interface PlannedCurve {
  provider: string;
  selector: string;
  tests: CurveTests;
}

/**
 * The whole verdict pipeline over trial records: plan every paired test of the run, correct them
 * together (Holm), then label curves, look for selection-collapse and failure trends, and find the
 * cells tied with each provider's best. Pure: the same trials and settings give the same result.
 */
export function analyzeRun(trials: TrialSource, cells: readonly CellSummary[], settings: AnalysisSettings): RunAnalysis {
  const family = new TestFamily(settings);
  const matrices = buildItemMatrices(trials);
  const planned: PlannedCurve[] = [];
  const trends: PlannedTrend[] = [];
  for (const matrix of matrices) {
    for (const [selector, curveCells] of curvesOf(matrix)) {
      const hasZero = curveCells[0]?.ref.k === 0;
      planned.push({ provider: matrix.provider, selector, tests: planCurveTests(matrix.provider, curveCells, hasZero, family) });
      trends.push(...planFailureTrends(matrix.provider, selector, curveCells, family));
    }
  }
  const bySelector = (provider: string) =>
    new Map(planned.filter((p) => p.provider === provider && p.selector !== ZERO_SHOT_SELECTOR).map((p) => [p.selector, p.tests]));
  const selectorTests = new Map(matrices.map((m) => [m.provider, planSelectorTests(m.provider, bySelector(m.provider), family)]));
  family.correct();

  const curves = planned.map((p) => curveSummary(p, cells, settings));
  const collapse = matrices.map((m) => detectCollapse(m.provider, bySelector(m.provider), settings, selectorTests.get(m.provider)));
  return {
    curves,
    collapse,
    failureTrends: trends.map(summarizeTrend),
    candidates: matrices.map((m) => findCandidates(m, cells, settings)),
    testCount: family.size,
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

function curveSummary(p: PlannedCurve, cells: readonly CellSummary[], settings: AnalysisSettings): CurveSummary {
  const label = labelCurve(p.tests, settings);
  const points = p.tests.cells.map((c) => pointSummary(p.provider, c, cells));
  let bestK: number | null = null;
  let best = Number.NEGATIVE_INFINITY;
  for (const point of points) {
    if (point.accuracy !== null && point.accuracy > best) {
      best = point.accuracy;
      bestK = point.k;
    }
  }
  const tests = [...p.tests.gains, p.tests.lastStep, p.tests.drop?.comparison ?? null].filter((c): c is Comparison => c !== null);
  return {
    provider: p.provider,
    model: cells.find((c) => c.provider === p.provider)?.model ?? p.provider,
    selector: p.selector,
    label: label.label,
    bestK,
    kneeK: label.kneeK,
    peakK: label.peakK,
    reason: label.reason,
    itemsNeeded: label.itemsNeeded,
    points,
    tests: [...new Set(tests)],
  };
}

function pointSummary(provider: string, cell: CellItems, cells: readonly CellSummary[]): CurvePointSummary {
  const s = cells.find((c) => c.provider === provider && c.selector === cell.ref.selector && c.k === cell.ref.k)!;
  return {
    k: s.k,
    cellSelector: s.selector,
    nItems: s.nItems,
    nTrials: s.nTrials,
    accuracy: s.accuracy?.estimate ?? null,
    ciLow: s.accuracy?.lower ?? null,
    ciHigh: s.accuracy?.upper ?? null,
    nAnsweredItems: s.accuracy?.n ?? 0,
    accuracyEndToEnd: s.endToEndAccuracy?.estimate ?? null,
    endToEndCiLow: s.endToEndAccuracy?.lower ?? null,
    endToEndCiHigh: s.endToEndAccuracy?.upper ?? null,
    failureRate: s.failureRate,
    failures: {
      provider_error: s.outcomes.provider_error,
      empty: s.outcomes.empty,
      truncated: s.outcomes.truncated,
      parse_failure: s.outcomes.parse_failure,
    },
    meanTokensIn: s.meanTokensIn,
    meanTokensOut: s.meanTokensOut,
  };
}
