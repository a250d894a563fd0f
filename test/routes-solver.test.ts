import { describe, expect, it } from 'vitest';
import {
  baselineAnswer,
  evaluateRoute,
  greedyRoute,
  parseRouteAnswer,
  scoreRoute,
  solveRoute,
  type RouteInstance,
  type TimeWindow,
} from '../src/tasks/routes.js';

/** Hand-built instance; times as 'HH:MM'. travel[0] is the depot row. */
function instance(
  depotStart: string,
  rate: number,
  stores: Array<[letter: string, service: number, window: [string, string] | null]>,
  travel: number[][],
): RouteInstance {
  const window = (w: [string, string] | null): TimeWindow | null => (w ? { open: t(w[0]), close: t(w[1]) } : null);
  return {
    depotStart: t(depotStart),
    rate,
    stores: stores.map(([letter, service, w]) => ({ letter, service, window: window(w) })),
    travel,
  };
}

function t(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number);
  return h! * 60 + m!;
}

/*
 * WAITING: start 08:00, rate 10. A: 10 min, 09:00-09:30. B: 10 min, all day.
 * Travel D-A 10, D-B 20, A-B 15.
 *   A,B: travel 25 -> cost 250. Arrive A 08:10, wait 50, start 09:00, leave 09:10; B 09:25-09:35.
 *   B,A: travel 35 -> cost 350. B 08:20-08:30; A arrive 08:45, wait 15, 09:00-09:10.
 * Optimum A,B (cost 250) and it waits 50 minutes.
 */
const waiting = instance(
  '08:00',
  10,
  [
    ['A', 10, ['09:00', '09:30']],
    ['B', 10, null],
  ],
  [
    [0, 10, 20],
    [10, 0, 15],
    [20, 15, 0],
  ],
);

/*
 * CLOSING WINDOW: start 08:00, rate 12. A: 10 min all day; B: 10 min, 08:00-08:20; C: 5 min all day.
 * Travel D-A 5, D-B 15, D-C 10, A-B 15, A-C 8, B-C 12 (triangle inequality holds).
 * Travel per order: ABC 32, ACB 25, BAC 38, BCA 35, CAB 33, CBA 37.
 * The cheapest, ACB, reaches B at 08:40 (A 08:05-08:15, C 08:23-08:28, B 08:40) > 08:20.
 * Only B-first orders reach B in time (08:15): BCA (35) and BAC (38).
 * Optimum B,C,A: cost 35 x 12 = 420; B 08:15-08:25, C 08:37-08:42, A 08:50-09:00.
 */
const closing = instance(
  '08:00',
  12,
  [
    ['A', 10, null],
    ['B', 10, ['08:00', '08:20']],
    ['C', 5, null],
  ],
  [
    [0, 5, 15, 10],
    [5, 0, 15, 8],
    [15, 15, 0, 12],
    [10, 8, 12, 0],
  ],
);

/*
 * INFEASIBLE: start 08:00. A and B: 10 min each, both 08:00-08:10, all legs 5 min.
 * Whichever goes first leaves at 08:15, so the other is reached at 08:20 > 08:10.
 */
const impossible = instance(
  '08:00',
  10,
  [
    ['A', 10, ['08:00', '08:10']],
    ['B', 10, ['08:00', '08:10']],
  ],
  [
    [0, 5, 5],
    [5, 0, 5],
    [5, 5, 0],
  ],
);

/*
 * TIE ON COST: start 08:00, rate 10, all legs 10 min. A: 10 min, 09:00-12:00. B: 10 min, all day.
 *   A,B: travel 20 (cost 200); A 08:10 wait to 09:00, leave 09:10; B 09:20-09:30 -> completion 09:30.
 *   B,A: travel 20 (cost 200); B 08:10-08:20; A 08:30 wait to 09:00, leave 09:10 -> completion 09:10.
 * Optimum B,A: the earlier completion beats the lexicographically first order.
 */
const tie = instance(
  '08:00',
  10,
  [
    ['A', 10, ['09:00', '12:00']],
    ['B', 10, null],
  ],
  [
    [0, 10, 10],
    [10, 0, 10],
    [10, 10, 0],
  ],
);

/* FULL TIE: no windows, all legs 10, equal services: A,B and B,A both cost 200 and end 08:40. */
const fullTie = instance(
  '08:00',
  10,
  [
    ['A', 10, null],
    ['B', 10, null],
  ],
  [
    [0, 10, 10],
    [10, 0, 10],
    [10, 10, 0],
  ],
);

