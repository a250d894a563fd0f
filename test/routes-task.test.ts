import { describe, expect, it } from 'vitest';
import { createRoutesTask, evaluateRoute, type RoutesOptions } from '../src/tasks/routes.js';

const options: RoutesOptions = { stores: { min: 3, max: 7 }, windowTightness: 0.5, poolSize: 12, evalItems: 20 };
const task = createRoutesTask(options, 2024);
const data = task.load();

describe('render', () => {
  it('writes system, k user/assistant pairs, then the question', () => {
    const item = data.items[0]!;
    for (const k of [0, 1, 3, 5]) {
      const shots = data.pool.slice(0, k);
      const messages = task.render(shots, item);
      expect(messages).toHaveLength(1 + 2 * k + 1);
      expect(messages[0]!.role).toBe('system');
      messages.slice(1).forEach((m, i) => expect(m.role).toBe(i % 2 === 0 ? 'user' : 'assistant'));
      shots.forEach((shot, i) => expect(messages[1 + 2 * i]!.content).toBe(shot.text));
      expect(messages.at(-1)!.content).toBe(item.text);
    }
  });

  it('writes an instance identically as shot and as question (shared prefixes)', () => {
    const [a, b] = [data.pool[0]!, data.pool[1]!];
    expect(task.render([a], b)[1]!.content).toBe(task.render([b], a).at(-1)!.content);
    // The k-shot prompt is a prefix of the (k+1)-shot prompt, apart from the question.
    const three = task.render(data.pool.slice(0, 3), data.items[1]!);
    const two = task.render(data.pool.slice(0, 2), data.items[1]!);
    expect(three.slice(0, 5)).toEqual(two.slice(0, 5));
  });

  it('states the stores, matrix, rate and rules in the instance text', () => {
    const item = data.items[0]!;
    const text = item.text;
    expect(text).toContain(`Fuel cost: ${item.data.rate} per travel minute`);
    for (const s of item.data.stores) expect(text).toContain(`- Store ${s.letter}: ${s.service} min;`);
    expect(text).toMatch(/Depot start: \d\d:\d\d/);
    expect(text).toMatch(/do not return to the depot/);
    expect(text).not.toContain(item.id);
  });

  it('gives shots worked answers that parse and score 1 against their own instance', () => {
    const messages = task.render(data.pool, data.items[0]!);
    data.pool.forEach((shot, i) => {
      const answer = messages[2 + 2 * i]!.content;
      expect(answer).toMatch(/\nROUTE: Depot -> Store [A-G]( -> Store [A-G])*\nCOST: \d+$/);
      const parsed = task.parse(answer);
      if (!parsed.ok) throw new Error(parsed.reason);
      const scored = task.score(parsed.answer, shot);
      expect(scored.score).toBe(1);
      expect(scored.details.statedCostCorrect).toBe(true);
    });
  });
});

describe('baseline', () => {
  it('describes itself in one line', () => {
    expect(task.baselineDescription).toMatch(/greedy/i);
    expect(task.baselineDescription).not.toContain('\n');
  });

  it('ignores the shots', () => {
    const item = data.items[3]!;
    expect(task.baseline(item, data.pool.slice(0, 4))).toBe(task.baseline(item, []));
  });

  it('always parses, and is feasible on most instances of moderate tightness', () => {
    const moderate = createRoutesTask({ ...options, windowTightness: 0.3, evalItems: 100 }, 8).load();
    let feasible = 0;
    let optimal = 0;
    for (const item of moderate.items) {
      const parsed = task.parse(task.baseline(item, []));
      if (!parsed.ok) throw new Error(parsed.reason);
      const scored = task.score(parsed.answer, item);
      if (scored.details.feasible) feasible++;
      optimal += scored.score;
      // The stated cost is the route's own cost, feasible or not.
      expect(parsed.answer.statedCost).toBe(evaluateRoute(item.data, parsed.answer.stops).cost);
    }
    expect(feasible).toBeGreaterThan(60);
    expect(optimal).toBeLessThan(100); // a heuristic: not always optimal, or the task would be trivial
  });

  it('is always feasible without windows', () => {
    const open = createRoutesTask({ ...options, windowTightness: 0, evalItems: 30 }, 8).load();
    for (const item of open.items) {
      const parsed = task.parse(task.baseline(item, []));
      expect(parsed.ok && task.score(parsed.answer, item).details.feasible).toBe(true);
    }
  });
});
