// Splitting a provider's batch requests into jobs within its documented limits (runner/batch/run-batches.ts):
// at most maxRequests requests and maxBytes bytes (as the engine sizes each request) per job, in order.
import { describe, expect, it } from 'vitest';
import { splitJobs } from '../src/runner/batch/run-batches.js';

const request = (text: string) => ({ key: text, request: { messages: [{ role: 'user' as const, content: text }] } });
const engine = (maxRequests: number, maxBytes: number) => ({
  limits: { maxRequests, maxBytes },
  size: (r: { customId: string; request: { messages: { content: string }[] } }) => r.request.messages[0]!.content.length,
});

describe('splitJobs', () => {
  it('cuts at the request limit', () => {
    const jobs = splitJobs(['a', 'b', 'c', 'd', 'e'].map(request), engine(2, 1e9));
    expect(jobs.map((j) => j.map((r) => r.key))).toEqual([['a', 'b'], ['c', 'd'], ['e']]);
  });

  it('cuts at the byte limit, counting each request as the engine uploads it', () => {
    const jobs = splitJobs(['xxxx', 'xxxx', 'xx', 'xxxxxx', 'x'].map(request), engine(100, 8));
    expect(jobs.map((j) => j.map((r) => r.key.length))).toEqual([[4, 4], [2, 6], [1]]);
  });

  it('a request larger than the byte limit goes alone (the provider then refuses that job, not the others)', () => {
    const jobs = splitJobs(['xx', 'xxxxxxxxxxxx', 'xx'].map(request), engine(100, 8));
    expect(jobs.map((j) => j.map((r) => r.key.length))).toEqual([[2], [12], [2]]);
  });

  it('no requests, no jobs', () => {
    expect(splitJobs([], engine(2, 8))).toEqual([]);
  });
});
