import { describe, expect, it } from 'vitest';
import { excludeLeaks, findLeaks, normalizeText } from '../src/tasks/leakage.js';
import type { TaskItem } from '../src/tasks/task.js';

const item = (id: string, text: string): TaskItem<null> => ({ id, text, data: null });

const pool = [item('p1', 'What is 2 + 2?'), item('p2', 'Name a  primary colour.')];

describe('leakage guard', () => {
  it('normalizes case and whitespace', () => {
    expect(normalizeText('  Hello\n\tWORLD  again ')).toBe('hello world again');
  });

  it('refuses an item whose id is a pool id', () => {
    const leaks = findLeaks(pool, [item('p1', 'Something else entirely')]);
    expect(leaks).toEqual([{ id: 'p1', reason: expect.stringMatching(/id p1/) }]);
  });

  it('refuses an item whose content matches a pool example up to case and whitespace', () => {
    const leaks = findLeaks(pool, [item('e1', 'name a primary\n  COLOUR.  ')]);
    expect(leaks).toEqual([{ id: 'e1', reason: expect.stringMatching(/p2/) }]);
  });

  it('keeps clean items in order and reports the refused ones', () => {
    const items = [item('e1', 'What is 3 + 3?'), item('e2', 'WHAT IS 2 + 2?'), item('p2', 'new'), item('e3', 'Name a colour.')];
    const { items: kept, refused } = excludeLeaks(pool, items);
    expect(kept.map((i) => i.id)).toEqual(['e1', 'e3']);
    expect(refused.map((r) => r.id)).toEqual(['e2', 'p2']);
  });

  it('finds nothing when pool and items are disjoint', () => {
    expect(excludeLeaks(pool, [item('e1', 'fresh')])).toEqual({ items: [item('e1', 'fresh')], refused: [] });
    expect(findLeaks([], [item('e1', 'x')])).toEqual([]);
  });
});
