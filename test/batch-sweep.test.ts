// Sweeps through the providers' batch engines, end to end (issue 18): the real SDKs against the fake
// batch servers on 127.0.0.1 (test/servers/*-batch.ts). A sweep by batch gives the trials a synchronous
// sweep gives (up to latency, request ids and the job id); a sweep split into several jobs, SIGKILLed
// after submitting, and run again submits nothing twice and collects everything; expired requests are
// retried as --batch-retry says; the spend is booked at the batch price. The killed attempt is the
// built CLI (dist/bin.js: `npm run build` first).

import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { runSweep, type SweepOptions } from '../src/app/sweep-and-report.js';
import { costPerRequest, resolvePrice } from '../src/config/prices.js';
import { readRunInfo } from '../src/records/run-info.js';
import { readSummary } from '../src/records/summary.js';
import type { TrialRecord } from '../src/records/trial.js';
import { BATCH_LOG_FILE, readJobs } from '../src/runner/batch/job-log.js';
import { main } from '../src/cli.js';
import { ROUTE_ANSWER, routesExperimentYaml, SENTINEL, trackServers } from './providers-helpers.js';
import type { BatchOptions } from './servers/batch-core.js';
import type { FakeServer } from './servers/index.js';
import { startAnthropicServer, startGeminiServer, startOpenAIServer } from './servers/index.js';

const track = trackServers();
const tmp = mkdtempSync(join(tmpdir(), 'fewshot-batch-sweep-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const BIN = join(import.meta.dirname, '..', 'dist', 'bin.js');
const ENV = { OPENAI_API_KEY: SENTINEL, ANTHROPIC_API_KEY: SENTINEL, GEMINI_API_KEY: SENTINEL };
const ITEMS = 6;
const POLL = { firstMs: 10, maxMs: 40 };

interface Kind {
  name: 'openai' | 'anthropic' | 'gemini';
  id: string;
  start(batch: BatchOptions): Promise<FakeServer>;
  baseUrl(s: FakeServer): string;
}

const KINDS: Kind[] = [
  { name: 'openai', id: 'openai:gpt-4o-mini', start: (batch) => startOpenAIServer({ batch }), baseUrl: (s) => `${s.url}/v1` },
  { name: 'anthropic', id: 'anthropic:claude-haiku-4-5', start: (batch) => startAnthropicServer({ batch }), baseUrl: (s) => s.url },
  { name: 'gemini', id: 'google:gemini-2.5-flash', start: (batch) => startGeminiServer({ batch }), baseUrl: (s) => s.url },
];

let counter = 0;
/** A routes experiment of ITEMS items x shots [0, 2] against one provider; `name` fixed so reruns are the same run. */
function experiment(name: string, kind: Kind, s: FakeServer, extra = ''): string {
  const dir = join(tmp, `exp-${++counter}`);
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'exp.yaml');
  const provider = { id: kind.id, baseUrl: kind.baseUrl(s), temperature: 0, maxOutputTokens: 64 };
  writeFileSync(path, routesExperimentYaml(name, [provider], extra, { evalItems: ITEMS }));
  return path;
}

/** Answers as a model would: the same request, the same answer, with token counts that differ by request. */
function answering(s: FakeServer): FakeServer {
  s.script((req) => {
    const size = JSON.stringify(req.body).length;
    return { kind: 'text', text: ROUTE_ANSWER, tokensIn: 100 + (size % 50), tokensOut: 20 + (size % 7) };
  });
  return s;
}

async function sweep(path: string, outDir: string, extra: Partial<SweepOptions> = {}) {
  const lines: string[] = [];
  const result = await runSweep({ experimentPath: path, outDir, quiet: true, env: ENV, log: (l) => lines.push(l), batchPoll: POLL, ...extra });
  return { result, lines, trials: trialsOf(result.runDir), info: readRunInfo(join(result.runDir, 'run.json')) };
}

function trialsOf(runDir: string): TrialRecord[] {
  const path = join(runDir, 'trials.jsonl');
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as TrialRecord);
}

