import type { ProviderErrorKind } from '../providers/provider.js';
import type { TrialRecord } from '../runner/trial.js';
import { classifyOutcome, FAILURE_OUTCOMES, OUTCOMES, type FailureOutcome, type Outcome } from './outcome.js';

/** Per-item sums of one [0, 1] measure in one cell. */
export interface MeasureSums {
  sum: number[];
  count: number[];
}

/**
 * One (provider, selector, k) cell reduced to what the statistics need: counts, sums, and per-item
 * sums indexed by the provider's item index. Every figure of the summary comes from these.
 */
export interface CellTotals {
  provider: string;
  selector: string;
  k: number;
  models: Set<string>;
  nTrials: number;
  outcomes: Record<Outcome, number>;
  errorKinds: Map<ProviderErrorKind, number>;
  /** Calls that returned (no provider error), and their token and latency sums. */
  returned: { count: number; tokensIn: number; cachedTokens: number; tokensOut: number; latencyMs: number };
  /** Per item (provider's item index): all trials, answered trials, sum of answered scores (clamped to [0, 1]). */
  trialCount: number[];
  answeredCount: number[];
  answeredSum: number[];
  /** Per failure outcome, per item: trials that failed that way. */
  failures: Record<FailureOutcome, number[]>;
  /** True while every answered score is exactly 0 or 1. */
  binary: boolean;
  measures: Map<string, MeasureSums>;
  /** Label tasks: answered trials by expected then predicted label. */
  confusion: Map<string, Map<string, number>>;
}

export interface ProviderTotals {
  provider: string;
  models: Set<string>;
  /** Item ids in first-seen order; a cell's per-item arrays are indexed by position here. */
  itemIds: string[];
  itemIndex: Map<string, number>;
  cells: Map<string, CellTotals>;
}

/**
 * Folds trial records, one at a time, into the sufficient statistics of the analysis: per cell and
 * item, counts and sums. A sweep feeds it as trials complete and never keeps the records, so memory
 * follows the number of (cell, item) pairs, not the number of trials, repeats or output sizes.
 * Scores are clamped to [0, 1] (a stray value or NaN counts 0), as the statistics assume.
 */
export class TrialAccumulator {
  trials = 0;
  readonly providers = new Map<string, ProviderTotals>();

  constructor(readonly measureKeys: readonly string[] = []) {}

  static of(trials: Iterable<TrialRecord>, measureKeys: readonly string[] = []): TrialAccumulator {
    const acc = new TrialAccumulator(measureKeys);
    for (const t of trials) acc.add(t);
    return acc;
  }

  add(t: TrialRecord): void {
    this.trials++;
    const provider = this.providerTotals(t.provider);
    provider.models.add(t.model);
    let i = provider.itemIndex.get(t.itemId);
    if (i === undefined) {
      i = provider.itemIds.length;
      provider.itemIds.push(t.itemId);
      provider.itemIndex.set(t.itemId, i);
    }
    const cell = this.cellTotals(provider, t.selector, t.k);
    cell.models.add(t.model);
    cell.nTrials++;
    const outcome = classifyOutcome(t);
    cell.outcomes[outcome]++;
    bump(cell.trialCount, i, 1);
    if (t.error != null) {
      cell.errorKinds.set(t.error.kind, (cell.errorKinds.get(t.error.kind) ?? 0) + 1);
    } else {
      const r = cell.returned;
      r.count++;
      r.tokensIn += finite(t.tokensIn);
      r.cachedTokens += finite(t.cachedTokens ?? 0);
      r.tokensOut += finite(t.tokensOut);
      r.latencyMs += finite(t.latencyMs);
    }
    if (outcome !== 'answered') {
      bump(cell.failures[outcome], i, 1);
      return;
    }
    const score = clamp01(t.score);
    if (score !== 0 && score !== 1) cell.binary = false;
    bump(cell.answeredCount, i, 1);
    bump(cell.answeredSum, i, score);
    for (const key of this.measureKeys) {
      const value = t.details?.[key];
      const x = typeof value === 'boolean' ? Number(value) : value;
      if (typeof x !== 'number' || !Number.isFinite(x) || x < 0 || x > 1) continue;
      let sums = cell.measures.get(key);
      if (!sums) cell.measures.set(key, (sums = { sum: [], count: [] }));
      bump(sums.sum, i, x);
      bump(sums.count, i, 1);
    }
    const expected = t.details?.expected;
    const predicted = t.details?.predicted;
    if (typeof expected === 'string' && typeof predicted === 'string') {
      let row = cell.confusion.get(expected);
      if (!row) cell.confusion.set(expected, (row = new Map()));
      row.set(predicted, (row.get(predicted) ?? 0) + 1);
    }
  }

  /** Answered trials and failures by kind over the whole run. */
  outcomeTotals(): { answered: number; failures: Record<FailureOutcome, number> } {
    const failures = Object.fromEntries(FAILURE_OUTCOMES.map((o) => [o, 0])) as Record<FailureOutcome, number>;
    let answered = 0;
    for (const p of this.providers.values()) {
      for (const c of p.cells.values()) {
        answered += c.outcomes.answered;
        for (const o of FAILURE_OUTCOMES) failures[o] += c.outcomes[o];
      }
    }
    return { answered, failures };
  }

  private providerTotals(id: string): ProviderTotals {
    let p = this.providers.get(id);
    if (!p) this.providers.set(id, (p = { provider: id, models: new Set(), itemIds: [], itemIndex: new Map(), cells: new Map() }));
    return p;
  }

  private cellTotals(provider: ProviderTotals, selector: string, k: number): CellTotals {
    // JSON of a tuple is an unambiguous key whatever characters the names hold.
    const key = JSON.stringify([selector, k]);
    let cell = provider.cells.get(key);
    if (!cell) {
      cell = {
        provider: provider.provider,
        selector,
        k,
        models: new Set(),
        nTrials: 0,
        outcomes: Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<Outcome, number>,
        errorKinds: new Map(),
        returned: { count: 0, tokensIn: 0, cachedTokens: 0, tokensOut: 0, latencyMs: 0 },
        trialCount: [],
        answeredCount: [],
        answeredSum: [],
        failures: Object.fromEntries(FAILURE_OUTCOMES.map((o) => [o, []])) as unknown as Record<FailureOutcome, number[]>,
        binary: true,
        measures: new Map(),
        confusion: new Map(),
      };
      provider.cells.set(key, cell);
    }
    return cell;
  }
}

/** Trial records or their accumulated totals: what the analysis accepts. */
export type TrialSource = readonly TrialRecord[] | TrialAccumulator;

export function accumulate(source: TrialSource, measureKeys: readonly string[] = []): TrialAccumulator {
  return source instanceof TrialAccumulator ? source : TrialAccumulator.of(source, measureKeys);
}

/** The value at i, 0 where the array does not reach. */
export function at(values: readonly number[], i: number): number {
  return i < values.length ? values[i]! : 0;
}

/** Adds x at index i, growing the array with zeros (dense arrays stay compact; holes would not). */
function bump(values: number[], i: number, x: number): void {
  while (values.length <= i) values.push(0);
  values[i]! += x;
}

function clamp01(x: number): number {
  if (!Number.isFinite(x)) return 0;
  return Math.min(1, Math.max(0, x));
}

function finite(x: number): number {
  return Number.isFinite(x) ? x : 0;
}
