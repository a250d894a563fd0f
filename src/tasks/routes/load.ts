import { excludeLeaks, type LeakRefusal } from '../leakage.js';
import type { TaskData, TaskItem } from '../task.js';
import { Rng } from '../../util/rng.js';
import { generateInstance } from './generate.js';
import { instanceText } from './render.js';
import type { RouteInstance, RoutesOptions } from './types.js';

/** `pool-0007` / `eval-0012`. The text is the instance's user-turn text (no id in it). */
export function routeItem(prefix: string, index: number, data: RouteInstance): TaskItem<RouteInstance> {
  return { id: `${prefix}-${String(index).padStart(4, '0')}`, text: instanceText(data), data };
}

/**
 * Pool and evaluation items come from separate seeded streams of the same seed.
 * Deterministic: same options and seed, same data.
 */
export function loadRoutes(options: RoutesOptions, seed: number): TaskData<RouteInstance> {
  const poolRng = new Rng([seed, 'routes', 'pool']);
  const evalRng = new Rng([seed, 'routes', 'eval']);
  const pool = Array.from({ length: options.poolSize }, () => generateInstance(poolRng, options));
  return assembleRouteData(pool, () => generateInstance(evalRng, options), options.evalItems);
}

/**
 * Evaluation items that leak (same id or same text as a pool example) are refused and replaced
 * by further draws, so there are always `evalItems` clean ones; refusals become a notice.
 * Split out from loadRoutes so tests can feed it a leaking draw.
 */
export function assembleRouteData(poolInstances: readonly RouteInstance[], drawEval: () => RouteInstance, evalItems: number): TaskData<RouteInstance> {
  const pool = poolInstances.map((data, i) => routeItem('pool', i, data));
  const items: TaskItem<RouteInstance>[] = [];
  const refused: LeakRefusal[] = [];
  const maxDraws = evalItems * 10 + 100;
  let drawn = 0;
  // Draw in batches (one leak check per batch), topping up for whatever was refused.
  while (items.length < evalItems) {
    const need = evalItems - items.length;
    if (drawn + need > maxDraws) throw new Error(`routes: only ${items.length} clean evaluation items in ${drawn} draws`);
    const batch = Array.from({ length: need }, (_, i) => routeItem('eval', drawn + i, drawEval()));
    drawn += need;
    const checked = excludeLeaks(pool, batch);
    items.push(...checked.items);
    refused.push(...checked.refused);
  }

  const notices: string[] = [];
  if (refused.length > 0) {
    const list = refused.map((r) => `${r.id} (${r.reason})`).join('; ');
    notices.push(`routes: refused ${refused.length} evaluation item(s) that leak from the pool: ${list}`);
  }
  return { pool, items, notices };
}
