import type { Selector } from './selector.js';
import { firstSelector } from './first.js';
import { randomSelector } from './random.js';

const SELECTORS: Record<string, Selector> = {
  [randomSelector.name]: randomSelector,
  [firstSelector.name]: firstSelector,
};

export function getSelector(name: string): Selector {
  const selector = SELECTORS[name];
  if (!selector) throw new Error(`unknown selector "${name}"; known: ${Object.keys(SELECTORS).join(', ')}`);
  return selector;
}
