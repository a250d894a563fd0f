/**
 * Keep few-shot or fine-tune, priced (issue 19). For each provider whose model has a fine-tuning price
 * (data/finetune-prices.json, or the experiment's `fineTune.prices`), the advice gains what training
 * on the pool costs (its tokens as the sweep counted them, times the epochs), what a tuned request at
 * k = 0 costs (the zero-shot prompt at the tuned model's price), what the recommended few-shot cell
 * costs, and the break-even volume over the horizon (break-even.ts). The tuned model is assumed to
 * match the recommended few-shot accuracy until it is measured: an entry with `tunedFrom` is compared,
 * paired over the items both answered, with its base model's recommended cell, and its own tokens and
 * price replace the assumption.
 */
import { costPerRequest, resolvePrice, type Price } from '../config/prices.js';
import { hostingPerMonth, openAIFineTuneBase, resolveFineTunePrice, type FineTunePrice, type ResolvedFineTunePrice } from '../config/finetune-prices.js';
import type { Advice, FineTuneAdvice, TunedComparison } from '../records/summary.js';
import { points, signedPoints } from '../util/format-numbers.js';
import { breakEven, tunedMonthlyCost } from './break-even.js';
import type { CandidateCell, ProviderCandidates } from './candidates.js';
import type { ItemMatrix } from './item-scores.js';
import { adjustedWald } from './paired.js';
import { ZERO_SHOT_SELECTOR, promptOf } from '../records/trial.js';

export interface FineTuneOptions {
  horizonMonths: number;
  epochs?: number | undefined;
  prices?: Readonly<Record<string, FineTunePrice>> | null | undefined;
  requestsPerMonth: number | null;
  target: number | null;
  priceOverrides?: Readonly<Record<string, Price>> | null;
  /** Provider names -> ids. */
  providerIds?: Readonly<Record<string, string>> | null;
  /** Provider name -> the name of the entry it was tuned from (`tunedFrom`). */
  tunedFrom: Readonly<Record<string, string>>;
}

/** run.json's `fineTune`: the pool's examples and training tokens per epoch by provider name. */
export interface TrainingTokens {
  examples: number;
  tokensPerEpoch: Readonly<Record<string, number>>;
}

/**
 * The advice with its fine-tune blocks: a base model's advice gains one when it is priced for tuning
 * and the run counted its training tokens; a tuned entry's own advice gets none (it is the tuned side).
 */
export function withFineTune(
  advice: readonly Advice[],
  candidates: readonly ProviderCandidates[],
  matrices: () => readonly ItemMatrix[],
  training: TrainingTokens | undefined,
  options: FineTuneOptions,
): Advice[] {
  if (!training) return [...advice];
  const tunedOf = new Map(Object.entries(options.tunedFrom).map(([tuned, base]) => [base, tuned] as const));
  return advice.map((a) => {
    if (options.tunedFrom[a.provider] !== undefined) return a;
    const block = fineTuneFor(a, candidates, matrices, training, options, tunedOf.get(a.provider));
    if (!block) return a;
    // Few-shot misses the target on a settled curve: say what the remaining lever costs.
    const lever = a.decision === 'fine-tune' ? [leverReason(block, options.target)] : [];
    return { ...a, reasons: [...a.reasons, ...lever], fineTune: block };
  });
}

