/** Synthetic trial records from curves of known shape: the ground truth the label validation and the analysis benchmark use. */
import type { TrialRecord } from '../records/trial.js';
import { Rng } from '../util/rng.js';

/** True accuracy per k for the shapes a label should recognise. */
export const KS = [0, 1, 2, 4, 8, 16];
export const SHAPES = {
  improving: [0.3, 0.4, 0.5, 0.6, 0.7, 0.85],
  plateau: [0.3, 0.5, 0.65, 0.65, 0.65, 0.65],
  'peak-regression': [0.3, 0.5, 0.7, 0.7, 0.45, 0.4],
  'no-benefit': [0.5, 0.5, 0.5, 0.5, 0.5, 0.5],
} as const;
export type ShapeName = keyof typeof SHAPES;

export interface SimulationOptions {
  accuracy: readonly number[];
  ks?: readonly number[];
  items: number;
  repeats?: number;
  /**
   * How strongly an item's answers agree across k (0: independent draws, 1: one latent ease per item).
   * Real items are consistent (easy items stay easy), which is what makes paired tests powerful.
   */
  consistency: number;
  seed: number | string;
  provider?: string;
  selector?: string;
  /** Share of trials per k that fail with a provider error (scored apart). */
  failureRate?: readonly number[];
}

/**
 * Trial records from a curve of known shape: item i at k is right when V < p_k, where V is the
 * item's latent ease with probability `consistency` and a fresh uniform draw otherwise, so the
 * marginal accuracy at k is exactly p_k and items are positively correlated across k.
 */
export function simulateTrials(o: SimulationOptions): TrialRecord[] {
  const ks = o.ks ?? KS;
  const rng = new Rng(['simulate', o.seed]);
  const trials: TrialRecord[] = [];
  const provider = o.provider ?? 'sim';
  const selector = o.selector ?? 'random';
  for (let i = 0; i < o.items; i++) {
    const ease = rng.next();
    ks.forEach((k, j) => {
      for (let r = 0; r < (o.repeats ?? 1); r++) {
        const v = rng.next() < o.consistency ? ease : rng.next();
        const failed = rng.next() < (o.failureRate?.[j] ?? 0);
        const score = v < o.accuracy[j]! ? 1 : 0;
        trials.push(record(provider, k === 0 ? 'none' : selector, k, r, `item-${i}`, failed ? null : score));
      }
    });
  }
  return trials;
}

export function record(provider: string, selector: string, k: number, repeat: number, itemId: string, score: number | null): TrialRecord {
  return {
    runId: 'sim',
    provider,
    model: provider,
    selector,
    k,
    repeat,
    itemId,
    shotIds: [],
    promptHash: '',
    output: score === null ? null : 'ROUTE: x',
    finishReason: score === null ? null : 'stop',
    parseOk: score !== null,
    parseError: null,
    answer: null,
    score: score ?? 0,
    details: {},
    error: score === null ? { kind: 'timeout', message: 'simulated timeout' } : null,
    tokensIn: 100 + 50 * k,
    tokensOut: 20,
    cachedTokens: 0,
    latencyMs: 1,
    cached: false,
    requestId: null,
  };
}
