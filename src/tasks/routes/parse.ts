import type { ParseResult } from '../task.js';
import type { RouteAnswer } from './types.js';

/*
 * Reading rules (tolerant of prose and markdown, strict about the route itself):
 * - Markdown is stripped first: `*`, `_`, backticks (so code fences vanish), headings, bullets, quotes.
 * - A route line is a line that starts with `ROUTE` (any case, optionally `Final`/`Optimal`/`Best`
 *   before it) followed by `:`, `=` or ` - `. The LAST such line wins: models revise themselves.
 *   If it is empty, the next non-blank line is used when it contains an arrow (label on its own line).
 * - Stops are separated by `->`, `-->`, `=>`, `→` (and similar arrows) or commas.
 * - A stop is `Store B`, `store b` or `B`; parenthesised/bracketed notes and a trailing
 *   `at 09:00` / `@ 09:00` or full stop are ignored. Anything else fails the parse.
 * - A leading `Depot` is optional. A trailing `Depot` is accepted and ignored: the route is scored
 *   without a return leg either way, and a cost that includes one shows up in statedCostCorrect.
 *   `Depot` anywhere else fails the parse.
 * - Store letters are not checked against an instance here: unknown, duplicate or missing
 *   stores are the scorer's business.
 * - `COST:` is optional (last such line wins); commas and currency symbols are ignored, and in
 *   `43 x 12 = 516` the number after the last `=` is taken. An unreadable cost is null, not a failure.
 */

const ROUTE_LABEL = /^(?:(?:final|optimal|best)\s+)?route\s*(?::|=(?!>)|-(?!-*>)|–|—)\s*(.*)$/i;
const COST_LABEL = /^(?:total\s+)?(?:fuel\s+)?cost\s*(?::|=(?!>)|-(?!-*>)|–|—)\s*(.*)$/i;
const SEPARATOR = /\s*(?:-+>|=+>|→|⟶|⇒|➔|➜|➝|,)\s*/;
const ARROW = /-+>|=+>|→|⟶|⇒|➔|➜|➝/;
const DEPOT = 'Depot';

export function parseRouteAnswer(text: string): ParseResult<RouteAnswer> {
  const lines = text.split(/\r?\n/).map(stripMarkdown);
  const routeText = findRouteText(lines);
  if (routeText === null) return { ok: false, reason: 'no ROUTE: line found' };
  const stops = readStops(routeText);
  if (!stops.ok) return stops;
  return { ok: true, answer: { stops: stops.answer, statedCost: findCost(lines) } };
}

function stripMarkdown(line: string): string {
  return line
    .replace(/[*_`]/g, '')
    .replace(/^\s*#+\s*/, '')
    .replace(/^\s*(?:(?:[-+>•]|\d+[.)])\s+)+/, '')
    .trim();
}

function findRouteText(lines: readonly string[]): string | null {
  for (let i = lines.length - 1; i >= 0; i--) {
    const match = ROUTE_LABEL.exec(lines[i]!);
    if (!match) continue;
    const rest = match[1]!.trim();
    if (rest !== '') return rest;
    const next = lines.slice(i + 1).find((l) => l !== '');
    return next !== undefined && ARROW.test(next) ? next : '';
  }
  return null;
}

function readStops(routeText: string): ParseResult<string[]> {
  const names: string[] = [];
  for (const token of routeText.split(SEPARATOR)) {
    const cleaned = cleanToken(token);
    if (cleaned === '') continue; // stray or trailing separator
    const name = stopName(cleaned);
    if (name === null) return { ok: false, reason: `not a store name: "${token.trim()}"` };
    names.push(name);
  }
  if (names[0] === DEPOT) names.shift();
  if (names.length > 0 && names[names.length - 1] === DEPOT) names.pop();
  if (names.includes(DEPOT)) return { ok: false, reason: 'Depot appears in the middle of the route' };
  if (names.length === 0) return { ok: false, reason: 'empty route' };
  return { ok: true, answer: names };
}

function cleanToken(token: string): string {
  return token
    .replace(/\([^)]*\)|\[[^\]]*\]/g, ' ')
    .replace(/\s+(?:at|@)\s+\d{1,2}:\d{2}\s*$/i, '')
    .trim()
    .replace(/\.$/, '')
    .trim();
}

/** 'Depot', a store letter, or null when the token is neither. */
function stopName(token: string): string | null {
  if (/^depot$/i.test(token)) return DEPOT;
  const match = /^(?:store\s+)?([a-z])$/i.exec(token);
  return match ? match[1]!.toUpperCase() : null;
}

function findCost(lines: readonly string[]): number | null {
  for (let i = lines.length - 1; i >= 0; i--) {
    const match = COST_LABEL.exec(lines[i]!);
    if (match) return readNumber(match[1]!);
  }
  return null;
}

function readNumber(text: string): number | null {
  const afterEquals = text.includes('=') ? text.slice(text.lastIndexOf('=') + 1) : text;
  const digits = afterEquals.replace(/(\d),(?=\d{3}(?!\d))/g, '$1');
  const match = /-?\d+(?:\.\d+)?/.exec(digits);
  return match ? Number(match[0]) : null;
}