function fineTuneFor(
  a: Advice,
  candidates: readonly ProviderCandidates[],
  matrices: () => readonly ItemMatrix[],
  training: TrainingTokens,
  options: FineTuneOptions,
  tunedName: string | undefined,
): FineTuneAdvice | null {
  const id = options.providerIds?.[a.provider] ?? a.provider;
  const tokensPerEpoch = training.tokensPerEpoch[a.provider];
  const price = resolveFineTunePrice(id, options.prices ?? null);
  const lane = candidates.find((c) => c.provider === a.provider && promptOf(c) === (a.prompt ?? promptOf(c)));
  const zeroShot = lane?.zeroShot ?? null;
  if (!price || tokensPerEpoch === undefined || !a.costPer1k || a.costPer1k.recommended === null || a.k === null || !zeroShot) return null;

  const epochs = options.epochs ?? price.epochs ?? 1;
  const trainingTokens = tokensPerEpoch * epochs;
  const trainingCost = (trainingTokens * price.training) / 1_000_000;
  const hosting = hostingPerMonth(price);
  const fewShotPerRequest = a.costPer1k.recommended / 1000;

  // The tuned model's request: measured (its own k = 0 cell and price) when an entry says it was tuned from this one, else assumed.
  const measured = tunedName ? measureTuned(a, tunedName, candidates, matrices, options, price) : null;
  const tunedPerRequest = measured ? measured.perRequest : perRequestAt(tunedPrice(price), zeroShot);
  const input = { trainingCost, hostingPerMonth: hosting, horizonMonths: options.horizonMonths, fewShotPerRequest, tunedPerRequest };
  const be = breakEven(input);
  const volume = options.requestsPerMonth;
  const tunedAtVolume = volume !== null ? tunedMonthlyCost(input, volume) : null;
  const fewShotName = `k = ${a.k}${a.selector && a.selector !== ZERO_SHOT_SELECTOR ? ` (${a.selector})` : ''}`;
  const accuracyText = measured
    ? measured.text
    : `Assumes the fine-tuned model at k = 0 matches the recommended few-shot accuracy (${pct(a.accuracy)} at ${fewShotName}) until measured: add the tuned model as a provider with \`tunedFrom: ${a.provider}\`.`;
  return {
    source: price.source,
    currency: price.currency,
    ...(price.note !== undefined && { note: price.note }),
    examples: training.examples,
    minExamples: price.minExamples ?? null,
    recommendedExamples: price.recommendedExamples ?? null,
    trainingTokensPerEpoch: tokensPerEpoch,
    epochs,
    trainingTokens,
    trainingCost,
    hostingPerMonth: hosting,
    horizonMonths: options.horizonMonths,
    costPer1k: { tuned: tunedPerRequest * 1000, fewShot: a.costPer1k.recommended, zeroShot: a.costPer1k.zeroShot },
    fewShot: { selector: a.selector, k: a.k },
    breakEven: be.kind === 'volume' ? { kind: 'volume', requestsPerMonth: be.requestsPerMonth } : { kind: be.kind, reason: be.reason },
    ...(volume !== null &&
      tunedAtVolume !== null && {
        atVolume: {
          requestsPerMonth: volume,
          cheaper: tunedAtVolume < volume * fewShotPerRequest ? ('fine-tune' as const) : ('few-shot' as const),
          fewShotPerMonth: volume * fewShotPerRequest,
          tunedPerMonth: tunedAtVolume,
        },
      }),
    accuracy: measured ? { kind: 'measured', text: accuracyText, comparison: measured.comparison } : { kind: 'assumed', text: accuracyText },
  };
}

/** The tuned model's per-token price as a Price. */
function tunedPrice(price: ResolvedFineTunePrice): Price {
  return { input: price.input, output: price.output, ...(price.cachedInput !== undefined && { cachedInput: price.cachedInput }) };
}

function perRequestAt(price: Price, cell: CandidateCell): number {
  return costPerRequest(price, cell.meanTokensIn ?? 0, cell.meanTokensOut ?? 0, cell.meanCachedTokens ?? 0);
}

/**
 * The tuned entry measured: its k = 0 cell against the base model's recommended cell, paired over the
 * items both answered (tuned minus base, adjusted-Wald 95% interval), and its request at its own
 * price: the main price table's entry for its id, else (an OpenAI `ft:` id, or any tuned id) the base
 * model's tuned price from the fine-tuning table.
 */
