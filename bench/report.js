// Report-build benchmark (`node bench/report.js` after `npm run build`; part of `npm run bench`).
// A simulated 100,000-trial run (3 providers x 2 selectors x k 0,1,2,4,8,16 x 1,520 items x 2 repeats,
// outputs of about 200 characters, shot ids, parsed answers, a few failures): how long writeReport
// (summary.json + summary.md + report.html), writeReportCharts (the chart SVGs, drawn in Node) and
// `fewshot report` (re-reading trials.jsonl, then both) take, and how large report.html is. The
// baseline, measured in the same run, is the time to merely read and JSON.parse the same trials.jsonl,
// so the ratios compare across machines.
// Targets: each build within seconds (under 10 s), report.html a few MB at most (under 5 MB).
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { simulateTrials, SHAPES } from '../dist/analysis/simulate.js';
import { writeReport, writeReportCharts } from '../dist/report/write.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const BIN = join(ROOT, 'dist', 'bin.js');
const ITEMS = 1520;
const REPEATS = 2;
const TARGET_SECONDS = 10;
const TARGET_HTML_MB = 5;
const MB = 1024 * 1024;

function ms(start) {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

function time(fn) {
  const start = process.hrtime.bigint();
  const result = fn();
  return { ms: ms(start), result };
}

const STORES = ['A', 'B', 'C', 'D', 'E', 'F'];

/** A deterministic, about 200-character model output for trial number n (a route, a cost, some words). */
function outputFor(n, itemId, k) {
  const order = [...STORES].sort((a, b) => ((a.charCodeAt(0) * 31 + n) % 7) - ((b.charCodeAt(0) * 31 + n) % 7));
  const cost = 80 + (n % 97);
  return (
    `Looking at the receiving windows for ${itemId}, the earliest window closes first, so I visit it before the ` +
    `others (${k} worked examples).\nROUTE: Depot -> ${order.map((s) => `Store ${s}`).join(' -> ')}\nCOST: ${cost}`
  );
}

/** The simulated run, with realistic record sizes: real outputs, answers, shot ids and prompt hashes. */
function simulateRun() {
  const trials = [];
  const shapes = [
    ['random', 'plateau'],
    ['similar', 'improving'],
  ];
  for (const provider of ['openai:gpt-4o-mini', 'anthropic:claude-haiku-4-5', 'google:gemini-2.5-flash']) {
    for (const [selector, shape] of shapes) {
      const simulated = simulateTrials({
        accuracy: SHAPES[shape],
        items: ITEMS,
        repeats: REPEATS,
        consistency: 0.8,
        seed: `${provider}/${selector}`,
        provider,
        selector,
        failureRate: [0.01, 0.01, 0.01, 0.02, 0.03, 0.05],
      });
      for (const t of simulated) {
        if (selector !== 'random' && t.k === 0) continue; // k = 0 is one shared cell per provider
        const n = trials.length;
        t.runId = 'bench-report';
        t.shotIds = Array.from({ length: t.k }, (_, j) => `pool-${(n * 7 + j * 13) % 32}`);
        t.promptHash = ((n * 2654435761) >>> 0).toString(16).padStart(16, '0');
        if (t.output !== null) {
          t.output = outputFor(n, t.itemId, t.k);
          if (n % 41 === 0) {
            t.parseOk = false;
            t.parseError = 'no ROUTE: line found';
            t.score = 0;
          } else {
            t.answer = { order: t.output.split('ROUTE: ')[1].split('\n')[0].split(' -> ').slice(1), cost: 80 + (n % 97) };
          }
        }
        t.tokensIn = 180 + 140 * t.k;
        t.tokensOut = 60;
        t.latencyMs = 400 + (n % 900);
        trials.push(t);
      }
    }
  }
  return trials;
}

function runInfo(trials) {
  return {
    runId: 'bench-report',
    experiment: { name: 'bench-report', path: 'experiments/bench-report.yaml' },
    config: {},
    seed: 7,
    tool: { name: 'fewshot', version: 'bench' },
    git: { commit: null, dirty: null },
    startedAt: '2026-01-01T00:00:00.000Z',
    endedAt: '2026-01-01T02:00:00.000Z',
    status: 'complete',
    providers: [...new Set(trials.map((t) => t.provider))].map((id) => ({ id, status: 'ran' })),
    notices: [],
    plannedTrials: trials.length,
    completedTrials: trials.length,
    task: { type: 'routes', poolSize: 32, evalItems: ITEMS, baseline: 'nearest-neighbour heuristic', measures: [] },
  };
}

const dir = mkdtempSync(join(tmpdir(), 'fewshot-bench-report-'));
try {
  const simulated = time(simulateRun);
  const trials = simulated.result;
  const info = runInfo(trials);
  const runDir = join(dir, 'run');
  mkdirSync(runDir);
  const trialsPath = join(runDir, 'trials.jsonl');
  writeFileSync(trialsPath, trials.map((t) => JSON.stringify(t)).join('\n') + '\n');
  writeFileSync(join(runDir, 'run.json'), `${JSON.stringify(info, null, 2)}\n`);
  const trialsMb = statSync(trialsPath).size / MB;

  // Baseline: merely read trials.jsonl and JSON.parse every line (best of 3).
  let baselineMs = Infinity;
  for (let i = 0; i < 3; i++) {
    const t = time(() =>
      readFileSync(trialsPath, 'utf8')
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l)),
    );
    if (t.result.length !== trials.length) throw new Error(`read back ${t.result.length} of ${trials.length} trials`);
    baselineMs = Math.min(baselineMs, t.ms);
  }

  // writeReport from the trials in memory (what a sweep does at its end).
  const built = time(() => writeReport(join(dir, 'in-memory'), trials, info));
  const htmlMb = statSync(built.result.reportPath).size / MB;
  const summaryMb = statSync(built.result.summaryPath).size / MB;

  // writeReportCharts: each chart's Vega-Lite spec and SVG (what a sweep and `fewshot report` do next).
  const chartsStarted = process.hrtime.bigint();
  const chartPaths = await writeReportCharts(join(dir, 'in-memory'), built.result.summary, info);
  const chartsMs = ms(chartsStarted);
  const svgs = chartPaths.filter((p) => p.endsWith('.svg')).length;

  // `fewshot report`: a fresh process re-reads and validates trials.jsonl, then writes the report.
  const started = process.hrtime.bigint();
  const cli = spawnSync(process.execPath, [BIN, 'report', runDir], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  const cliMs = ms(started);
  if (cli.status !== 0) throw new Error(`fewshot report exited ${cli.status}: ${cli.stderr}`);
  const cliHtmlMb = statSync(join(runDir, 'report.html')).size / MB;

  const seconds = (x) => `${(x / 1000).toFixed(2)} s`;
  const verdict = (ok) => (ok ? 'met' : 'NOT met');
  console.log(
    `report: ${trials.length} simulated trials (3 providers x 2 selectors x 6 k x ${ITEMS} items x ${REPEATS} repeats, ` +
      `generated in ${seconds(simulated.ms)}), trials.jsonl ${trialsMb.toFixed(1)} MB; baseline read + JSON.parse ${baselineMs.toFixed(0)} ms`,
  );
  console.log(
    `report: writeReport (summary.json ${summaryMb.toFixed(2)} MB + summary.md + report.html) ${seconds(built.ms)} ` +
      `-> ${(built.ms / baselineMs).toFixed(1)}x the baseline; report.html ${htmlMb.toFixed(2)} MB`,
  );
  console.log(`report: writeReportCharts (drawing the ${svgs} chart SVGs in Node) ${seconds(chartsMs)} -> ${(chartsMs / baselineMs).toFixed(1)}x the baseline`);
  console.log(
    `report: fewshot report (new process: read and validate trials.jsonl, rebuild, draw the chart SVGs) ${seconds(cliMs)} ` +
      `-> ${(cliMs / baselineMs).toFixed(1)}x the baseline; report.html ${cliHtmlMb.toFixed(2)} MB`,
  );
  const fast = built.ms < TARGET_SECONDS * 1000 && cliMs < TARGET_SECONDS * 1000;
  const small = Math.max(htmlMb, cliHtmlMb) < TARGET_HTML_MB;
  console.log(`report: target build under ${TARGET_SECONDS} s: ${verdict(fast)}; target report.html under ${TARGET_HTML_MB} MB: ${verdict(small)}`);
  if (!fast || !small) process.exitCode = 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
