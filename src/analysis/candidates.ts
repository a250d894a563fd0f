import { Rng } from '../util/rng.js';
import { bootstrapColumnMeans, quantile } from './bootstrap.js';
import type { CellItems, ItemMatrix } from './item-scores.js';
import { holm, pairedDifference } from './paired.js';
import { isBinarySingle } from './test-family.js';
import type { AnalysisSettings, CellRef, CellSummary } from '../records/summary.js';
import { compareSelectors } from './summarize.js';
import { laneSeed } from './accumulate.js';
import { promptOf } from '../records/trial.js';

/** A provider's cells with their accuracy and prompt size: the input to advice. */
export interface CandidateCell extends CellRef {
  accuracy: number;
  ciLow: number;
  ciHigh: number;
  nItems: number;
  meanTokensIn: number | null;
  meanTokensOut: number | null;
  /** Of meanTokensIn, the part served from the provider's prompt cache. */
  meanCachedTokens: number | null;
  /** Of meanTokensIn, the part written to the provider's prompt cache; absent when none. */
  meanCacheWriteTokens?: number;
}

/**
 * For one provider: the best cell and every cell statistically tied with it. The best is chosen
 * inside each bootstrap resample (winner's curse), so `tied` is not biased against cheap cells.
 */
export interface ProviderCandidates {
  provider: string;
  /** The prompt variant these cells were asked with; absent: the task's own prompt (`builtin`). */
  prompt?: string;
  model: string;
  best: CandidateCell | null;
  /** Includes the best; empty when nothing was answered. */
  tied: CandidateCell[];
  /** The zero-shot cell, for cost comparison; null when the sweep had no k = 0. */
  zeroShot: CandidateCell | null;
}

/**
 * The provider's best cell and the cells statistically tied with it: the advice's family. A cell is
 * called worse than the best only when two one-sided checks at alpha both hold:
 * - an exact paired test that the best beats it (McNemar or sign-flip, one-sided), Holm-corrected
 *   over every cell compared with the best, so the chance of calling any cell worse by mistake
 *   stays at alpha however many cells the sweep has;
 * - the basic-bootstrap bound of (best - cell) above 0 with the best re-picked inside every
 *   resample, since "best" is picked from the data (winner's curse).
 * Requiring both (an intersection-union test) keeps the family's level; the tied set is what
 * remains.
 */
export function findCandidates(matrix: ItemMatrix, cells: readonly CellSummary[], settings: AnalysisSettings): ProviderCandidates {
  const own = cells.filter((c) => c.provider === matrix.provider && promptOf(c) === matrix.prompt);
  const summaryOf = (selector: string, k: number) => own.find((c) => c.selector === selector && c.k === k);
  const candidates: CandidateCell[] = [];
  const columns: Float64Array[] = [];
  const items: CellItems[] = [];
  for (const cell of matrix.cells) {
    const s = summaryOf(cell.ref.selector, cell.ref.k);
    if (!s?.accuracy) continue;
    candidates.push({
      selector: cell.ref.selector,
      k: cell.ref.k,
      accuracy: s.accuracy.estimate,
      ciLow: s.accuracy.lower,
      ciHigh: s.accuracy.upper,
      nItems: s.accuracy.n,
      meanTokensIn: s.meanTokensIn,
      meanTokensOut: s.meanTokensOut,
      meanCachedTokens: s.meanCachedTokens,
      ...(s.meanCacheWriteTokens !== undefined && { meanCacheWriteTokens: s.meanCacheWriteTokens }),
    });
    columns.push(cell.accuracy);
    items.push(cell);
  }
  const model = own[0]?.model ?? matrix.provider;
  const zeroShot = candidates.find((c) => c.k === 0) ?? null;
  if (candidates.length === 0) return { provider: matrix.provider, prompt: matrix.prompt, model, best: null, tied: [], zeroShot };

  const bestIndex = indexOfBest(candidates);
  const observed = candidates.map((c) => candidates[bestIndex]!.accuracy - c.accuracy);
  const rng = new Rng([settings.seed, laneSeed(matrix.provider, matrix.prompt), 'tied-with-best']);
  const resampled = settings.resamples > 0 ? bootstrapColumnMeans(columns, settings.resamples, rng) : [];
  const best = items[bestIndex]!;
  // One-sided exact p that the best beats each other cell, Holm over all of them.
  const exactP = items.map((cell, c) =>
    c === bestIndex
      ? 1
      : pairedDifference(cell.accuracy, best.accuracy, {
          resamples: settings.resamples,
          seedParts: [settings.seed, laneSeed(matrix.provider, matrix.prompt), 'tied', c],
          binarySingle: isBinarySingle(cell, best),
          alternative: 'greater',
        }).pValue,
  );
  const others = exactP.map((p, c) => ({ p, c })).filter((x) => x.c !== bestIndex);
  const adjusted = holm(others.map((x) => x.p));
  const exactWorse = new Set(others.filter((_, i) => adjusted[i]! < settings.alpha).map((x) => x.c));
  const tied = candidates.filter((_, c) => {
    if (c === bestIndex) return true;
    // Worse only when the exact paired test says so too: the bootstrap alone is over-confident
    // with few items (with 3 items it would call almost any gap real).
    if (!exactWorse.has(c)) return true;
    if (resampled.length === 0) return false;
    const gaps = resampled.map((means) => maxFinite(means) - means[c]!);
    // Basic bootstrap: (best - cell) is positive when 2 * observed exceeds the upper quantile of the resampled gaps.
    return quantile(gaps, 1 - settings.alpha) >= 2 * observed[c]!;
  });
  return { provider: matrix.provider, prompt: matrix.prompt, model, best: candidates[bestIndex]!, tied, zeroShot };
}

/** Highest accuracy; ties go to the fewer prompt tokens, then the smaller k, then the selector name. */
function indexOfBest(cells: readonly CandidateCell[]): number {
  let best = 0;
  cells.forEach((c, i) => {
    const b = cells[best]!;
    const cheaper = (c.meanTokensIn ?? Infinity) < (b.meanTokensIn ?? Infinity);
    if (
      c.accuracy > b.accuracy ||
      (c.accuracy === b.accuracy &&
        (cheaper || (c.meanTokensIn === b.meanTokensIn && (c.k < b.k || (c.k === b.k && compareSelectors(c.selector, b.selector) < 0)))))
    ) {
      best = i;
    }
  });
  return best;
}

function maxFinite(values: Float64Array): number {
  let max = Number.NEGATIVE_INFINITY;
  for (const v of values) if (Number.isFinite(v) && v > max) max = v;
  return max;
}
