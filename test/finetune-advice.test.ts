// The fine-tune decision, priced (issue 19), end to end: `fewshot sweep experiments/tickets.yaml`
// against a fake OpenAI server (the real SDK on 127.0.0.1) records the pool's training tokens, and the
// advice prices training, a tuned request at k = 0 and the break-even volume; `fewshot report
// --requests-per-month` on either side of it says which side the team is on. A fine-tuned entry
// (`tunedFrom`) is measured against its base model's recommended cell over the same items.

import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { runSweep } from '../src/app/sweep-and-report.js';
import { costPerRequest } from '../src/config/prices.js';
import { resolveFineTunePrice } from '../src/config/finetune-prices.js';
import { main } from '../src/cli.js';
import { readRunInfo } from '../src/records/run-info.js';
import { readSummary, type Advice } from '../src/records/summary.js';
import { SENTINEL, trackServers } from './providers-helpers.js';
import { startOpenAIServer, type FakeServer } from './servers/index.js';

const track = trackServers();
const tmp = mkdtempSync(join(tmpdir(), 'fewshot-finetune-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const ROOT = join(import.meta.dirname, '..');
const DATA = join(ROOT, 'experiments', 'data', 'tickets.jsonl');
const TICKETS = readFileSync(DATA, 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((l) => JSON.parse(l) as { id: string; text: string; label: string });
const LABELS = [...new Set(TICKETS.map((t) => t.label))].sort();

/** The base model gains with shots up to k = 16, where it levels off: the recommended cell carries many shots. */
const BASE_CURVE: Record<number, number> = { 0: 0.5, 1: 0.55, 2: 0.6, 4: 0.66, 8: 0.72, 16: 0.85, 32: 0.86 };

/**
 * A model right with probability p(k, model), decided by a hash of the ticket: the base model gains
 * with shots and plateaus; the fine-tuned one answers well at k = 0.
 */
function ticketModel(s: FakeServer): FakeServer {
  s.script((req) => {
    const messages = req.body.messages as { role: string; content: string }[];
    const last = messages.at(-1)!.content;
    const ticket = TICKETS.find((t) => last.includes(t.text));
    const k = messages.filter((m) => m.role === 'assistant').length;
    const tuned = String(req.body.model).startsWith('ft:');
    const p = tuned ? 0.86 : (BASE_CURVE[k] ?? 0.86);
    const u = createHash('sha256').update(`${ticket?.id}/${k}/${tuned}`).digest().readUInt32BE(0) / 2 ** 32;
    const right = ticket?.label ?? LABELS[0]!;
    return { kind: 'text', text: u < p ? right : LABELS.find((l) => l !== right)! };
  });
  return s;
}

function envFor(s: FakeServer) {
  return { OPENAI_API_KEY: SENTINEL, OPENAI_BASE_URL: `${s.url}/v1` };
}

async function report(runDir: string, extra: string[]): Promise<Advice[]> {
  const spy = vi.spyOn(console, 'log').mockImplementation(() => {});
  try {
    expect(await main(['report', runDir, ...extra])).toBe(0);
  } finally {
    spy.mockRestore();
  }
  return readSummary(join(runDir, 'summary.json')).advice;
}

describe('fine-tune break-even on experiments/tickets.yaml', () => {
  it('prices training on the pool, a tuned request at k = 0 and the break-even; the stated volume is put on its side', async () => {
    const s = ticketModel(await track(startOpenAIServer()));
    const result = await runSweep({
      experimentPath: join(ROOT, 'experiments', 'tickets.yaml'),
      outDir: join(tmp, 'tickets'),
      quiet: true,
      env: envFor(s),
      log: () => {},
    });
    expect(result.status).toBe('complete');
    const info = readRunInfo(join(result.runDir, 'run.json'));
    expect(info.fineTune!.examples).toBe(300);
    const tokens = info.fineTune!.tokensPerEpoch['openai:gpt-4o-mini']!;
    expect(tokens).toBeGreaterThan(300 * 30);
    // The local baseline has no model to tune.
    expect(info.fineTune!.tokensPerEpoch).not.toHaveProperty('local');

    const advice = readSummary(join(result.runDir, 'summary.json')).advice.find((a) => a.provider === 'openai:gpt-4o-mini')!;
    const ft = advice.fineTune!;
    const price = resolveFineTunePrice('openai:gpt-4o-mini')!;
    expect(ft.source).toBe(price.source);
    expect(ft.epochs).toBe(3);
    expect(ft.trainingTokens).toBe(tokens * 3);
    expect(ft.trainingCost).toBeCloseTo((tokens * 3 * price.training) / 1e6, 10);
    expect(ft.costPer1k.fewShot).toBeCloseTo(advice.costPer1k!.recommended!, 12);
    expect(ft.accuracy.kind).toBe('assumed');
    expect(ft.breakEven.kind).toBe('volume');
    const volume = (ft.breakEven as { requestsPerMonth: number }).requestsPerMonth;
    // Hand check: (training / 6 months) / (few-shot - tuned per request).
    expect(volume).toBeCloseTo(ft.trainingCost / 6 / ((ft.costPer1k.fewShot - ft.costPer1k.tuned) / 1000), 6);

    // Both sides of the break-even, as `fewshot report --requests-per-month` re-analyses the run.
    const below = Math.max(1, Math.round(volume / 10));
    const above = Math.round(volume * 10);
    const low = (await report(result.runDir, ['--requests-per-month', String(below)])).find((a) => a.provider === 'openai:gpt-4o-mini')!.fineTune!;
    const high = (await report(result.runDir, ['--requests-per-month', String(above)])).find((a) => a.provider === 'openai:gpt-4o-mini')!.fineTune!;
    expect(low.atVolume).toMatchObject({ requestsPerMonth: below, cheaper: 'few-shot' });
    expect(high.atVolume).toMatchObject({ requestsPerMonth: above, cheaper: 'fine-tune' });
    const usd = (x: number) => `$${x.toFixed(4)}`;
    const card = (f: typeof low) =>
      `at ${f.atVolume!.requestsPerMonth.toLocaleString('en-US')} requests/month: few-shot ${usd(f.atVolume!.fewShotPerMonth)}/month vs fine-tuned ${usd(f.atVolume!.tunedPerMonth)}/month -> ${f.atVolume!.cheaper} cheaper`;
    console.log(
      `tickets.yaml, openai:gpt-4o-mini (recommended k = ${advice.k} ${advice.selector}, ${(100 * advice.accuracy!).toFixed(1)}%): ` +
        `${ft.examples} examples, ${ft.trainingTokensPerEpoch.toLocaleString('en-US')} tokens x ${ft.epochs} epochs -> training ${usd(ft.trainingCost)}; ` +
        `per 1k requests: few-shot ${usd(ft.costPer1k.fewShot)}, tuned k=0 ${usd(ft.costPer1k.tuned)}, zero-shot ${usd(ft.costPer1k.zeroShot!)}; ` +
        `break-even ${Math.round(volume).toLocaleString('en-US')} requests/month over ${ft.horizonMonths} months (${ft.source})\n  ${card(low)}\n  ${card(high)}`,
    );
    // A target the few-shot curve cannot reach: fine-tuning is the remaining lever, and the advice says what it costs.
    const missed = (await report(result.runDir, ['--target', '0.99'])).find((a) => a.provider === 'openai:gpt-4o-mini')!;
    // The lever is named exactly when the advice is to fine-tune (the sentence itself: test/break-even.test.ts).
    expect(missed.fineTune).toBeDefined();
    expect(missed.reasons.some((r) => r.startsWith('Fine-tuning is the remaining lever'))).toBe(missed.decision === 'fine-tune');
    await report(result.runDir, []);
    // The verdict card and the chart carry it.
    const html = readFileSync(join(result.runDir, 'report.html'), 'utf8');
    expect(html).toMatch(/break-even/i);
    expect(readFileSync(join(result.runDir, 'charts', 'finetune-cost.vl.json'), 'utf8')).toContain('fine-tuned at k=0');
    expect(readFileSync(join(result.runDir, 'summary.md'), 'utf8')).toMatch(/break-even/i);
  }, 120_000);
});

describe('a fine-tuned model measured on the same items (tunedFrom)', () => {
  it('compares the tuned entry at k = 0 with its base model recommended cell, paired, and prices the break-even with its own tokens', async () => {
    const s = ticketModel(await track(startOpenAIServer()));
    const dir = join(tmp, 'tuned');
    mkdirSync(dir, { recursive: true });
    const path = join(dir, 'exp.yaml');
    const tunedId = 'openai:ft:gpt-4o-mini-2024-07-18:acme::abc123';
    writeFileSync(
      path,
      [
        'name: tuned',
        'seed: 5',
        'task:',
        '  type: classify',
        `  data: { file: ${JSON.stringify(DATA)}, fields: { input: text, label: label, id: id } }`,
        '  split: { poolSize: 60, evalItems: 120 }',
        'shots: [0, 16]',
        'selectors: [random]',
        'requestsPerMonth: 200000',
        'providers:',
        '  - { id: openai:gpt-4o-mini, temperature: 0, maxOutputTokens: 20 }',
        `  - { id: "${tunedId}", label: tuned, tunedFrom: openai:gpt-4o-mini, temperature: 0, maxOutputTokens: 20 }`,
      ].join('\n'),
    );
    const result = await runSweep({ experimentPath: path, outDir: join(dir, 'results'), quiet: true, env: envFor(s), log: () => {} });
    const summary = readSummary(join(result.runDir, 'summary.json'));
    const base = summary.advice.find((a) => a.provider === 'openai:gpt-4o-mini')!;
    const ft = base.fineTune!;
    expect(ft.accuracy.kind).toBe('measured');
    const cmp = (ft.accuracy as Extract<typeof ft.accuracy, { kind: 'measured' }>).comparison;
    expect(cmp).toMatchObject({ tuned: 'tuned', base: 'openai:gpt-4o-mini', baseK: base.k, nItems: 120 });
    expect(cmp.difference).toBeCloseTo(cmp.tunedAccuracy - cmp.baseAccuracy, 10);
    expect(cmp.ciLow).toBeLessThan(cmp.difference);
    expect(cmp.ciHigh).toBeGreaterThan(cmp.difference);
    expect(ft.accuracy.text).toMatch(/^Measured: tuned at k = 0 vs base at k = \d+: [+-]\d+\.\d points \[[+-]\d+\.\d, [+-]\d+\.\d\], n = 120/);
    // The tuned request is priced with the tuned entry's own k = 0 tokens at its tuned price.
    const tunedCell = summary.cells.find((c) => c.provider === 'tuned' && c.k === 0)!;
    const price = resolveFineTunePrice('openai:gpt-4o-mini')!;
    expect(ft.costPer1k.tuned / 1000).toBeCloseTo(
      costPerRequest(price, tunedCell.meanTokensIn!, tunedCell.meanTokensOut!, tunedCell.meanCachedTokens ?? 0),
      12,
    );
    // The tuned entry's own advice carries no fine-tune block: it is the tuned side.
    expect(summary.advice.find((a) => a.provider === 'tuned')!.fineTune).toBeUndefined();
    console.log(`tuned vs base: ${ft.accuracy.text}`);
  }, 120_000);

  it('validate refuses a tunedFrom that names no other entry, with the field', async () => {
    const dir = join(tmp, 'bad');
    mkdirSync(dir, { recursive: true });
    const path = join(dir, 'exp.yaml');
    writeFileSync(
      path,
      [
        'name: bad',
        'task:',
        '  type: classify',
        `  data: { file: ${JSON.stringify(DATA)}, fields: { input: text, label: label, id: id } }`,
        '  split: { poolSize: 10, evalItems: 10 }',
        'shots: [0, 1]',
        'providers:',
        '  - { id: openai:gpt-4o-mini }',
        '  - { id: "openai:ft:gpt-4o-mini:acme::x", tunedFrom: openai:gpt-4o }',
      ].join('\n'),
    );
    const err: string[] = [];
    const spy = vi.spyOn(console, 'error').mockImplementation((line: string) => void err.push(line));
    try {
      expect(await main(['validate', path])).toBe(2);
    } finally {
      spy.mockRestore();
    }
    expect(err.join('\n')).toMatch(/providers\[1\]\.tunedFrom/);
    expect(err.join('\n')).toContain('openai:gpt-4o-mini');
  });
});
