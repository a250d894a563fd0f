/**
 * What a routes problem offers a prompt template (`prompts:`; docs/experiments.md, "Your own prompt",
 * the variables of routes): the problem as the built-in prompt writes it (`input`), and its parts as plain
 * objects to loop over. A shot also carries its optimal solution, worked (`output`, the built-in
 * assistant turn) and as fields (`solution`); the evaluation item carries no solution.
 */
import type { RouteEvaluation } from './solve.js';
import { ANSWER_FORMAT, matrixTable, RULES, SYSTEM_PROMPT, windowText } from './render.js';
import { DEPOT_NAME, formatTime, storeName, type RouteInstance } from './types.js';

/** The variables every template of a routes prompt sees, whatever the record. */
export const ROUTES_TEMPLATE_GLOBALS: Readonly<Record<string, unknown>> = {
  rules: RULES,
  format: ANSWER_FORMAT,
  instructions: SYSTEM_PROMPT,
};

/** The problem's own variables (besides `id`): the same for a shot and for the item. */
export function routeProblemVars(instance: RouteInstance, text: string): Record<string, unknown> {
  return {
    input: text,
    depot: { name: DEPOT_NAME, start: formatTime(instance.depotStart), startMinutes: instance.depotStart },
    rate: instance.rate,
    stores: instance.stores.map((s) => ({
      letter: s.letter,
      name: storeName(s.letter),
      service: s.service,
      window: s.window
        ? { open: formatTime(s.window.open), close: formatTime(s.window.close), openMinutes: s.window.open, closeMinutes: s.window.close }
        : null,
      windowText: windowText(s),
    })),
    places: [DEPOT_NAME, ...instance.stores.map((s) => s.letter)],
    travel: instance.travel.map((row) => [...row]),
    travelTable: matrixTable(instance),
  };
}

/** A shot's optimal route as fields, for a template that writes its own answer (`shots: inline`). */
export function routeSolutionVars(evaluation: RouteEvaluation): Record<string, unknown> {
  const stops = evaluation.legs.map((l) => l.stop);
  return {
    stops,
    route: [DEPOT_NAME, ...stops.map(storeName)].join(' -> '),
    cost: evaluation.cost,
    travelMinutes: evaluation.travelMinutes,
    lastServiceEnds: formatTime(evaluation.completion),
    legs: evaluation.legs.map((l) => ({
      from: l.from === DEPOT_NAME ? DEPOT_NAME : storeName(l.from),
      to: storeName(l.stop),
      travel: l.travel,
      arrive: formatTime(l.arrive),
      wait: l.wait,
      start: formatTime(l.start),
      leave: formatTime(l.leave),
    })),
  };
}