/** `fewshot <args>` in this process, with the provider's key set for it: its exit code and the lines it printed. */
async function command(args: string[], keyVariable: string): Promise<{ code: number; out: string[] }> {
  const out: string[] = [];
  const spy = vi.spyOn(console, 'log').mockImplementation((line: string) => void out.push(line));
  const before = process.env[keyVariable];
  process.env[keyVariable] = SENTINEL;
  try {
    return { code: await main(args), out };
  } finally {
    spy.mockRestore();
    if (before === undefined) delete process.env[keyVariable];
    else process.env[keyVariable] = before;
  }
}

/** A trial as both paths must agree on it: without the run, the latency, the request id and the job. */
function comparable(t: TrialRecord) {
  const { runId: _r, latencyMs: _l, requestId: _q, batch: _b, ...rest } = t;
  return rest;
}

const order = (a: TrialRecord, b: TrialRecord) => `${a.selector}/${a.k}/${a.itemId}/${a.repeat}`.localeCompare(`${b.selector}/${b.k}/${b.itemId}/${b.repeat}`);

const chatCalls = (s: FakeServer) => s.requests.filter((r) => /chat\/completions$|\/messages$|:generateContent$/.test(r.path.split('?')[0]!)).length;
const requestsInJobs = (s: FakeServer) => s.batch!.jobs.reduce((n, j) => n + j.requests.length, 0);

describe.each(KINDS)('sweep --batch through $name', (kind) => {
  it('gives the trials a synchronous sweep gives, from jobs within --batch-job-size, at the batch price', async () => {
    const syncServer = answering(await track(kind.start({})));
    const batchServer = answering(await track(kind.start({ runningMs: 30 })));
    const sync = await sweep(experiment(`same-${kind.name}`, kind, syncServer), join(tmp, `same-sync-${kind.name}`));
    const batched = await sweep(experiment(`same-${kind.name}`, kind, batchServer), join(tmp, `same-batch-${kind.name}`), { batch: true, batchJobSize: 5 });

    expect(sync.result.status).toBe('complete');
    expect(batched.result.status).toBe('complete');
    expect(batched.result.batch).toBe('collected');
    expect(batched.trials).toHaveLength(2 * ITEMS);
    // Every request went by batch: three jobs of at most 5, none synchronously.
    expect(chatCalls(batchServer)).toBe(0);
    expect(batchServer.batch!.jobs.map((j) => j.requests.length)).toEqual([5, 5, 2]);
    expect(batched.trials.every((t) => t.batch !== undefined && batchServer.batch!.jobs.some((j) => t.batch!.endsWith(j.id)) && t.latencyMs === 0)).toBe(true);
    expect([...batched.trials].sort(order).map(comparable)).toEqual([...sync.trials].sort(order).map(comparable));

    // Booked at the batch price (half, from the table), apart in the spend record; the advice shows both prices.
    const price = resolvePrice(kind.id)!;
    const expected = batched.trials.reduce((sum, t) => sum + costPerRequest(price.batch, t.tokensIn, t.tokensOut, t.cachedTokens), 0);
    expect(batched.info.spend!.batch).toEqual({ total: expect.closeTo(expected, 10), byProvider: { [kind.id]: expect.closeTo(expected, 10) }, requests: 12 });
    expect(batched.info.spend!.total).toBeCloseTo(expected, 10);
    expect(sync.info.spend!.total).toBeCloseTo(2 * expected, 10);
    const advice = readSummary(join(batched.result.runDir, 'summary.json')).advice[0]!;
    expect(advice.batchCostPer1k!.recommended).toBeCloseTo(advice.costPer1k!.recommended! / 2, 10);
    console.log(
      `batch ${kind.name}: ${batched.trials.length} trials from ${batchServer.batch!.jobs.length} jobs (${batchServer.batch!.jobs.map((j) => j.requests.length).join(' + ')} requests), 0 synchronous calls; spent ${batched.info.spend!.total.toFixed(6)} USD vs ${sync.info.spend!.total.toFixed(6)} synchronously`,
    );
  });

  it('expired requests are asked again one by one (sync), in a follow-up batch (batch), or recorded as expired (none)', async () => {
    const expire: BatchOptions['expire'] = (job, i) => job === 0 && i < 2;
    const outcomes: Record<string, { trials: TrialRecord[]; s: FakeServer }> = {};
    for (const retry of ['sync', 'batch', 'none'] as const) {
      const s = answering(await track(kind.start({ runningMs: 10, expire })));
      const { trials } = await sweep(experiment(`expire-${retry}-${kind.name}`, kind, s), join(tmp, `expire-${retry}-${kind.name}`), {
        batch: true,
        batchRetry: retry,
      });
      outcomes[retry] = { trials, s };
    }
    const { sync, batch, none } = outcomes as Record<'sync' | 'batch' | 'none', { trials: TrialRecord[]; s: FakeServer }>;
    expect(chatCalls(sync.s)).toBe(2);
    expect(sync.trials.filter((t) => t.batch === undefined && t.error === null)).toHaveLength(2);
    expect(batch.s.batch!.jobs.map((j) => j.requests.length)).toEqual([12, 2]);
    expect(chatCalls(batch.s)).toBe(0);
    expect(batch.trials.every((t) => t.error === null && t.batch !== undefined)).toBe(true);
    expect(none.trials.filter((t) => t.error?.kind === 'expired')).toHaveLength(2);
    expect(chatCalls(none.s)).toBe(0);
    for (const { trials } of Object.values(outcomes)) expect(trials).toHaveLength(2 * ITEMS);
  });
});

