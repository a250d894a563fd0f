import { FAILURE_OUTCOMES, OUTCOMES, type FailureOutcome, type Outcome } from '../records/summary.js';
import { BUILTIN_PROMPT, promptOf, type TrialErrorKind, type TrialRecord } from '../records/trial.js';
import { clamp01 } from '../util/clamp.js';
import { fnv1a } from '../util/hash.js';
import { classifyOutcome, isAnswerFailure } from './outcome.js';

/**
 * One trial kept for the report's drill-down: what a sceptic needs to check a number by hand (the
 * shots, the raw output, the parsed answer, the score), with long texts cut.
 */
export interface SampledTrial {
  provider: string;
  prompt: string;
  selector: string;
  k: number;
  repeat: number;
  itemId: string;
  shotIds: string[];
  outcome: Outcome;
  score: number;
  /** The raw output, cut at SAMPLE_TEXT_LIMIT characters (`outputCut` says so); null when the call failed. */
  output: string | null;
  outputCut: boolean;
  /** The parsed answer as JSON text (cut like output); null when parsing failed. */
  answer: string | null;
  parseError: string | null;
  /** Why the experiment's scorer module gave no score (outcome `scorer_failure`); absent otherwise. */
  scorerError?: string;
  error: { kind: TrialErrorKind; message: string } | null;
  finishReason: string | null;
  latencyMs: number;
  tokensIn: number;
  tokensOut: number;
  cached: boolean;
}

/** Evaluation items per provider whose trials the drill-down keeps, in every cell (so one item can be followed across k). */
export const SAMPLE_ITEMS = 8;
/** Repeats of one item kept per cell. */
export const SAMPLE_REPEATS = 3;
/** Characters of an output or answer kept in a sample. */
export const SAMPLE_TEXT_LIMIT = 800;

/** Per-item sums of one [0, 1] measure in one cell. */
export interface MeasureSums {
  sum: number[];
  count: number[];
}

/**
 * One (provider, selector, k) cell reduced to what the statistics need: counts, sums, and per-item
 * sums indexed by the provider's item index. Every figure of the summary comes from these.
 */
export interface CellTotals {
  provider: string;
  /** The prompt variant (`builtin` for the task's own prompt). */
  prompt: string;
  selector: string;
  k: number;
  models: Set<string>;
  nTrials: number;
  outcomes: Record<Outcome, number>;
  errorKinds: Map<TrialErrorKind, number>;
  /** Calls that returned (no provider error), and their token and latency sums (cacheWriteTokens: written to the prompt cache). */
  /** `timed`: the answers with a latency of their own (batch answers have none: they are left out of the mean latency). */
  returned: { count: number; tokensIn: number; cachedTokens: number; cacheWriteTokens: number; tokensOut: number; latencyMs: number; timed: number };
  /** Of the returned calls, those that reported reasoning tokens; their sum; how many were estimates (Anthropic). */
  reasoning: { reported: number; tokens: number; estimated: number };
  /** Replies cut off at the output limit with no visible answer after thinking: the thinking used the budget. */
  thinkingCutoffs: number;
  /** The snapshots that answered (`model` or `model fingerprint`), with their trial counts. */
  snapshots: Map<string, number>;
  /**
   * Per item (provider's item index): all trials; scored trials (the model answered: parsed replies
   * and answer failures, which score 0); parsed replies; sum of their scores (clamped to [0, 1]).
   */
  trialCount: number[];
  scoredCount: number[];
  answeredCount: number[];
  answeredSum: number[];
  /** Per failure outcome, per item: trials that failed that way. */
  failures: Record<FailureOutcome, number[]>;
  /** True while every answered score is exactly 0 or 1. */
  binary: boolean;
  measures: Map<string, MeasureSums>;
  /** Label tasks: answered trials by expected then predicted label. */
  confusion: Map<string, Map<string, number>>;
  /** Trials answered from the response cache (not paid again). */
  cachedTrials: number;
  /** The drill-down's trials of this cell, by item id (only the provider's sampled items). */
  samples: Map<string, SampledTrial[]>;
}

