import { adjustedWald, holm, pairedDifference, type PairedResult } from './paired.js';
import type { CellItems } from './item-scores.js';
import type { AnalysisSettings, CellRef, Comparison } from './verdict-types.js';

/** Whether the exact McNemar test applies: 0/1 scores and exactly one answered trial per paired item. */
export function isBinarySingle(a: CellItems, b: CellItems): boolean {
  if (!a.binary || !b.binary) return false;
  for (let i = 0; i < a.accuracy.length; i++) {
    if (Number.isFinite(a.accuracy[i]!) && Number.isFinite(b.accuracy[i]!) && (a.answeredCount[i] !== 1 || b.answeredCount[i] !== 1)) {
      return false;
    }
  }
  return true;
}

/**
 * Every significance test of a run, collected first and Holm-corrected together: a run that
 * tests many curves must not find differences by testing often.
 */
export class TestFamily {
  private readonly tests: Comparison[] = [];
  private adjusted = false;

  constructor(private readonly settings: AnalysisSettings) {}

  /** Accuracy of b minus a over the paired items; `multiplier` corrects a p-value for a data-picked pair. */
  compareAccuracy(provider: string, a: CellItems, b: CellItems, pFloor = 0, multiplier = 1): Comparison {
    const result = pairedDifference(a.accuracy, b.accuracy, {
      resamples: this.settings.bootstrapResamples,
      seedParts: [this.settings.seed, provider, 'accuracy', a.ref.selector, a.ref.k, b.ref.selector, b.ref.k],
      binarySingle: isBinarySingle(a, b),
    });
    return this.add(provider, a.ref, b.ref, { ...result, pValue: Math.min(1, result.pValue * multiplier) }, pFloor);
  }

  /** Failure share of b minus a over the paired items (one kind of failure). */
  compareRates(provider: string, a: { ref: CellRef; values: Float64Array; single: boolean }, b: { ref: CellRef; values: Float64Array; single: boolean }, kind: string): Comparison {
    const result = pairedDifference(a.values, b.values, {
      resamples: this.settings.bootstrapResamples,
      seedParts: [this.settings.seed, provider, 'failure', kind, a.ref.selector, a.ref.k, b.ref.selector, b.ref.k],
      binarySingle: a.single && b.single,
    });
    return this.add(provider, a.ref, b.ref, result, 0);
  }

  private add(provider: string, a: CellRef, b: CellRef, r: PairedResult, pFloor: number): Comparison {
    if (this.adjusted) throw new Error('tests added after the Holm correction');
    const comparison: Comparison = {
      provider,
      a,
      b,
      nItems: r.nItems,
      estimate: r.estimate,
      ciLow: r.ciLow,
      ciHigh: r.ciHigh,
      method: r.method,
      pValue: Math.max(r.pValue, pFloor),
      pAdjusted: Number.NaN,
      significant: false,
    };
    this.tests.push(comparison);
    return comparison;
  }

  /** Applies Holm over the whole family; comparisons handed out earlier are updated in place. */
  correct(): void {
    const adjusted = holm(this.tests.map((t) => t.pValue));
    this.tests.forEach((t, i) => {
      t.pAdjusted = adjusted[i]!;
      t.significant = t.nItems > 0 && t.pAdjusted < this.settings.alpha;
    });
    this.adjusted = true;
  }

  get size(): number {
    return this.tests.length;
  }
}

/** z of a one-sided 95% bound: the equivalence test (TOST) at 5%. */
export const Z_ONE_SIDED_95 = 1.644854;

/**
 * One-sided 95% bounds of accuracy(b) - accuracy(a), for equivalence (TOST): "within delta" holds
 * when lower > -delta and upper < delta. Such all-must-hold claims (intersection-union tests) need
 * no multiplicity correction.
 */
export function equivalenceBounds(a: CellItems, b: CellItems): { nItems: number; lower: number; upper: number } {
  const diffs: number[] = [];
  for (let i = 0; i < a.accuracy.length; i++) {
    const x = a.accuracy[i]!;
    const y = b.accuracy[i]!;
    if (Number.isFinite(x) && Number.isFinite(y)) diffs.push(y - x);
  }
  if (diffs.length === 0) return { nItems: 0, lower: -1, upper: 1 };
  const { low, high } = adjustedWald(diffs, Z_ONE_SIDED_95);
  return { nItems: diffs.length, lower: low, upper: high };
}
