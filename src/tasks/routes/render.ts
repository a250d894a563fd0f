import type { ChatMessage } from '../task.js';
import type { RouteEvaluation } from './solve.js';
import { DEPOT_NAME, formatTime, storeName, type RouteInstance, type RouteStore } from './types.js';

/** The answer format the parser reads (the end of the system prompt; `format` in a prompt template). */
export const ANSWER_FORMAT = [
  'You may reason first, but end your answer with exactly these two lines:',
  'ROUTE: Depot -> Store X -> Store Y -> ...',
  'COST: <total fuel cost as a whole number>',
  'The ROUTE line starts at Depot, lists every store exactly once in visiting order, and does not return to the depot.',
].join('\n');

export const SYSTEM_PROMPT = [
  'You plan delivery routes for one van. Each problem gives the depot start time, the stores to visit',
  '(service minutes and receiving window), a travel-time matrix in minutes and the fuel cost per travel minute.',
  'Find the route with the lowest total fuel cost; among equally cheap routes, the one whose last service ends earliest.',
  ANSWER_FORMAT,
].join('\n');

/** The rules paragraph that ends every problem's text (`rules` in a prompt template). */
export const RULES =
  'Rules: leave the depot at the start time and visit every store exactly once; do not return to the depot. ' +
  'Arriving before a window opens, wait until it opens. Arriving after a window closes is not allowed ' +
  '(arriving exactly at closing time is fine; service may run past closing). Service starts at the later of ' +
  'arrival and opening time and lasts the service minutes. Fuel cost = total travel minutes x fuel cost per minute. ' +
  'Minimise fuel cost; break ties by the earliest end of the last service.';

/**
 * The user-turn text of an instance. The same text is used when the instance is a shot and
 * when it is the question (so prompts share prefixes), and it is the item's `text`.
 */
export function instanceText(instance: RouteInstance): string {
  return [
    `Depot start: ${formatTime(instance.depotStart)}`,
    `Fuel cost: ${instance.rate} per travel minute`,
    'Stores (service minutes; receiving window):',
    ...instance.stores.map(storeLine),
    'Travel minutes (row = from, column = to; A = Store A, ...):',
    matrixTable(instance),
    RULES,
  ].join('\n');
}

function storeLine(store: RouteStore): string {
  return `- ${storeName(store.letter)}: ${store.service} min; ${windowText(store)}`;
}

/** `08:00-09:30`, or `all day` for a store without a receiving window. */
export function windowText(store: RouteStore): string {
  return store.window ? `${formatTime(store.window.open)}-${formatTime(store.window.close)}` : 'all day';
}

/** A right-aligned plain-text table; compact, and readable without markdown rendering. */
export function matrixTable(instance: RouteInstance): string {
  const labels = [DEPOT_NAME, ...instance.stores.map((s) => s.letter)];
  const rows = [['', ...labels], ...instance.travel.map((row, i) => [labels[i]!, ...row.map(String)])];
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ')).join('\n');
}

/** The two lines every answer must end with. */
export function finalLines(stops: readonly string[], cost: number): string {
  return `ROUTE: ${[DEPOT_NAME, ...stops.map(storeName)].join(' -> ')}\nCOST: ${cost}`;
}

/** A short leg-by-leg answer for a route (used for the shots' assistant turns). */
export function workedAnswer(instance: RouteInstance, evaluation: RouteEvaluation): string {
  const lines = evaluation.legs.map((leg) => {
    const from = leg.from === DEPOT_NAME ? `${DEPOT_NAME} (leave ${formatTime(instance.depotStart)})` : storeName(leg.from);
    const wait = leg.wait > 0 ? `wait ${leg.wait} min` : 'no wait';
    return (
      `${from} -> ${storeName(leg.stop)}: travel ${leg.travel} min, arrive ${formatTime(leg.arrive)}, ` +
      `${wait}, start ${formatTime(leg.start)}, leave ${formatTime(leg.leave)}.`
    );
  });
  lines.push(
    `Total travel ${evaluation.travelMinutes} min x ${instance.rate} = ${evaluation.cost}; ` + `last service ends ${formatTime(evaluation.completion)}.`,
  );
  lines.push(
    finalLines(
      evaluation.legs.map((l) => l.stop),
      evaluation.cost,
    ),
  );
  return lines.join('\n');
}

/** System message, then a user/assistant pair per shot, then the question. */
export function renderMessages(shots: ReadonlyArray<{ text: string; answer: string }>, question: string): ChatMessage[] {
  const messages: ChatMessage[] = [{ role: 'system', content: SYSTEM_PROMPT }];
  for (const shot of shots) {
    messages.push({ role: 'user', content: shot.text }, { role: 'assistant', content: shot.answer });
  }
  messages.push({ role: 'user', content: question });
  return messages;
}
