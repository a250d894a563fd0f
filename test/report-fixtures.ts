// RunSummary builders for the report tests: cells from real trials (summarizeCells), the verdict
// parts (curves, collapse, failure trends, advice) hand-made, so the report is tested on its own.
import { advise } from '../src/report/advice-text.js';
import { countOutcomes } from '../src/analysis/outcome.js';
import { summarizeCells } from '../src/analysis/summarize.js';
import type { CellSummary, CollapseSummary, CurveLabel, CurveSummary, FailureTrend, RunSummary } from '../src/records/summary.js';
import { DEFAULT_ANALYSIS_SETTINGS } from '../src/analysis/options.js';
import type { CandidateCell, ProviderCandidates } from '../src/analysis/candidates.js';
import type { RunInfo } from '../src/records/run-info.js';
import type { TrialRecord } from '../src/records/trial.js';

export const NOW = new Date('2025-02-03T04:05:06.000Z');

/** Curves as the engine lays them out: one per provider x selector, the shared `none` cell first. */
export function curvesFromCells(cells: readonly CellSummary[], labels: Record<string, CurveLabel> = {}): CurveSummary[] {
  const curves: CurveSummary[] = [];
  const providers = [...new Set(cells.map((c) => c.provider))].sort();
  for (const provider of providers) {
    const own = cells.filter((c) => c.provider === provider);
    const zero = own.filter((c) => c.selector === 'none');
    const selectors = [...new Set(own.map((c) => c.selector).filter((s) => s !== 'none'))].sort();
    for (const selector of selectors.length > 0 ? selectors : ['none']) {
      const pts = [...zero, ...(selector === 'none' ? [] : own.filter((c) => c.selector === selector))].sort((a, b) => a.k - b.k);
      const label = labels[`${provider}/${selector}`] ?? labels[selector] ?? 'inconclusive';
      const answered = pts.filter((p) => p.accuracy);
      const best = answered.reduce<CellSummary | null>((b, p) => (!b || p.accuracy!.estimate > b.accuracy!.estimate ? p : b), null);
      curves.push({
        provider,
        model: own[0]!.model,
        selector,
        label,
        bestK: best ? best.k : null,
        kneeK: label === 'plateau' ? (pts[1]?.k ?? null) : null,
        peakK: label === 'peak-regression' ? (best?.k ?? null) : null,
        scope: `k <= ${pts[pts.length - 1]?.k ?? 0}`,
        reason: `${label} because of the hand-made fixture.`,
        checks: [],
        itemsNeeded: label === 'inconclusive' ? 240 : null,
        points: pts.map((c) => ({
          k: c.k,
          cellSelector: c.selector,
          nItems: c.nItems,
          nTrials: c.nTrials,
          accuracy: c.accuracy?.estimate ?? null,
          ciLow: c.accuracy?.lower ?? null,
          ciHigh: c.accuracy?.upper ?? null,
          nScoredItems: c.accuracy?.n ?? 0,
          parsedAccuracy: c.parsedAccuracy?.estimate ?? null,
          parsedCiLow: c.parsedAccuracy?.lower ?? null,
          parsedCiHigh: c.parsedAccuracy?.upper ?? null,
          nParsedItems: c.parsedAccuracy?.n ?? 0,
          accuracyEndToEnd: c.endToEndAccuracy?.estimate ?? null,
          endToEndCiLow: c.endToEndAccuracy?.lower ?? null,
          endToEndCiHigh: c.endToEndAccuracy?.upper ?? null,
          failureRate: c.failureRate,
          answerFailureRate: c.answerFailureRate,
          providerFailureRate: c.providerFailureRate,
          failures: {
            provider_error: c.outcomes.provider_error,
            empty: c.outcomes.empty,
            truncated: c.outcomes.truncated,
            parse_failure: c.outcomes.parse_failure,
            refusal: c.outcomes.refusal,
            scorer_failure: c.outcomes.scorer_failure,
          },
          meanTokensIn: c.meanTokensIn,
          meanTokensOut: c.meanTokensOut,
        })),
        tests: [],
      });
    }
  }
  return curves;
}

