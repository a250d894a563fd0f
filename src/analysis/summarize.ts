import type { ProviderErrorKind } from '../providers/provider.js';
import { ZERO_SHOT_SELECTOR, type TrialRecord } from '../runner/trial.js';
import { classifyOutcome, OUTCOMES, type Outcome } from './outcome.js';
import { itemClusteredAccuracy, mean, type Interval } from './stats.js';

/** One (provider, selector, k) cell of the sweep. */
export interface CellSummary {
  provider: string;
  model: string;
  selector: string;
  k: number;
  /** Distinct items asked in this cell. */
  nItems: number;
  nTrials: number;
  outcomes: Record<Outcome, number>;
  providerErrorsByKind: Partial<Record<ProviderErrorKind, number>>;
  /** Over answered trials only, items as the unit (n = items with at least one answered trial). */
  accuracy: Interval | null;
  /** Over all trials, failures scored 0, items as the unit: what a user of the pipeline would get. */
  endToEndAccuracy: Interval | null;
  /** Non-answered trials / all trials. */
  failureRate: number;
  /** Means over calls that returned (no provider error): a failed call says nothing about prompt size or speed. */
  meanTokensIn: number | null;
  /** Of meanTokensIn, the part the provider served from its prompt cache (cheaper). */
  meanCachedTokens: number | null;
  meanTokensOut: number | null;
  meanLatencyMs: number | null;
  /**
   * Each task measure (a [0, 1] detail such as routes' feasibility) over answered trials,
   * items as the unit like accuracy; null when no answered trial carries it.
   */
  measures: Record<string, Interval | null>;
  /** Label tasks: answered trials by expected label (rows) and predicted label (columns). */
  confusion?: Confusion;
}

export interface Confusion {
  labels: string[];
  /** counts[expected][predicted], every label present in both. */
  counts: Record<string, Record<string, number>>;
}

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

/** Group trials by (provider, selector, k) and summarize each group; sorted by provider, selector, k. */
export function summarizeCells(trials: readonly TrialRecord[], measureKeys: readonly string[] = []): CellSummary[] {
  const groups = new Map<string, TrialRecord[]>();
  for (const t of trials) {
    // JSON of a tuple is an unambiguous key whatever characters the names hold.
    const key = JSON.stringify([t.provider, t.selector, t.k]);
    const group = groups.get(key);
    if (group) group.push(t);
    else groups.set(key, [t]);
  }
  return [...groups.values()].map((group) => summarizeCell(group, measureKeys)).sort(
    (a, b) =>
      compareStrings(a.provider, b.provider) || compareSelectors(a.selector, b.selector) || a.k - b.k,
  );
}

function summarizeCell(trials: readonly TrialRecord[], measureKeys: readonly string[]): CellSummary {
  const first = trials[0]!;
  const outcomes = Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<Outcome, number>;
  const errorKinds = new Map<ProviderErrorKind, number>();
  const answeredScores: { itemId: string; score: number }[] = [];
  const endToEndScores: { itemId: string; score: number }[] = [];
  const answered: TrialRecord[] = [];
  const returned: TrialRecord[] = [];

  for (const t of trials) {
    const outcome = classifyOutcome(t);
    outcomes[outcome] += 1;
    if (t.error != null) errorKinds.set(t.error.kind, (errorKinds.get(t.error.kind) ?? 0) + 1);
    else returned.push(t);
    if (outcome === 'answered') {
      answered.push(t);
      answeredScores.push({ itemId: t.itemId, score: t.score });
    }
    // A failure counts as 0 end to end, whatever score the record carries.
    endToEndScores.push({ itemId: t.itemId, score: outcome === 'answered' ? t.score : 0 });
  }

  return {
    provider: first.provider,
    model: distinctSorted(trials.map((t) => t.model)).join(', '),
    selector: first.selector,
    k: first.k,
    nItems: new Set(trials.map((t) => t.itemId)).size,
    nTrials: trials.length,
    outcomes,
    providerErrorsByKind: Object.fromEntries(
      [...errorKinds].sort(([a], [b]) => compareStrings(a, b)),
    ) as Partial<Record<ProviderErrorKind, number>>,
    accuracy: itemClusteredAccuracy(answeredScores),
    endToEndAccuracy: itemClusteredAccuracy(endToEndScores),
    failureRate: (trials.length - outcomes.answered) / trials.length,
    meanTokensIn: mean(returned.map((t) => t.tokensIn)),
    meanCachedTokens: mean(returned.map((t) => t.cachedTokens ?? 0)),
    meanTokensOut: mean(returned.map((t) => t.tokensOut)),
    meanLatencyMs: mean(returned.map((t) => t.latencyMs)),
    measures: Object.fromEntries(measureKeys.map((key) => [key, measureInterval(answered, key)])),
    ...confusionOf(answered),
  };
}

/** A [0, 1] detail over answered trials, items as the unit; trials without a usable value are left out. */
function measureInterval(answered: readonly TrialRecord[], key: string): Interval | null {
  const values: { itemId: string; score: number }[] = [];
  for (const t of answered) {
    const value = t.details?.[key];
    const x = typeof value === 'boolean' ? Number(value) : value;
    if (typeof x === 'number' && Number.isFinite(x) && x >= 0 && x <= 1) values.push({ itemId: t.itemId, score: x });
  }
  return itemClusteredAccuracy(values);
}

function distinctSorted(values: readonly string[]): string[] {
  return [...new Set(values)].sort(compareStrings);
}

/** Per-label confusion from the `expected` and `predicted` details label tasks record; absent otherwise. */
function confusionOf(answered: readonly TrialRecord[]): { confusion?: Confusion } {
  const pairs: [string, string][] = [];
  for (const t of answered) {
    const expected = t.details?.expected;
    const predicted = t.details?.predicted;
    if (typeof expected === 'string' && typeof predicted === 'string') pairs.push([expected, predicted]);
  }
  if (pairs.length === 0) return {};
  const labels = distinctSorted(pairs.flat());
  const counts: Record<string, Record<string, number>> = {};
  for (const e of labels) counts[e] = Object.fromEntries(labels.map((p) => [p, 0]));
  for (const [e, p] of pairs) counts[e]![p]! += 1;
  return { confusion: { labels, counts } };
}