describe('evaluateRoute', () => {
  it('times every leg, waiting for a window to open', () => {
    const e = evaluateRoute(waiting, ['A', 'B']);
    expect(e).toMatchObject({ feasible: true, reason: null, travelMinutes: 25, cost: 250, completion: t('09:35') });
    expect(e.legs).toEqual([
      { stop: 'A', from: 'Depot', travel: 10, arrive: t('08:10'), wait: 50, start: t('09:00'), leave: t('09:10') },
      { stop: 'B', from: 'A', travel: 15, arrive: t('09:25'), wait: 0, start: t('09:25'), leave: t('09:35') },
    ]);
  });

  it('reports a late arrival with both times', () => {
    const e = evaluateRoute(closing, ['A', 'C', 'B']);
    expect(e.feasible).toBe(false);
    expect(e.reason).toBe('arrives at Store B at 08:40 after its window closes at 08:20');
    expect(e.cost).toBe(25 * 12);
  });

  it('accepts arriving exactly at closing time', () => {
    const exact = { ...closing, depotStart: t('08:05') }; // B direct: arrive 08:20
    expect(evaluateRoute(exact, ['B', 'C', 'A']).feasible).toBe(true);
  });

  it('flags missing, duplicate and unknown stores', () => {
    expect(evaluateRoute(closing, ['B', 'C']).reason).toBe('misses Store A');
    expect(evaluateRoute(closing, ['B']).reason).toBe('misses Store A, Store C');
    expect(evaluateRoute(closing, ['B', 'C', 'C']).reason).toBe('visits Store C more than once');
    expect(evaluateRoute(closing, ['B', 'Z', 'A']).reason).toBe('goes to Store Z, which is not in this problem');
    expect(evaluateRoute(closing, []).feasible).toBe(false);
  });
});

describe('solveRoute', () => {
  it('waits for a window when that is cheapest', () => {
    const s = solveRoute(waiting);
    if (!s.feasible) throw new Error('expected feasible');
    expect(s.stops).toEqual(['A', 'B']);
    expect(s.cost).toBe(250);
    expect(s.evaluation.legs[0]!.wait).toBe(50);
  });

  it('pays more when the cheapest order misses a closing window', () => {
    const s = solveRoute(closing);
    if (!s.feasible) throw new Error('expected feasible');
    expect(s.stops).toEqual(['B', 'C', 'A']);
    expect(s.travelMinutes).toBe(35);
    expect(s.cost).toBe(420);
    expect(s.completion).toBe(t('09:00'));
  });

  it('reports an instance with no feasible order', () => {
    expect(solveRoute(impossible)).toEqual({ feasible: false, reason: expect.any(String) });
    const closedBeforeStart = instance(
      '08:00',
      10,
      [['A', 10, ['06:00', '07:00']]],
      [
        [0, 5],
        [5, 0],
      ],
    );
    expect(solveRoute(closedBeforeStart).feasible).toBe(false);
  });

  it('breaks a cost tie by earlier completion, then by route order', () => {
    const s = solveRoute(tie);
    if (!s.feasible) throw new Error('expected feasible');
    expect(s.stops).toEqual(['B', 'A']);
    expect(s.cost).toBe(200);
    expect(s.completion).toBe(t('09:10'));

    const f = solveRoute(fullTie);
    if (!f.feasible) throw new Error('expected feasible');
    expect(f.stops).toEqual(['A', 'B']);
  });

  it('matches brute force on every order of a 5-store instance', () => {
    // Independent check of the pruned search: evaluate all 120 orders with evaluateRoute.
    const five = instance(
      '08:00',
      9,
      [
        ['A', 10, ['08:30', '09:00']],
        ['B', 5, null],
        ['C', 15, ['08:00', '08:40']],
        ['D', 20, ['09:00', '10:30']],
        ['E', 10, null],
      ],
      [
        [0, 12, 20, 9, 25, 14],
        [12, 0, 10, 15, 13, 8],
        [20, 10, 0, 18, 9, 12],
        [9, 15, 18, 0, 22, 11],
        [25, 13, 9, 22, 0, 16],
        [14, 8, 12, 11, 16, 0],
      ],
    );
    let best: { order: string[]; cost: number; completion: number } | null = null;
    for (const order of permutations(['A', 'B', 'C', 'D', 'E'])) {
      const e = evaluateRoute(five, order);
      if (!e.feasible) continue;
      if (!best || e.cost < best.cost || (e.cost === best.cost && e.completion < best.completion)) {
        best = { order, cost: e.cost, completion: e.completion };
      }
    }
    const s = solveRoute(five);
    expect(best).not.toBeNull();
    expect(s.feasible && { order: s.stops, cost: s.cost, completion: s.completion }).toEqual(best);
  });
});

