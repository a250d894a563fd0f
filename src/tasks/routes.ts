/**
 * The flagship "routes" task: plan a delivery route with receiving windows, scored exactly
 * (feasibility and optimality against an exhaustive solver), not by a judge counting keywords.
 * The pieces live in ./routes/; this file assembles the Task and re-exports the public API.
 */
import type { ExactTask, TaskData, TaskMeasure } from './task.js';
import { BASELINE_DESCRIPTION, baselineAnswer } from './routes/baseline.js';
import { checkRoutesOptions } from './routes/generate.js';
import { loadRoutes } from './routes/load.js';
import { parseRouteAnswer } from './routes/parse.js';
import { instanceText, renderMessages, workedAnswer } from './routes/render.js';
import { scoreRoute } from './routes/score.js';
import { optimalRoute } from './routes/solve.js';
import type { RouteAnswer, RouteInstance, RoutesOptions } from './routes/types.js';

export type { RouteAnswer, RouteInstance, RouteStore, RoutesOptions, TimeWindow } from './routes/types.js';
export { formatTime, storeName } from './routes/types.js';
export { evaluateRoute, optimalRoute, solveRoute } from './routes/solve.js';
export type { RouteEvaluation, RouteLeg, RouteSolution } from './routes/solve.js';
export { checkRoutesOptions, generateInstance, generateInstances, travelMatrix } from './routes/generate.js';
export { assembleRouteData, loadRoutes, routeItem } from './routes/load.js';
export { parseRouteAnswer } from './routes/parse.js';
export { scoreRoute } from './routes/score.js';
export { BASELINE_DESCRIPTION, baselineAnswer, greedyRoute } from './routes/baseline.js';
export { finalLines, instanceText, SYSTEM_PROMPT, workedAnswer } from './routes/render.js';

export const ROUTES_TASK_TYPE = 'routes';

/** Partial quality, so a report can tell 'nearly optimal' from 'breaks a window'. */
export const ROUTE_MEASURES: readonly TaskMeasure[] = [
  { key: 'feasible', label: 'feasible', description: 'the route visits every store once and meets every window' },
  {
    key: 'optimalityRatio',
    label: 'optimality ratio',
    description: 'optimal cost / answered cost for feasible routes, 0 for infeasible ones',
  },
];

export function createRoutesTask(options: RoutesOptions, seed: number): ExactTask<RouteInstance, RouteAnswer> {
  checkRoutesOptions(options);
  let loaded: TaskData<RouteInstance> | null = null;
  // An instance's text and worked answer are the same in every prompt it appears in: render each once
  // (profiled: rendering was a quarter of a local sweep's CPU).
  const texts = new WeakMap<RouteInstance, string>();
  const answers = new WeakMap<RouteInstance, string>();
  const textOf = (instance: RouteInstance) => memo(texts, instance, instanceText);
  const answerOf = (instance: RouteInstance) => memo(answers, instance, shotAnswer);
  return {
    type: ROUTES_TASK_TYPE,
    // Generated once and reused: load() is deterministic, so caching changes nothing but time.
    load: () => (loaded ??= loadRoutes(options, seed)),
    render: (shots, item) =>
      renderMessages(
        shots.map((shot) => ({ text: textOf(shot.data), answer: answerOf(shot.data) })),
        textOf(item.data),
      ),
    parse: parseRouteAnswer,
    score: (answer, item) => scoreRoute(answer, item.data),
    // The greedy heuristic ignores the shots by design: it is the no-learning reference.
    baseline: (item) => baselineAnswer(item.data),
    baselineDescription: BASELINE_DESCRIPTION,
    measures: ROUTE_MEASURES,
  };
}

function memo<K extends object>(cache: WeakMap<K, string>, key: K, make: (key: K) => string): string {
  let value = cache.get(key);
  if (value === undefined) cache.set(key, (value = make(key)));
  return value;
}

/** The worked optimal answer shown for a shot. */
function shotAnswer(instance: RouteInstance): string {
  const solution = optimalRoute(instance);
  if (!solution.feasible) throw new Error('routes: a shot instance has no feasible route');
  return workedAnswer(instance, solution.evaluation);
}