describe('a batch sweep killed after submitting, then run again', () => {
  it('SIGKILL after the jobs are submitted: the rerun submits nothing twice and collects every job', async () => {
    const kind = KINDS[0]!;
    const s = answering(await track(kind.start({ runningMs: 1500 })));
    const path = experiment('killed', kind, s);
    const outDir = join(tmp, 'killed');
    const child = spawn(
      process.execPath,
      [BIN, 'sweep', path, '--batch', '--batch-job-size', '4', '--batch-poll', '0.05', '--quiet', '--no-cache', '--out', outDir],
      {
        env: { ...process.env, ...ENV },
        stdio: 'ignore',
      },
    );
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code, signal) => resolve(signal === 'SIGKILL' ? -9 : code)));
    // Killed once all three jobs are on the server and in the results folder, while they still run.
    for (let i = 0; i < 400 && s.batch!.jobs.length < 3; i++) await new Promise((r) => setTimeout(r, 10));
    expect(s.batch!.jobs).toHaveLength(3);
    const logs = () => (existsSync(outDir) ? readFileSync(join(outDir, readdirOne(outDir), BATCH_LOG_FILE), 'utf8') : '');
    for (let i = 0; i < 200 && (logs().match(/"submitted"/g) ?? []).length < 3; i++) await new Promise((r) => setTimeout(r, 10));
    child.kill('SIGKILL');
    expect(await exited).toBe(-9);
    const first = readdirOne(outDir);
    expect(readJobs(join(outDir, first))).toHaveLength(3);
    expect(trialsOf(join(outDir, first))).toHaveLength(0);

    const again = await sweep(path, outDir, { batch: true, batchJobSize: 4 });
    expect(again.lines).toContain('batch: 3 jobs submitted by earlier attempts of this run: waited for or collected, not submitted again');
    expect(s.batch!.jobs).toHaveLength(3);
    expect(requestsInJobs(s)).toBe(2 * ITEMS);
    expect(s.batchAnswered).toHaveLength(2 * ITEMS);
    expect(chatCalls(s)).toBe(0);
    expect(again.result.status).toBe('complete');
    expect(again.trials).toHaveLength(2 * ITEMS);
    expect(again.trials.every((t) => t.error === null && t.batch !== undefined)).toBe(true);
    // The killed attempt reserved the jobs at their worst case: the rerun carries that, and books nothing again.
    expect(again.info.spend!.earlierAttempts!.total).toBeGreaterThan(0);
    expect(again.info.spend!.batch).toBeUndefined();
    console.log(
      `batch killed and resumed: ${s.batch!.jobs.length} jobs (${s.batch!.jobs.map((j) => j.requests.length).join(' + ')} requests) submitted once; the server answered ${s.batchAnswered.length} batch requests and ${chatCalls(s)} synchronous calls; the rerun recorded ${again.trials.length} trials`,
    );
  });

  it('--detach submits and returns; `fewshot batch status` shows the jobs; the rerun collects them', async () => {
    const kind = KINDS[1]!;
    const s = answering(await track(kind.start({ runningMs: 200 })));
    const path = experiment('detached', kind, s);
    const outDir = join(tmp, 'detached');
    const detached = await sweep(path, outDir, { batch: true, detach: true });
    expect(detached.result.batch).toBe('detached');
    expect(detached.result.status).toBe('partial');
    expect(detached.trials).toHaveLength(0);
    expect(detached.lines.some((l) => l.includes('fewshot batch collect'))).toBe(true);
    expect(s.batch!.jobs).toHaveLength(1);

    const status = await command(['batch', 'status', detached.result.runDir], 'ANTHROPIC_API_KEY');
    expect(status.code).toBe(0);
    const out = status.out;
    expect(out.join('\n')).toMatch(new RegExp(`${kind.id}\\s+${s.batch!.jobs[0]!.id}\\s+(running|ended)`));
    expect(out.join('\n')).not.toContain(SENTINEL);

    const collected = await sweep(path, outDir, { batch: true });
    expect(s.batch!.jobs).toHaveLength(1);
    expect(collected.result.status).toBe('complete');
    expect(collected.trials).toHaveLength(2 * ITEMS);
  });
});

