import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { summarizeCells } from '../src/analysis/summarize.js';
import { executePlan, type ExecuteContext } from '../src/runner/execute.js';
import { planTrials } from '../src/runner/plan.js';
import { runSweep } from '../src/app/sweep-and-report.js';
import type { TrialRecord } from '../src/records/trial.js';
import { DEFAULT_CAPABILITIES, ProviderError, type CompletionRequest, type CompletionResult, type Provider } from '../src/providers/provider.js';
import { plainArms } from '../src/selectors/arms.js';
import { getSelector } from '../src/selectors/index.js';
import { createRoutesTask } from '../src/tasks/routes.js';
import type { Task, TaskItem } from '../src/tasks/task.js';

const tmp = mkdtempSync(join(tmpdir(), 'fewshot-sweep-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/**
 * A provider whose behaviour depends on the item, to exercise the runner's bookkeeping of every
 * outcome. (Provider adapters themselves are tested against wire-format servers, not like this.)
 */
class ScriptedProvider implements Provider {
  readonly id = 'scripted';
  readonly model = 'scripted-1';
  readonly capabilities = DEFAULT_CAPABILITIES;
  readonly seen: CompletionRequest[] = [];
  constructor(private readonly task: Task) {}
  async complete(request: CompletionRequest): Promise<CompletionResult> {
    this.seen.push(request);
    // The subject is opaque to providers (the local baseline's seam); the runner puts the task's items there.
    const item = request.subject!.item as TaskItem;
    const n = Number(item.id.slice(-1));
    const ok = (text: string, finishReason: CompletionResult['finishReason'] = 'stop') => ({
      text,
      finishReason,
      tokensIn: 10,
      tokensOut: 5,
      cachedTokens: 0,
      latencyMs: 1,
      requestId: `req-${item.id}`,
    });
    if (n === 0) throw new ProviderError('rate_limit', '429 Too Many Requests');
    if (n === 1) throw new ProviderError('timeout', 'no answer in 60s');
    if (n === 2) return ok('   ');
    if (n === 3) return ok('Let me think step by step about Store', 'length');
    if (n === 4) return ok('I would rather not say.');
    return ok(this.task.baseline(item, []));
  }
}

describe('runner', () => {
  const task = createRoutesTask({ stores: { min: 3, max: 4 }, windowTightness: 0.3, poolSize: 4, evalItems: 8 }, 5) as unknown as Task;
  const data = task.load();

  it('records every kind of failure apart, and the sweep goes on', async () => {
    const provider = new ScriptedProvider(task);
    const ctx: ExecuteContext = {
      runId: 'r',
      experimentSeed: 5,
      task,
      pool: data.pool,
      items: data.items,
      providers: new Map([['scripted', { provider, concurrency: 3, temperature: 0 }]]),
      arms: plainArms([getSelector('random')]),
      distractors: [],
    };
    const plan = planTrials({ itemCount: data.items.length, repeats: 1, providers: ['scripted'], selectors: ['random'], shots: [0, 2] });
    const records: TrialRecord[] = [];
    await executePlan(plan, ctx, { onRecord: (r) => records.push(r) });
    expect(records).toHaveLength(16);

    const byItem = (id: string) => records.filter((r) => r.itemId === id);
    const ids = data.items.map((i) => i.id);
    const at = (n: number) => ids.find((id) => id.endsWith(String(n)))!;
    expect(byItem(at(0)).every((r) => r.error?.kind === 'rate_limit' && r.output === null && r.score === 0)).toBe(true);
    expect(byItem(at(1)).every((r) => r.error?.kind === 'timeout')).toBe(true);
    expect(byItem(at(3)).every((r) => r.finishReason === 'length')).toBe(true);
    expect(byItem(at(4)).every((r) => !r.parseOk && r.error === null && /ROUTE/.test(r.parseError ?? ''))).toBe(true);

    const zero = summarizeCells(records).find((c) => c.k === 0)!;
    expect(zero.outcomes).toEqual({ answered: 3, provider_error: 2, empty: 1, truncated: 1, parse_failure: 1, refusal: 0, scorer_failure: 0 });
    expect(zero.providerErrorsByKind).toEqual({ rate_limit: 1, timeout: 1 });

    // Network providers see the settings and the messages; k = 2 prompts carry two solved shots.
    const twoShot = provider.seen.find((r) => r.messages.length === 6)!;
    expect(twoShot.temperature).toBe(0);
    expect(twoShot.messages.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'user', 'assistant', 'user']);
  });

  it('stops issuing calls when asked and marks the run partial, keeping what was done', async () => {
    const experiment = join(tmp, 'stop.yaml');
    writeFileSync(
      experiment,
      'name: stop\nseed: 1\ntask: { type: routes, poolSize: 4, evalItems: 10 }\nshots: [0, 1, 2]\nproviders: [local]\nconcurrency: 1\n',
    );
    let seen = 0;
    const result = await runSweep({
      experimentPath: experiment,
      outDir: join(tmp, 'results'),
      quiet: true,
      log: () => {},
      shouldStop: () => ++seen > 7,
    });
    expect(result.status).toBe('partial');
    expect(result.trials).toBe(7);
    const info = JSON.parse(readFileSync(join(result.runDir, 'run.json'), 'utf8'));
    expect(info).toMatchObject({ status: 'partial', plannedTrials: 30, completedTrials: 7 });
    expect(readFileSync(join(result.runDir, 'trials.jsonl'), 'utf8').trim().split('\n')).toHaveLength(7);
    const summary = JSON.parse(readFileSync(join(result.runDir, 'summary.json'), 'utf8'));
    expect(summary.status).toBe('partial');
    // Items are the outer loop: the 7 trials cover the first items in every cell, in order.
    expect(new Set(summary.cells.map((c: { k: number }) => c.k))).toEqual(new Set([0, 1, 2]));
  });
});
