import { accumulate, at, compareLanes, type ProviderTotals, type TrialSource } from './accumulate.js';
import { FAILURE_OUTCOMES, type CellRef, type FailureKey } from '../records/summary.js';
import { compareSelectors, compareStrings } from './summarize.js';

/** Per-item values of one cell: NaN where the item has no value in that cell. */
export interface CellItems {
  ref: CellRef;
  /**
   * Mean score per item over the trials the model answered, answer failures scored 0 (NaN: every
   * trial of the item failed at the provider, so the model never answered it).
   */
  accuracy: Float64Array;
  /** Scored trials per item (parsed replies and answer failures): McNemar needs exactly one per item. */
  scoredCount: Uint32Array;
  /** True when every score is exactly 0 or 1 (answer failures score 0, so they keep it binary). */
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
  /** The prompt variant: one matrix per provider and variant (a lane; see accumulate.ts). */
  prompt: string;
  itemIds: string[];
  cells: CellItems[];
}

const FAILURE_KEYS: readonly FailureKey[] = FAILURE_OUTCOMES;

export function cellKey(ref: CellRef): string {
  return `${ref.selector}\u0000${ref.k}`;
}

/** Builds one matrix per provider, providers and cells in a fixed order (the summary must not depend on trial order). */
export function buildItemMatrices(source: TrialSource): ItemMatrix[] {
  const acc = accumulate(source);
  return [...acc.providers.values()].sort(compareLanes).map(buildMatrix);
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
    const cell: CellItems = {
      ref,
      accuracy: new Float64Array(n),
      scoredCount: new Uint32Array(n),
      binary: totals.binary,
      failure,
      trialCount: new Uint32Array(n),
    };
    order.forEach((i, j) => {
      const scored = at(totals.scoredCount, i);
      const total = at(totals.trialCount, i);
      cell.scoredCount[j] = scored;
      cell.trialCount[j] = total;
      cell.accuracy[j] = scored > 0 ? at(totals.answeredSum, i) / scored : Number.NaN;
      for (const f of FAILURE_KEYS) failure[f][j] = total > 0 ? at(totals.failures[f], i) / total : Number.NaN;
    });
    out.push(cell);
  }
  out.sort((a, b) => compareSelectors(a.ref.selector, b.ref.selector) || a.ref.k - b.ref.k);
  return { provider: provider.provider, prompt: provider.prompt, itemIds, cells: out };
}

export function findCell(matrix: ItemMatrix, ref: CellRef): CellItems | undefined {
  return matrix.cells.find((c) => c.ref.selector === ref.selector && c.ref.k === ref.k);
}