/** The first run folder under `dir` (by name: the earliest). */
function readdirOne(dir: string): string {
  return readdirSync(dir).sort()[0]!;
}

describe('the flagship by batch', () => {
  it('`fewshot sweep experiments/routes.yaml --batch` against the three batch servers: every model call goes by batch, local runs as usual', async () => {
    const servers = {
      openai: answering(await track(startOpenAIServer({ batch: { runningMs: 20 } }))),
      anthropic: answering(await track(startAnthropicServer({ batch: { runningMs: 20 } }))),
      gemini: answering(await track(startGeminiServer({ batch: { runningMs: 20 } }))),
    };
    const env = {
      ...ENV,
      OPENAI_BASE_URL: `${servers.openai.url}/v1`,
      ANTHROPIC_BASE_URL: servers.anthropic.url,
      GOOGLE_GEMINI_BASE_URL: servers.gemini.url,
    };
    const flagship = join(import.meta.dirname, '..', 'experiments', 'routes.yaml');
    const lines: string[] = [];
    const result = await runSweep({
      experimentPath: flagship,
      outDir: join(tmp, 'flagship'),
      quiet: true,
      env,
      log: (l) => lines.push(l),
      batch: true,
      batchPoll: POLL,
    });
    expect(result.status).toBe('complete');
    const trials = trialsOf(result.runDir);
    const info = readRunInfo(join(result.runDir, 'run.json'));
    expect(trials).toHaveLength(info.plannedTrials);
    const byProvider = (id: string) => trials.filter((t) => t.provider === id);
    for (const s of Object.values(servers)) {
      expect(chatCalls(s)).toBe(0);
      expect(s.batch!.jobs.length).toBeGreaterThan(0);
      expect(s.batchAnswered).toHaveLength(requestsInJobs(s));
    }
    for (const id of ['openai:gpt-4o-mini', 'anthropic:claude-haiku-4-5', 'google:gemini-2.5-flash']) {
      expect(byProvider(id).every((t) => t.batch !== undefined && t.error === null)).toBe(true);
    }
    expect(byProvider('local').every((t) => t.batch === undefined)).toBe(true);
    console.log(
      `flagship by batch: ${trials.length} trials; ` +
        Object.entries(servers)
          .map(([name, s]) => `${name} ${s.batch!.jobs.length} job(s), ${requestsInJobs(s)} requests`)
          .join('; ') +
        `; 0 synchronous model calls; batch spend ${info.spend!.batch!.total.toFixed(4)} USD`,
    );
  });
});

