import { compareStrings, findCell, type CellItems, type ItemMatrix } from '../analysis/index.js';
import type { CellRef, FailureKey } from '../records/summary.js';
import type { OneSided } from './types.js';
import { VARIANT_SEPARATOR } from '../report/variants.js';

/** One cell (provider x selector x k) present in both runs, both sides' item values over the same item ids. */
export interface CellPair {
  provider: string;
  ref: CellRef;
  /** The ids shared by both runs' provider, in order: position j of every array below is itemIds[j]. */
  itemIds: readonly string[];
  baseline: CellItems;
  candidate: CellItems;
}

export interface MatchedCells {
  pairs: CellPair[];
  onlyInBaseline: OneSided;
  onlyInCandidate: OneSided;
}

/** Item ids of a one-sided list kept in compare.json. */
const LISTED_IDS = 50;

/**
 * Pairs the cells of two runs: same provider, selector and k, over the item ids both runs asked
 * that provider. Providers, cells and items on one side only are returned as such, never dropped.
 */
export function matchCells(baseline: readonly ItemMatrix[], candidate: readonly ItemMatrix[]): MatchedCells {
  const onlyInBaseline: OneSided = { providers: [], cells: [], items: [] };
  const onlyInCandidate: OneSided = { providers: [], cells: [], items: [] };
  const pairs: CellPair[] = [];
  const candidateBy = new Map(candidate.map((m) => [m.provider, m]));
  const baselineBy = new Map(baseline.map((m) => [m.provider, m]));
  for (const m of baseline) if (!candidateBy.has(m.provider)) onlyInBaseline.providers.push(m.provider);
  for (const m of candidate) if (!baselineBy.has(m.provider)) onlyInCandidate.providers.push(m.provider);
  for (const b of baseline) {
    for (const c of b.cells) if (!candidateBy.has(b.provider)) onlyInBaseline.cells.push(oneSided(b.provider, c));
  }
  for (const c of candidate) {
    for (const cell of c.cells) if (!baselineBy.has(c.provider)) onlyInCandidate.cells.push(oneSided(c.provider, cell));
  }

  for (const b of baseline) {
    const c = candidateBy.get(b.provider);
    if (!c) continue;
    const inC = new Set(c.itemIds);
    const inB = new Set(b.itemIds);
    const shared = b.itemIds.filter((id) => inC.has(id)).sort(compareStrings);
    listItems(
      onlyInBaseline,
      b.provider,
      b.itemIds.filter((id) => !inC.has(id)),
    );
    listItems(
      onlyInCandidate,
      b.provider,
      c.itemIds.filter((id) => !inB.has(id)),
    );
    const rowB = indexOf(b.itemIds, shared);
    const rowC = indexOf(c.itemIds, shared);
    for (const cellB of b.cells) {
      const cellC = findCell(c, cellB.ref);
      if (!cellC) {
        onlyInBaseline.cells.push(oneSided(b.provider, cellB));
        continue;
      }
      pairs.push({ provider: b.provider, ref: cellB.ref, itemIds: shared, baseline: pick(cellB, rowB), candidate: pick(cellC, rowC) });
    }
    for (const cellC of c.cells) if (!findCell(b, cellC.ref)) onlyInCandidate.cells.push(oneSided(c.provider, cellC));
  }
  return { pairs, onlyInBaseline, onlyInCandidate };
}

function oneSided(provider: string, cell: CellItems) {
  let nItems = 0;
  for (const n of cell.trialCount) if (n > 0) nItems++;
  return { provider, selector: cell.ref.selector, k: cell.ref.k, nItems };
}

function listItems(side: OneSided, provider: string, ids: string[]): void {
  if (ids.length === 0) return;
  const sorted = [...ids].sort(compareStrings);
  side.items.push({ provider, count: ids.length, ids: sorted.slice(0, LISTED_IDS) });
}

function indexOf(all: readonly string[], wanted: readonly string[]): number[] {
  const at = new Map(all.map((id, i) => [id, i]));
  return wanted.map((id) => at.get(id)!);
}

/** The cell's rows for the given item positions, in that order. */
function pick(cell: CellItems, rows: readonly number[]): CellItems {
  const n = rows.length;
  const failure = {} as Record<FailureKey, Float64Array>;
  for (const key of Object.keys(cell.failure) as FailureKey[]) failure[key] = Float64Array.from(rows, (r) => cell.failure[key][r]!);
  return {
    ref: cell.ref,
    accuracy: Float64Array.from(rows, (r) => cell.accuracy[r]!),
    scoredCount: Uint32Array.from(rows, (r) => cell.scoredCount[r]!),
    binary: cell.binary,
    failure,
    trialCount: n === 0 ? new Uint32Array(0) : Uint32Array.from(rows, (r) => cell.trialCount[r]!),
  };
}

/** True when some provider of the run was swept under two or more prompt variants. */
export function hasPromptVariants(lanes: readonly ItemMatrix[]): boolean {
  const seen = new Set<string>();
  for (const m of lanes) {
    if (seen.has(m.provider)) return true;
    seen.add(m.provider);
  }
  return false;
}

/**
 * One matrix per provider from the analysis' lanes (a provider under each prompt variant). Without
 * `named`, a provider's one lane is taken whatever its prompt, so a run with the built-in prompt
 * compares with a run of one template (the prompt change is what the comparison is about). With
 * `named` (either run has variants), each cell's selector becomes `<prompt> · <selector>`, as the
 * report names them, and variants match by id.
 */
export function mergeLanes(lanes: readonly ItemMatrix[], named: boolean): ItemMatrix[] {
  if (!named) return [...lanes];
  const out: ItemMatrix[] = [];
  for (const provider of [...new Set(lanes.map((m) => m.provider))]) {
    const own = lanes.filter((m) => m.provider === provider);
    const itemIds = [...new Set(own.flatMap((m) => m.itemIds))].sort(compareStrings);
    const cells = own.flatMap((m) => {
      const at = new Map(m.itemIds.map((id, i) => [id, i]));
      return m.cells.map((c) => ({
        ...spread(
          c,
          itemIds.map((id) => at.get(id) ?? -1),
        ),
        ref: { selector: `${m.prompt}${VARIANT_SEPARATOR}${c.ref.selector}`, k: c.ref.k },
      }));
    });
    out.push({ provider, prompt: own[0]!.prompt, itemIds, cells });
  }
  return out;
}

/** The cell's rows at the given positions; -1: an item this lane never asked (NaN values, no trials). */
function spread(cell: CellItems, rows: readonly number[]): CellItems {
  const value = (values: Float64Array, r: number) => (r < 0 ? Number.NaN : values[r]!);
  const failure = {} as Record<FailureKey, Float64Array>;
  for (const key of Object.keys(cell.failure) as FailureKey[]) failure[key] = Float64Array.from(rows, (r) => value(cell.failure[key], r));
  return {
    ref: cell.ref,
    accuracy: Float64Array.from(rows, (r) => value(cell.accuracy, r)),
    scoredCount: Uint32Array.from(rows, (r) => (r < 0 ? 0 : cell.scoredCount[r]!)),
    binary: cell.binary,
    failure,
    trialCount: Uint32Array.from(rows, (r) => (r < 0 ? 0 : cell.trialCount[r]!)),
  };
}
