import type { Selector, SelectorDeps, SelectorResolution, SelectorSpec } from './selector.js';
import { balancedSelector } from './balanced.js';
import { createDiverseSelector } from './diverse.js';
import { createEmbeddingSelector } from './embedding.js';
import { firstSelector } from './first.js';
import { randomSelector } from './random.js';
import { createSimilarSelector } from './similar.js';

/** Every selector an experiment may name (config owns the list: validating an experiment loads no selector); one file each. */
export { SELECTOR_NAMES } from '../config/selectors.js';

type Factory = (spec: SelectorSpec, deps: SelectorDeps) => SelectorResolution;

const ready = (selector: Selector): SelectorResolution => ({ status: 'ready', selector });

const FACTORIES: Record<string, Factory> = {
  random: () => ready(randomSelector),
  first: () => ready(firstSelector),
  // similar and diverse share a BM25 index per pool (cached by the pool array); diverse validates lambda.
  similar: () => ready(createSimilarSelector()),
  diverse: (spec) => ready(createDiverseSelector({ lambda: spec.lambda })),
  balanced: () => ready(balancedSelector),
  // Embeds pool and items once (cached on disk); skipped with a notice when its provider has no key.
  embedding: (spec, deps) => createEmbeddingSelector(spec, deps),
};

/** A fresh selector for one sweep (selectors with an index keep it per instance), or why it is skipped. */
export function createSelector(spec: SelectorSpec, deps: SelectorDeps): SelectorResolution {
  const factory = FACTORIES[spec.name];
  if (!factory) throw new Error(`unknown selector "${spec.name}"; known: ${Object.keys(FACTORIES).join(', ')}`);
  return factory(spec, deps);
}

/** Stateless selectors by name (tests and benchmarks). */
export function getSelector(name: string): Selector {
  const resolution = createSelector({ name }, { env: {} });
  if (resolution.status !== 'ready') throw new Error(`selector "${name}" is not available: ${resolution.reason}`);
  return resolution.selector;
}