/** Crude candidates: best by point estimate, tied = cells whose interval overlaps the best's. */
export function candidatesFromCells(cells: readonly CellSummary[]): ProviderCandidates[] {
  const providers = [...new Set(cells.map((c) => c.provider))].sort();
  return providers.map((provider) => {
    const own: CandidateCell[] = cells
      .filter((c) => c.provider === provider && c.accuracy)
      .map((c) => ({
        selector: c.selector,
        k: c.k,
        accuracy: c.accuracy!.estimate,
        ciLow: c.accuracy!.lower,
        ciHigh: c.accuracy!.upper,
        nItems: c.accuracy!.n,
        meanTokensIn: c.meanTokensIn,
        meanTokensOut: c.meanTokensOut,
        meanCachedTokens: c.meanCachedTokens,
      }));
    const best = own.reduce<CandidateCell | null>((b, c) => (!b || c.accuracy > b.accuracy ? c : b), null);
    return {
      provider,
      model: cells.find((c) => c.provider === provider)!.model,
      best,
      tied: best ? own.filter((c) => c.ciHigh >= best.ciLow) : [],
      zeroShot: own.find((c) => c.k === 0) ?? null,
    };
  });
}

export interface FixtureOptions {
  labels?: Record<string, CurveLabel>;
  collapse?: CollapseSummary[];
  failureTrends?: FailureTrend[];
  target?: number | null;
  requestsPerMonth?: number | null;
  notices?: string[];
}

/** A schema-v2 summary of `trials`, shaped as buildSummary will produce it. */
export function fixtureSummary(trials: readonly TrialRecord[], info: RunInfo, options: FixtureOptions = {}): RunSummary {
  const cells = summarizeCells(
    trials,
    (info.task.measures ?? []).map((m) => m.key),
  );
  const curves = curvesFromCells(cells, options.labels ?? { random: 'plateau', similar: 'improving' });
  const collapse = options.collapse ?? [];
  const failureTrends = options.failureTrends ?? [];
  const target = options.target ?? null;
  const requestsPerMonth = options.requestsPerMonth ?? null;
  const { answered, failures } = countOutcomes(trials);
  const modelOf = (id: string) => {
    const models = [...new Set(trials.filter((t) => t.provider === id).map((t) => t.model))].sort();
    return models.length > 0 ? models.join(', ') : null;
  };
  const providers: RunSummary['providers'] = info.providers.map((p) => ({
    id: p.id,
    status: p.status,
    ...(p.reason !== undefined ? { reason: p.reason } : {}),
    model: modelOf(p.id),
  }));
  for (const id of [...new Set(trials.map((t) => t.provider))].sort()) {
    if (!providers.some((p) => p.id === id)) providers.push({ id, status: 'ran', model: modelOf(id) });
  }
  return {
    schemaVersion: 3,
    testCount: 0,
    runId: info.runId,
    experimentName: info.experiment.name,
    generatedAt: NOW.toISOString(),
    confidenceLevel: 0.95,
    intervalMethod: 'Items as the unit (fixture).',
    status: info.status,
    startedAt: info.startedAt,
    endedAt: info.endedAt,
    plannedTrials: info.plannedTrials,
    completedTrials: info.completedTrials,
    providers,
    notices: [
      ...info.providers.filter((p) => p.status === 'skipped').map((p) => `${p.id} skipped${p.reason ? `: ${p.reason}` : ''}`),
      ...info.notices,
      ...(options.notices ?? []),
    ],
    task: info.task,
    totals: { trials: trials.length, answered, failures },
    settings: DEFAULT_ANALYSIS_SETTINGS,
    target,
    requestsPerMonth,
    cells,
    curves,
    collapse,
    failureTrends,
    advice: advise({
      curves,
      collapse,
      candidates: candidatesFromCells(cells),
      failureTrends,
      target,
      requestsPerMonth,
      delta: DEFAULT_ANALYSIS_SETTINGS.delta,
    }),
  };
}

/** A flagged failure trend (truncated outputs rising with k) for the `local / random` curve. */
export function truncationTrend(overrides: Partial<FailureTrend> = {}): FailureTrend {
  return {
    provider: 'local',
    selector: 'random',
    kind: 'truncated',
    rates: [
      { k: 0, rate: 0.02, nTrials: 60 },
      { k: 8, rate: 0.15, nTrials: 60 },
    ],
    estimate: 0.13,
    ciLow: 0.05,
    ciHigh: 0.21,
    pAdjusted: 0.004,
    flagged: true,
    detail: 'Truncated outputs rise from 2.0% at k=0 to 15.0% at k=8.',
    ...overrides,
  };
}
