import { ZERO_SHOT_SELECTOR } from './trial.js';

/** One trial to run: an evaluation item asked once in one cell. */
export interface TrialSpec {
  provider: string;
  selector: string;
  k: number;
  seed: number;
  itemIndex: number;
}

export interface PlanInput {
  itemCount: number;
  repeats: number;
  providers: readonly string[];
  selectors: readonly string[];
  shots: readonly number[];
}

/**
 * Expands the grid into trials, evaluation items in the outer loop: a run stopped early still has
 * every cell for the items it reached, so partial curves stay paired.
 * k = 0 has no shots to select, so it is planned once per provider and repeat (selector `none`)
 * and shared by every selector's curve instead of being paid for once per selector.
 */
export function planTrials(input: PlanInput): TrialSpec[] {
  const shots = [...input.shots].sort((a, b) => a - b);
  const cells: { selector: string; k: number }[] = [];
  if (shots.includes(0)) cells.push({ selector: ZERO_SHOT_SELECTOR, k: 0 });
  for (const selector of input.selectors) {
    for (const k of shots) if (k > 0) cells.push({ selector, k });
  }
  const plan: TrialSpec[] = [];
  for (let itemIndex = 0; itemIndex < input.itemCount; itemIndex++) {
    for (let seed = 0; seed < input.repeats; seed++) {
      for (const provider of input.providers) {
        for (const cell of cells) plan.push({ provider, ...cell, seed, itemIndex });
      }
    }
  }
  return plan;
}

/** Trials per provider, for the plan printout. */
export function countByProvider(plan: readonly TrialSpec[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const t of plan) counts.set(t.provider, (counts.get(t.provider) ?? 0) + 1);
  return counts;
}
