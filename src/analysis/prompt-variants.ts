import type { AnalysisSettings, PromptComparison } from '../records/summary.js';
import type { CellItems, ItemMatrix } from './item-scores.js';
import { holm, pairedDifference } from './paired.js';
import { compareStrings } from './summarize.js';
import { isBinarySingle } from './test-family.js';

/**
 * "Which prompt?": every pair of a provider's prompt variants, in every cell both ran (same selector
 * and k, hence the same shots), paired over the items both answered. One family per provider, Holm
 * within it: adding a provider or a selector costs no other provider's comparison its power, and the
 * chance of calling any of a provider's variants better by mistake stays at alpha.
 */
export function comparePromptVariants(matrices: readonly ItemMatrix[], settings: AnalysisSettings): PromptComparison[] {
  const byProvider = new Map<string, ItemMatrix[]>();
  for (const m of matrices) byProvider.set(m.provider, [...(byProvider.get(m.provider) ?? []), m]);
  const out: PromptComparison[] = [];
  for (const [provider, lanes] of byProvider) {
    if (lanes.length < 2) continue;
    const sorted = [...lanes].sort((x, y) => compareStrings(x.prompt, y.prompt));
    const family: PromptComparison[] = [];
    for (let x = 0; x < sorted.length; x++) {
      for (let y = x + 1; y < sorted.length; y++) {
        const a = sorted[x]!;
        const b = sorted[y]!;
        for (const cellA of a.cells) {
          const cellB = b.cells.find((c) => c.ref.selector === cellA.ref.selector && c.ref.k === cellA.ref.k);
          if (!cellB) continue;
          const [pa, pb] = aligned(a, cellA, b, cellB);
          const r = pairedDifference(pa.accuracy, pb.accuracy, {
            resamples: settings.resamples,
            seedParts: [settings.seed, provider, 'prompt-variants', a.prompt, b.prompt, cellA.ref.selector, cellA.ref.k],
            binarySingle: isBinarySingle(pa, pb),
          });
          family.push({
            provider,
            a: a.prompt,
            b: b.prompt,
            selector: cellA.ref.selector,
            k: cellA.ref.k,
            nItems: r.nItems,
            estimate: r.estimate,
            ciLow: r.ciLow,
            ciHigh: r.ciHigh,
            method: r.method,
            pValue: r.pValue,
            pAdjusted: Number.NaN,
            significant: false,
          });
        }
      }
    }
    const adjusted = holm(family.map((c) => c.pValue));
    family.forEach((c, i) => {
      c.pAdjusted = adjusted[i]!;
      c.significant = c.nItems > 0 && c.pAdjusted < settings.alpha;
    });
    out.push(...family);
  }
  return out;
}

/** The two cells over the items both lanes hold, in one order (lanes of a stopped run may differ in items). */
function aligned(a: ItemMatrix, cellA: CellItems, b: ItemMatrix, cellB: CellItems): [CellItems, CellItems] {
  if (a.itemIds.length === b.itemIds.length && a.itemIds.every((id, i) => b.itemIds[i] === id)) return [cellA, cellB];
  const indexB = new Map(b.itemIds.map((id, i) => [id, i]));
  const pairs = a.itemIds.flatMap((id, i) => (indexB.has(id) ? [[i, indexB.get(id)!] as const] : []));
  return [
    pick(
      cellA,
      pairs.map(([i]) => i),
    ),
    pick(
      cellB,
      pairs.map(([, j]) => j),
    ),
  ];
}

function pick(cell: CellItems, rows: readonly number[]): CellItems {
  const take = <T extends Float64Array | Uint32Array>(values: T, make: (n: number) => T): T => {
    const out = make(rows.length);
    rows.forEach((r, i) => {
      out[i] = values[r]!;
    });
    return out;
  };
  const float = (n: number) => new Float64Array(n);
  return {
    ref: cell.ref,
    accuracy: take(cell.accuracy, float),
    scoredCount: take(cell.scoredCount, (n) => new Uint32Array(n)),
    binary: cell.binary,
    failure: Object.fromEntries(Object.entries(cell.failure).map(([k, v]) => [k, take(v, float)])) as CellItems['failure'],
    trialCount: take(cell.trialCount, (n) => new Uint32Array(n)),
  };
}