/**
 * One lane of the analysis: a provider under one prompt variant. Every per-provider statistic
 * (curves, labels, collapse, the advice's candidates) is computed within a lane; prompt variants of
 * one provider share its items, so lanes of one provider compare item by item.
 */
export interface ProviderTotals {
  provider: string;
  /** The prompt variant (`builtin` for the task's own prompt). */
  prompt: string;
  models: Set<string>;
  /** Item ids in first-seen order; a cell's per-item arrays are indexed by position here. */
  itemIds: string[];
  itemIndex: Map<string, number>;
  cells: Map<string, CellTotals>;
  /** The drill-down's items: the SAMPLE_ITEMS ids with the smallest hash seen so far, with their hashes. */
  sampled: Map<string, number>;
}

/**
 * Folds trial records, one at a time, into the sufficient statistics of the analysis: per cell and
 * item, counts and sums. A sweep feeds it as trials complete and never keeps the records, so memory
 * follows the number of (cell, item) pairs, not the number of trials, repeats or output sizes.
 * Scores are clamped to [0, 1] (a stray value or NaN counts 0), as the statistics assume.
 */
export class TrialAccumulator {
  trials = 0;
  /** Trials answered by an identical call another trial had in flight (`shared: true`): calls saved. */
  sharedTrials = 0;
  /** By lane (laneKey: provider and prompt variant). */
  readonly providers = new Map<string, ProviderTotals>();

  constructor(readonly measureKeys: readonly string[] = []) {}

  static of(trials: Iterable<TrialRecord>, measureKeys: readonly string[] = []): TrialAccumulator {
    const acc = new TrialAccumulator(measureKeys);
    for (const t of trials) acc.add(t);
    return acc;
  }

  add(t: TrialRecord): void {
    this.trials++;
    if (t.shared) this.sharedTrials++;
    const provider = this.providerTotals(t.provider, promptOf(t));
    provider.models.add(t.model);
    let i = provider.itemIndex.get(t.itemId);
    if (i === undefined) {
      i = provider.itemIds.length;
      provider.itemIds.push(t.itemId);
      provider.itemIndex.set(t.itemId, i);
      this.considerForSample(provider, t.itemId);
    }
    const cell = this.cellTotals(provider, t.selector, t.k);
    cell.models.add(t.model);
    cell.nTrials++;
    if (t.cached) cell.cachedTrials++;
    const outcome = classifyOutcome(t);
    if (provider.sampled.has(t.itemId)) keepSample(cell, t, outcome);
    cell.outcomes[outcome]++;
    bump(cell.trialCount, i, 1);
    if (t.error != null) {
      cell.errorKinds.set(t.error.kind, (cell.errorKinds.get(t.error.kind) ?? 0) + 1);
    } else {
      const r = cell.returned;
      r.count++;
      r.tokensIn += finite(t.tokensIn);
      r.cachedTokens += finite(t.cachedTokens ?? 0);
      r.cacheWriteTokens += finite(t.cacheWriteTokens ?? 0);
      r.tokensOut += finite(t.tokensOut);
      if (t.batch === undefined) {
        r.latencyMs += finite(t.latencyMs);
        r.timed++;
      }
      if (t.reasoningTokens !== undefined) {
        cell.reasoning.reported++;
        cell.reasoning.tokens += finite(t.reasoningTokens);
        if (t.reasoningTokensEstimated) cell.reasoning.estimated++;
        if (t.finishReason === 'length' && (t.output ?? '').trim() === '' && t.reasoningTokens > 0) cell.thinkingCutoffs++;
      }
      if (t.snapshot !== undefined) {
        const name = snapshotName(t.snapshot);
        cell.snapshots.set(name, (cell.snapshots.get(name) ?? 0) + 1);
      }
    }
    if (outcome !== 'answered') {
      bump(cell.failures[outcome], i, 1);
      // An answer failure is the model's answer to the prompt: scored 0, so it counts but adds nothing.
      if (isAnswerFailure(outcome)) bump(cell.scoredCount, i, 1);
      return;
    }
    bump(cell.scoredCount, i, 1);
    const score = clamp01(t.score);
    if (score !== 0 && score !== 1) cell.binary = false;
    bump(cell.answeredCount, i, 1);
    bump(cell.answeredSum, i, score);
    for (const key of this.measureKeys) {
      const value = t.details?.[key];
      const x = typeof value === 'boolean' ? Number(value) : value;
      if (typeof x !== 'number' || !Number.isFinite(x) || x < 0 || x > 1) continue;
      let sums = cell.measures.get(key);
      if (!sums) cell.measures.set(key, (sums = { sum: [], count: [] }));
      bump(sums.sum, i, x);
      bump(sums.count, i, 1);
    }
    const expected = t.details?.expected;
    const predicted = t.details?.predicted;
    if (typeof expected === 'string' && typeof predicted === 'string') {
      let row = cell.confusion.get(expected);
      if (!row) cell.confusion.set(expected, (row = new Map()));
      row.set(predicted, (row.get(predicted) ?? 0) + 1);
    }
  }

