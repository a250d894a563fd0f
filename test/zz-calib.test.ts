import { it } from 'vitest';
import { analyzeRun } from '../src/analysis/analyze.js';
import { summarizeCells } from '../src/analysis/summarize.js';
import { DEFAULT_ANALYSIS_SETTINGS } from '../src/analysis/verdict-types.js';
import { SHAPES, simulateTrials, type ShapeName } from '../test/simulate.js';

it('calibrate', () => {
  for (const consistency of [0.7]) for (const items of [9, 60, 200, 1000]) {
    const line: string[] = [];
    for (const shape of Object.keys(SHAPES) as ShapeName[]) {
      const counts: Record<string, number> = {};
      const N = 300;
      const t0 = Date.now();
      for (let s = 0; s < N; s++) {
        const trials = simulateTrials({ accuracy: SHAPES[shape], items, consistency, seed: `${shape}-${items}-${s}` });
        const cells = summarizeCells(trials);
        const a = analyzeRun(trials, cells, { ...DEFAULT_ANALYSIS_SETTINGS, bootstrapResamples: 500 });
        const l = a.curves[0]!.label;
        counts[l] = (counts[l] ?? 0) + 1;
      }
      line.push(`${shape}: right ${counts[shape] ?? 0} incl ${counts.inconclusive ?? 0} (${JSON.stringify(counts)}) ${Date.now() - t0}ms`);
    }
    console.log(`c=${consistency} n=${items}\n  ${line.join('\n  ')}`);
  }
}, 600000);
