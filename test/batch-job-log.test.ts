// The batch job log (src/runner/batch/job-log.ts) read back: lines this version never writes (a hand
// edit, a torn write) are skipped rather than shown as "undefined". (A job collected by a later
// attempt reading as collected: test/batch-command-cli.test.ts.)

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BATCH_LOG_FILE, readJobs } from '../src/runner/batch/job-log.js';

const tmp = mkdtempSync(join(tmpdir(), 'fewshot-job-log-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function log(dir: string, lines: unknown[]): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, BATCH_LOG_FILE), `${lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n')}\n`);
  return dir;
}

describe('batch job log', () => {
  it('skips submissions without a provider and states no version writes; keeps the rest', () => {
    const dir = log(join(tmp, 'odd'), [
      { submitted: 'job1', provider: 'openai:gpt-4o-mini', providerId: 'openai:gpt-4o-mini', at: '2026-12-06T10:00:00.000Z', keys: ['a'], reserved: 0.1 },
      { submitted: 'job2', at: '2026-12-06T10:00:01.000Z', keys: ['b'] },
      { job: 'job1', state: 'weird', at: '2026-12-06T10:00:02.000Z' },
      '{"job": "job1", "state": "run',
      { job: 'job1', state: 'running', at: '2026-12-06T10:00:03.000Z' },
    ]);
    const jobs = readJobs(dir);
    expect(jobs.map((j) => [j.jobId, j.provider, j.state])).toEqual([['job1', 'openai:gpt-4o-mini', 'running']]);
  });
});