describe('scoreRoute', () => {
  it('scores the optimum 1', () => {
    const r = scoreRoute({ stops: ['B', 'C', 'A'], statedCost: 420 }, closing);
    expect(r.score).toBe(1);
    expect(r.details).toMatchObject({ feasible: true, optimalityRatio: 1, costGap: 0, statedCostCorrect: true, reason: null });
  });

  it('accepts any route that reaches the optimal cost and completion', () => {
    expect(scoreRoute({ stops: ['A', 'B'], statedCost: null }, fullTie).score).toBe(1);
    expect(scoreRoute({ stops: ['B', 'A'], statedCost: null }, fullTie).score).toBe(1);
  });

  it('scores a feasible but costlier route 0 with its ratio and gap', () => {
    // B,A,C: travel 38 -> cost 456; B 08:15-08:25, A 08:40-08:50, C 08:58-09:03.
    const r = scoreRoute({ stops: ['B', 'A', 'C'], statedCost: 456 }, closing);
    expect(r.score).toBe(0);
    expect(r.details).toMatchObject({ feasible: true, costGap: 36, statedCostCorrect: true });
    expect(r.details.optimalityRatio).toBeCloseTo(420 / 456, 10);
    expect(r.details.optimalityRatio as number).toBeLessThan(1);
  });

  it('scores an equally cheap route that finishes later 0', () => {
    const r = scoreRoute({ stops: ['A', 'B'], statedCost: 200 }, tie);
    expect(r.score).toBe(0);
    expect(r.details).toMatchObject({ feasible: true, optimalityRatio: 1, costGap: 0 });
    expect(r.details.reason).toMatch(/20 min later/);
  });

  it('marks a window violation infeasible', () => {
    const r = scoreRoute({ stops: ['A', 'C', 'B'], statedCost: 300 }, closing);
    expect(r.score).toBe(0);
    expect(r.details).toMatchObject({
      feasible: false,
      optimalityRatio: 0,
      costGap: null,
      statedCostCorrect: true, // 25 min x 12 is that route's own cost, right arithmetic
      reason: 'arrives at Store B at 08:40 after its window closes at 08:20',
    });
  });

  it('marks missing, duplicate and unknown stores infeasible with a reason', () => {
    const missing = scoreRoute({ stops: ['B', 'C'], statedCost: 264 }, closing);
    expect(missing.details).toMatchObject({ feasible: false, reason: 'misses Store A', statedCostCorrect: false });
    const duplicate = scoreRoute({ stops: ['B', 'C', 'C'], statedCost: null }, closing);
    expect(duplicate.details).toMatchObject({ feasible: false, reason: 'visits Store C more than once', statedCostCorrect: null });
    const unknown = scoreRoute({ stops: ['B', 'C', 'Q'], statedCost: null }, closing);
    expect(unknown.details.feasible).toBe(false);
    expect(unknown.details.reason).toMatch(/Store Q/);
    expect([missing, duplicate, unknown].map((r) => r.score)).toEqual([0, 0, 0]);
  });

  it('checks the stated cost against the route it states', () => {
    expect(scoreRoute({ stops: ['B', 'C', 'A'], statedCost: 999 }, closing).details.statedCostCorrect).toBe(false);
    expect(scoreRoute({ stops: ['B', 'C', 'A'], statedCost: null }, closing).details.statedCostCorrect).toBeNull();
  });
});

describe('greedy baseline on hand instances', () => {
  it('takes the nearest reachable store, which can strand a closing window', () => {
    // From the depot A (5 min) is nearest and reachable; then B (08:30) is too late, so C; then B anyway.
    expect(greedyRoute(closing)).toEqual(['A', 'C', 'B']);
    const parsed = parseRouteAnswer(baselineAnswer(closing));
    expect(parsed).toEqual({ ok: true, answer: { stops: ['A', 'C', 'B'], statedCost: 300 } });
  });

  it('breaks distance ties by earlier closing time, then name', () => {
    // All legs 10: A (all day) and B (closes 12:00) tie on distance; B closes earlier, so B first.
    const bCloses = instance(
      '08:00',
      10,
      [
        ['A', 10, null],
        ['B', 10, ['08:00', '12:00']],
      ],
      fullTie.travel,
    );
    expect(greedyRoute(bCloses)).toEqual(['B', 'A']);
    // Same distance, neither closes: by name.
    expect(greedyRoute(fullTie)).toEqual(['A', 'B']);
  });
});

function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [items.slice()];
  return items.flatMap((x, i) => permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [x, ...rest]));
}
