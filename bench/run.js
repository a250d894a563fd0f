// Benchmarks: `npm run bench`. Each prints a ratio against a baseline measured in the same run,
// so numbers compare across machines; absolute times are printed for context only.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { evaluateRoute, generateInstances, solveRoute } from '../dist/tasks/routes.js';
import { runSweep } from '../dist/app/sweep-and-report.js';
import { prepareSweep } from '../dist/runner/prepare.js';
import { selectShots } from '../dist/runner/execute.js';
import { writeReport, writeReportCharts } from '../dist/report/write.js';

async function bestAsync(runs, fn) {
  let min = Infinity;
  let result;
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    result = await fn();
    min = Math.min(min, Number(process.hrtime.bigint() - start) / 1e6);
  }
  return { ms: min, result };
}

function time(fn) {
  const start = process.hrtime.bigint();
  const result = fn();
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, result };
}

function best(runs, fn) {
  let min = Infinity;
  let result;
  for (let i = 0; i < runs; i++) {
    const t = time(fn);
    if (t.ms < min) min = t.ms;
    result = t.result;
  }
  return { ms: min, result };
}

function permutations(items) {
  if (items.length <= 1) return [items.slice()];
  const out = [];
  items.forEach((x, i) => {
    for (const rest of permutations([...items.slice(0, i), ...items.slice(i + 1)])) out.push([x, ...rest]);
  });
  return out;
}

/** Baseline: evaluate every order (what the solver would do without pruning). */
function bruteForce(instance) {
  let best = null;
  for (const order of permutations(instance.stores.map((s) => s.letter))) {
    const e = evaluateRoute(instance, order);
    if (!e.feasible) continue;
    if (!best || e.cost < best.cost || (e.cost === best.cost && e.completion < best.completion)) best = e;
  }
  return best;
}

// 1. Exact solver vs exhaustive evaluation of every order, on 7-store instances (5,040 orders each).
const instances = generateInstances({ stores: { min: 7, max: 7 }, windowTightness: 0.6, poolSize: 1, evalItems: 1 }, 1, 'bench', 20);
const solver = best(3, () => instances.map((i) => solveRoute(i)));
const brute = best(3, () => instances.map((i) => bruteForce(i)));
instances.forEach((_, i) => {
  const a = solver.result[i];
  const b = brute.result[i];
  if (a.cost !== b.cost || a.completion !== b.completion) throw new Error(`solver disagrees with brute force on instance ${i}`);
});
const orders = permutations(instances[0].stores.map((s) => s.letter)).length;
console.log(
  `solver: ${instances.length} instances of 7 stores (${orders.toLocaleString('en-US')} orders each): pruned ${solver.ms.toFixed(1)} ms, exhaustive ${brute.ms.toFixed(1)} ms -> ${(brute.ms / solver.ms).toFixed(1)}x faster (same optima)`,
);

