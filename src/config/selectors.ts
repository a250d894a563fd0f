// What an experiment may say under `selectors:` and `order:`. The names live here, in config, so
// that validating an experiment does not load the selectors themselves (nor, through the embedding
// selector, the embedding providers); src/selectors/ implements one selector per name.

/** Every selector an experiment may name; src/selectors/ has one file each. */
export const SELECTOR_NAMES = ['random', 'first', 'similar', 'diverse', 'balanced', 'embedding'] as const;

/** The orders shots may be shown in, each its own curve (see selectors/arms.ts). */
export const ORDERS = ['selected', 'reversed', 'shuffled'] as const;
export type ShotOrder = (typeof ORDERS)[number];

/** A selector as the experiment names it, with its options. */
export interface SelectorSpec {
  name: string;
  /** The curve's name in results (default: the selector name); lets one selector run twice with other options. */
  label?: string;
  /** diverse: relevance vs diversity trade-off of maximal marginal relevance (1 = pure similarity). */
  lambda?: number;
  /** embedding: the provider whose embedding API embeds the examples, e.g. `openai:text-embedding-3-small`. */
  provider?: string;
}
