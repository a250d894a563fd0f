import { argmax, columnMean } from './bootstrap.js';
import type { CellItems } from './item-scores.js';
import type { TestFamily } from './test-family.js';
import type { Comparison } from './verdict-types.js';

/** The tests one curve's label rests on, planned before the run-wide Holm correction. */
export interface CurveTests {
  /** cells[0] is k = 0 when the sweep had it; the rest by increasing k. */
  cells: CellItems[];
  hasZero: boolean;
  /** gains[j]: cells[j] vs zero-shot (index 0 unused). */
  gains: (Comparison | null)[];
  /** Largest k vs second largest: is the curve still rising at the end? */
  lastStep: Comparison | null;
  /** From the observed peak to the lowest later point, its p-value corrected for having picked that pair. */
  drop: { peak: number; trough: number; comparison: Comparison } | null;
}

export function planCurveTests(
  provider: string,
  cells: CellItems[],
  hasZero: boolean,
  family: TestFamily,
): CurveTests {
  const gains: (Comparison | null)[] = cells.map(() => null);
  if (hasZero) for (let j = 1; j < cells.length; j++) gains[j] = family.compareAccuracy(provider, cells[0]!, cells[j]!);

  const m = cells.length - 1;
  const firstShot = hasZero ? 1 : 0;
  let lastStep: Comparison | null = null;
  if (m - 1 >= firstShot) {
    // With one k > 0 beside zero-shot, the last step is that gain: do not test it twice.
    lastStep = hasZero && m - 1 === 0 ? gains[m]! : family.compareAccuracy(provider, cells[m - 1]!, cells[m]!);
  }

  let drop: CurveTests['drop'] = null;
  const means = cells.map((c) => columnMean(c.accuracy));
  const peak = argmax(means, firstShot);
  if (peak >= 0 && peak < m) {
    const trough = argminAfter(means, peak);
    if (trough > peak && means[trough]! < means[peak]!) {
      // Winner's curse: the (peak, trough) pair was picked as the largest observed drop among all
      // (earlier, later) pairs of k > 0, so its p-value is multiplied by the number of such pairs
      // (Bonferroni over the candidates), which keeps the test valid whichever pair the data picked.
      const shots = m - firstShot + 1;
      const candidatePairs = (shots * (shots - 1)) / 2;
      drop = { peak, trough, comparison: family.compareAccuracy(provider, cells[peak]!, cells[trough]!, 0, candidatePairs) };
    }
  }
  return { cells, hasZero, gains, lastStep, drop };
}

function argminAfter(values: readonly number[], after: number): number {
  let best = -1;
  for (let i = after + 1; i < values.length; i++) {
    const v = values[i]!;
    if (Number.isFinite(v) && (best < 0 || v < values[best]!)) best = i;
  }
  return best;
}
