// Summaries for the chart tests: two providers x two selectors with failures, latency, tokens and
// caches, and hand-made selector tests (one stored the other way round) for the selection chart.
import type { CollapseSummary, Comparison, CurveLabel, RunSummary } from '../src/records/summary.js';
import type { TrialRecord } from '../src/records/trial.js';
import { parseFailure, providerError, runInfo, sweep, truncated } from './analysis-fixtures.js';
import { fixtureSummary } from './report-fixtures.js';

export const OPENAI = 'openai:gpt-4o-mini';

/** local and openai:gpt-4o-mini, each zero-shot plus random and similar at k = 1, 2, 8 (see sweep()). */
export function twoProviderTrials(): TrialRecord[] {
  const local = sweep().map((t) => ({ ...t, tokensIn: 100 + 50 * t.k, tokensOut: 10, latencyMs: 40 + 5 * t.k }));
  const openai = sweep().map((t) => ({
    ...t,
    provider: OPENAI,
    model: 'gpt-4o-mini-2024-07-18',
    tokensIn: 120 + 60 * t.k,
    tokensOut: 12,
    cachedTokens: t.k > 0 ? 60 : 0,
    latencyMs: 400 + 30 * t.k,
    // One (item, repeat) pair per cell came from the response cache.
    cached: t.itemId === 'a' && t.repeat === 0,
  }));
  return [
    ...local,
    ...openai,
    parseFailure({ selector: 'similar', k: 2, itemId: 'c', repeat: 2 }),
    providerError({ provider: OPENAI, model: 'gpt-4o-mini-2024-07-18', selector: 'random', k: 8, itemId: 'a', repeat: 2 }, 'timeout'),
    truncated({ provider: OPENAI, model: 'gpt-4o-mini-2024-07-18', selector: 'random', k: 8, itemId: 'b', repeat: 2 }),
  ];
}

export function comparison(
  a: [string, number],
  b: [string, number],
  estimate: number,
  ciLow: number,
  ciHigh: number,
  more: Partial<Comparison> = {},
): Comparison {
  return {
    provider: 'local',
    a: { selector: a[0], k: a[1] },
    b: { selector: b[0], k: b[1] },
    nItems: 3,
    estimate,
    ciLow,
    ciHigh,
    method: 'sign-flip-monte-carlo',
    pValue: 0.01,
    pAdjusted: 0.03,
    significant: false,
    family: 'descriptive',
    ...more,
  };
}

/**
 * local's selector tests: similar is the best selector at every k. k = 1 and k = 8 are stored as
 * best -> other (estimate = random - similar); k = 2 is stored the other way round (similar - random).
 */
export function localSelectorTests(): Comparison[] {
  return [
    comparison(['similar', 1], ['random', 1], -0.2, -0.45, 0.05, { pAdjusted: 0.41 }),
    comparison(['random', 2], ['similar', 2], 0.15, -0.04, 0.34, { pAdjusted: 0.2 }),
    comparison(['similar', 8], ['random', 8], -0.25, -0.4, -0.1, { pAdjusted: 0.004, significant: true }),
    // Across k: not a same-k selector test, never plotted.
    comparison(['random', 1], ['similar', 8], 0.5, 0.2, 0.8),
  ];
}

export const LABELS: Record<string, CurveLabel> = {
  'local/random': 'plateau',
  'local/similar': 'improving',
  [`${OPENAI}/random`]: 'peak-regression',
  [`${OPENAI}/similar`]: 'no-benefit',
};

/** The two-provider summary; only local has selector tests. */
export function twoProviderSummary(collapse?: CollapseSummary[]): RunSummary {
  return fixtureSummary(
    twoProviderTrials(),
    runInfo({
      providers: [
        { id: 'local', status: 'ran' },
        { id: OPENAI, status: 'ran' },
      ],
    }),
    {
      labels: LABELS,
      collapse: collapse ?? [
        {
          provider: 'local',
          label: 'stable',
          detail: 'fixture',
          k: null,
          gainSelector: null,
          lossSelector: null,
          checks: [],
          selectorTests: localSelectorTests(),
        },
      ],
    },
  );
}
