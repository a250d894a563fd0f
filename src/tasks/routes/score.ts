import type { ScoreResult } from '../task.js';
import { evaluateRoute, optimalRoute } from './solve.js';
import type { RouteAnswer, RouteInstance } from './types.js';

/**
 * 1 when the route is feasible and optimal (same cost and same completion as the solver's
 * optimum; any order achieving both counts), else 0. Details say how far off the answer was.
 */
export function scoreRoute(answer: RouteAnswer, instance: RouteInstance): ScoreResult {
  const optimum = optimalRoute(instance);
  const route = evaluateRoute(instance, answer.stops);
  const statedCostCorrect = statedCostCheck(answer, instance, route.cost);

  if (!optimum.feasible) {
    // Generated instances are always feasible; this only guards hand-built ones.
    return zero({ statedCostCorrect, reason: `instance has no feasible route` });
  }
  if (!route.feasible) {
    return zero({ statedCostCorrect, reason: route.reason, optimalCost: optimum.cost });
  }
  const optimal = route.cost === optimum.cost && route.completion === optimum.completion;
  return {
    score: optimal ? 1 : 0,
    details: {
      feasible: true,
      optimalityRatio: route.cost === 0 ? (optimum.cost === 0 ? 1 : 0) : optimum.cost / route.cost,
      costGap: route.cost - optimum.cost,
      statedCostCorrect,
      reason: optimal ? null : suboptimalReason(route.cost, route.completion, optimum.cost, optimum.completion),
      optimalCost: optimum.cost,
      cost: route.cost,
    },
  };
}

/**
 * Whether the stated cost equals the answered route's own fuel cost (its arithmetic, not its
 * optimality). null when no cost was stated; false when the route is not a complete visit of
 * each store once, since its cost is then undefined.
 */
function statedCostCheck(answer: RouteAnswer, instance: RouteInstance, routeCost: number): boolean | null {
  if (answer.statedCost === null) return null;
  const letters = instance.stores.map((s) => s.letter).sort();
  const complete = answer.stops.length === letters.length && [...answer.stops].sort().every((l, i) => l === letters[i]);
  return complete && answer.statedCost === routeCost;
}

function suboptimalReason(cost: number, completion: number, bestCost: number, bestCompletion: number): string {
  if (cost !== bestCost) return `costs ${cost}, the optimum costs ${bestCost}`;
  return `costs the optimum ${cost} but finishes ${completion - bestCompletion} min later than the best route`;
}

function zero(parts: { statedCostCorrect: boolean | null; reason: string | null; optimalCost?: number }): ScoreResult {
  return {
    score: 0,
    details: {
      feasible: false,
      optimalityRatio: 0,
      costGap: null,
      statedCostCorrect: parts.statedCostCorrect,
      reason: parts.reason,
      optimalCost: parts.optimalCost ?? null,
      cost: null,
    },
  };
}
