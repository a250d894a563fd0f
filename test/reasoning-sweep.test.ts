// Today's models as teams run them (issue 16), end to end: one model at two reasoning efforts (two
// labelled entries) and two shot counts in one sweep, paired over the same items and shots; reasoning
// tokens recorded on every trial, summarized per cell, charted and priced as output; a reply cut off
// while thinking reported as that with the setting to change; the snapshot that answered recorded,
// and compare flagging a changed snapshot. Option refusals at validation. Offline: the real openai
// SDK against the fake server on 127.0.0.1.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runSweep } from '../src/app/sweep-and-report.js';
import { compareOptions } from '../src/compare/command.js';
import { compareRuns, loadRun } from '../src/compare/index.js';
import { ConfigError, loadExperiment } from '../src/config/load.js';
import { readSummary } from '../src/records/summary.js';
import type { TrialRecord } from '../src/records/trial.js';
import { fakeSleep, SENTINEL, trackServers } from './providers-helpers.js';
import { startOpenAIServer, type FakeServer, type RecordedRequest } from './servers/index.js';
import { thrownBy } from './thrown.js';

const tmp = mkdtempSync(join(tmpdir(), 'fewshot-reasoning-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const track = trackServers();
const ENV = { OPENAI_API_KEY: SENTINEL };
const LABELS = ['billing', 'shipping'];
const ITEMS = 24;

function write(path: string, text: string): string {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
  return path;
}

function experiment(dir: string, providers: Record<string, unknown>[], extra: string[] = []): string {
  const lines = Array.from({ length: 48 }, (_, i) =>
    JSON.stringify({ id: `T${String(i).padStart(2, '0')}`, text: `ticket ${i} about ${LABELS[i % 2]}`, label: LABELS[i % 2] }),
  );
  write(join(dir, 'tickets.jsonl'), `${lines.join('\n')}\n`);
  return write(
    join(dir, 'exp.yaml'),
    [
      'name: reasoning',
      'seed: 3',
      'task:',
      '  type: classify',
      '  data: { file: tickets.jsonl, fields: { input: text, label: label, id: id } }',
      `  split: { poolSize: 16, evalItems: ${ITEMS} }`,
      'shots: [0, 4]',
      'selectors: [random]',
      'providers:',
      ...providers.map((p) => `  - ${JSON.stringify(p)}`),
      ...extra,
    ].join('\n'),
  );
}

/**
 * A model that thinks: at effort high it is always right and thinks 400 tokens (fewer with shots);
 * at effort low it is right only with shots and thinks 50. `cutoff` items at low effort spend the
 * whole output limit thinking and come back empty.
 */
async function thinkingServer(options: { snapshot?: string; cutoff?: (last: string) => boolean } = {}): Promise<FakeServer> {
  const s = await track(startOpenAIServer());
  s.script((req: RecordedRequest) => {
    const messages = req.body.messages as { role: string; content: string }[];
    const last = messages.at(-1)!.content;
    const topic = LABELS.find((l) => last.includes(`about ${l}`)) ?? LABELS[0]!;
    const shots = messages.filter((m) => m.role === 'assistant').length;
    const high = req.body.reasoning_effort === 'high';
    const model = options.snapshot ?? 'gpt-5-mini-2025-08-07';
    if (!high && options.cutoff?.(last)) return { kind: 'text', text: '', finish: 'length', reasoningTokens: 64, tokensOut: 64, model };
    const right = high || shots > 0;
    const reasoning = high ? 400 - shots * 50 : 50;
    return {
      kind: 'text',
      text: right ? topic : LABELS.find((l) => l !== topic)!,
      reasoningTokens: reasoning,
      tokensOut: reasoning + 2,
      model,
      fingerprint: 'fp_test1',
    };
  });
  return s;
}

const sweep = (path: string, out: string) =>
  runSweep({
    experimentPath: path,
    outDir: join(dirname(path), out),
    cacheDir: join(dirname(path), 'cache'),
    quiet: true,
    env: ENV,
    log: () => {},
    providerOptions: { sleep: fakeSleep().sleep },
  });

const trialsOf = (runDir: string): TrialRecord[] =>
  readFileSync(join(runDir, 'trials.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as TrialRecord);

const MODEL = 'openai:gpt-5-mini';

describe('reasoning as a sweep factor', () => {
  it('two efforts of one model and two shot counts in one run: paired curves, reasoning tokens recorded, summarized, charted and priced', async () => {
    const s = await thinkingServer();
    const dir = join(tmp, 'efforts');
    const base = { id: MODEL, baseUrl: `${s.url}/v1`, temperature: 0, maxOutputTokens: 2048 };
    const path = experiment(dir, [
      { ...base, label: 'mini-low', reasoning: { effort: 'low' } },
      { ...base, label: 'mini-high', reasoning: { effort: 'high' } },
    ]);
    const result = await sweep(path, 'run');
    expect(result.status).toBe('complete');

    // Each entry's requests carried its effort; nothing else new reached the wire.
    const efforts = s.requests.map((r) => r.body.reasoning_effort);
    expect(new Set(efforts)).toEqual(new Set(['low', 'high']));
    for (const r of s.requests) expect(Object.keys(r.body).filter((k) => ['top_p', 'seed', 'stop', 'response_format'].includes(k))).toEqual([]);

    const trials = trialsOf(result.runDir);
    expect(trials).toHaveLength(2 * 2 * ITEMS);
    expect(trials.every((t) => typeof t.reasoningTokens === 'number' && t.reasoningTokens > 0)).toBe(true);
    expect(trials.every((t) => t.snapshot?.model === 'gpt-5-mini-2025-08-07' && t.snapshot.fingerprint === 'fp_test1')).toBe(true);
    // Paired: both efforts saw the same items with the same shots.
    const shotsOf = (label: string) =>
      trials
        .filter((t) => t.provider === label)
        .map((t) => `${t.k}/${t.itemId}/${t.shotIds.join(',')}`)
        .sort();
    expect(shotsOf('mini-low')).toEqual(shotsOf('mini-high'));

    const summary = readSummary(join(result.runDir, 'summary.json'));
    const cell = (provider: string, k: number) => summary.cells.find((c) => c.provider === provider && c.k === k)!;
    expect(cell('mini-high', 0).meanReasoningTokens).toBe(400);
    expect(cell('mini-high', 4).meanReasoningTokens).toBe(200);
    expect(cell('mini-low', 4).meanReasoningTokens).toBe(50);
    expect(cell('mini-low', 0).accuracy!.estimate).toBe(0);
    expect(cell('mini-high', 0).accuracy!.estimate).toBe(1);
    expect(summary.providers.find((p) => p.label === 'mini-high')!.snapshots).toEqual({ 'gpt-5-mini-2025-08-07 fp_test1': 2 * ITEMS });
    // Reasoning tokens are output tokens: the cost per request prices them as output.
    expect(cell('mini-high', 0).meanTokensOut).toBe(402);

    const html = readFileSync(result.reportPath, 'utf8');
    expect(html).toContain('Reasoning tokens vs shots');
    expect(html).toContain('model snapshots');
    const markdown = readFileSync(join(result.runDir, 'summary.md'), 'utf8');
    expect(markdown).toContain('of which reasoning');
    console.log(
      `reasoning tokens per call (mini-high): k=0 ${cell('mini-high', 0).meanReasoningTokens}, k=4 ${cell('mini-high', 4).meanReasoningTokens}; ` +
        `accuracy at k=0: low ${cell('mini-low', 0).accuracy!.estimate}, high ${cell('mini-high', 0).accuracy!.estimate}`,
    );
  });

  it('a reply cut off while thinking is truncated with no visible answer, and the notice names the setting to change', async () => {
    const s = await thinkingServer({ cutoff: (last) => /ticket (1|3|5) /.test(last) });
    const dir = join(tmp, 'cutoff');
    const path = experiment(dir, [{ id: MODEL, baseUrl: `${s.url}/v1`, temperature: 0, maxOutputTokens: 64, reasoning: { effort: 'low' } }]);
    const result = await sweep(path, 'run');
    const summary = readSummary(join(result.runDir, 'summary.json'));
    const cut = summary.cells.reduce((n, c) => n + (c.thinkingCutoffs ?? 0), 0);
    expect(cut).toBeGreaterThan(0);
    expect(summary.cells.reduce((n, c) => n + c.outcomes.truncated, 0)).toBe(cut);
    const notice = summary.notices.find((n) => n.includes('cut off at the output limit while thinking'))!;
    expect(notice).toContain('raise maxOutputTokens');
    expect(notice).toContain('reasoning: { effort: low }');
    console.log(`notice: ${notice}`);
  });

  it('compare flags a model snapshot that changed between the runs', async () => {
    const before = await thinkingServer({ snapshot: 'gpt-5-mini-2025-08-07' });
    const after = await thinkingServer({ snapshot: 'gpt-5-mini-2025-11-20' });
    const entry = (url: string) => ({ id: MODEL, baseUrl: `${url}/v1`, temperature: 0, reasoning: { effort: 'high' } });
    const a = await sweep(experiment(join(tmp, 'snap-a'), [entry(before.url)]), 'run');
    const b = await sweep(experiment(join(tmp, 'snap-b'), [entry(after.url)]), 'run');
    const result = compareRuns(loadRun(a.runDir, 'baseline'), loadRun(b.runDir, 'candidate'), compareOptions({ allowDifferentExperiments: true }));
    const flag = result.flags.find((f) => f.kind === 'snapshot-changed')!;
    expect(flag.message).toContain('gpt-5-mini-2025-08-07 -> gpt-5-mini-2025-11-20');
    console.log(`flag: ${flag.message}`);
  });
});

describe('model options are checked against each API at validation', () => {
  const load = (providers: Record<string, unknown>[]) => {
    const path = experiment(join(tmp, `v-${Math.random().toString(36).slice(2)}`), providers);
    return thrownBy(ConfigError, () => loadExperiment(path)).message;
  };

  it('refuses what an API does not take, naming the field', () => {
    expect(load([{ id: 'openai:gpt-5-mini', reasoning: { budgetTokens: 2000 } }])).toMatch(
      /reasoning\.budgetTokens: openai providers take a reasoning effort, not a token budget/,
    );
    expect(load([{ id: 'anthropic:claude-sonnet-4-5', seed: 1, maxOutputTokens: 100 }])).toMatch(/seed: anthropic providers do not take `seed`/);
    expect(load([{ id: 'openai:gpt-4o-mini', extraBody: { guided_json: {} } }])).toMatch(
      /extraBody: openai providers do not take `extraBody` \(extraBody is for openai-compatible servers\)/,
    );
    expect(load([{ id: 'local', topP: 0.5 }])).toMatch(/topP: the local baseline \(it calls no model\) do not take `topP`/);
    expect(load([{ id: 'openai:gpt-4o-mini', project: 'p' }])).toMatch(/project: `project` is for vertex providers only/);
  });

  it("checks Anthropic's thinking budget against its floor and the output limit", () => {
    expect(load([{ id: 'anthropic:claude-sonnet-4-5', reasoning: { budgetTokens: 512 }, maxOutputTokens: 4000 }])).toMatch(/at least 1024 tokens \(got 512\)/);
    expect(load([{ id: 'anthropic:claude-sonnet-4-5', reasoning: { budgetTokens: 2048 }, maxOutputTokens: 4000, responseFormat: 'json' }])).toMatch(
      /responseFormat: Anthropic cannot think and answer through a forced tool in one call: set reasoning: off/,
    );
    expect(load([{ id: 'anthropic:claude-sonnet-4-5', reasoning: { effort: 'medium' }, maxOutputTokens: 4000 }])).toMatch(
      /maxOutputTokens: with reasoning, Anthropic needs maxOutputTokens above the thinking budget \(8192, effort medium\): set maxOutputTokens to at least 8448/,
    );
  });

  it('accepts what each API takes', () => {
    const ok = experiment(join(tmp, 'v-ok'), [
      {
        id: 'openai:gpt-5-mini',
        reasoning: { effort: 'minimal' },
        topP: 0.9,
        stop: 'END',
        seed: 7,
        presencePenalty: 0.1,
        frequencyPenalty: 0.2,
        responseFormat: 'json',
      },
      { id: 'anthropic:claude-sonnet-4-5', reasoning: { budgetTokens: 2048 }, maxOutputTokens: 4096, topP: 0.95, stop: ['###'] },
      { id: 'google:gemini-2.5-flash', reasoning: 'off', seed: 1 },
      { id: 'openai-compatible:qwen3', baseUrl: 'http://127.0.0.1:9/v1', extraBody: { guided_choice: LABELS } },
      { id: 'azure-openai:my-deployment', apiVersion: '2024-10-21' },
      { id: 'vertex:gemini-2.5-flash', project: 'acme', location: 'europe-west4' },
    ]);
    const config = loadExperiment(ok);
    expect(config.providers[0]!.stop).toEqual(['END']);
    expect(config.providers).toHaveLength(6);
  });
});
