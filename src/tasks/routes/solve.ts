import { formatTime, storeName, type RouteInstance } from './types.js';

/** One stop of a route, with its timing. Times are minutes after midnight. */
export interface RouteLeg {
  /** Store letter of this stop. */
  stop: string;
  /** Letter of the previous stop, or 'Depot'. */
  from: string;
  travel: number;
  arrive: number;
  wait: number;
  start: number;
  leave: number;
}

export interface RouteEvaluation {
  feasible: boolean;
  /** First problem found, e.g. a closed window or a missing store; null when feasible. */
  reason: string | null;
  travelMinutes: number;
  /** travelMinutes x rate. */
  cost: number;
  /** End of the last service (depot start when there are no legs). */
  completion: number;
  legs: RouteLeg[];
}

export type RouteSolution =
  | { feasible: true; stops: string[]; travelMinutes: number; cost: number; completion: number; evaluation: RouteEvaluation }
  | { feasible: false; reason: string };

/**
 * Walks a route given as store letters. Legs are computed up to the first unknown store;
 * a late arrival is still timed (service starts on arrival) so the reason can quote times.
 */
export function evaluateRoute(instance: RouteInstance, order: readonly string[]): RouteEvaluation {
  const indexOf = new Map(instance.stores.map((s, i) => [s.letter, i] as const));
  const seen = new Set<string>();
  const legs: RouteLeg[] = [];
  let reason: string | null = null;
  let place = 0;
  let from = 'Depot';
  let time = instance.depotStart;
  let travelMinutes = 0;

  for (const letter of order) {
    const index = indexOf.get(letter);
    if (index === undefined) {
      reason ??= `goes to ${storeName(letter)}, which is not in this problem`;
      break;
    }
    if (seen.has(letter)) reason ??= `visits ${storeName(letter)} more than once`;
    seen.add(letter);
    const store = instance.stores[index]!;
    const travel = travelAt(instance, place, index + 1);
    const arrive = time + travel;
    const start = store.window ? Math.max(arrive, store.window.open) : arrive;
    if (store.window && arrive > store.window.close) {
      reason ??= `arrives at ${storeName(letter)} at ${formatTime(arrive)} ` + `after its window closes at ${formatTime(store.window.close)}`;
    }
    const leave = start + store.service;
    legs.push({ stop: letter, from, travel, arrive, wait: start - arrive, start, leave });
    travelMinutes += travel;
    time = leave;
    place = index + 1;
    from = letter;
  }

  const missing = instance.stores.filter((s) => !seen.has(s.letter)).map((s) => storeName(s.letter));
  if (missing.length > 0) reason ??= `misses ${missing.join(', ')}`;
  return {
    feasible: reason === null,
    reason,
    travelMinutes,
    cost: travelMinutes * instance.rate,
    completion: time,
    legs,
  };
}

/**
 * Exact optimum by depth-first enumeration of all orders (7! = 5040 at most).
 * Objective: fewest travel minutes (cost is proportional), then earliest completion, then the
 * lexicographically first order. Stores are tried in letter order and only strict improvements
 * replace the best, so the first optimum found is the lexicographically smallest one.
 */
export function solveRoute(instance: RouteInstance): RouteSolution {
  const n = instance.stores.length;
  const closes = instance.stores.map((s) => (s.window ? s.window.close : Infinity));
  const opens = instance.stores.map((s) => (s.window ? s.window.open : -Infinity));
  const visited = new Array<boolean>(n).fill(false);
  const path: number[] = [];
  // In an object, not loose lets, because the recursive closure updates it.
  const best = { order: null as number[] | null, travel: Infinity, completion: Infinity };

  // Travel and time only grow along a path, so a prefix no better than the best is dead.
  const noBetter = (travel: number, time: number): boolean => travel > best.travel || (travel === best.travel && time >= best.completion);

  // A prefix is dead once any unvisited store's window has closed already.
  const strandsSomeone = (time: number): boolean => {
    for (let j = 0; j < n; j++) if (!visited[j] && time > closes[j]!) return true;
    return false;
  };

  const visit = (place: number, time: number, travel: number): void => {
    if (path.length === n) {
      best.order = path.slice();
      best.travel = travel;
      best.completion = time;
      return;
    }
    if (strandsSomeone(time)) return;
    for (let j = 0; j < n; j++) {
      if (visited[j]) continue;
      const leg = travelAt(instance, place, j + 1);
      const arrive = time + leg;
      if (arrive > closes[j]!) continue;
      const leave = Math.max(arrive, opens[j]!) + instance.stores[j]!.service;
      if (noBetter(travel + leg, leave)) continue;
      visited[j] = true;
      path.push(j);
      visit(j + 1, leave, travel + leg);
      path.pop();
      visited[j] = false;
    }
  };

  visit(0, instance.depotStart, 0);
  if (best.order === null) return { feasible: false, reason: 'no order of the stores meets every receiving window' };
  const stops = best.order.map((i) => instance.stores[i]!.letter);
  const evaluation = evaluateRoute(instance, stops);
  return {
    feasible: true,
    stops,
    travelMinutes: evaluation.travelMinutes,
    cost: evaluation.cost,
    completion: evaluation.completion,
    evaluation,
  };
}

const solved = new WeakMap<RouteInstance, RouteSolution>();

/** solveRoute, memoized per instance object (instances are treated as immutable). */
export function optimalRoute(instance: RouteInstance): RouteSolution {
  let solution = solved.get(instance);
  if (solution === undefined) {
    solution = solveRoute(instance);
    solved.set(instance, solution);
  }
  return solution;
}

function travelAt(instance: RouteInstance, from: number, to: number): number {
  const minutes = instance.travel[from]?.[to];
  if (minutes === undefined) throw new Error(`travel matrix has no entry [${from}][${to}]`);
  return minutes;
}