  /** Answered trials and failures by kind over the whole run. */
  outcomeTotals(): { answered: number; failures: Record<FailureOutcome, number> } {
    const failures = Object.fromEntries(FAILURE_OUTCOMES.map((o) => [o, 0])) as Record<FailureOutcome, number>;
    let answered = 0;
    for (const p of this.providers.values()) {
      for (const c of p.cells.values()) {
        answered += c.outcomes.answered;
        for (const o of FAILURE_OUTCOMES) failures[o] += c.outcomes[o];
      }
    }
    return { answered, failures };
  }

  /** The drill-down's trials, cells in the summary's order, items by id, repeats in order. */
  samples(): SampledTrial[] {
    const out: SampledTrial[] = [];
    for (const lane of [...this.providers.values()].sort(compareLanes)) {
      const cells = [...lane.cells.values()].sort((a, b) => (a.selector < b.selector ? -1 : a.selector > b.selector ? 1 : a.k - b.k));
      for (const cell of cells) {
        for (const item of [...cell.samples.keys()].sort()) out.push(...cell.samples.get(item)!.sort((a, b) => a.repeat - b.repeat));
      }
    }
    return out;
  }

  /**
   * A new item joins the drill-down when its hash is among the SAMPLE_ITEMS smallest seen so far. An
   * item is first seen at its first trial, and the largest kept hash only goes down, so the final
   * choice is the SAMPLE_ITEMS smallest hashes of all items, whatever order trials arrive in, each
   * with every one of its trials.
   */
  private considerForSample(provider: ProviderTotals, itemId: string): void {
    const hash = fnv1a(itemId);
    if (provider.sampled.size < SAMPLE_ITEMS) {
      provider.sampled.set(itemId, hash);
      return;
    }
    let worst: string | null = null;
    let worstHash = -1;
    for (const [id, h] of provider.sampled) if (h > worstHash || (h === worstHash && worst !== null && id > worst)) [worst, worstHash] = [id, h];
    if (worst === null || hash > worstHash || (hash === worstHash && itemId > worst)) return;
    provider.sampled.delete(worst);
    for (const cell of provider.cells.values()) cell.samples.delete(worst);
    provider.sampled.set(itemId, hash);
  }

  private providerTotals(id: string, prompt: string): ProviderTotals {
    const key = laneKey(id, prompt);
    let p = this.providers.get(key);
    if (!p) this.providers.set(key, (p = { provider: id, prompt, models: new Set(), itemIds: [], itemIndex: new Map(), cells: new Map(), sampled: new Map() }));
    return p;
  }

  private cellTotals(provider: ProviderTotals, selector: string, k: number): CellTotals {
    // JSON of a tuple is an unambiguous key whatever characters the names hold.
    const key = JSON.stringify([selector, k]);
    let cell = provider.cells.get(key);
    if (!cell) {
      cell = {
        provider: provider.provider,
        prompt: provider.prompt,
        selector,
        k,
        models: new Set(),
        nTrials: 0,
        outcomes: Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<Outcome, number>,
        errorKinds: new Map(),
        returned: { count: 0, tokensIn: 0, cachedTokens: 0, cacheWriteTokens: 0, tokensOut: 0, latencyMs: 0, timed: 0 },
        reasoning: { reported: 0, tokens: 0, estimated: 0 },
        thinkingCutoffs: 0,
        snapshots: new Map(),
        trialCount: [],
        scoredCount: [],
        answeredCount: [],
        answeredSum: [],
        failures: Object.fromEntries(FAILURE_OUTCOMES.map((o) => [o, []])) as unknown as Record<FailureOutcome, number[]>,
        binary: true,
        measures: new Map(),
        confusion: new Map(),
        cachedTrials: 0,
        samples: new Map(),
      };
      provider.cells.set(key, cell);
    }
    return cell;
  }
}

