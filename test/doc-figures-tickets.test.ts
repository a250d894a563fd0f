// Prints the figures docs/experiments.md gives for experiments/tickets.yaml: its dataset (tickets and
// queues), and the keyless sweep (the `local` learner only): trials, wall time, and each selector's
// accuracy by k. Print-only, apart from the trial count the doc states.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runSweep } from '../src/app/sweep-and-report.js';

const tmp = mkdtempSync(join(tmpdir(), 'fewshot-doc-tickets-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface Curve {
  provider: string;
  selector: string;
  label: string;
  points: { k: number; accuracy: number | null }[];
}

describe('docs/experiments.md: the tickets experiment', () => {
  it('prints the dataset and the local learner curves of a keyless sweep', async () => {
    const rows = readFileSync('experiments/data/tickets.jsonl', 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as { label: string });
    const labels = new Set(rows.map((r) => r.label));
    console.log(`tickets data: ${rows.length} tickets over ${labels.size} queues`);

    const started = process.hrtime.bigint();
    const result = await runSweep({ experimentPath: 'experiments/tickets.yaml', outDir: tmp, quiet: true, env: {}, log: () => {} });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const summary = JSON.parse(readFileSync(join(result.runDir, 'summary.json'), 'utf8')) as { curves: Curve[] };
    const pct = (x: number | null) => (x === null ? '-' : `${(x * 100).toFixed(1)}%`);
    const lines = summary.curves
      .filter((c) => c.provider === 'local')
      .map((c) => `  ${c.selector.padEnd(9)} ${c.points.map((p) => `k=${p.k} ${pct(p.accuracy)}`).join(', ')} (${c.label})`);
    console.log(`tickets sweep (keyless): ${result.trials} local trials in ${seconds.toFixed(1)} s (runSweep, report included)\n${lines.join('\n')}`);
    expect(result.trials).toBe(9300);
  }, 180_000);
});
