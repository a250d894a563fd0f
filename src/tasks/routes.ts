/**
 * The flagship "routes" task: plan a delivery route with receiving windows, scored exactly
 * (feasibility and optimality against an exhaustive solver), not by a judge counting keywords.
 * The pieces live in ./routes/; this file assembles the Task and re-exports the public API.
 */
import type { ExactTask, TaskData, TaskItem, TaskMeasure } from './task.js';
import type { PromptTemplates, TemplateRecord } from './templates.js';
import { BASELINE_DESCRIPTION, baselineAnswer } from './routes/baseline.js';
import { checkRoutesOptions } from './routes/generate.js';
import { loadRoutes } from './routes/load.js';
import { parseRouteAnswer } from './routes/parse.js';
import { instanceText, renderMessages, workedAnswer } from './routes/render.js';
import { scoreRoute } from './routes/score.js';
import { optimalRoute, type RouteEvaluation } from './routes/solve.js';
import { ROUTES_TEMPLATE_GLOBALS, routeProblemVars, routeSolutionVars } from './routes/template-vars.js';
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
export { ANSWER_FORMAT, finalLines, instanceText, RULES, SYSTEM_PROMPT, workedAnswer } from './routes/render.js';
export { ROUTES_TEMPLATE_GLOBALS, routeProblemVars, routeSolutionVars } from './routes/template-vars.js';

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

/**
 * The routes task. With `templates` (an experiment's `prompts:` entry) the prompt is written by the
 * template files (variables in ./routes/template-vars.ts); parsing and scoring are the same.
 */
export function createRoutesTask(options: RoutesOptions, seed: number, templates?: PromptTemplates): ExactTask<RouteInstance, RouteAnswer> {
  checkRoutesOptions(options);
  let loaded: TaskData<RouteInstance> | null = null;
  // An instance's text and worked answer are the same in every prompt it appears in: render each once
  // (profiled: rendering was a quarter of a local sweep's CPU).
  const texts = new WeakMap<RouteInstance, string>();
  const answers = new WeakMap<RouteInstance, string>();
  const textOf = (instance: RouteInstance) => memo(texts, instance, instanceText);
  const answerOf = (instance: RouteInstance) => memo(answers, instance, shotAnswer);
  // A template's variables, built once per instance (and per role: only a shot carries its solution).
  const problemVars = new WeakMap<RouteInstance, Record<string, unknown>>();
  const solutionVars = new WeakMap<RouteInstance, Record<string, unknown>>();
  const problemOf = (instance: RouteInstance) => memo(problemVars, instance, (i) => routeProblemVars(i, textOf(i)));
  const solutionOf = (instance: RouteInstance) => memo(solutionVars, instance, (i) => routeSolutionVars(shotEvaluation(i)));
  const shotRecord = (shot: TaskItem<RouteInstance>): TemplateRecord => {
    const answer = answerOf(shot.data);
    return { vars: { ...problemOf(shot.data), id: shot.id, output: answer, solution: solutionOf(shot.data) }, answer };
  };
  const itemRecord = (item: TaskItem<RouteInstance>): TemplateRecord => ({ vars: { ...problemOf(item.data), id: item.id }, answer: '' });
  return {
    type: ROUTES_TASK_TYPE,
    // Generated once and reused: load() is deterministic, so caching changes nothing but time.
    load: () => (loaded ??= loadRoutes(options, seed)),
    render: (shots, item) =>
      templates
        ? templates.render(shots.map(shotRecord), itemRecord(item), ROUTES_TEMPLATE_GLOBALS)
        : renderMessages(
            shots.map((shot) => ({ text: textOf(shot.data), answer: answerOf(shot.data) })),
            textOf(item.data),
          ),
    parse: parseRouteAnswer,
    score: (answer, item) => scoreRoute(answer, item.data),
    // The greedy heuristic ignores the shots by design: it is the no-learning reference.
    baseline: (item) => baselineAnswer(item.data),
    baselineDescription: BASELINE_DESCRIPTION,
    measures: ROUTE_MEASURES,
    ...(templates ? { templateFiles: templates.files } : {}),
  };
}

function memo<K extends object, V>(cache: WeakMap<K, V>, key: K, make: (key: K) => V): V {
  let value = cache.get(key);
  if (value === undefined) cache.set(key, (value = make(key)));
  return value;
}

/** The worked optimal answer shown for a shot. */
function shotAnswer(instance: RouteInstance): string {
  return workedAnswer(instance, shotEvaluation(instance));
}

/** A shot's optimal route (every generated instance has one). */
function shotEvaluation(instance: RouteInstance): RouteEvaluation {
  const solution = optimalRoute(instance);
  if (!solution.feasible) throw new Error('routes: a shot instance has no feasible route');
  return solution.evaluation;
}
