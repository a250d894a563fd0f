// Single-flight (issue 17, "no call paid twice"): trials whose requests are identical and in flight at
// the same time make one call; every one of them records its answer (`shared: true` on all but the
// caller), the budget reserves and books the call once, and the saved calls are counted in run.json,
// summary.json, the progress lines and the CLI's final line. The real openai SDK against the fake
// server, which delays its replies so the requests overlap.

import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { costPerRequest } from '../src/config/prices.js';
import { main } from '../src/cli.js';
import { runSweep } from '../src/app/sweep-and-report.js';
import { Progress } from '../src/runner/progress.js';
import type { RunInfo } from '../src/records/run-info.js';
import type { RunSummary } from '../src/records/summary.js';
import type { TrialRecord } from '../src/records/trial.js';
import { fakeSleep, flavour, ROUTE_ANSWER, routesExperimentYaml, SENTINEL, trackServers } from './providers-helpers.js';
import type { FakeServer } from './servers/index.js';

const track = trackServers();
const tmp = mkdtempSync(join(tmpdir(), 'fewshot-single-flight-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

const ENV = { OPENAI_API_KEY: SENTINEL };
const ID = 'openai:gpt-4o-mini';
/** Per 1M tokens: output dominates, so a call's worst case is about maxOutputTokens x 0.001. */
const PRICE = { input: 1, output: 1000 };
const PRICES = `prices: { "${ID}": { input: ${PRICE.input}, output: ${PRICE.output} } }`;
/** What the server reports for every answer: each call costs exactly this. */
const USAGE = { tokensIn: 1000, tokensOut: 10 };
const CALL_COST = costPerRequest({ ...PRICE }, USAGE.tokensIn, USAGE.tokensOut);
/** 3 items x shots [0, 2] with selector `first`: six distinct requests at temperature 0. */
const ITEMS = 3;
const DISTINCT = ITEMS * 2;
const REPEATS = 3;

let counter = 0;
function experiment(providers: Record<string, unknown>[], extra: string): string {
  const path = join(tmp, `exp-${++counter}.yaml`);
  writeFileSync(path, routesExperimentYaml(`single-flight-${counter}`, providers, `selectors: [first]\n${extra}`));
  return path;
}

async function openaiServer(reply?: Parameters<FakeServer['script']>[0]): Promise<FakeServer> {
  const s = await track(flavour('openai').start());
  // 80 ms a reply: every trial of the plan starts while the first calls are still in flight.
  s.script(reply ?? (() => ({ kind: 'text', text: ROUTE_ANSWER, delayMs: 80, ...USAGE })));
  return s;
}

function readRun(runDir: string): { info: RunInfo; summary: RunSummary; trials: TrialRecord[] } {
  const info = JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8')) as RunInfo;
  const summary = JSON.parse(readFileSync(join(runDir, 'summary.json'), 'utf8')) as RunSummary;
  const trials = readFileSync(join(runDir, 'trials.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as TrialRecord);
  return { info, summary, trials };
}

function sweep(path: string, extra: Partial<Parameters<typeof runSweep>[0]> = {}) {
  return runSweep({
    experimentPath: path,
    outDir: join(tmp, 'out'),
    quiet: true,
    env: ENV,
    log: () => {},
    providerOptions: { sleep: fakeSleep().sleep },
    ...extra,
  });
}

/** What a request asks, without what the SDK adds per call: equal for identical requests. */
const asked = (s: FakeServer) => s.requests.map((r) => JSON.stringify(r.body));

describe('single-flight: identical requests in flight make one call', () => {
  it('temperature 0, `first` shots, 3 repeats, no cache: one call per distinct request; the budget reserves and books each call once; the CLI, run.json and summary.json count the shared trials', async () => {
    const s = await openaiServer();
    // A budget six calls' worst case fits (6 x ~0.1) and a seventh's does not: without single-flight
    // the 18 trials all starting at once would see 12 of them refused.
    const path = experiment(
      [{ id: ID, baseUrl: `${s.url}/v1`, temperature: 0, maxOutputTokens: 100, concurrency: 18 }],
      `repeats: ${REPEATS}\n${PRICES}\nbudget: 0.65`,
    );
    vi.stubEnv('OPENAI_API_KEY', SENTINEL);
    const out: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((l: unknown) => void out.push(String(l)));
    vi.spyOn(console, 'error').mockImplementation(() => {});
    const code = await main(['sweep', path, '--out', join(tmp, 'cli'), '--no-cache', '--quiet', '--force']);
    vi.mocked(console.log).mockRestore();
    expect(code).toBe(0);

    const trials = ITEMS * 2 * REPEATS;
    const shared = trials - DISTINCT;
    expect(s.requests).toHaveLength(DISTINCT);
    expect(new Set(asked(s)).size).toBe(DISTINCT);
    const final = out.find((l) => /new calls?, /.test(l));
    expect(final).toBe(`${DISTINCT} new calls, 0 from the cache, ${shared} shared with an identical call in flight`);

    const runDir = join(tmp, 'cli', readdirOne(join(tmp, 'cli')));
    const { info, summary, trials: records } = readRun(runDir);
    expect(records).toHaveLength(trials);
    expect(records.every((t) => t.error === null && t.parseOk && t.output === ROUTE_ANSWER)).toBe(true);
    const callers = records.filter((t) => !t.shared);
    const sharers = records.filter((t) => t.shared);
    expect(callers).toHaveLength(DISTINCT);
    expect(callers.every((t) => t.cached === false && !('shared' in t))).toBe(true);
    expect(sharers).toHaveLength(shared);
    expect(sharers.every((t) => t.shared === true && t.cached === true)).toBe(true);
    // Each shared trial holds the answer of the call made for its (item, k): same request id and usage.
    for (const t of sharers) {
      const caller = callers.find((c) => c.itemId === t.itemId && c.k === t.k)!;
      expect(t.requestId).toBe(caller.requestId);
      expect(t.promptHash).toBe(caller.promptHash);
      expect([t.tokensIn, t.tokensOut]).toEqual([USAGE.tokensIn, USAGE.tokensOut]);
    }
    expect(info.status).toBe('complete');
    expect(info.calls).toEqual({ new: DISTINCT, cached: 0, shared });
    expect(summary.totals.sharedTrials).toBe(shared);
    expect(summary.totals.trials).toBe(trials);
    // Charged once per call: the spend is six calls', and nothing was refused.
    expect(info.spend?.skippedTrials).toBe(0);
    expect(info.spend?.total).toBeCloseTo(DISTINCT * CALL_COST, 12);
    console.log(
      `single-flight (temperature 0, first, ${REPEATS} repeats, no cache): ${trials} trials, ${s.requests.length} requests to the server, ` +
        `${shared} shared; run.json calls ${JSON.stringify(info.calls)}; summary totals.sharedTrials ${summary.totals.sharedTrials}; ` +
        `spend ${info.spend?.total.toFixed(6)} = ${DISTINCT} x ${CALL_COST.toFixed(6)} (budget ${info.spend?.budget}, skipped ${info.spend?.skippedTrials}); final line: "${final}"`,
    );
  });

  it('with the cache on: the same one call per request (shared or cached), then a rerun makes none', async () => {
    const s = await openaiServer();
    const path = experiment([{ id: ID, baseUrl: `${s.url}/v1`, temperature: 0, concurrency: 18 }], `repeats: ${REPEATS}`);
    const cacheDir = join(tmp, 'cache-on');
    const first = await sweep(path, { cacheDir });
    expect(s.requests).toHaveLength(DISTINCT);
    const trials = ITEMS * 2 * REPEATS;
    // All 18 start together: every repeat joins its call in flight, none waits for the cache.
    expect(first.sharedCalls).toBe(trials - DISTINCT);
    expect(first.newCalls).toBe(DISTINCT);
    expect(first.cacheHits).toBe(0);
    const again = await sweep(path, { cacheDir });
    expect(s.requests).toHaveLength(DISTINCT);
    expect([again.newCalls, again.cacheHits, again.sharedCalls]).toEqual([0, trials, 0]);
    const { info, summary } = readRun(again.runDir);
    expect(info.calls).toEqual({ new: 0, cached: trials, shared: 0 });
    expect(summary.totals.sharedTrials).toBeUndefined();
    console.log(
      `single-flight with the cache: first run ${first.newCalls} new calls, ${first.sharedCalls} shared; rerun ${again.cacheHits} from the cache, ${s.requests.length - DISTINCT} requests`,
    );
  });

  it('a failing call: its trial records the error after its retries, those that joined it record the same error (shared), nothing is cached, and a rerun asks again', async () => {
    // Zero-shot requests (system + item: 2 messages) fail with a 500, on every attempt.
    let failing = true;
    const s = await openaiServer((req) =>
      failing && req.body.messages.length === 2 ? { kind: 'status', status: 500, delayMs: 40 } : { kind: 'text', text: ROUTE_ANSWER, delayMs: 80, ...USAGE },
    );
    const path = experiment([{ id: ID, baseUrl: `${s.url}/v1`, temperature: 0, concurrency: 18 }], `repeats: ${REPEATS}\n${PRICES}`);
    const cacheDir = join(tmp, 'cache-fail');
    const run = await sweep(path, { cacheDir });
    const { info, trials } = readRun(run.runDir);
    const zeroShot = trials.filter((t) => t.k === 0);
    const callers = zeroShot.filter((t) => !t.shared);
    const sharers = zeroShot.filter((t) => t.shared);
    expect(callers).toHaveLength(ITEMS);
    expect(sharers).toHaveLength(ITEMS * (REPEATS - 1));
    for (const t of zeroShot) expect(t.error?.kind).toBe('server');
    const attempts = callers[0]!.attempts!;
    expect(attempts).toBeGreaterThan(1); // retried, as any 500
    expect(callers.every((t) => t.attempts === attempts && t.cached === false)).toBe(true);
    for (const t of sharers) {
      const caller = callers.find((c) => c.itemId === t.itemId)!;
      expect(t).toMatchObject({ cached: true, shared: true, error: caller.error, attempts });
    }
    // One call per distinct request, with its retries: the zero-shot ones' attempts, and one each for k = 2.
    expect(s.requests).toHaveLength(ITEMS * attempts + ITEMS);
    expect(trials.filter((t) => t.k === 2).every((t) => t.error === null)).toBe(true);
    expect(info.calls).toEqual({ new: DISTINCT, cached: 0, shared: ITEMS * 2 * (REPEATS - 1) });
    // Failed calls cost nothing; the three answered ones are booked once each.
    expect(info.spend?.total).toBeCloseTo(ITEMS * CALL_COST, 12);

    // Nothing failed was cached: a rerun asks the three zero-shot requests again (once each), the rest comes from the cache.
    failing = false;
    const before = s.requests.length;
    const rerun = await sweep(path, { cacheDir });
    expect(s.requests.length - before).toBe(ITEMS);
    expect([rerun.newCalls, rerun.sharedCalls, rerun.cacheHits]).toEqual([ITEMS, ITEMS * (REPEATS - 1), ITEMS * REPEATS]);
    expect(readRun(rerun.runDir).trials.every((t) => t.error === null)).toBe(true);
    console.log(
      `single-flight, failing leader: ${ITEMS} zero-shot calls failed after ${attempts} attempts each, ${sharers.length} trials shared their error; ` +
        `server requests ${before}; rerun asked ${s.requests.length - before} again (${rerun.sharedCalls} shared, ${rerun.cacheHits} from the cache)`,
    );
  });

  it('sampling (temperature unset): repeats are separate draws and never merge, cache on or off', async () => {
    for (const cacheDir of [join(tmp, 'cache-sampling'), undefined]) {
      const s = await openaiServer();
      const path = experiment([{ id: ID, baseUrl: `${s.url}/v1`, concurrency: 18 }], `repeats: ${REPEATS}`);
      const run = await sweep(path, cacheDir ? { cacheDir } : {});
      expect(s.requests).toHaveLength(ITEMS * 2 * REPEATS);
      expect(run.sharedCalls).toBe(0);
      const { trials, summary } = readRun(run.runDir);
      expect(trials.some((t) => t.shared)).toBe(false);
      expect(summary.totals.sharedTrials).toBeUndefined();
    }
  });

  it('two labelled entries of one model and settings: one call per request, booked to the entry that made it', async () => {
    const s = await openaiServer();
    const entry = { id: ID, baseUrl: `${s.url}/v1`, temperature: 0, concurrency: 6 };
    const path = experiment(
      [
        { ...entry, label: 'first-entry' },
        { ...entry, label: 'second-entry' },
      ],
      PRICES,
    );
    const run = await sweep(path);
    expect(s.requests).toHaveLength(DISTINCT);
    const { info, trials } = readRun(run.runDir);
    expect(trials).toHaveLength(2 * DISTINCT);
    expect(trials.every((t) => t.error === null && t.output === ROUTE_ANSWER)).toBe(true);
    // The first entry's workers start first and make every call; the second's trials all join them.
    expect(trials.filter((t) => t.provider === 'first-entry').every((t) => !t.shared)).toBe(true);
    expect(trials.filter((t) => t.provider === 'second-entry').every((t) => t.shared === true)).toBe(true);
    expect(info.calls).toEqual({ new: DISTINCT, cached: 0, shared: DISTINCT });
    expect(info.spend?.total).toBeCloseTo(DISTINCT * CALL_COST, 12);
    expect(info.spend?.byProvider['second-entry'] ?? 0).toBe(0);
    console.log(`single-flight, two labels of one model: ${trials.length} trials, ${s.requests.length} requests, ${info.calls?.shared} shared`);
  });
});

describe('single-flight in the progress lines', () => {
  it('counts shared trials apart from cache hits, shown once there are any', () => {
    const progress = new Progress({ providers: [{ id: ID, total: 4 }], stream: process.stderr, quiet: true, now: () => 0 });
    const trial = { provider: ID, error: null, parseOk: true } as TrialRecord;
    progress.record({ ...trial, cached: false });
    progress.record({ ...trial, cached: true });
    progress.record({ ...trial, cached: true, shared: true });
    progress.record({ ...trial, cached: true, shared: true });
    const [line] = progress.finish();
    expect(line).toMatch(/cache hits 1 {2}shared 2 {2}in /);
    const none = new Progress({ providers: [{ id: ID, total: 1 }], stream: process.stderr, quiet: true, now: () => 0 });
    none.record({ ...trial, cached: false });
    expect(none.finish()[0]).not.toContain('shared');
    console.log(`progress summary line: ${line}`);
  });
});

function readdirOne(dir: string): string {
  const names = readdirSync(dir);
  expect(names).toHaveLength(1);
  return names[0]!;
}