// 2. Harness overhead: the flagship sweep end to end (plan, select, render, local baseline, parse,
//    score, trials.jsonl, report) vs the same trials' task work alone (select, render, baseline, parse, score).
const out = mkdtempSync(join(tmpdir(), 'fewshot-bench-'));
try {
  const experiment = join(out, 'routes.yaml');
  writeFileSync(
    experiment,
    `name: bench\nseed: 3\ntask: { type: routes, stores: { min: 4, max: 6 }, windowTightness: 0.6, poolSize: 32, evalItems: 60 }\n` +
      `shots: [0, 1, 2, 4, 8, 16]\nselectors: [random, first]\nrepeats: 3\nproviders: [local]\nconcurrency: 8\nout: ${JSON.stringify(join(out, 'results'))}\n`,
  );
  const prepared = prepareSweep(experiment, {});
  const ctx = {
    experimentSeed: prepared.config.seed,
    items: prepared.data.items,
    pool: prepared.data.pool,
    arms: new Map(prepared.arms.map((a) => [a.label, a])),
    distractors: [],
  };
  const { task, plan } = prepared;
  const taskOnly = best(3, () => {
    for (const spec of plan) {
      const item = ctx.items[spec.itemIndex];
      const shots = selectShots(spec, ctx);
      task.render(shots, item);
      const parsed = task.parse(task.baseline(item, shots));
      if (parsed.ok) task.score(parsed.answer, item);
    }
  });
  let sweepMs = Infinity;
  let runDir;
  for (let i = 0; i < 3; i++) {
    const started = process.hrtime.bigint();
    ({ runDir } = await runSweep({ experimentPath: experiment, quiet: true, log: () => {} }));
    sweepMs = Math.min(sweepMs, Number(process.hrtime.bigint() - started) / 1e6);
  }
  console.log(
    `sweep: ${plan.length} local trials end to end ${sweepMs.toFixed(0)} ms (${Math.round((plan.length / sweepMs) * 1000)} trials/s), ` +
      `task work alone ${taskOnly.ms.toFixed(0)} ms -> harness overhead ${(sweepMs / taskOnly.ms).toFixed(2)}x`,
  );
  // The sweep's two fixed costs at its end, apart (best of 3 each, on the trials the last sweep wrote):
  // writeReport (running totals, summary.json, summary.md, report.html) and writeReportCharts (each
  // chart's Vega-Lite spec and its SVG, drawn in Node by vega's headless view).
  const trials = readFileSync(join(runDir, 'trials.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l));
  const info = JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8'));
  const again = join(out, 'report-again');
  const report = best(3, () => writeReport(again, trials, info));
  const charts = await bestAsync(3, () => writeReportCharts(again, report.result.summary, info));
  const svgs = readdirSync(join(again, 'charts')).filter((f) => f.endsWith('.svg')).length;
  console.log(
    `sweep: of which the report (summary.json, summary.md, report.html from the ${trials.length} trials) ${report.ms.toFixed(0)} ms and ` +
      `drawing the ${svgs} chart SVGs in Node ${charts.ms.toFixed(0)} ms -> ${(((report.ms + charts.ms) / sweepMs) * 100).toFixed(0)}% of the end-to-end time ` +
      `(${((charts.ms / sweepMs) * 100).toFixed(0)}% the SVGs)`,
  );
} finally {
  rmSync(out, { recursive: true, force: true });
}

// 3. Analysis: the verdict pipeline (paired tests, Holm, labels, collapse, failure trends, candidates)
//    on a large simulated run, against the descriptive per-cell summary of the same trials.
{
  const { simulateTrials, SHAPES } = await import('../dist/analysis/simulate.js');
  const { summarizeCells } = await import('../dist/analysis/summarize.js');
  const { analyzeRun } = await import('../dist/analysis/analyze.js');
  const { DEFAULT_ANALYSIS_SETTINGS } = await import('../dist/analysis/options.js');
  const trials = [];
  for (const provider of ['a', 'b', 'c']) {
    for (const [selector, shape] of [
      ['random', 'plateau'],
      ['similar', 'improving'],
    ]) {
      const t = simulateTrials({ accuracy: SHAPES[shape], items: 500, repeats: 3, consistency: 0.8, seed: `${provider}/${selector}`, provider, selector });
      trials.push(...(selector === 'random' ? t : t.filter((r) => r.k > 0)));
    }
  }
  const describe = best(3, () => summarizeCells(trials));
  const analyse = best(3, () => analyzeRun(trials, describe.result, DEFAULT_ANALYSIS_SETTINGS));
  console.log(
    `analysis: ${trials.length} trials (3 providers x 2 selectors x 6 k x 500 items x 3 repeats), ${analyse.result.testCount} tests: ` +
      `verdicts ${analyse.ms.toFixed(0)} ms vs per-cell summary ${describe.ms.toFixed(0)} ms -> ${(analyse.ms / describe.ms).toFixed(1)}x`,
  );
}
