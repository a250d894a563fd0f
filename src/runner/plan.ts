import { BUILTIN_PROMPT, ZERO_SHOT_SELECTOR } from '../records/trial.js';

/** One trial to run: an evaluation item asked once in one cell. */
export interface TrialSpec {
  provider: string;
  /** The prompt variant's id (`builtin`: the task's own prompt). */
  prompt: string;
  selector: string;
  k: number;
  /** Repeat index (0-based). */
  repeat: number;
  itemIndex: number;
}

export interface PlanInput {
  itemCount: number;
  repeats: number;
  providers: readonly string[];
  selectors: readonly string[];
  shots: readonly number[];
  /** Prompt variant ids; absent: the task's built-in prompt only. */
  prompts?: readonly string[];
}

/** One cell of a provider's grid: a prompt variant, a selector (`none` at k = 0) and k. */
export interface PlanCell {
  prompt: string;
  selector: string;
  k: number;
}

/**
 * The sweep's grid, expanded lazily: a million-trial sweep is a few numbers here, not a million
 * objects. Evaluation items are the outer loop, so a run stopped early still has every cell for the
 * items it reached and partial curves stay paired.
 * k = 0 has no shots to select, so it is planned once per provider, prompt and repeat (selector
 * `none`) and shared by every selector's curve of that prompt instead of being paid for once per selector.
 * Prompt variants are the outer loop of the cells: each variant's cells ask the same items with the
 * same shots (selection does not depend on the prompt), so variants compare item by item.
 */
export class TrialPlan implements Iterable<TrialSpec> {
  readonly cells: readonly PlanCell[];
  readonly providers: readonly string[];

  constructor(private readonly input: PlanInput) {
    const shots = [...input.shots].sort((a, b) => a - b);
    const cells: PlanCell[] = [];
    for (const prompt of input.prompts ?? [BUILTIN_PROMPT]) {
      if (shots.includes(0)) cells.push({ prompt, selector: ZERO_SHOT_SELECTOR, k: 0 });
      for (const selector of input.selectors) {
        for (const k of shots) if (k > 0) cells.push({ prompt, selector, k });
      }
    }
    this.cells = cells;
    this.providers = [...input.providers];
  }

  /** Trials of one provider. */
  get perProvider(): number {
    return this.input.itemCount * this.input.repeats * this.cells.length;
  }

  get length(): number {
    return this.perProvider * this.providers.length;
  }

  /** One provider's trials in run order (items outermost, then repeats, then cells). */
  *forProvider(provider: string): Generator<TrialSpec> {
    for (let itemIndex = 0; itemIndex < this.input.itemCount; itemIndex++) {
      for (let repeat = 0; repeat < this.input.repeats; repeat++) {
        for (const cell of this.cells) yield { provider, prompt: cell.prompt, selector: cell.selector, k: cell.k, repeat, itemIndex };
      }
    }
  }

  /** Every trial, providers interleaved per item and repeat (the order of the single-queue runner of old). */
  *[Symbol.iterator](): Iterator<TrialSpec> {
    for (let itemIndex = 0; itemIndex < this.input.itemCount; itemIndex++) {
      for (let repeat = 0; repeat < this.input.repeats; repeat++) {
        for (const provider of this.providers) {
          for (const cell of this.cells) yield { provider, prompt: cell.prompt, selector: cell.selector, k: cell.k, repeat, itemIndex };
        }
      }
    }
  }

  /**
   * A look of adaptive sampling: the items [fromItem, toItem) of the cells `keep` accepts, in run
   * order. Items enter in the plan's item order, so every cell that runs has answered a prefix of it.
   */
  look(fromItem: number, toItem: number, keep: (provider: string, cell: PlanCell) => boolean): PlanLook {
    const plan = this;
    const to = Math.min(toItem, this.input.itemCount);
    return {
      providers: this.providers,
      *forProvider(provider: string): Generator<TrialSpec> {
        const cells = plan.cells.filter((cell) => keep(provider, cell));
        for (let itemIndex = fromItem; itemIndex < to; itemIndex++) {
          for (let repeat = 0; repeat < plan.input.repeats; repeat++) {
            for (const cell of cells) yield { provider, prompt: cell.prompt, selector: cell.selector, k: cell.k, repeat, itemIndex };
          }
        }
      },
      count(provider: string): number {
        return Math.max(0, to - fromItem) * plan.input.repeats * plan.cells.filter((cell) => keep(provider, cell)).length;
      },
    };
  }

  /** Trials per provider, for the plan printout. */
  countByProvider(): Map<string, number> {
    return new Map(this.providers.map((p) => [p, this.perProvider]));
  }
}

/** Part of a plan (a look of adaptive sampling) as the executor reads it. */
export interface PlanLook {
  readonly providers: readonly string[];
  forProvider(provider: string): Iterable<TrialSpec>;
  count(provider: string): number;
}

export function planTrials(input: PlanInput): TrialPlan {
  return new TrialPlan(input);
}
