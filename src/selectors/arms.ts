import type { TaskItem } from '../tasks/task.js';
import { Rng } from '../util/rng.js';
import type { ShotOrder } from '../config/selectors.js';
import type { Selector, SelectorSpec } from './selector.js';

export { ORDERS, type ShotOrder } from '../config/selectors.js';

/**
 * One curve's way of building the shots: a selector, the order the shots are shown in, and
 * optionally off-task distractors mixed in. Each arm is its own curve (its label is the
 * `selector` of its trials), so order effects and distractor effects are measured, paired over
 * the same items, rather than hidden in noise or mixed into the clean k-shot curve.
 */
export interface Arm {
  /** The curve's name: `similar`, `similar@reversed`, `random@shuffled`, `random+distractors`. */
  label: string;
  /** The selector's own label: arms of one selector select the same shots, then differ in order or distractors. */
  selectorLabel: string;
  selector: Selector;
  order: ShotOrder;
  /** Off-task examples mixed into the k shots (0: a clean arm). */
  distractors: number;
}

export function selectorLabel(spec: SelectorSpec): string {
  return spec.label ?? spec.name;
}

/** Every arm of an experiment: each selector in each order, plus a distractor arm per selector when asked. */
export function buildArms(selectors: readonly { spec: SelectorSpec; selector: Selector }[], orders: readonly ShotOrder[], distractors: number): Arm[] {
  const arms: Arm[] = [];
  for (const { spec, selector } of selectors) {
    const base = selectorLabel(spec);
    for (const order of orders) {
      arms.push({ label: order === 'selected' ? base : `${base}@${order}`, selectorLabel: base, selector, order, distractors: 0 });
    }
    if (distractors > 0) arms.push({ label: `${base}+distractors`, selectorLabel: base, selector, order: 'selected', distractors });
  }
  return arms;
}

/**
 * Puts the selected shots in the arm's order and mixes in its distractors. The rng is the arm's own
 * (seeded by experiment, arm, repeat and item): a shuffled order is a seeded repeat, the same on a rerun.
 */
export function arrangeShots<D>(arm: Arm, shots: TaskItem<D>[], distractorPool: readonly TaskItem<D>[], rng: Rng): TaskItem<D>[] {
  let arranged = arm.order === 'reversed' ? [...shots].reverse() : arm.order === 'shuffled' ? rng.shuffle(shots) : shots;
  if (arm.distractors > 0 && shots.length > 0) {
    const picked = rng.shuffle(distractorPool).slice(0, arm.distractors);
    arranged = [...arranged];
    for (const d of picked) arranged.splice(rng.int(0, arranged.length), 0, d);
  }
  return arranged;
}

/** Arms for plain selectors (their own order, no distractors), keyed by label: for callers without an experiment. */
export function plainArms(selectors: readonly Selector[]): Map<string, Arm> {
  return new Map(
    selectors.map((selector) => [selector.name, { label: selector.name, selectorLabel: selector.name, selector, order: 'selected' as const, distractors: 0 }]),
  );
}
