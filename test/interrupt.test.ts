// Ctrl-C during a sweep: the first stops new calls and gives those in flight a bounded grace period,
// after which they are cancelled (not recorded: a rerun asks them again); the second quits at once.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { Interrupt } from '../src/runner/interrupt.js';
import { runSweep } from '../src/app/sweep-and-report.js';
import type { TrialRecord } from '../src/records/trial.js';
import { flavour, ROUTE_ANSWER, routesExperimentYaml, SENTINEL, trackServers } from './providers-helpers.js';

const track = trackServers();
const tmp = mkdtempSync(join(tmpdir(), 'fewshot-interrupt-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('Interrupt', () => {
  it('first Ctrl-C: stopping, and the signal aborts only when the grace period ends; second Ctrl-C: quits', () => {
    vi.useFakeTimers();
    try {
      const said: string[] = [];
      let quit = 0;
      const interrupt = new Interrupt(
        2_000,
        (l) => said.push(l),
        () => quit++,
      );
      expect(interrupt.stopping).toBe(false);
      interrupt.handle();
      expect(interrupt.stopping).toBe(true);
      expect(said[0]).toMatch(/up to 2s for the calls in flight/);
      vi.advanceTimersByTime(1_999);
      expect(interrupt.signal.aborted).toBe(false);
      vi.advanceTimersByTime(1);
      expect(interrupt.signal.aborted).toBe(true);
      expect(said[1]).toMatch(/gave up waiting after 2s/);
      expect(quit).toBe(0);
      interrupt.handle();
      expect(quit).toBe(1);
    } finally {
      vi.useRealTimers();
    }
  });

  it('a sweep that finishes inside the grace period is never aborted', () => {
    vi.useFakeTimers();
    try {
      const interrupt = new Interrupt(
        1_000,
        () => {},
        () => {},
      );
      interrupt.handle();
      interrupt.dispose();
      vi.advanceTimersByTime(5_000);
      expect(interrupt.signal.aborted).toBe(false);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('Interrupt: SIGTERM and SIGHUP', () => {
  it.each([
    { signal: 'SIGTERM' as const, code: 143 },
    { signal: 'SIGHUP' as const, code: 129 },
  ])(
    '$signal first: stops like the first Ctrl-C (grace, then abort), says so, exit code $code; a second signal of any kind quits with its own code',
    ({ signal, code }) => {
      vi.useFakeTimers();
      try {
        const said: string[] = [];
        const quits: number[] = [];
        const interrupt = new Interrupt(
          2_000,
          (l) => said.push(l),
          (c) => quits.push(c),
        );
        expect(interrupt.exitCode).toBeNull();
        interrupt.handle(signal);
        expect(interrupt.stopping).toBe(true);
        expect(interrupt.stoppedBy).toBe(signal);
        expect(interrupt.exitCode).toBe(code);
        expect(said[0]).toBe(`${signal} received; stopping: no new calls; up to 2s for the calls in flight, then a partial report (Ctrl-C again to quit now)`);
        vi.advanceTimersByTime(1_999);
        expect(interrupt.signal.aborted).toBe(false);
        vi.advanceTimersByTime(1);
        expect(interrupt.signal.aborted).toBe(true);
        expect(quits).toEqual([]);
        interrupt.handle('SIGINT');
        expect(quits).toEqual([130]);
        interrupt.handle(signal);
        expect(quits).toEqual([130, code]);
        // The stop stays the first signal's.
        expect(interrupt.exitCode).toBe(code);
      } finally {
        vi.useRealTimers();
      }
    },
  );

  it('Ctrl-C keeps exit code 130 and its message', () => {
    const said: string[] = [];
    const interrupt = new Interrupt(
      500,
      (l) => said.push(l),
      () => {},
    );
    interrupt.handle();
    interrupt.dispose();
    expect(interrupt.exitCode).toBe(130);
    expect(said[0]).toBe('stopping: no new calls; up to 0.5s for the calls in flight, then a partial report (Ctrl-C again to quit now)');
  });

  it('listen() takes SIGINT, SIGTERM and SIGHUP from the process, and removes exactly its handlers again', () => {
    const names = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
    const before = new Map(names.map((n) => [n, process.listeners(n)]));
    const quits: number[] = [];
    const interrupt = new Interrupt(
      60_000,
      () => {},
      (c) => quits.push(c),
    );
    const unlisten = interrupt.listen(process);
    try {
      const added = (n: (typeof names)[number]) => process.listeners(n).filter((l) => !before.get(n)!.includes(l));
      for (const n of names) expect(added(n), n).toHaveLength(1);
      // Called directly rather than through process.emit: other listeners (the test runner's) stay out of it.
      (added('SIGTERM')[0] as () => void)();
      expect(interrupt.exitCode).toBe(143);
      (added('SIGHUP')[0] as () => void)();
      expect(quits).toEqual([129]);
    } finally {
      unlisten();
      interrupt.dispose();
    }
    for (const n of names) expect(process.listeners(n), n).toEqual(before.get(n));
  });
});

describe('Ctrl-C during a sweep against a provider that stops answering', () => {
  it('calls in flight get the grace period, are then cancelled and not recorded; the report is partial', async () => {
    const f = flavour('openai');
    const s = await track(f.start());
    const interrupt = new Interrupt(
      300,
      () => {},
      () => {
        throw new Error('must not quit');
      },
    );
    // Four answers, then Ctrl-C as the fifth request arrives; from then on the server never answers.
    s.script((_req, i) => {
      if (i === 4) interrupt.handle();
      return i < 4 ? { kind: 'text', text: ROUTE_ANSWER, delayMs: 5 } : { kind: 'hang' };
    });
    const experiment = join(tmp, 'grace.yaml');
    writeFileSync(experiment, routesExperimentYaml('grace', [{ id: 'openai:gpt-4o-mini', baseUrl: `${s.url}/v1`, concurrency: 2, timeoutMs: 60_000 }]));
    const started = performance.now();
    const result = await runSweep({
      experimentPath: experiment,
      outDir: join(tmp, 'results'),
      quiet: true,
      log: () => {},
      env: { OPENAI_API_KEY: SENTINEL },
      shouldStop: () => interrupt.stopping,
      abortSignal: interrupt.signal,
    });
    const seconds = (performance.now() - started) / 1000;
    interrupt.dispose();

    expect(interrupt.signal.aborted).toBe(true);
    expect(seconds).toBeLessThan(20); // bounded by the grace period, not the 60 s call timeout
    expect(result.status).toBe('partial');
    const trials = readFileSync(join(result.runDir, 'trials.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as TrialRecord);
    // Only answered calls are on disk: the cancelled ones are neither errors nor wrong answers.
    expect(trials.length).toBe(result.trials);
    expect(trials.length).toBeGreaterThanOrEqual(4);
    expect(trials.every((t) => t.error === null && t.output === ROUTE_ANSWER)).toBe(true);
    // No call started after Ctrl-C: the fifth request was already in flight, and at most one more beside it.
    expect(s.requests.length).toBeLessThanOrEqual(6);
    const summary = JSON.parse(readFileSync(join(result.runDir, 'summary.json'), 'utf8'));
    expect(summary.status).toBe('partial');
    expect(summary.totals.trials).toBe(trials.length);
  });
});