function measureTuned(
  a: Advice,
  tunedName: string,
  candidates: readonly ProviderCandidates[],
  matrices: () => readonly ItemMatrix[],
  options: FineTuneOptions,
  basePrice: ResolvedFineTunePrice,
): { perRequest: number; text: string; comparison: TunedComparison } | null {
  const tunedLane = candidates.find((c) => c.provider === tunedName && c.zeroShot !== null);
  if (!tunedLane?.zeroShot || a.k === null) return null;
  const all = matrices();
  const baseMatrix = all.find((m) => m.provider === a.provider && m.prompt === (a.prompt ?? m.prompt));
  const tunedMatrix = all.find((m) => m.provider === tunedName && m.prompt === tunedLane.prompt) ?? all.find((m) => m.provider === tunedName);
  const baseCell = baseMatrix?.cells.find((c) => c.ref.selector === a.selector && c.ref.k === a.k);
  const tunedCell = tunedMatrix?.cells.find((c) => c.ref.k === 0);
  if (!baseMatrix || !tunedMatrix || !baseCell || !tunedCell) return null;
  const at = new Map(tunedMatrix.itemIds.map((item, i) => [item, i] as const));
  const diffs: number[] = [];
  let baseSum = 0;
  let tunedSum = 0;
  baseMatrix.itemIds.forEach((item, i) => {
    const j = at.get(item);
    if (j === undefined) return;
    const b = baseCell.accuracy[i]!;
    const t = tunedCell.accuracy[j]!;
    if (!Number.isFinite(b) || !Number.isFinite(t)) return;
    diffs.push(t - b);
    baseSum += b;
    tunedSum += t;
  });
  if (diffs.length === 0) return null;
  const difference = diffs.reduce((s, d) => s + d, 0) / diffs.length;
  const { low, high } = adjustedWald(diffs);
  const tunedId = options.providerIds?.[tunedName] ?? tunedName;
  const own = resolvePrice(tunedId, options.priceOverrides ?? undefined);
  const viaBase = openAIFineTuneBase(tunedId);
  const price: Price = own ?? (viaBase ? tunedPrice(resolveFineTunePrice(viaBase, options.prices ?? null) ?? basePrice) : tunedPrice(basePrice));
  const comparison: TunedComparison = {
    tuned: tunedName,
    base: a.provider,
    baseSelector: a.selector,
    baseK: a.k,
    difference,
    ciLow: low,
    ciHigh: high,
    nItems: diffs.length,
    tunedAccuracy: tunedSum / diffs.length,
    baseAccuracy: baseSum / diffs.length,
  };
  // The break-even weighs cost at matched accuracy: say when the measurement shows the two are not matched.
  const matched =
    high < 0
      ? ' The tuned model is shown less accurate than the few-shot cell, so the break-even compares unequal models.'
      : low > 0
        ? ' The tuned model is shown more accurate than the few-shot cell.'
        : '';
  const text = `Measured: tuned at k = 0 vs base at k = ${a.k}: ${signedPoints(difference)} points [${signedPoints(low)}, ${signedPoints(high)}], n = ${diffs.length} (${tunedName} ${points(comparison.tunedAccuracy)}% vs ${points(comparison.baseAccuracy)}%); the break-even uses the tuned model's measured tokens.${matched}`;
  return { perRequest: perRequestAt(price, tunedLane.zeroShot), text, comparison };
}

/** "Fine-tuning is the remaining lever: training on the 300 pool examples costs about $1.23 (...), then ..." */
function leverReason(b: FineTuneAdvice, target: number | null): string {
  const money = (x: number) => `${x.toFixed(x < 1 ? 4 : 2)} ${b.currency}`;
  const pays =
    b.breakEven.kind === 'volume'
      ? `it pays for itself from about ${Math.ceil(b.breakEven.requestsPerMonth).toLocaleString('en-US')} requests a month over ${b.horizonMonths} months`
      : `on price alone it ${b.breakEven.kind === 'never' ? 'never pays for itself' : 'cannot be weighed'} (${b.breakEven.reason})`;
  return `Fine-tuning is the remaining lever${target !== null ? ` for the target of ${points(target)}%` : ''}: training on the ${b.examples} pool examples costs about ${money(b.trainingCost)} (${b.trainingTokens.toLocaleString('en-US')} tokens: ${b.trainingTokensPerEpoch.toLocaleString('en-US')} x ${b.epochs} epochs; ${b.source}), then ${money(b.costPer1k.tuned)} per 1,000 requests at k = 0 against ${money(b.costPer1k.fewShot)} few-shot; ${pays}.`;
}

function pct(x: number | null): string {
  return x === null ? 'n/a' : `${points(x)}%`;
}
