/**
 * Adaptive sampling inside a curve that is not decided yet (issue 17): a cell that no longer matters
 * to the curve's label or to the advice stops taking items. A cell of k > 0 is settled when
 * - it lies before the reference k (label-family.ts), so it is neither the reference nor the largest
 *   k, the two cells "improving" compares, nor a cell the flat sequence must show level with a knee;
 * - it lies before the curve's best cell and is shown more than delta below it (one-sided bound at
 *   the plateau check's level): it cannot be a plateau's knee (the best gains delta over it), it
 *   cannot be the peak or the trough of a peak-regression (the trough comes after the peak), and the
 *   advice, which keeps only cells tied with the provider's best, would not keep it;
 * - its "no-benefit" check is settled: its gain over zero-shot is already shown below delta, or some
 *   cell of the curve is already shown to gain more than delta (so no-benefit is out whatever it does).
 * Why stopping keeps the error at alpha: every check is tested at the group-sequential level, which
 * bounds its statistic's chance of crossing at ANY look (sequential.ts); a stopped cell's comparisons
 * use the items both cells answered, a prefix ending at one of the looks, so each is one of the looks'
 * statistics and the bound covers it. Stopping decides which look a comparison is read at, never
 * whether a false claim can pass. Validated with the labels' simulation (test/sequential-validation.test.ts).
 */
import { argmax, columnMean } from './bootstrap.js';
import type { CurveData } from './curve-tests.js';
import { LABEL_ALPHA_SHARES, referenceIndex } from './label-family.js';
import { adjustedWald } from './paired.js';
import { SequentialLevels } from './sequential.js';
import { normalQuantile } from './stats.js';
import type { AnalysisSettings } from '../records/summary.js';

/** The k's of a curve's cells that no longer matter (see above); empty without sequential sampling or a zero-shot cell. */
export function settledCells(curve: CurveData, settings: AnalysisSettings): number[] {
  if (!settings.sequential || !curve.hasZero) return [];
  const cells = curve.cells;
  const m = cells.length - 1;
  if (m < 3) return [];
  const levels = new SequentialLevels(settings.sequential.looks);
  const z = (share: number) => normalQuantile(1 - levels.nominal(settings.alpha * share));
  const r = referenceIndex(cells.map((c) => c.ref.k));
  // The curve's best cell of k > 0 (argmax over the finite means; the first on ties).
  const best = argmax(
    cells.map((c) => columnMean(c.accuracy)),
    1,
  );
  if (best < 1) return [];
  const bounds = (j: number, l: number, zValue: number) => {
    const d = pairedDiffs(cells[j]!.accuracy, cells[l]!.accuracy);
    return d.length > 0 ? adjustedWald(d, zValue) : null;
  };
  const zFlat = z(LABEL_ALPHA_SHARES.flat);
  const zNone = z(LABEL_ALPHA_SHARES.none);
  // No-benefit is out once any cell's gain over zero-shot is shown above delta.
  let benefitShown = false;
  for (let l = 1; l <= m && !benefitShown; l++) benefitShown = (bounds(0, l, zNone)?.low ?? Number.NEGATIVE_INFINITY) > settings.delta;
  const settled: number[] = [];
  for (let j = 1; j < Math.min(r, best); j++) {
    const behind = bounds(j, best, zFlat);
    if (behind === null || !(behind.low > settings.delta)) continue;
    const noneSettled = benefitShown || (bounds(0, j, zNone)?.high ?? Number.POSITIVE_INFINITY) < settings.delta;
    if (noneSettled) settled.push(cells[j]!.ref.k);
  }
  return settled;
}

function pairedDiffs(a: Float64Array | readonly number[], b: Float64Array | readonly number[]): number[] {
  const d: number[] = [];
  for (let i = 0; i < a.length; i++) if (Number.isFinite(a[i]!) && Number.isFinite(b[i]!)) d.push(b[i]! - a[i]!);
  return d;
}
