import { holm, pairedDifference, type PairedResult } from './paired.js';
import type { CellItems } from './item-scores.js';
import { laneSeed } from './accumulate.js';
import type { AnalysisSettings, CellRef, Comparison, FamilyName } from '../records/summary.js';

/** Whether the exact McNemar test applies: 0/1 scores and exactly one scored trial per paired item. */
export function isBinarySingle(a: CellItems, b: CellItems): boolean {
  if (!a.binary || !b.binary) return false;
  for (let i = 0; i < a.accuracy.length; i++) {
    if (Number.isFinite(a.accuracy[i]!) && Number.isFinite(b.accuracy[i]!) && (a.scoredCount[i] !== 1 || b.scoredCount[i] !== 1)) {
      return false;
    }
  }
  return true;
}

/**
 * One family of significance tests, collected first and Holm-corrected together. A family holds the
 * tests of one kind of statement (the descriptive comparisons of a run, its failure trends, compare's
 * regressions): a claim's own tests never share their alpha with tests that do not decide it.
 */
export class TestFamily {
  private readonly tests: Comparison[] = [];
  private adjusted = false;

  constructor(
    private readonly settings: AnalysisSettings,
    readonly name: FamilyName,
  ) {}

  /** Accuracy of b minus a over the paired items (cells of the provider's lane under `prompt`). */
  compareAccuracy(provider: string, a: CellItems, b: CellItems, prompt?: string): Comparison {
    const result = pairedDifference(a.accuracy, b.accuracy, {
      resamples: this.settings.resamples,
      seedParts: [this.settings.seed, laneSeed(provider, prompt), 'accuracy', a.ref.selector, a.ref.k, b.ref.selector, b.ref.k],
      binarySingle: isBinarySingle(a, b),
    });
    return this.add(provider, a.ref, b.ref, result, 0);
  }

  /** Failure share of b minus a over the paired items (one kind of failure). */
  compareRates(
    provider: string,
    a: { ref: CellRef; values: Float64Array; single: boolean },
    b: { ref: CellRef; values: Float64Array; single: boolean },
    kind: string,
    prompt?: string,
  ): Comparison {
    const result = pairedDifference(a.values, b.values, {
      resamples: this.settings.resamples,
      seedParts: [this.settings.seed, laneSeed(provider, prompt), 'failure', kind, a.ref.selector, a.ref.k, b.ref.selector, b.ref.k],
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
      family: this.name,
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
