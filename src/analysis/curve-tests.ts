import type { CellItems } from './item-scores.js';
import { adjustedWald, pairedDifference } from './paired.js';
import { SequentialLevels } from './sequential.js';
import { normalQuantile } from './stats.js';
import { isBinarySingle } from './test-family.js';
import { laneSeed } from './accumulate.js';
import type { AnalysisSettings, LabelCheck } from '../records/summary.js';

/** One curve: a provider and selector, its cells by increasing k (cells[0] is k = 0 when swept). */
export interface CurveData {
  provider: string;
  /** The prompt variant; absent: the task's own prompt (`builtin`). */
  prompt?: string;
  selector: string;
  cells: CellItems[];
  hasZero: boolean;
}

/**
 * The one-sided checks a label rests on, between cells j < l of one curve: bounds of the paired
 * mean difference (adjusted Wald at the check's own level) and one-sided exact p-values. Item
 * differences are computed once per pair; every check is kept, in the order made, for summary.json.
 */
export class CurveChecks {
  readonly made: LabelCheck[] = [];
  private readonly diffCache = new Map<string, number[]>();

  /** Under sequential sampling, the nominal level each check is tested at on every look (sequential.ts). */
  private readonly levels: SequentialLevels | null;

  constructor(
    readonly curve: CurveData,
    private readonly settings: AnalysisSettings,
  ) {
    this.levels = settings.sequential ? new SequentialLevels(settings.sequential.looks) : null;
  }

  /** The level a check is tested at: its fixed-n level, or under sequential sampling the look's nominal one. */
  private nominal(level: number): number {
    return this.levels ? this.levels.nominal(level) : level;
  }

  get delta(): number {
    return this.settings.delta;
  }

  k(j: number): number {
    return this.curve.cells[j]!.ref.k;
  }

  /** Items answered in both cells: b - a per item. */
  diffs(j: number, l: number): number[] {
    const key = `${j},${l}`;
    let d = this.diffCache.get(key);
    if (!d) {
      d = [];
      const a = this.curve.cells[j]!.accuracy;
      const b = this.curve.cells[l]!.accuracy;
      for (let i = 0; i < a.length; i++) if (Number.isFinite(a[i]!) && Number.isFinite(b[i]!)) d.push(b[i]! - a[i]!);
      this.diffCache.set(key, d);
    }
    return d;
  }

  /** Is mean(l - j) shown below `threshold` (upper bound) or above it (lower bound), at one-sided `level`? */
  bound(question: LabelCheck['question'], j: number, l: number, side: 'upper' | 'lower', threshold: number, fixedLevel: number, claim: string): boolean {
    const level = this.nominal(fixedLevel);
    const d = this.diffs(j, l);
    const z = normalQuantile(1 - level);
    const { low, high } = d.length > 0 ? adjustedWald(d, z) : { low: -1, high: 1 };
    const value = side === 'upper' ? high : low;
    const holds = d.length > 0 && (side === 'upper' ? value < threshold : value > threshold);
    this.record(question, j, l, d, side === 'upper' ? 'upper-bound' : 'lower-bound', level, value, threshold, holds, 'adjusted-wald', claim);
    return holds;
  }

  /** Is cell l shown better than cell j (one-sided exact p below `level`)? */
  better(question: LabelCheck['question'], j: number, l: number, fixedLevel: number, claim: string): boolean {
    const level = this.nominal(fixedLevel);
    const a = this.curve.cells[j]!;
    const b = this.curve.cells[l]!;
    const r = pairedDifference(a.accuracy, b.accuracy, {
      resamples: this.settings.resamples,
      seedParts: [this.settings.seed, laneSeed(this.curve.provider, this.curve.prompt), 'label', a.ref.selector, a.ref.k, b.ref.selector, b.ref.k],
      binarySingle: isBinarySingle(a, b),
      alternative: 'greater',
    });
    const holds = r.nItems > 0 && r.pValue < level;
    this.record(question, j, l, this.diffs(j, l), 'one-sided-p', level, r.pValue, level, holds, r.method, claim);
    return holds;
  }

  /** Mean of l - j over the paired items (NaN without pairs). */
  estimate(j: number, l: number): number {
    const d = this.diffs(j, l);
    return d.length > 0 ? d.reduce((s, x) => s + x, 0) / d.length : Number.NaN;
  }

  /** Standard deviation of the item differences l - j. */
  spread(j: number, l: number): number {
    const d = this.diffs(j, l);
    if (d.length < 2) return Number.NaN;
    const m = d.reduce((s, x) => s + x, 0) / d.length;
    return Math.sqrt(d.reduce((s, x) => s + (x - m) ** 2, 0) / (d.length - 1));
  }

  private record(
    question: LabelCheck['question'],
    j: number,
    l: number,
    d: readonly number[],
    test: LabelCheck['test'],
    level: number,
    value: number,
    threshold: number,
    holds: boolean,
    method: LabelCheck['method'],
    claim: string,
  ): void {
    this.made.push({
      question,
      claim,
      a: { ...this.curve.cells[j]!.ref },
      b: { ...this.curve.cells[l]!.ref },
      nItems: d.length,
      estimate: d.length > 0 ? d.reduce((s, x) => s + x, 0) / d.length : 0,
      test,
      level,
      value,
      threshold,
      holds,
      method,
    });
  }
}
