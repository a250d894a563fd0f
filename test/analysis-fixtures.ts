// Builders for hand-made trial records and run info, shared by the analysis and report tests.
import type { RunInfo } from '../src/records/run-info.js';
import type { TrialRecord } from '../src/records/trial.js';

/** An answered, correct trial unless overridden. */
export function trial(overrides: Partial<TrialRecord> = {}): TrialRecord {
  return {
    runId: 'run-1',
    provider: 'local',
    model: 'baseline',
    selector: 'random',
    k: 2,
    repeat: 0,
    itemId: 'item-1',
    shotIds: [],
    promptHash: 'hash',
    output: 'answer',
    finishReason: 'stop',
    parseOk: true,
    parseError: null,
    answer: 'answer',
    score: 1,
    details: {},
    error: null,
    tokensIn: 100,
    tokensOut: 10,
    cachedTokens: 0,
    latencyMs: 50,
    cached: false,
    requestId: null,
    ...overrides,
  };
}

export function providerError(overrides: Partial<TrialRecord> = {}, kind: NonNullable<TrialRecord['error']>['kind'] = 'rate_limit'): TrialRecord {
  return trial({
    output: null,
    finishReason: null,
    parseOk: false,
    answer: null,
    score: 0,
    error: { kind, message: `${kind} happened` },
    tokensIn: 0,
    tokensOut: 0,
    latencyMs: 5000,
    ...overrides,
  });
}

export function empty(overrides: Partial<TrialRecord> = {}): TrialRecord {
  return trial({ output: '  \n', parseOk: false, parseError: 'empty', answer: null, score: 0, ...overrides });
}

export function truncated(overrides: Partial<TrialRecord> = {}): TrialRecord {
  return trial({ output: 'a long answ', finishReason: 'length', parseOk: false, answer: null, score: 0, ...overrides });
}

export function parseFailure(overrides: Partial<TrialRecord> = {}): TrialRecord {
  return trial({ output: 'gibberish', parseOk: false, parseError: 'no answer found', answer: null, score: 0, ...overrides });
}

export function runInfo(overrides: Partial<RunInfo> = {}): RunInfo {
  return {
    runId: 'run-1',
    experiment: { name: 'demo', path: 'experiments/demo.yaml' },
    config: {},
    seed: 7,
    tool: { name: 'fewshot', version: '0.1.0' },
    git: { commit: 'abc123', dirty: false },
    startedAt: '2025-01-01T00:00:00.000Z',
    endedAt: '2025-01-01T00:03:12.000Z',
    status: 'complete',
    providers: [
      { id: 'local', status: 'ran' },
      { id: 'openai:gpt-4o-mini', status: 'skipped', reason: 'set OPENAI_API_KEY to run it' },
    ],
    notices: ['2 items refused by the leakage guard'],
    plannedTrials: 10,
    completedTrials: 10,
    task: {
      type: 'routes',
      poolSize: 50,
      evalItems: 20,
      baseline: 'nearest-neighbour heuristic',
      measures: [{ key: 'feasible', label: 'feasible', description: 'the route meets every window' }],
    },
    ...overrides,
  };
}

/** A small sweep: zero-shot plus two selectors at k = 1, 2, 8 over three items, two seeds each. */
export function sweep(): TrialRecord[] {
  const trials: TrialRecord[] = [];
  const cells: [string, number, number][] = [
    ['none', 0, 0.34],
    ['random', 1, 0.5],
    ['random', 2, 0.67],
    ['random', 8, 0.84],
    ['similar', 1, 0.67],
    ['similar', 2, 0.84],
    ['similar', 8, 1],
  ];
  for (const [selector, k, rate] of cells) {
    for (const itemId of ['a', 'b', 'c']) {
      for (const repeat of [0, 1]) {
        // Deterministic pattern: the first round(rate * 6) (item, repeat) pairs are correct.
        const index = ['a', 'b', 'c'].indexOf(itemId) * 2 + repeat;
        trials.push(trial({ selector, k, itemId, repeat, score: index < Math.round(rate * 6) ? 1 : 0 }));
      }
    }
  }
  return trials;
}
