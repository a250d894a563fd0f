import { describe, expect, it } from 'vitest';
import { parseRouteAnswer } from '../src/tasks/routes.js';

function stops(text: string): string[] {
  const r = parseRouteAnswer(text);
  if (!r.ok) throw new Error(`parse failed: ${r.reason}`);
  return r.answer.stops;
}

function cost(text: string): number | null {
  const r = parseRouteAnswer(text);
  if (!r.ok) throw new Error(`parse failed: ${r.reason}`);
  return r.answer.statedCost;
}

function failure(text: string): string {
  const r = parseRouteAnswer(text);
  if (r.ok) throw new Error(`expected a failure, got ${JSON.stringify(r.answer)}`);
  return r.reason;
}

describe('parseRouteAnswer: accepted forms', () => {
  it('reads the exact requested format', () => {
    expect(parseRouteAnswer('ROUTE: Depot -> Store B -> Store A -> Store C\nCOST: 1230')).toEqual({
      ok: true,
      answer: { stops: ['B', 'A', 'C'], statedCost: 1230 },
    });
  });

  it('reads markdown bold labels and names, and money formatting', () => {
    const text = 'Final answer:\n\n**ROUTE:** Depot → **Store B** → **Store A**\n**COST:** $1,230';
    expect(stops(text)).toEqual(['B', 'A']);
    expect(cost(text)).toBe(1230);
  });

  it('reads inside a code fence with prose around it', () => {
    const text = [
      'Let me check the windows first.',
      'Store C closes at 09:15, so it has to come early.',
      '```',
      'ROUTE: Depot -> Store C -> Store A',
      'COST: 500',
      '```',
      'This route is feasible and, I believe, optimal. Let me know if you need anything else!',
    ].join('\n');
    expect(stops(text)).toEqual(['C', 'A']);
    expect(cost(text)).toBe(500);
  });

  it('takes the last ROUTE line when the model revises itself', () => {
    const text = [
      'ROUTE: Depot -> Store A -> Store B',
      'COST: 250',
      'Wait, that reaches Store B after it closes. Corrected:',
      'ROUTE: Depot -> Store B -> Store A',
      'COST: 350',
    ].join('\n');
    expect(stops(text)).toEqual(['B', 'A']);
    expect(cost(text)).toBe(350);
  });

  it('accepts every arrow variant and commas, mixed', () => {
    expect(stops('ROUTE: Depot --> Store B => Store A → Store C, Store D -> Store E')).toEqual(['B', 'A', 'C', 'D', 'E']);
    expect(stops('Route - Depot, B, A, C')).toEqual(['B', 'A', 'C']);
  });

  it('is case-insensitive and accepts bare letters', () => {
    expect(stops('route: depot -> store b -> store a\ncost: 120')).toEqual(['B', 'A']);
    expect(stops('ROUTE: Depot -> b -> A -> c')).toEqual(['B', 'A', 'C']);
  });

  it('reads bullets with bold labels and timing notes on the stops', () => {
    const text = ['- **Route:** Depot -> Store B (arrive 09:00) -> Store A [wait 5 min] -> Store C at 10:40', '- **Cost:** 1,230 €'].join('\n');
    expect(stops(text)).toEqual(['B', 'A', 'C']);
    expect(cost(text)).toBe(1230);
  });

  it('reads headings, numbered lists and quotes', () => {
    expect(stops('### Final Route: Depot -> Store B -> Store A')).toEqual(['B', 'A']);
    expect(stops('1. ROUTE: Depot -> Store A -> Store B')).toEqual(['A', 'B']);
    expect(stops('> ROUTE: Depot -> Store A -> Store B.')).toEqual(['A', 'B']);
  });

  it('treats the leading Depot as optional and ignores a trailing Depot', () => {
    expect(stops('ROUTE: Store B -> Store A')).toEqual(['B', 'A']);
    expect(stops('ROUTE: Depot -> Store B -> Store A -> Depot')).toEqual(['B', 'A']);
  });

  it('reads a label on its own line followed by the route', () => {
    expect(stops('ROUTE:\nDepot -> Store C -> Store B\nCOST: 99')).toEqual(['C', 'B']);
  });

  it('leaves store letters unchecked (the scorer judges them)', () => {
    expect(stops('ROUTE: Depot -> Store Q -> Store B -> Store B')).toEqual(['Q', 'B', 'B']);
  });

  it('tolerates Windows line endings and a trailing separator', () => {
    expect(stops('ROUTE: Depot -> Store A -> Store B ->\r\nCOST: 10\r\n')).toEqual(['A', 'B']);
  });
});

describe('parseRouteAnswer: cost', () => {
  it('is null when absent or unreadable', () => {
    expect(cost('ROUTE: Depot -> Store A')).toBeNull();
    expect(cost('ROUTE: Depot -> Store A\nCOST: unknown')).toBeNull();
  });

  it('takes the result of a worked product', () => {
    expect(cost('ROUTE: Depot -> Store A\nCOST: 43 x 12 = 516')).toBe(516);
    expect(cost('ROUTE: Depot -> Store A\nTotal cost: 516 (43 min at 12/min)')).toBe(516);
  });

  it('does not mistake worked-answer lines for the cost', () => {
    const text = 'Total travel 43 min x 12 = 516; last service ends 10:05.\nROUTE: Depot -> Store A';
    expect(cost(text)).toBeNull();
  });
});

describe('parseRouteAnswer: failures', () => {
  it('fails without a route line', () => {
    expect(failure('I would go to Store B first, then Store A.\nCOST: 300')).toMatch(/no ROUTE/);
    expect(failure('')).toMatch(/no ROUTE/);
  });

  it('fails on garbage stop names', () => {
    expect(failure('ROUTE: Depot -> Store Z?!')).toMatch(/not a store name/);
    expect(failure('ROUTE: Depot -> Store Banana -> Store A')).toMatch(/Store Banana/);
    expect(failure('ROUTE: Depot -> the warehouse -> Store A')).toMatch(/not a store name/);
  });

  it('fails on an empty route', () => {
    expect(failure('ROUTE: Depot\nCOST: 0')).toMatch(/empty route/);
    expect(failure('ROUTE:\n\nCOST: 0')).toMatch(/empty route/);
    expect(failure('ROUTE: Depot -> Depot')).toMatch(/empty route/);
  });

  it('fails when the depot sits in the middle', () => {
    expect(failure('ROUTE: Depot -> Store B -> Depot -> Store A')).toMatch(/middle/);
  });

  it('judges only the last ROUTE line, even when an earlier one was fine', () => {
    expect(failure('ROUTE: Depot -> Store A -> Store B\nROUTE: to be decided')).toMatch(/not a store name/);
  });
});
