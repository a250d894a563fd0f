import { describe, expect, it } from 'vitest';
import {
  assembleRouteData,
  createRoutesTask,
  evaluateRoute,
  generateInstances,
  optimalRoute,
  travelMatrix,
  type RouteInstance,
  type RoutesOptions,
} from '../src/tasks/routes.js';
import { canonicalJson, sha256 } from '../src/util/hash.js';

const options: RoutesOptions = { stores: { min: 3, max: 7 }, windowTightness: 0.6, poolSize: 32, evalItems: 60 };

function withTightness(windowTightness: number, stores = options.stores): RoutesOptions {
  return { ...options, windowTightness, stores };
}

function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [items.slice()];
  return items.flatMap((x, i) => permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [x, ...rest]));
}

describe('generator', () => {
  it('is deterministic per seed and stream', () => {
    expect(generateInstances(options, 42, 'eval', 20)).toEqual(generateInstances(options, 42, 'eval', 20));
    expect(generateInstances(options, 43, 'eval', 20)).not.toEqual(generateInstances(options, 42, 'eval', 20));
    expect(generateInstances(options, 42, 'pool', 20)).not.toEqual(generateInstances(options, 42, 'eval', 20));
  });

  it('produces the same instances on every machine (pinned hash)', () => {
    // Pins the generator output. If you change the generator on purpose, update the hash;
    // if it changes on another machine or Node version, determinism is broken.
    const hash = sha256(canonicalJson(generateInstances(options, 1, 'eval', 10)));
    expect(hash).toBe(PINNED_HASH);
  });

  it('keeps sizes, times and costs within the knobs', () => {
    const instances = generateInstances(withTightness(0.5, { min: 4, max: 6 }), 3, 'eval', 200);
    const sizes = new Set(instances.map((i) => i.stores.length));
    expect([...sizes].sort()).toEqual([4, 5, 6]);
    for (const inst of instances) {
      expect(inst.depotStart).toBeGreaterThanOrEqual(7 * 60);
      expect(inst.depotStart).toBeLessThanOrEqual(9 * 60);
      expect(inst.depotStart % 5).toBe(0);
      expect(inst.rate).toBeGreaterThanOrEqual(8);
      expect(inst.rate).toBeLessThanOrEqual(25);
      inst.stores.forEach((s, i) => {
        expect(s.letter).toBe('ABCDEFGH'[i]);
        expect(s.service).toBeGreaterThanOrEqual(5);
        expect(s.service).toBeLessThanOrEqual(30);
        if (s.window) {
          expect(s.window.open % 5).toBe(0);
          expect(s.window.close).toBeGreaterThan(s.window.open);
        }
      });
    }
    const exact = generateInstances(withTightness(0.5, { min: 5, max: 5 }), 3, 'eval', 20);
    expect(exact.every((i) => i.stores.length === 5)).toBe(true);
  });

  it('builds symmetric matrices with a zero diagonal that obey the triangle inequality', () => {
    for (const inst of generateInstances(options, 5, 'eval', 100)) {
      const m = inst.travel;
      expect(m).toHaveLength(inst.stores.length + 1);
      for (let i = 0; i < m.length; i++) {
        expect(m[i]![i]).toBe(0);
        for (let j = 0; j < m.length; j++) {
          expect(Number.isInteger(m[i]![j])).toBe(true);
          expect(m[i]![j]).toBe(m[j]![i]);
          if (i !== j) expect(m[i]![j]).toBeGreaterThan(0);
          for (let k = 0; k < m.length; k++) expect(m[i]![j]!).toBeLessThanOrEqual(m[i]![k]! + m[k]![j]!);
        }
      }
    }
  });

  it('repairs rounding that breaks the triangle inequality', () => {
    // Collinear points 0, 1.4 and 2.8 apart would round to 1 + 1 < 3.
    const m = travelMatrix([
      [0, 0],
      [1, 1],
      [2, 2],
    ]);
    expect(m[0]![2]).toBe(2);
  });

  it('emits only instances with a feasible route', () => {
    for (const t of [0, 0.5, 1]) {
      for (const inst of generateInstances(withTightness(t), 9, 'eval', 60)) expect(optimalRoute(inst).feasible).toBe(true);
    }
  });

  it('has no windows at tightness 0 and only windows at tightness 1', () => {
    const loose = generateInstances(withTightness(0), 11, 'eval', 50);
    expect(loose.every((i) => i.stores.every((s) => s.window === null))).toBe(true);
    const tight = generateInstances(withTightness(1), 11, 'eval', 50);
    expect(tight.every((i) => i.stores.every((s) => s.window !== null))).toBe(true);
    const width = (insts: RouteInstance[]): number => {
      const ws = insts.flatMap((i) => i.stores.flatMap((s) => (s.window ? [s.window.close - s.window.open] : [])));
      return ws.reduce((a, b) => a + b, 0) / ws.length;
    };
    expect(width(tight)).toBeLessThan(width(generateInstances(withTightness(0.3), 11, 'eval', 50)));
  });

  it('makes windows matter: optimal routes wait, some orders become infeasible, windows raise cost', () => {
    const instances = generateInstances(withTightness(0.7, { min: 4, max: 5 }), 13, 'eval', 40);
    let waits = 0;
    let withInfeasibleOrders = 0;
    let costlier = 0;
    for (const inst of instances) {
      const opt = optimalRoute(inst);
      if (!opt.feasible) throw new Error('infeasible instance');
      if (opt.evaluation.legs.some((l) => l.wait > 0)) waits++;
      const letters = inst.stores.map((s) => s.letter);
      if (permutations(letters).some((o) => !evaluateRoute(inst, o).feasible)) withInfeasibleOrders++;
      const open = optimalRoute({ ...inst, stores: inst.stores.map((s) => ({ ...s, window: null })) });
      if (open.feasible && open.cost < opt.cost) costlier++;
    }
    expect(waits).toBeGreaterThan(10);
    expect(withInfeasibleOrders).toBeGreaterThan(30);
    expect(costlier).toBeGreaterThan(10);
  });

  // How fast is measured by bench/ (a timed assertion would only make CI flaky).
  it('generates and solves the flagship size', () => {
    const flagship: RoutesOptions = { stores: { min: 6, max: 7 }, windowTightness: 0.5, poolSize: 32, evalItems: 60 };
    const data = createRoutesTask(flagship, 77).load();
    expect(data.pool).toHaveLength(32);
    expect(data.items).toHaveLength(60);
    // Each instance is solved: a feasible route stops at every store once, or the reason none exists.
    for (const item of [...data.pool, ...data.items]) {
      const solution = optimalRoute(item.data);
      if (solution.feasible) expect([...solution.stops].sort()).toEqual(item.data.stores.map((st) => st.letter).sort());
      else expect(solution.reason).not.toBe('');
    }
  });

  it('rejects nonsense options', () => {
    expect(() => createRoutesTask({ ...options, stores: { min: 5, max: 3 } }, 1)).toThrow(/greater than/);
    expect(() => createRoutesTask({ ...options, stores: { min: 0, max: 3 } }, 1)).toThrow();
    expect(() => createRoutesTask({ ...options, stores: { min: 3, max: 12 } }, 1)).toThrow();
    expect(() => createRoutesTask({ ...options, windowTightness: 1.5 }, 1)).toThrow();
    expect(() => createRoutesTask({ ...options, poolSize: -1 }, 1)).toThrow();
    expect(() => createRoutesTask({ ...options, evalItems: 2.5 }, 1)).toThrow();
  });
});

