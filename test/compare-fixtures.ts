// Builders for the compare tests: runs made of hand-written cells, as LoadedRun or as results folders on disk.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TrialAccumulator } from '../src/analysis/accumulate.js';
import type { LoadedRun, Side } from '../src/compare/load.js';
import type { RunInfo } from '../src/records/run-info.js';
import type { TrialRecord } from '../src/records/trial.js';
import { parseFailure, providerError, runInfo, trial } from './analysis-fixtures.js';

/** A cell's outcomes, item by item: 1 right, 0 wrong, 'parse' a parse failure, 'error' a provider error. */
export type Outcome = 0 | 1 | 'parse' | 'error';

/** One trial per item (item-000, item-001, ...) of a cell; `repeat` repeats each outcome that many times. */
export function cell(provider: string, selector: string, k: number, outcomes: readonly Outcome[], extra: Partial<TrialRecord> = {}, repeat = 1): TrialRecord[] {
  const trials: TrialRecord[] = [];
  outcomes.forEach((o, i) => {
    for (let r = 0; r < repeat; r++) {
      const base = { provider, model: provider, selector, k, repeat: r, itemId: `item-${String(i).padStart(3, '0')}`, ...extra };
      if (o === 'parse') trials.push(parseFailure(base));
      else if (o === 'error') trials.push(providerError(base));
      else trials.push(trial({ ...base, score: o }));
    }
  });
  return trials;
}

/** n outcomes: the first `right` are 1, the rest 0. */
export function outcomes(n: number, right: number): Outcome[] {
  return Array.from({ length: n }, (_, i) => (i < right ? 1 : 0));
}

export function info(overrides: Partial<RunInfo> = {}): RunInfo {
  return runInfo({
    providers: [{ id: 'local', status: 'ran' }],
    notices: [],
    task: { type: 'classify', poolSize: 10, evalItems: 10, baseline: 'knn', measures: [] },
    ...overrides,
  });
}

export function loaded(side: Side, trials: readonly TrialRecord[], overrides: Partial<RunInfo> = {}): LoadedRun {
  return {
    side,
    dir: `${side}-dir`,
    info: info({ runId: `${side}-run`, ...overrides }),
    totals: TrialAccumulator.of(trials),
    cachedTrials: trials.filter((t) => t.cached).length,
    newCalls: trials.filter((t) => !t.cached && t.provider !== 'local').length,
    notices: [],
  };
}

/** A results folder (run.json + trials.jsonl) on disk. */
export function writeRun(dir: string, trials: readonly TrialRecord[], overrides: Partial<RunInfo> = {}): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'run.json'), `${JSON.stringify(info(overrides), null, 2)}\n`);
  writeFileSync(join(dir, 'trials.jsonl'), trials.map((t) => `${JSON.stringify(t)}\n`).join(''));
  return dir;
}