describe('batch with adaptive sampling and a budget', () => {
  it('each adaptive look is one batch per provider, submitted, collected and analysed before the next', async () => {
    const kind = KINDS[0]!;
    const s = answering(await track(kind.start({ runningMs: 10 })));
    const path = experiment('adaptive-batch', kind, s, 'sampling: { mode: adaptive, firstLook: 2, step: 2 }');
    const { result, info, trials } = await sweep(path, join(tmp, 'adaptive-batch'), { batch: true });
    expect(result.status).toBe('complete');
    const looks = info.sampling!.completedLooks!;
    expect(s.batch!.jobs).toHaveLength(looks);
    // A look's job carries that look's items only: 2 items x 2 cells.
    expect(s.batch!.jobs.every((j) => j.requests.length <= 4)).toBe(true);
    expect(trials).toHaveLength(requestsInJobs(s));
  });

  it('the budget reserves a whole job at its worst case at the batch price before submitting it; a job that does not fit is not sent', async () => {
    const kind = KINDS[0]!;
    const s = answering(await track(kind.start({ runningMs: 10 })));
    // Room for about one job of 4 requests at its worst case, not two.
    const path = experiment('budget-batch', kind, s, 'budget: 0.0004');
    const { result, info, trials, lines } = await sweep(path, join(tmp, 'budget-batch'), { batch: true, batchJobSize: 4, force: true });
    expect(result.status).toBe('partial');
    const sent = requestsInJobs(s);
    expect(sent).toBeLessThan(2 * ITEMS);
    expect(chatCalls(s)).toBe(0);
    expect(lines.some((l) => /a job of \d+ requests would cross the budget; not submitted/.test(l))).toBe(true);
    expect(info.spend!.total).toBeLessThanOrEqual(0.0004);
    expect(sent).toBeGreaterThan(0);
    expect(trials).toHaveLength(sent);
    expect(info.spend!.skippedTrials).toBe(2 * ITEMS - sent);
  });
});

describe('stopping while batch jobs run', () => {
  it('Ctrl-C while waiting leaves the jobs running, says how to collect or cancel them, and `fewshot batch cancel` cancels them', async () => {
    const kind = KINDS[2]!;
    const s = answering(await track(kind.start({ runningMs: 30_000 })));
    const path = experiment('stopped', kind, s);
    const outDir = join(tmp, 'stopped');
    const started = Date.now();
    const stopped = await sweep(path, outDir, { batch: true, shouldStop: () => (s.batch?.jobs.length ?? 0) > 0 });
    expect(Date.now() - started).toBeLessThan(20_000); // the job runs 30 s: the sweep stopped waiting for it
    expect(stopped.result.batch).toBe('stopped');
    expect(stopped.result.status).toBe('partial');
    expect(stopped.lines.some((l) => l.includes(`fewshot batch collect`) && l.includes('fewshot batch cancel'))).toBe(true);
    expect(s.batch!.jobs).toHaveLength(1);

    const cancelled = await command(['batch', 'cancel', stopped.result.runDir], 'GEMINI_API_KEY');
    expect(cancelled.code).toBe(0);
    const out = cancelled.out;
    expect(s.batch!.jobs[0]!.cancelledAt).not.toBeNull();
    expect(out[0]).toMatch(/google:gemini-2\.5-flash\s+batches\/\S+\s+(cancelling|cancelled)/);
    // The rerun collects the cancelled job: its requests come back cancelled and are asked one by one (--batch-retry sync).
    const again = await sweep(path, outDir, { batch: true });
    expect(again.result.status).toBe('complete');
    expect(s.batch!.jobs).toHaveLength(1);
    expect(chatCalls(s)).toBe(2 * ITEMS);
    expect(again.trials.every((t) => t.error === null && t.batch === undefined)).toBe(true);
  });
});