function keepSample(cell: CellTotals, t: TrialRecord, outcome: Outcome): void {
  let list = cell.samples.get(t.itemId);
  if (!list) cell.samples.set(t.itemId, (list = []));
  if (list.length >= SAMPLE_REPEATS) return;
  const output = t.output === null ? null : cut(t.output);
  const answer = t.answer === null || t.answer === undefined ? null : cut(JSON.stringify(t.answer) ?? '');
  list.push({
    provider: t.provider,
    prompt: promptOf(t),
    selector: t.selector,
    k: t.k,
    repeat: t.repeat,
    itemId: t.itemId,
    shotIds: [...t.shotIds],
    outcome,
    score: clamp01(t.score),
    output: output?.text ?? null,
    outputCut: output?.cut ?? false,
    answer: answer?.text ?? null,
    parseError: t.parseError,
    ...(t.scorerError != null && { scorerError: cut(t.scorerError).text }),
    error: t.error ? { kind: t.error.kind, message: cut(t.error.message).text } : null,
    finishReason: t.finishReason,
    latencyMs: finite(t.latencyMs),
    tokensIn: finite(t.tokensIn),
    tokensOut: finite(t.tokensOut),
    cached: t.cached,
  });
}

function cut(text: string): { text: string; cut: boolean } {
  return text.length > SAMPLE_TEXT_LIMIT ? { text: text.slice(0, SAMPLE_TEXT_LIMIT), cut: true } : { text, cut: false };
}

/** A lane's key in TrialAccumulator.providers: JSON of the tuple is unambiguous whatever the names hold. */
export function laneKey(provider: string, prompt: string): string {
  return JSON.stringify([provider, prompt]);
}

/**
 * The name seeding a lane's resamples: the provider alone for the built-in prompt (so runs without
 * variants reproduce the numbers of earlier versions bit for bit), else provider and variant.
 */
export function laneSeed(provider: string, prompt: string | undefined): string {
  return prompt === undefined || prompt === BUILTIN_PROMPT ? provider : `${provider}\u0001${prompt}`;
}

/** Lanes by provider, then prompt variant (locale-independent). */
export function compareLanes(a: { provider: string; prompt: string }, b: { provider: string; prompt: string }): number {
  return a.provider < b.provider ? -1 : a.provider > b.provider ? 1 : a.prompt < b.prompt ? -1 : a.prompt > b.prompt ? 1 : 0;
}

/** Trial records or their accumulated totals: what the analysis accepts. */
export type TrialSource = readonly TrialRecord[] | TrialAccumulator;

export function accumulate(source: TrialSource, measureKeys: readonly string[] = []): TrialAccumulator {
  return source instanceof TrialAccumulator ? source : TrialAccumulator.of(source, measureKeys);
}

/** The value at i, 0 where the array does not reach. */
export function at(values: readonly number[], i: number): number {
  return i < values.length ? values[i]! : 0;
}

/** Adds x at index i, growing the array with zeros (dense arrays stay compact; holes would not). */
function bump(values: number[], i: number, x: number): void {
  while (values.length <= i) values.push(0);
  values[i]! += x;
}

function finite(x: number): number {
  return Number.isFinite(x) ? x : 0;
}

/** A snapshot as one string: the model, then OpenAI's backend fingerprint when there is one. */
export function snapshotName(snapshot: { model: string; fingerprint?: string | undefined }): string {
  return snapshot.fingerprint ? `${snapshot.model} ${snapshot.fingerprint}` : snapshot.model;
}
