// The runner over real SDKs and fake servers: per-provider concurrency (executePlan), and runSweep end
// to end, offline, for all four provider kinds: retries recorded, a bad key stops one provider only,
// and the key never lands in a results file or a log line.

import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { executePlan, type ExecuteContext } from '../src/runner/execute.js';
import { planTrials } from '../src/runner/plan.js';
import { runSweep } from '../src/app/sweep-and-report.js';
import type { TrialRecord } from '../src/records/trial.js';
import { plainArms } from '../src/selectors/arms.js';
import { getSelector } from '../src/selectors/index.js';
import {
  expectKeyOnlyInAuthHeader,
  fakeSleep,
  flavour,
  FLAVOURS,
  resolveAt,
  ROUTE_ANSWER,
  routesExperimentYaml,
  routesTask,
  SENTINEL,
  trackServers,
} from './providers-helpers.js';
import type { FakeServer } from './servers/index.js';

const track = trackServers();
const tmp = mkdtempSync(join(tmpdir(), 'fewshot-providers-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

function readTrials(runDir: string): TrialRecord[] {
  return readFileSync(join(runDir, 'trials.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as TrialRecord);
}

describe.each(FLAVOURS)('$name: concurrency', (f) => {
  it('executePlan keeps at most `concurrency` (3) calls in flight, and does overlap them', async () => {
    const s = await track(f.start());
    s.script(() => ({ kind: 'text', text: ROUTE_ANSWER, delayMs: 50 }));
    const data = routesTask.load();
    const ctx: ExecuteContext = {
      runId: 'r',
      experimentSeed: 3,
      task: routesTask,
      pool: data.pool,
      items: data.items,
      providers: new Map([[f.id, { provider: resolveAt(f, s), concurrency: 3 }]]),
      arms: plainArms([getSelector('random')]),
      distractors: [],
    };
    const plan = planTrials({ itemCount: data.items.length, repeats: 1, providers: [f.id], selectors: ['random'], shots: [0, 1] });
    const records: TrialRecord[] = [];
    await executePlan(plan, ctx, { onRecord: (r) => records.push(r) });
    expect(records).toHaveLength(8);
    expect(records.every((r) => r.error === null && r.parseOk && r.attempts === 1)).toBe(true);
    expect(s.requests).toHaveLength(8);
    expect(s.maxInFlight).toBeLessThanOrEqual(3);
    expect(s.maxInFlight).toBeGreaterThan(1);
  });
});

interface Servers {
  openai: FakeServer;
  compatible: FakeServer;
  anthropic: FakeServer;
  google: FakeServer;
}

async function startAll(): Promise<Servers> {
  return {
    openai: await track(flavour('openai').start()),
    compatible: await track(flavour('openai-compatible').start()),
    anthropic: await track(flavour('anthropic').start()),
    google: await track(flavour('google').start()),
  };
}

function providerEntries(s: Servers, extra: Partial<Record<keyof Servers, Record<string, unknown>>> = {}) {
  return [
    { id: 'openai:gpt-4o-mini', baseUrl: `${s.openai.url}/v1`, ...extra.openai },
    { id: 'anthropic:claude-haiku-4-5', baseUrl: s.anthropic.url, ...extra.anthropic },
    { id: 'google:gemini-2.5-flash', baseUrl: s.google.url, ...extra.google },
    { id: 'openai-compatible:llama3', baseUrl: `${s.compatible.url}/v1`, apiKeyEnv: 'LOCAL_LLM_KEY', ...extra.compatible },
  ];
}

const ENV = { OPENAI_API_KEY: SENTINEL, ANTHROPIC_API_KEY: SENTINEL, GEMINI_API_KEY: SENTINEL, LOCAL_LLM_KEY: SENTINEL };

/** 6 trials a provider: 3 items x shots [0, 2]. */
const TRIALS_PER_PROVIDER = 6;

describe('runSweep end to end, offline', () => {
  it('all four providers run through their SDKs; 429s are retried and recorded; the key is in no file and no log line', async () => {
    const s = await startAll();
    const n429 = { openai: 2, compatible: 1, anthropic: 2, google: 2 };
    for (const [name, server] of Object.entries(s) as [keyof Servers, FakeServer][]) {
      const f = flavour(name === 'compatible' ? 'openai-compatible' : name);
      server.script((_req, i) =>
        i < n429[name] ? f.rateLimited(1) : { kind: 'text', text: ROUTE_ANSWER, tokensIn: 800, tokensOut: 20, cachedTokens: i > 3 ? 512 : 0, delayMs: 5 },
      );
    }
    const dir = join(tmp, 'e2e');
    const experiment = join(tmp, 'e2e.yaml');
    writeFileSync(experiment, routesExperimentYaml('e2e', providerEntries(s, { openai: { concurrency: 3 } })));
    const lines: string[] = [];
    const { delays, sleep } = fakeSleep();
    const result = await runSweep({ experimentPath: experiment, outDir: dir, quiet: true, env: ENV, log: (l) => lines.push(l), providerOptions: { sleep } });

    expect(result.status).toBe('complete');
    expect(result.trials).toBe(4 * TRIALS_PER_PROVIDER);
    const info = JSON.parse(readFileSync(join(result.runDir, 'run.json'), 'utf8'));
    expect(info.providers.map((p: { id: string; status: string }) => [p.id, p.status])).toEqual([
      ['openai:gpt-4o-mini', 'ran'],
      ['anthropic:claude-haiku-4-5', 'ran'],
      ['google:gemini-2.5-flash', 'ran'],
      ['openai-compatible:llama3', 'ran'],
    ]);

    const trials = readTrials(result.runDir);
    expect(trials).toHaveLength(4 * TRIALS_PER_PROVIDER);
    for (const [name, server] of Object.entries(s) as [keyof Servers, FakeServer][]) {
      const id = info.providers[['openai', 'anthropic', 'google', 'compatible'].indexOf(name)].id as string;
      const mine = trials.filter((t) => t.provider === id);
      expect(mine, id).toHaveLength(TRIALS_PER_PROVIDER);
      expect(mine.every((t) => t.error === null && t.parseOk && t.output === ROUTE_ANSWER && t.finishReason === 'stop')).toBe(true);
      expect(mine.every((t) => t.tokensIn === 800 && t.tokensOut === 20 && typeof t.requestId === 'string')).toBe(true);
      // Every 429 cost one extra attempt on some trial, and one more request on the server.
      expect(
        mine.reduce((sum, t) => sum + ((t.attempts ?? 1) - 1), 0),
        id,
      ).toBe(n429[name]);
      expect(server.requests).toHaveLength(TRIALS_PER_PROVIDER + n429[name]);
      expect(server.requests.every((r) => r.routed)).toBe(true);
      // The key did travel (so its absence from the results means something), in the auth header only.
      for (const req of server.requests) expectKeyOnlyInAuthHeader(flavour(name === 'compatible' ? 'openai-compatible' : name), req);
    }
    expect(
      filesUnder(result.runDir)
        .map((p) => p.slice(result.runDir.length + 1))
        .sort(),
    ).toEqual(expect.arrayContaining(['run.json', 'trials.jsonl', 'summary.json']));
    // Every retry waited the provider's hint (Gemini's from its body), through the injected sleep.
    expect(delays).toEqual(Array(2 + 1 + 2 + 2).fill(1000));
    // Shots are sent: k = 2 prompts carry two solved examples.
    expect(s.anthropic.requests.some((r) => r.body.messages.length === 5)).toBe(true);
    expect(s.google.requests.some((r) => r.body.contents.length === 5)).toBe(true);

    for (const file of filesUnder(result.runDir)) expect(readFileSync(file, 'utf8'), file).not.toContain(SENTINEL);
    for (const line of lines) expect(line).not.toContain(SENTINEL);
    expect(lines.some((l) => /24 trials/.test(l))).toBe(true);
  });

  it('a provider answering 401 is stopped after its first failure; the others complete; the run is partial', async () => {
    const s = await startAll();
    s.openai.queue({ kind: 'status', status: 401 });
    for (const server of [s.compatible, s.anthropic, s.google]) server.queue({ kind: 'text', text: ROUTE_ANSWER });
    const dir = join(tmp, 'auth');
    const experiment = join(tmp, 'auth.yaml');
    writeFileSync(experiment, routesExperimentYaml('auth', providerEntries(s, { openai: { concurrency: 1 } })));
    const lines: string[] = [];
    const { delays, sleep } = fakeSleep();
    const result = await runSweep({ experimentPath: experiment, outDir: dir, quiet: true, env: ENV, log: (l) => lines.push(l), providerOptions: { sleep } });

    expect(result.status).toBe('partial');
    expect(s.openai.requests).toHaveLength(1);
    expect(delays).toEqual([]);
    const trials = readTrials(result.runDir);
    const openai = trials.filter((t) => t.provider === 'openai:gpt-4o-mini');
    expect(openai).toHaveLength(1);
    expect(openai[0]!.error?.kind).toBe('auth');
    expect(openai[0]!.attempts).toBe(1);
    for (const id of ['anthropic:claude-haiku-4-5', 'google:gemini-2.5-flash', 'openai-compatible:llama3']) {
      const mine = trials.filter((t) => t.provider === id);
      expect(mine, id).toHaveLength(TRIALS_PER_PROVIDER);
      expect(mine.every((t) => t.error === null && t.parseOk)).toBe(true);
    }
    const info = JSON.parse(readFileSync(join(result.runDir, 'run.json'), 'utf8'));
    expect(info).toMatchObject({ status: 'partial', plannedTrials: 4 * TRIALS_PER_PROVIDER, completedTrials: 3 * TRIALS_PER_PROVIDER + 1 });
    const notice = (info.notices as string[]).find((n) => n.startsWith('openai:gpt-4o-mini stopped'));
    expect(notice).toMatch(/remaining trials were not run/);
    expect(lines.some((l) => l.startsWith('stopping openai:gpt-4o-mini'))).toBe(true);
    // The 401 echoes a masked key: still nothing of the key in any file or line.
    for (const file of filesUnder(result.runDir)) expect(readFileSync(file, 'utf8'), file).not.toContain(SENTINEL);
    for (const line of lines) expect(line).not.toContain(SENTINEL);
  });

  it('provider concurrency 3 in the YAML bounds the calls in flight during runSweep', async () => {
    const s = await track(flavour('anthropic').start());
    s.script(() => ({ kind: 'text', text: ROUTE_ANSWER, delayMs: 50 }));
    const experiment = join(tmp, 'conc.yaml');
    writeFileSync(
      experiment,
      routesExperimentYaml('conc', [{ id: 'anthropic:claude-haiku-4-5', baseUrl: s.url, concurrency: 3 }]).replace('concurrency: 2', 'concurrency: 16'),
    );
    const result = await runSweep({
      experimentPath: experiment,
      outDir: join(tmp, 'conc'),
      quiet: true,
      env: ENV,
      log: () => {},
      providerOptions: { sleep: async () => {} },
    });
    expect(result.status).toBe('complete');
    expect(s.requests).toHaveLength(TRIALS_PER_PROVIDER);
    expect(s.maxInFlight).toBeLessThanOrEqual(3);
    expect(s.maxInFlight).toBeGreaterThan(1);
  });

  it('a provider without its key is skipped with the variable named; the rest run', async () => {
    const s = await track(flavour('google').start());
    s.queue({ kind: 'text', text: ROUTE_ANSWER });
    const experiment = join(tmp, 'skip.yaml');
    writeFileSync(
      experiment,
      routesExperimentYaml('skip', [
        { id: 'google:gemini-2.5-flash', baseUrl: s.url },
        { id: 'openai:gpt-4o-mini', baseUrl: 'http://127.0.0.1:9/v1' },
      ]),
    );
    const lines: string[] = [];
    const result = await runSweep({
      experimentPath: experiment,
      outDir: join(tmp, 'skip'),
      quiet: true,
      env: { GOOGLE_API_KEY: SENTINEL },
      log: (l) => lines.push(l),
      providerOptions: { sleep: async () => {} },
    });
    expect(result.status).toBe('complete');
    expect(result.trials).toBe(TRIALS_PER_PROVIDER);
    expect(lines.some((l) => l.startsWith('skipping openai:gpt-4o-mini') && l.includes('OPENAI_API_KEY'))).toBe(true);
    const info = JSON.parse(readFileSync(join(result.runDir, 'run.json'), 'utf8'));
    expect(info.providers[1]).toMatchObject({ id: 'openai:gpt-4o-mini', status: 'skipped' });
    expect(info.providers[1].reason).toContain('OPENAI_API_KEY');
  });
});
