import type { CellSummary, Confusion, Interval } from '../records/summary.js';
import { ZERO_SHOT_SELECTOR, type TrialErrorKind } from '../records/trial.js';
import { accumulate, at, type CellTotals, type MeasureSums, type TrialSource } from './accumulate.js';
import { wilson } from './stats.js';

/** Locale-independent string order, so output does not depend on the machine's locale. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** `none` (zero-shot) first, then by name. */
export function compareSelectors(a: string, b: string): number {
  if (a === b) return 0;
  if (a === ZERO_SHOT_SELECTOR) return -1;
  if (b === ZERO_SHOT_SELECTOR) return 1;
  return compareStrings(a, b);
}

/** Summarize each (provider, prompt, selector, k) cell; sorted by provider, prompt, selector, k. */
export function summarizeCells(source: TrialSource, measureKeys: readonly string[] = []): CellSummary[] {
  const acc = accumulate(source, measureKeys);
  const out: CellSummary[] = [];
  for (const provider of acc.providers.values()) {
    // Items in id order, so sums of item means do not depend on the order trials arrived in.
    const order = [...provider.itemIds.keys()].sort((a, b) => compareStrings(provider.itemIds[a]!, provider.itemIds[b]!));
    for (const cell of provider.cells.values()) out.push(summarizeCell(cell, order, acc.measureKeys));
  }
  return out.sort(
    (a, b) => compareStrings(a.provider, b.provider) || compareStrings(a.prompt ?? '', b.prompt ?? '') || compareSelectors(a.selector, b.selector) || a.k - b.k,
  );
}

function summarizeCell(cell: CellTotals, order: readonly number[], measureKeys: readonly string[]): CellSummary {
  let nItems = 0;
  let scoredItems = 0;
  let scoredMeans = 0;
  let parsedItems = 0;
  let parsedMeans = 0;
  let endToEndMeans = 0;
  for (const i of order) {
    const trials = at(cell.trialCount, i);
    if (trials === 0) continue;
    nItems++;
    const scored = at(cell.scoredCount, i);
    const answered = at(cell.answeredCount, i);
    const sum = at(cell.answeredSum, i);
    // A failure counts as 0 end to end, whatever score the record carries.
    endToEndMeans += sum / trials;
    if (scored > 0) {
      scoredItems++;
      scoredMeans += sum / scored;
    }
    if (answered > 0) {
      parsedItems++;
      parsedMeans += sum / answered;
    }
  }
  const providerFailures = cell.outcomes.provider_error;
  const modelAnswered = cell.nTrials - providerFailures;
  const { returned } = cell;
  const meanOf = (total: number) => (returned.count > 0 ? total / returned.count : null);
  return {
    provider: cell.provider,
    model: [...cell.models].sort(compareStrings).join(', '),
    prompt: cell.prompt,
    selector: cell.selector,
    k: cell.k,
    nItems,
    nTrials: cell.nTrials,
    cachedTrials: cell.cachedTrials,
    outcomes: { ...cell.outcomes },
    providerErrorsByKind: Object.fromEntries([...cell.errorKinds].sort(([a], [b]) => compareStrings(a, b))) as Partial<Record<TrialErrorKind, number>>,
    accuracy: wilson(scoredMeans, scoredItems),
    parsedAccuracy: wilson(parsedMeans, parsedItems),
    endToEndAccuracy: wilson(endToEndMeans, nItems),
    failureRate: (cell.nTrials - cell.outcomes.answered) / cell.nTrials,
    answerFailureRate: modelAnswered > 0 ? (modelAnswered - cell.outcomes.answered) / modelAnswered : 0,
    providerFailureRate: providerFailures / cell.nTrials,
    meanTokensIn: meanOf(returned.tokensIn),
    meanCachedTokens: meanOf(returned.cachedTokens),
    ...(returned.cacheWriteTokens > 0 && { meanCacheWriteTokens: returned.cacheWriteTokens / returned.count }),
    meanTokensOut: meanOf(returned.tokensOut),
    meanLatencyMs: returned.timed > 0 ? returned.latencyMs / returned.timed : null,
    ...(cell.reasoning.reported > 0 && { meanReasoningTokens: cell.reasoning.tokens / cell.reasoning.reported }),
    ...(cell.reasoning.estimated > 0 && { reasoningTokensEstimated: true }),
    ...(cell.thinkingCutoffs > 0 && { thinkingCutoffs: cell.thinkingCutoffs }),
    ...(cell.snapshots.size > 0 && { snapshots: Object.fromEntries([...cell.snapshots].sort(([a], [b]) => compareStrings(a, b))) }),
    measures: Object.fromEntries(measureKeys.map((key) => [key, measureInterval(cell.measures.get(key), order)])),
    ...confusionOf(cell),
  };
}

/** A [0, 1] detail over answered trials, items as the unit; trials without a usable value are left out. */
function measureInterval(sums: MeasureSums | undefined, order: readonly number[]): Interval | null {
  if (!sums) return null;
  let items = 0;
  let means = 0;
  for (const i of order) {
    const count = at(sums.count, i);
    if (count === 0) continue;
    items++;
    means += at(sums.sum, i) / count;
  }
  return wilson(means, items);
}

/** Per-label confusion from the `expected` and `predicted` details label tasks record; absent otherwise. */
function confusionOf(cell: CellTotals): { confusion?: Confusion } {
  if (cell.confusion.size === 0) return {};
  const names = new Set<string>();
  for (const [expected, row] of cell.confusion) {
    names.add(expected);
    for (const predicted of row.keys()) names.add(predicted);
  }
  const labels = [...names].sort(compareStrings);
  const counts: Record<string, Record<string, number>> = {};
  for (const e of labels) counts[e] = Object.fromEntries(labels.map((p) => [p, cell.confusion.get(e)?.get(p) ?? 0]));
  return { confusion: { labels, counts } };
}