describe('load', () => {
  it('returns the requested counts with pool-/eval- ids and no notices', () => {
    const data = createRoutesTask(options, 1).load();
    expect(data.pool).toHaveLength(32);
    expect(data.items).toHaveLength(60);
    expect(data.pool[7]!.id).toBe('pool-0007');
    expect(data.items[12]!.id).toBe('eval-0012');
    expect(data.notices).toEqual([]);
    const texts = new Set(data.pool.map((p) => p.text));
    expect(data.items.some((i) => texts.has(i.text))).toBe(false);
  });

  it('is deterministic across task objects', () => {
    expect(createRoutesTask(options, 5).load()).toEqual(createRoutesTask(options, 5).load());
    expect(createRoutesTask(options, 5).load()).not.toEqual(createRoutesTask(options, 6).load());
  });

  it('refuses leaking eval draws and keeps drawing until enough are clean', () => {
    const pool = generateInstances(options, 1, 'pool', 3);
    const fresh = generateInstances(options, 1, 'eval', 5);
    // The 2nd and 4th draws copy pool examples: they must be refused and replaced.
    const draws = [fresh[0]!, structuredClone(pool[1]!), fresh[1]!, structuredClone(pool[2]!), fresh[2]!, fresh[3]!];
    let next = 0;
    const data = assembleRouteData(pool, () => draws[next++]!, 4);
    expect(data.items.map((i) => i.id)).toEqual(['eval-0000', 'eval-0002', 'eval-0004', 'eval-0005']);
    expect(data.items.map((i) => i.data)).toEqual([fresh[0], fresh[1], fresh[2], fresh[3]]);
    expect(data.notices).toHaveLength(1);
    expect(data.notices[0]).toMatch(/refused 2 .*eval-0001.*pool-0001.*eval-0003.*pool-0002/);
  });
});

const PINNED_HASH = '073d9f32d2c4f23c95127039f3f22d940ae8838e1d249b63e90942c70bb475f4';
