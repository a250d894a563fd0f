// The sweep's abort signal (Ctrl-C's grace period, SIGTERM) reaches every network call. Each call must
// get its own child signal whose link to the sweep's is removed when the call ends: otherwise the SDKs'
// listeners pile up on the sweep's signal (one per call) and Node prints MaxListenersExceededWarning.
// Real SDKs against the fake servers on 127.0.0.1, through runSweep.

import { getEventListeners } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ProviderError } from '../src/providers/provider.js';
import { withRetries } from '../src/providers/retry.js';
import { runSweep } from '../src/app/sweep-and-report.js';
import { Rng } from '../src/util/rng.js';
import { FLAVOURS, ROUTE_ANSWER, SENTINEL, trackServers } from './providers-helpers.js';

const track = trackServers();
const tmp = mkdtempSync(join(tmpdir(), 'fewshot-abort-listeners-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** 25 items x shots [0, 2] x 2 repeats = 100 calls (temperature 0.7: every repeat is its own call). */
const CALLS = 100;

describe.each(FLAVOURS)('$name: the sweep signal after a sweep of 100 calls', (f) => {
  it('has no more abort listeners than before it, and no MaxListenersExceededWarning was emitted', async () => {
    const s = await track(f.start());
    s.script(() => ({ kind: 'text', text: ROUTE_ANSWER, tokensIn: 300, tokensOut: 12 }));
    const experiment = join(tmp, `${f.name}.yaml`);
    writeFileSync(
      experiment,
      [
        `name: listeners-${f.name}`,
        'seed: 3',
        'task: { type: routes, stores: { min: 3, max: 3 }, windowTightness: 0.3, poolSize: 4, evalItems: 25 }',
        'shots: [0, 2]',
        'repeats: 2',
        'concurrency: 4',
        'providers:',
        `  - ${JSON.stringify(f.config(s, { temperature: 0.7 }))}`,
      ].join('\n'),
    );
    const controller = new AbortController();
    const baseline = getEventListeners(controller.signal, 'abort').length;
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    try {
      const result = await runSweep({
        experimentPath: experiment,
        outDir: join(tmp, 'results'),
        quiet: true,
        log: () => {},
        env: { [f.keyVariable]: SENTINEL },
        shouldStop: () => false,
        abortSignal: controller.signal,
      });
      // Warnings are emitted on the next tick.
      await new Promise((resolve) => setImmediate(resolve));
      expect(result.status).toBe('complete');
      expect(result.newCalls).toBe(CALLS);
      expect(s.requests.filter((r) => r.routed)).toHaveLength(CALLS);
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning').map((w) => w.message)).toEqual([]);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(baseline);
    // The signal still works for the next sweep: nothing aborted it.
    expect(controller.signal.aborted).toBe(false);
  });
});

describe('withRetries with its own sleep', () => {
  it('leaves no abort listener on a long-lived signal after its backoff waits end', async () => {
    const controller = new AbortController();
    const baseline = getEventListeners(controller.signal, 'abort').length;
    let calls = 0;
    const { value, attempts } = await withRetries(
      async () => {
        calls++;
        if (calls < 4) throw new ProviderError('server', 'openai:gpt-4o-mini: 503');
        return 'ok';
      },
      { maxAttempts: 4, baseDelayMs: 1, maxDelayMs: 1, retryAfterCapMs: 1 },
      new Rng(['abort-listeners']),
      { signal: controller.signal },
    );
    expect({ value, attempts }).toEqual({ value: 'ok', attempts: 4 });
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(baseline);
  });
});
