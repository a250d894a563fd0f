// Adaptive sampling end to end (issue 17): items enter in looks, a curve whose label is decided stops
// taking items, the sweep ends when every curve is decided or at maxItems; run.json records the plan
// and where each curve was decided, summary.json carries decidedAtItems and the sequential settings,
// `fewshot report` rebuilds the same labels, and the dry run prints the adaptive estimate. Offline:
// the real openai SDK against the fake server on 127.0.0.1, whose model answers right with a
// probability that depends on k (a clear peak-regression and a steep riser).
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { runSweep } from '../src/app/sweep-and-report.js';
import { main } from '../src/cli.js';
import { readRunInfo } from '../src/records/run-info.js';
import { readSummary } from '../src/records/summary.js';
import { fakeSleep, SENTINEL, trackServers } from './providers-helpers.js';
import { startOpenAIServer, type FakeServer } from './servers/index.js';

const tmp = mkdtempSync(join(tmpdir(), 'fewshot-adaptive-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const track = trackServers();
const ENV = { OPENAI_API_KEY: SENTINEL };
const LABELS = ['billing', 'shipping'];
const ITEMS = 400;
const KS = [0, 1, 4, 16];
const CURVES: Record<string, number[]> = {
  peak: [0.3, 0.8, 0.8, 0.3],
  riser: [0.2, 0.4, 0.6, 0.95],
};
/** A curve no look decides (k=16 is 6 points over k=4, delta is 5), whose k=1 and k=2 sink far below its best. */
const DIP_KS = [0, 1, 2, 4, 8, 16];
const DIP = [0.5, 0.1, 0.1, 0.6, 0.63, 0.66];

function experiment(dir: string, url: string, sampling: string | null, shapes: string[] = Object.keys(CURVES), ks: number[] = KS): string {
  mkdirSync(dir, { recursive: true });
  const lines = Array.from({ length: ITEMS + 40 }, (_, i) => JSON.stringify({ id: `T${i}`, text: `ticket ${i} about ${LABELS[i % 2]}`, label: LABELS[i % 2] }));
  writeFileSync(join(dir, 'tickets.jsonl'), `${lines.join('\n')}\n`);
  const path = join(dir, 'exp.yaml');
  writeFileSync(
    path,
    [
      'name: adaptive',
      'seed: 11',
      'task:',
      '  type: classify',
      '  data: { file: tickets.jsonl, fields: { input: text, label: label, id: id } }',
      `  split: { poolSize: 40, evalItems: ${ITEMS} }`,
      `shots: [${ks.join(', ')}]`,
      'selectors: [random]',
      'concurrency: 8',
      'providers:',
      ...shapes.map((shape) => `  - { id: openai:gpt-4o-mini, label: ${shape}, baseUrl: ${url}/v1, temperature: 0, systemPrompt: "${shape}" }`),
      ...(sampling ? [sampling] : []),
    ].join('\n'),
  );
  return path;
}

/** Right with probability p_k (k = the shots in the request), decided by a hash of the item: the same question, the same answer. */
async function curveServer(): Promise<FakeServer> {
  const s = await track(startOpenAIServer());
  s.script((req) => {
    const messages = req.body.messages as { role: string; content: string }[];
    const shape = messages[0]!.content;
    const last = messages.at(-1)!.content;
    const k = messages.filter((m) => m.role === 'assistant').length;
    const p = shape === 'dip' ? DIP[DIP_KS.indexOf(k)]! : CURVES[shape]![KS.indexOf(k)]!;
    const u = createHash('sha256').update(`${last}/${k}`).digest().readUInt32BE(0) / 2 ** 32;
    const topic = LABELS.find((l) => last.includes(`about ${l}`))!;
    return { kind: 'text', text: u < p ? topic : LABELS.find((l) => l !== topic)! };
  });
  return s;
}

describe('adaptive sampling', () => {
  it('stops each curve at the look its label is decided, records where, and the report rebuilds the same labels', async () => {
    const s = await curveServer();
    const path = experiment(join(tmp, 'adaptive'), s.url, 'sampling: { mode: adaptive, firstLook: 100, step: 100 }');
    const lines: string[] = [];
    const result = await runSweep({
      experimentPath: path,
      outDir: join(tmp, 'out'),
      quiet: true,
      env: ENV,
      log: (l) => lines.push(l),
      providerOptions: { sleep: fakeSleep().sleep },
    });
    expect(result.status).toBe('complete');
    const full = Object.keys(CURVES).length * KS.length * ITEMS;
    expect(result.trials).toBeLessThan(full);
    expect(s.requests.length).toBe(result.trials);
    expect(lines.some((l) => /^look 1 of 4 \(100 items\): \d of 2 curves decided$/.test(l))).toBe(true);

    const info = readRunInfo(join(result.runDir, 'run.json'));
    expect(info.sampling).toMatchObject({ mode: 'adaptive', maxItems: ITEMS, firstLook: 100, step: 100, looks: [100, 200, 300, 400] });
    const summary = readSummary(join(result.runDir, 'summary.json'));
    expect(summary.settings.sequential).toEqual({ looks: [100, 200, 300, 400] });
    const curve = (label: string) => summary.curves.find((c) => c.provider === label)!;
    expect(curve('peak').label).toBe('peak-regression');
    expect(curve('riser').label).toBe('improving');
    for (const c of summary.curves) {
      // A decided curve took exactly the items of its look, paired across its cells.
      const decided = info.sampling!.decided.find((d) => d.provider === c.provider)!;
      expect(c.decidedAtItems).toBe(decided.atItems);
      expect(c.points.filter((p) => p.k > 0).every((p) => p.nItems === decided.atItems)).toBe(true);
    }
    expect(readFileSync(join(result.runDir, 'summary.md'), 'utf8')).toContain('decided at items');
    console.log(
      `adaptive: ${result.trials} trials of the full grid's ${full} (${((100 * result.trials) / full).toFixed(1)}%); ` +
        summary.curves.map((c) => `${c.provider} ${c.label} at ${c.decidedAtItems} items`).join(', '),
    );

    // `fewshot report` rebuilds the labels from trials.jsonl and run.json, at the same sequential levels.
    vi.spyOn(console, 'log').mockImplementation(() => {});
    expect(await main(['report', result.runDir])).toBe(0);
    const rebuilt = readSummary(join(result.runDir, 'summary.json'));
    expect(rebuilt.curves.map((c) => [c.label, c.decidedAtItems])).toEqual(summary.curves.map((c) => [c.label, c.decidedAtItems]));
    vi.restoreAllMocks();
  });

  it('within an undecided curve, cells far below its best before the reference k stop; the rest run every look', async () => {
    const s = await curveServer();
    const path = experiment(join(tmp, 'dip'), s.url, 'sampling: { mode: adaptive, firstLook: 100, step: 100 }', ['dip'], DIP_KS);
    const lines: string[] = [];
    const result = await runSweep({ experimentPath: path, outDir: join(tmp, 'out-dip'), quiet: true, env: ENV, log: (l) => lines.push(l) });
    expect(result.status).toBe('complete');
    expect(s.requests.length).toBe(result.trials);
    const info = readRunInfo(join(result.runDir, 'run.json'));
    expect(info.sampling!.decided).toEqual([]);
    expect(info.sampling!.stopped).toEqual([
      { provider: 'dip', prompt: 'builtin', selector: 'random', k: 1, atItems: 100 },
      { provider: 'dip', prompt: 'builtin', selector: 'random', k: 2, atItems: 100 },
    ]);
    expect(lines).toContain('look 1 of 4 (100 items): 0 of 1 curves decided; 2 cells of undecided curves settled');
    const summary = readSummary(join(result.runDir, 'summary.json'));
    const curve = summary.curves[0]!;
    expect(curve.label).toBe('inconclusive');
    expect(curve.decidedAtItems).toBeNull();
    expect(curve.settledKs).toEqual([1, 2]);
    // Settled cells answered the first look's items; the cells that still matter ran to maxItems, paired on that prefix.
    expect(curve.points.map((p) => [p.k, p.nItems])).toEqual(DIP_KS.map((k) => [k, k === 1 || k === 2 ? 100 : ITEMS]));
    expect(result.trials).toBe(2 * 100 + 4 * ITEMS);
    console.log(
      `adaptive cell stopping: ${result.trials} trials of the full grid's ${DIP_KS.length * ITEMS}; settled k=${curve.settledKs!.join(', ')} at 100 items`,
    );
  });

  it('--adaptive on the command line, and the dry run prints the looks, worst and expected cases and the power estimate', async () => {
    const path = experiment(join(tmp, 'dry'), 'http://127.0.0.1:9', null);
    const out: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((line: string) => void out.push(line));
    vi.stubEnv('OPENAI_API_KEY', SENTINEL);
    try {
      expect(await main(['sweep', path, '--dry-run', '--adaptive'])).toBe(0);
    } finally {
      vi.restoreAllMocks();
      vi.unstubAllEnvs();
    }
    const text = out.join('\n');
    expect(text).toContain('adaptive sampling: looks at 100, 200, 300, 400 items (of 400)');
    expect(text).toMatch(/worst case: every curve to the last look: 3200 trials/);
    expect(text).toMatch(/power: a difference of delta \(5 points\) needs about \d+ items per cell/);
    console.log(
      text
        .split('\n')
        .filter((l) => /adaptive|worst|expected|power/.test(l))
        .join('\n'),
    );
  });

  it('validate refuses a bad sampling block with the field', async () => {
    const path = experiment(join(tmp, 'bad'), 'http://127.0.0.1:9', 'sampling: { mode: sometimes }');
    const err: string[] = [];
    vi.spyOn(console, 'error').mockImplementation((line: string) => void err.push(line));
    try {
      expect(await main(['validate', path])).toBe(2);
    } finally {
      vi.restoreAllMocks();
    }
    expect(err.join('\n')).toMatch(/sampling\.mode: expected full \(every item in every cell\) or adaptive/);
  });
});
