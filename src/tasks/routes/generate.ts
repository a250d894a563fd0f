import { Rng } from '../../util/rng.js';
import { optimalRoute } from './solve.js';
import { letterFor, type RouteInstance, type RoutesOptions, type TimeWindow } from './types.js';

/** Side of the square map, in travel minutes: typical legs take 5-40 minutes. */
const MAP_SIZE = 40;
/** Beyond 8 stores exhaustive solving (8! orders) stops being instant. */
export const MAX_STORES = 8;
/** 23:55: windows never close after midnight, so HH:MM stays within one day. */
const LATEST_CLOSE = 23 * 60 + 55;
/** Give up rather than loop forever if a generator bug made every instance infeasible. */
const MAX_ATTEMPTS = 1000;

/** Throws a plain Error on knob values no config should produce. */
export function checkRoutesOptions(options: RoutesOptions): void {
  const { min, max } = options.stores;
  if (!Number.isInteger(min) || !Number.isInteger(max)) throw new Error('routes: stores.min and stores.max must be integers');
  if (min < 1) throw new Error(`routes: stores.min must be at least 1, got ${min}`);
  if (min > max) throw new Error(`routes: stores.min (${min}) is greater than stores.max (${max})`);
  if (max > MAX_STORES) throw new Error(`routes: stores.max must be at most ${MAX_STORES}, got ${max}`);
  const t = options.windowTightness;
  if (!Number.isFinite(t) || t < 0 || t > 1) throw new Error(`routes: windowTightness must be in [0, 1], got ${t}`);
  for (const key of ['poolSize', 'evalItems'] as const) {
    const v = options[key];
    if (!Number.isInteger(v) || v < 0) throw new Error(`routes: ${key} must be a non-negative integer, got ${v}`);
  }
}

/**
 * Draws the next instance with at least one feasible route from `rng`.
 * Window construction already guarantees one; the solver check is a safety net that
 * redraws (deterministically, from the same stream) if it ever fails.
 */
export function generateInstance(rng: Rng, options: RoutesOptions): RouteInstance {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const instance = drawInstance(rng, options);
    if (optimalRoute(instance).feasible) return instance;
  }
  throw new Error(`routes: no feasible instance in ${MAX_ATTEMPTS} attempts`);
}

/** `count` instances from the named stream of this seed, e.g. 'pool' or 'eval'. */
export function generateInstances(options: RoutesOptions, seed: number, stream: string, count: number): RouteInstance[] {
  checkRoutesOptions(options);
  const rng = new Rng([seed, 'routes', stream]);
  return Array.from({ length: count }, () => generateInstance(rng, options));
}

function drawInstance(rng: Rng, options: RoutesOptions): RouteInstance {
  const n = rng.int(options.stores.min, options.stores.max);
  const depotStart = 7 * 60 + 5 * rng.int(0, 24); // 07:00..09:00 on 5-minute marks
  const rate = rng.int(8, 25);
  const points = Array.from({ length: n + 1 }, () => [rng.int(0, MAP_SIZE), rng.int(0, MAP_SIZE)] as const);
  const travel = travelMatrix(points);
  const services = Array.from({ length: n }, () => 5 * rng.int(1, 6)); // 5..30 minutes
  const windows = drawWindows(rng, options.windowTightness, depotStart, travel, services);
  const stores = services.map((service, i) => ({ letter: letterFor(i), service, window: windows[i] ?? null }));
  return { depotStart, stores, travel, rate };
}

/**
 * Rounded Euclidean minutes (at least 1 between distinct places), closed under shortest paths.
 * Math.sqrt (correctly rounded by IEEE 754), not Math.hypot (implementation-defined), so every
 * machine gets the same matrix.
 */
export function travelMatrix(points: ReadonlyArray<readonly [number, number]>): number[][] {
  const m = points.map(([x1, y1], i) => points.map(([x2, y2], j) => (i === j ? 0 : Math.max(1, Math.round(Math.sqrt((x1 - x2) ** 2 + (y1 - y2) ** 2))))));
  // Rounding can break the triangle inequality; Floyd-Warshall restores it (and keeps symmetry).
  const n = m.length;
  for (let k = 0; k < n; k++)
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        const via = m[i]![k]! + m[k]![j]!;
        if (via < m[i]![j]!) m[i]![j] = via;
      }
  return m;
}

/**
 * Windows are laid around a hidden random reference route: each windowed store's window is
 * placed near the reference arrival time, sometimes opening after it (so the reference waits).
 * The reference route stays feasible, while orders that reach a store much later are cut off.
 */
function drawWindows(rng: Rng, tightness: number, depotStart: number, travel: number[][], services: number[]): (TimeWindow | null)[] {
  const windows: (TimeWindow | null)[] = services.map(() => null);
  const reference = rng.shuffle(services.map((_, i) => i));
  let place = 0;
  let time = depotStart;
  for (const i of reference) {
    const arrive = time + travel[place]![i + 1]!;
    let start = arrive;
    if (rng.next() < tightness) {
      // Width shrinks from about 4 hours (loose) to about half an hour (tight).
      const width = Math.max(20, roundTo5((240 - 210 * tightness) * (0.75 + 0.5 * rng.next())));
      // Opening at or after arrive - width keeps the reference feasible; ceil keeps it so.
      const open = ceilTo5(arrive + rng.int(-(width - 5), 30));
      start = Math.max(arrive, open);
      // Keep times within the day (23:55 at the latest) unless that would cut off the reference.
      windows[i] = { open, close: Math.max(start, Math.min(open + width, LATEST_CLOSE)) };
    }
    time = start + services[i]!;
    place = i + 1;
  }
  return windows;
}

function roundTo5(x: number): number {
  return 5 * Math.round(x / 5);
}

function ceilTo5(x: number): number {
  return 5 * Math.ceil(x / 5);
}
