import { evaluateRoute } from './solve.js';
import { finalLines } from './render.js';
import type { RouteInstance } from './types.js';

export const BASELINE_DESCRIPTION =
  'Greedy nearest-feasible-stop heuristic: from the current place and time, drive to the nearest unvisited store ' +
  'still reachable before its window closes (ties: earlier close, then name; if none, the nearest anyway); ignores the shots.';

/** The greedy visiting order, as store letters. Not optimal, and can be infeasible. */
export function greedyRoute(instance: RouteInstance): string[] {
  const unvisited = new Set(instance.stores.map((_, i) => i));
  const order: string[] = [];
  let place = 0;
  let time = instance.depotStart;
  while (unvisited.size > 0) {
    const candidates = [...unvisited].map((i) => {
      const store = instance.stores[i]!;
      const arrive = time + instance.travel[place]![i + 1]!;
      const close = store.window ? store.window.close : Infinity;
      return { i, arrive, close, travel: arrive - time, reachable: arrive <= close };
    });
    const reachable = candidates.filter((c) => c.reachable);
    const pool = reachable.length > 0 ? reachable : candidates;
    // Indices follow letter order, so comparing indices compares names.
    pool.sort((a, b) => a.travel - b.travel || compareClose(a.close, b.close) || a.i - b.i);
    const next = pool[0]!;
    const store = instance.stores[next.i]!;
    time = (store.window ? Math.max(next.arrive, store.window.open) : next.arrive) + store.service;
    place = next.i + 1;
    unvisited.delete(next.i);
    order.push(store.letter);
  }
  return order;
}

/** The baseline's answer text, in the same final-lines format asked of models. */
export function baselineAnswer(instance: RouteInstance): string {
  const order = greedyRoute(instance);
  return finalLines(order, evaluateRoute(instance, order).cost);
}

/** Infinity (all day) sorts last; written out because Infinity - Infinity is NaN. */
function compareClose(a: number, b: number): number {
  return a === b ? 0 : a < b ? -1 : 1;
}
