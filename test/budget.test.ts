// The spending cap (`budget:`): the estimate is checked before the first call (refused without
// --force), and during the run no call starts that could cross the budget. Offline, against the
// fake OpenAI server.

import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { costPerRequest } from '../src/config/prices.js';
import { main } from '../src/cli.js';
import { BudgetError, BudgetTracker } from '../src/runner/budget.js';
import { estimateSweep } from '../src/runner/estimate.js';
import { runSweep } from '../src/app/sweep-and-report.js';
import { prepareSweep } from '../src/runner/prepare.js';
import type { TrialRecord } from '../src/records/trial.js';
import { fakeSleep, flavour, ROUTE_ANSWER, routesExperimentYaml, SENTINEL, trackServers } from './providers-helpers.js';
import type { FakeServer } from './servers/index.js';

const track = trackServers();
const tmp = mkdtempSync(join(tmpdir(), 'fewshot-budget-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

const ENV = { OPENAI_API_KEY: SENTINEL };
const ID = 'openai:gpt-4o-mini';
/** 1 000 per 1M tokens: a thousandth a token, so a few calls cost whole units. */
const PRICE = { input: 1000, output: 1000 };
const PRICES = `prices: { "${ID}": { input: ${PRICE.input}, output: ${PRICE.output} } }`;
/** 3 items x shots [0, 2] with one provider. */
const TRIALS = 6;

let counter = 0;
function experiment(providers: Record<string, unknown>[], extra: string): string {
  const path = join(tmp, `exp-${++counter}.yaml`);
  writeFileSync(path, routesExperimentYaml(`budget-${counter}`, providers, extra));
  return path;
}

async function openaiServer(): Promise<FakeServer> {
  const s = await track(flavour('openai').start());
  s.script(() => ({ kind: 'text', text: ROUTE_ANSWER, delayMs: 2 }));
  return s;
}

function openaiEntry(s: FakeServer) {
  return { id: ID, baseUrl: `${s.url}/v1`, maxOutputTokens: 50 };
}

function sweep(path: string, extra: Partial<Parameters<typeof runSweep>[0]> = {}) {
  const lines: string[] = [];
  const run = runSweep({
    experimentPath: path,
    outDir: join(tmp, 'out'),
    quiet: true,
    env: ENV,
    log: (l) => lines.push(l),
    providerOptions: { sleep: fakeSleep().sleep },
    ...extra,
  });
  return { run, lines };
}

function readRun(runDir: string) {
  const info = JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8'));
  const trials = readFileSync(join(runDir, 'trials.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as TrialRecord);
  return { info, trials };
}

/** The summed upper bound the sweep checks before starting. */
function upperBound(path: string): number {
  return estimateSweep(prepareSweep(path, ENV)).reduce((n, e) => n + (e.cost?.upToWithOutput ?? 0), 0);
}

describe('budget: the estimate before the first call', () => {
  it('an estimate over the budget refuses to start (no call, no results folder) unless --force', async () => {
    const s = await openaiServer();
    const path = experiment([openaiEntry(s)], `${PRICES}\nbudget: 0.5`);
    const outDir = join(tmp, 'refused');
    const refused = runSweep({ experimentPath: path, outDir, quiet: true, env: ENV, log: () => {}, providerOptions: { sleep: fakeSleep().sleep } });
    await expect(refused).rejects.toBeInstanceOf(BudgetError);
    await expect(refused).rejects.toThrow(/exceeds the budget of 0\.5000 USD/);
    expect(s.requests).toHaveLength(0);
    expect(existsSync(outDir)).toBe(false);

    const { run } = sweep(path, { force: true });
    const result = await run;
    expect(s.requests.length).toBeGreaterThan(0);
    const { info } = readRun(result.runDir);
    expect(info.spend.total).toBeLessThanOrEqual(0.5);
    expect(info.spend.budget).toBe(0.5);
  });

  it('an estimate within the budget runs every trial and records the spend', async () => {
    const s = await openaiServer();
    const path = experiment([openaiEntry(s)], `${PRICES}\nbudget: 1000`);
    const { run } = sweep(path);
    const result = await run;
    expect(result.status).toBe('complete');
    expect(result.trials).toBe(TRIALS);
    const { info, trials } = readRun(result.runDir);
    const real = trials.reduce((n, t) => n + costPerRequest(PRICE, t.tokensIn, t.tokensOut, t.cachedTokens), 0);
    expect(info.spend).toMatchObject({ budget: 1000, currency: 'USD', skippedTrials: 0 });
    expect(info.spend.total).toBeCloseTo(real, 10);
    expect(info.spend.byProvider[ID]).toBeCloseTo(real, 10);
    expect(info.spend.total).toBeLessThanOrEqual(upperBound(path));
  });

  it('a provider without a price refuses to start, naming it and prices:, unless --force', async () => {
    const s = await track(flavour('openai-compatible').start());
    s.script(() => ({ kind: 'text', text: ROUTE_ANSWER }));
    const path = experiment([{ id: 'openai-compatible:llama3', baseUrl: `${s.url}/v1` }], 'budget: 5');
    await expect(sweep(path).run).rejects.toThrow(/no price for openai-compatible:llama3; add one under prices:/);
    expect(s.requests).toHaveLength(0);
    const result = await sweep(path, { force: true }).run;
    expect(result.status).toBe('complete');
    expect(readRun(result.runDir).info.spend).toMatchObject({ total: 0, skippedTrials: 0, budget: 5 });
  });

  it('the CLI maps a refusal to exit 2', async () => {
    const errors: string[] = [];
    vi.spyOn(console, 'error').mockImplementation((l: string) => void errors.push(String(l)));
    vi.spyOn(console, 'log').mockImplementation(() => {});
    // No key needed, and nothing is called: refused before the first call.
    const unpriced = experiment([{ id: 'openai-compatible:llama3', baseUrl: 'http://127.0.0.1:9/v1' }], 'budget: 5');
    expect(await main(['sweep', unpriced, '--out', join(tmp, 'cli'), '--no-cache', '--quiet'])).toBe(2);
    expect(errors.join('\n')).toMatch(/not started: .*no price for openai-compatible:llama3/);
    const over = experiment(
      [{ id: 'openai-compatible:llama3', baseUrl: 'http://127.0.0.1:9/v1', maxOutputTokens: 50 }],
      `prices: { "openai-compatible:llama3": { input: 1000, output: 1000 } }\nbudget: 0.01`,
    );
    expect(await main(['sweep', over, '--out', join(tmp, 'cli'), '--no-cache', '--quiet'])).toBe(2);
    expect(errors.join('\n')).toMatch(/exceeds the budget/);
    expect(existsSync(join(tmp, 'cli'))).toBe(false);
  });
});

describe('budget: during the run', () => {
  it.each([0.3, 0.5, 0.8])(
    'with a budget of %s of the estimate, calls stop before crossing it; the skipped trials are counted and the run is partial',
    async (fraction) => {
      const s = await openaiServer();
      const probe = experiment([openaiEntry(s)], PRICES);
      const budget = Math.round(upperBound(probe) * fraction * 1e6) / 1e6;
      const path = experiment([openaiEntry(s)], `${PRICES}\nbudget: ${budget}`);
      const { run, lines } = sweep(path, { force: true });
      const result = await run;
      const { info, trials } = readRun(result.runDir);
      const real = trials.reduce((n, t) => n + costPerRequest(PRICE, t.tokensIn, t.tokensOut, t.cachedTokens), 0);
      expect(real).toBeLessThanOrEqual(budget);
      expect(info.spend.total).toBeCloseTo(real, 10);
      expect(info.spend.total).toBeLessThanOrEqual(budget);
      expect(info.spend.skippedTrials).toBeGreaterThan(0);
      expect(trials.length).toBeGreaterThan(0);
      expect(trials.length + info.spend.skippedTrials).toBe(TRIALS);
      expect(s.requests).toHaveLength(trials.length);
      expect(result.status).toBe('partial');
      expect(info.status).toBe('partial');
      const notice = `budget reached: ${info.spend.skippedTrials} trials not run (${ID}: ${info.spend.skippedTrials})`;
      expect(info.notices.some((n: string) => n.startsWith(notice))).toBe(true);
      expect(lines.some((l) => l.startsWith(notice))).toBe(true);
      // Which cells are incomplete, each with its count; the counts add up to the skipped trials.
      const cells = info.notices.find((n: string) => n.startsWith('cells incomplete because of the budget: '));
      const counts = [...String(cells).matchAll(/: (\d+) of \d+ trials not run/g)].map((m) => Number(m[1]));
      expect(counts.reduce((a, b) => a + b, 0)).toBe(info.spend.skippedTrials);
      expect(cells).toMatch(new RegExp(`${ID} / (none|random) / k=\\d+: \\d+ of \\d+ trials not run`));
    },
  );

  it('cache hits cost nothing: a rerun from the cache completes under a budget no call would fit', async () => {
    const s = await openaiServer();
    const cacheDir = join(tmp, 'cache');
    const first = await sweep(experiment([openaiEntry(s)], `${PRICES}\nbudget: 1000`), { cacheDir }).run;
    expect(first.status).toBe('complete');
    const calls = s.requests.length;
    const again = await sweep(experiment([openaiEntry(s)], `${PRICES}\nbudget: 0.000001`), { cacheDir, force: true }).run;
    expect(again.status).toBe('complete');
    expect(again.cacheHits).toBe(TRIALS);
    expect(s.requests).toHaveLength(calls);
    expect(readRun(again.runDir).info.spend).toMatchObject({ total: 0, skippedTrials: 0 });
  });

  it('the local provider costs nothing and is never skipped', async () => {
    const result = await sweep(experiment([{ id: 'local' }], 'budget: 0.000001')).run;
    expect(result.status).toBe('complete');
    expect(readRun(result.runDir).info.spend).toMatchObject({ total: 0, skippedTrials: 0, byProvider: {} });
  });
});

describe('BudgetTracker', () => {
  it('reserves the worst case, releases it for the real cost, and refuses a call that could cross', () => {
    const t = new BudgetTracker(1, [ID], { [ID]: PRICE });
    const a = t.reserve(ID, 300, 100); // 0.4
    expect(a).toBeCloseTo(0.4);
    expect(t.reserve(ID, 300, 100)).toBeCloseTo(0.4); // 0.8 reserved
    expect(t.reserve(ID, 300, 100)).toBeNull(); // 1.2 > 1
    t.settle(ID, a!, 100, 0, 0); // spent 0.1, reserved 0.4
    expect(t.reserve(ID, 300, 100)).toBeCloseTo(0.4); // 0.9
    expect(t.reserve(ID, 0, null)).toBeNull(); // unknown max: 4096 tokens
    expect(t.record()).toMatchObject({ budget: 1, currency: 'USD', skippedTrials: 2 });
    expect(t.record().total).toBeCloseTo(0.1);
  });

  it("a judge's calls share the cap at the judge's price; their cost is booked by judge, a refusal against the judged provider's trials", () => {
    const JUDGE = 'openai:gpt-4o';
    const t = new BudgetTracker(1, ['local', ID], { [ID]: PRICE, [JUDGE]: { input: 2000, output: 2000 } }, [JUDGE]);
    expect(t.record().byJudge).toEqual({ [JUDGE]: 0 });
    const a = t.reserve('local', 100, 100, JUDGE); // 0.4 at the judge's price, though `local` is free
    expect(a).toBeCloseTo(0.4);
    t.settle('local', a!, 100, 50, 0, JUDGE); // 0.3
    expect(t.spentByJudge(JUDGE)).toBeCloseTo(0.3);
    expect(t.spentBy(ID)).toBe(0);
    expect(t.reserve(ID, 300, 100, JUDGE)).toBeNull(); // 0.3 + 0.8 > 1
    expect(t.notice()).toMatch(/^budget reached: 1 trials not run \(openai:gpt-4o-mini: 1\)/);
    const record = t.record();
    expect(record.total).toBeCloseTo(0.3);
    expect(record.byProvider).toEqual({ [ID]: 0 });
    expect(record.byJudge![JUDGE]).toBeCloseTo(0.3);
    // Without a judge, run.json's spend has no byJudge (as in older runs).
    expect(new BudgetTracker(1, [ID], null).record()).not.toHaveProperty('byJudge');
  });
});
