import type { TrialRecord } from '../runner/trial.js';
import { classifyOutcome } from './outcome.js';
import { compareSelectors, compareStrings } from './summarize.js';
import type { CellRef, FailureKey } from './verdict-types.js';

/** Per-item values of one cell: NaN where the item has no value in that cell. */
export interface CellItems {
  ref: CellRef;
  /** Mean answered score per item (NaN: no answered trial). */
  accuracy: Float64Array;
  /** Answered trials per item: McNemar needs exactly one per item. */
  answeredCount: Uint32Array;
  /** True when every answered score is exactly 0 or 1. */
  binary: boolean;
  /** Per failure kind, the share of the item's trials that failed that way (NaN: item not asked). */
  failure: Record<FailureKey, Float64Array>;
  /** All trials per item. */
  trialCount: Uint32Array;
}

/**
 * One provider's evaluation items x cells. The design is paired: the same items go through every
 * cell, so comparisons are made item by item, and repeats of an item are averaged into one value.
 */
export interface ItemMatrix {
  provider: string;
  itemIds: string[];
  cells: CellItems[];
}

const FAILURE_KEYS: readonly FailureKey[] = ['provider_error', 'empty', 'truncated', 'parse_failure'];

export function cellKey(ref: CellRef): string {
  return `${ref.selector}\u0000${ref.k}`;
}

/** Builds one matrix per provider, providers and cells in a fixed order (the summary must not depend on trial order). */
export function buildItemMatrices(trials: readonly TrialRecord[]): ItemMatrix[] {
  const byProvider = new Map<string, TrialRecord[]>();
  for (const t of trials) {
    const list = byProvider.get(t.provider);
    if (list) list.push(t);
    else byProvider.set(t.provider, [t]);
  }
  return [...byProvider.keys()].sort(compareStrings).map((provider) => buildMatrix(provider, byProvider.get(provider)!));
}

function buildMatrix(provider: string, trials: readonly TrialRecord[]): ItemMatrix {
  const itemIds = [...new Set(trials.map((t) => t.itemId))].sort(compareStrings);
  const index = new Map(itemIds.map((id, i) => [id, i]));
  const n = itemIds.length;
  const cells = new Map<string, { ref: CellRef; sum: Float64Array; fail: Record<FailureKey, Float64Array>; cell: CellItems }>();
  for (const t of trials) {
    const ref = { selector: t.selector, k: t.k };
    const key = cellKey(ref);
    let entry = cells.get(key);
    if (!entry) {
      const failure = Object.fromEntries(FAILURE_KEYS.map((f) => [f, new Float64Array(n)])) as Record<FailureKey, Float64Array>;
      entry = {
        ref,
        sum: new Float64Array(n),
        fail: Object.fromEntries(FAILURE_KEYS.map((f) => [f, new Float64Array(n)])) as Record<FailureKey, Float64Array>,
        cell: { ref, accuracy: new Float64Array(n), answeredCount: new Uint32Array(n), binary: true, failure, trialCount: new Uint32Array(n) },
      };
      cells.set(key, entry);
    }
    const i = index.get(t.itemId)!;
    const outcome = classifyOutcome(t);
    entry.cell.trialCount[i]! += 1;
    if (outcome === 'answered') {
      const score = Number.isFinite(t.score) ? Math.min(1, Math.max(0, t.score)) : 0;
      entry.sum[i]! += score;
      entry.cell.answeredCount[i]! += 1;
      if (score !== 0 && score !== 1) entry.cell.binary = false;
    } else {
      entry.fail[outcome][i]! += 1;
    }
  }
  const out: CellItems[] = [];
  for (const { sum, fail, cell } of cells.values()) {
    for (let i = 0; i < n; i++) {
      const answered = cell.answeredCount[i]!;
      const total = cell.trialCount[i]!;
      cell.accuracy[i] = answered > 0 ? sum[i]! / answered : Number.NaN;
      for (const f of FAILURE_KEYS) cell.failure[f][i] = total > 0 ? fail[f][i]! / total : Number.NaN;
    }
    out.push(cell);
  }
  out.sort((a, b) => compareSelectors(a.ref.selector, b.ref.selector) || a.ref.k - b.ref.k);
  return { provider, itemIds, cells: out };
}

export function findCell(matrix: ItemMatrix, ref: CellRef): CellItems | undefined {
  return matrix.cells.find((c) => c.ref.selector === ref.selector && c.ref.k === ref.k);
}
