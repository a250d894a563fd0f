import { accumulate, at, type ProviderTotals, type TrialSource } from './accumulate.js';
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
export function buildItemMatrices(source: TrialSource): ItemMatrix[] {
  const acc = accumulate(source);
  return [...acc.providers.values()].sort((a, b) => compareStrings(a.provider, b.provider)).map(buildMatrix);
}

function buildMatrix(provider: ProviderTotals): ItemMatrix {
  // Rows in item id order: position j of every array is item order[j] of the accumulator.
  const order = [...provider.itemIds.keys()].sort((a, b) => compareStrings(provider.itemIds[a]!, provider.itemIds[b]!));
  const itemIds = order.map((i) => provider.itemIds[i]!);
  const n = itemIds.length;
  const out: CellItems[] = [];
  for (const totals of provider.cells.values()) {
    const ref = { selector: totals.selector, k: totals.k };
    const failure = Object.fromEntries(FAILURE_KEYS.map((f) => [f, new Float64Array(n)])) as Record<FailureKey, Float64Array>;
    const cell: CellItems = { ref, accuracy: new Float64Array(n), answeredCount: new Uint32Array(n), binary: totals.binary, failure, trialCount: new Uint32Array(n) };
    order.forEach((i, j) => {
      const answered = at(totals.answeredCount, i);
      const total = at(totals.trialCount, i);
      cell.answeredCount[j] = answered;
      cell.trialCount[j] = total;
      cell.accuracy[j] = answered > 0 ? at(totals.answeredSum, i) / answered : Number.NaN;
      for (const f of FAILURE_KEYS) failure[f][j] = total > 0 ? at(totals.failures[f], i) / total : Number.NaN;
    });
    out.push(cell);
  }
  out.sort((a, b) => compareSelectors(a.ref.selector, b.ref.selector) || a.ref.k - b.ref.k);
  return { provider: provider.provider, itemIds, cells: out };
}

export function findCell(matrix: ItemMatrix, ref: CellRef): CellItems | undefined {
  return matrix.cells.find((c) => c.ref.selector === ref.selector && c.ref.k === ref.k);
}
