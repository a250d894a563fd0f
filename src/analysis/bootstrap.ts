import { Rng } from '../util/rng.js';

/**
 * Resamples items with replacement and returns, per resample, every column's mean over the drawn
 * items that have a value (NaN when none do). Used where a statistic picks "the best k" from the
 * data: picking it again inside each resample carries the selection into the interval (winner's curse).
 */
export function bootstrapColumnMeans(columns: readonly Float64Array[], resamples: number, rng: Rng): Float64Array[] {
  const n = columns[0]?.length ?? 0;
  const counts = new Uint32Array(n);
  const out: Float64Array[] = [];
  for (let r = 0; r < resamples; r++) {
    counts.fill(0);
    for (let i = 0; i < n; i++) counts[Math.floor(rng.next() * n)]! += 1;
    const means = new Float64Array(columns.length);
    columns.forEach((col, c) => {
      let sum = 0;
      let weight = 0;
      for (let i = 0; i < n; i++) {
        const w = counts[i]!;
        const v = col[i]!;
        if (w > 0 && Number.isFinite(v)) {
          sum += w * v;
          weight += w;
        }
      }
      means[c] = weight > 0 ? sum / weight : Number.NaN;
    });
    out.push(means);
  }
  return out;
}

/** Mean over the items that have a value; NaN when none do. */
export function columnMean(col: Float64Array): number {
  let sum = 0;
  let count = 0;
  for (const v of col) {
    if (Number.isFinite(v)) {
      sum += v;
      count++;
    }
  }
  return count > 0 ? sum / count : Number.NaN;
}

/** Index of the largest finite value (first on ties); -1 when none is finite. */
export function argmax(values: ArrayLike<number>, from = 0, to = values.length): number {
  let best = -1;
  for (let i = from; i < to; i++) {
    const v = values[i]!;
    if (Number.isFinite(v) && (best < 0 || v > values[best]!)) best = i;
  }
  return best;
}

/** The q-quantile (0..1) of finite values, by the nearest-rank rule; NaN when there are none. */
export function quantile(values: readonly number[], q: number): number {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank]!;
}
