// Adaptive sampling benchmark (issue 17): `npm run build && node bench/adaptive.js`.
//
// Four simulated models of known shape (improving, plateau, peak-regression, no-benefit: the
// accuracies of src/analysis/simulate.ts) answer a two-label classify task from a local OpenAI-wire
// server (bench/sim-provider-server.js, its own process, no latency). The same experiment runs twice
// through the built CLI, the response cache off: the full grid (no `sampling:`, i.e. the default
// `mode: full`: every item in every cell, the baseline) and the adaptive mode
// (`sampling: { mode: adaptive, ... }`). It prints the calls of each (counted by the server), their
// ratio, every curve's label in both modes, the items at which each adaptive curve was decided, and
// whether any adaptive label is wrong: different from the full grid's decided label, or a claim that
// does not hold on the true curve (claimHolds of dist/analysis/validation.js). Issue 17's goal:
// ratio <= 50% (aim 35%), no wrong label.
//
// Options: --items N (evaluation items, default 1200), --first M and --step S (the adaptive looks,
// default 200 and 200), --concurrency C (per provider, default 8), --consistency X (the server's,
// default 0.8), --seed S (the server's latent draws, default "bench"), --only full|adaptive,
// --keep yes (keep the temporary folder: data, experiments, runs).
// Exit 1 when the full grid does not label every curve right (the benchmark's premise), when the
// server's counts disagree with the sweep, or when the adaptive mode gives a wrong label; exit 0
// with an "adaptive mode not available" line when the CLI refuses the `sampling:` key.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { claimHolds, idealLabel } from '../dist/analysis/validation.js';
import { KS, SHAPES } from '../dist/analysis/simulate.js';
import { ALIASES } from './sim-provider-server.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const BIN = join(HERE, '..', 'dist', 'bin.js');

function parseArgs(argv) {
  const o = { items: 1200, first: 200, step: 200, concurrency: 8, consistency: 0.8, seed: 'bench', only: null, pool: 200, keep: null };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split(/=(.*)/s, 2);
    const v = inline ?? argv[++i];
    const name = flag.replace(/^--/, '');
    if (!(name in o) || v === undefined) {
      console.error(
        `adaptive: bad argument ${JSON.stringify(argv[i - (inline === undefined ? 1 : 0)] ?? flag)} (usage: node bench/adaptive.js [--items N] [--first M] [--step S] [--concurrency C] [--consistency X] [--seed S] [--only full|adaptive] [--keep yes])`,
      );
      process.exit(2);
    }
    o[name] = name === 'seed' || name === 'only' || name === 'keep' ? v : Number(v);
  }
  return o;
}

const opts = parseArgs(process.argv.slice(2));
const MODELS = ['improving', 'plateau', 'peak', 'flat'];
const LABELS = ['billing', 'shipping'];
const truth = (model) => SHAPES[ALIASES[model] ?? model];

// --- the server -------------------------------------------------------------------------------
const server = spawn(
  process.execPath,
  [join(HERE, 'sim-provider-server.js'), '--ks', KS.join(','), '--consistency', String(opts.consistency), '--seed', opts.seed],
  {
    stdio: ['ignore', 'pipe', 'inherit'],
  },
);
const port = await new Promise((resolve, reject) => {
  server.stdout.once('data', (d) => resolve(Number(String(d).trim())));
  server.once('error', reject);
  server.once('exit', (code) => reject(new Error(`sim-provider-server exited (${code}) before listening`)));
});
async function stats(reset) {
  return (await fetch(`http://127.0.0.1:${port}/stats${reset ? '?reset=1' : ''}`)).json();
}

// --- the dataset: one JSONL, split by the experiment into a pool and the evaluation items ------
const dir = mkdtempSync(join(tmpdir(), 'fewshot-bench-adaptive-'));
const WORDS = 'order invoice parcel refund card courier address charge delay label receipt tracking payment box plan renewal depot van'.split(' ');
function writeDataset() {
  const lines = [];
  let x = 17;
  for (let i = 1; i <= opts.items + opts.pool; i++) {
    const label = LABELS[i % LABELS.length];
    const words = [];
    for (let w = 0; w < 6; w++) {
      x = (x * 1103515245 + 12345) % 2 ** 31;
      words.push(WORDS[x % WORDS.length]);
    }
    lines.push(JSON.stringify({ id: `t${i}`, text: `ticket ${i} about ${label}: ${words.join(' ')}`, label }));
  }
  writeFileSync(join(dir, 'tickets.jsonl'), `${lines.join('\n')}\n`);
}

function writeExperiment(name, sampling) {
  const providers = MODELS.map(
    (m) => `  - id: openai-compatible:${m}\n    baseUrl: http://127.0.0.1:${port}/v1\n    temperature: 0\n    maxOutputTokens: 8`,
  ).join('\n');
  const path = join(dir, `${name}.yaml`);
  writeFileSync(
    path,
    `name: ${name}\nseed: 17\n` +
      `task:\n  type: classify\n  data: { file: tickets.jsonl, fields: { input: text, label: label, id: id } }\n` +
      `  split: { poolSize: ${opts.pool}, evalItems: ${opts.items} }\n` +
      `shots: [${KS.join(', ')}]\nselectors: [random]\nrepeats: 1\n` +
      `providers:\n${providers}\nconcurrency: ${opts.concurrency}\nout: results\n` +
      (sampling === null ? '# sampling: { mode: full } is the default: every item in every cell\n' : `sampling: ${sampling}\n`),
  );
  return path;
}

/** One sweep through the built CLI, the cache off; its exit code, output, time and the server's counts. */
async function sweep(name, sampling) {
  const experiment = writeExperiment(name, sampling);
  const out = join(dir, `out-${name}`);
  await stats(true);
  const started = process.hrtime.bigint();
  const child = spawn(process.execPath, [BIN, 'sweep', experiment, '--out', out, '--quiet', '--no-cache'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, FEWSHOT_CACHE_DIR: join(dir, 'cache') },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const code = await new Promise((resolve) => child.on('close', resolve));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const served = await stats(false);
  let summary = null;
  if (code === 0) {
    const runs = readdirSync(out);
    if (runs.length !== 1) throw new Error(`${name}: expected one run folder in ${out}, found ${runs.join(', ')}`);
    summary = JSON.parse(readFileSync(join(out, runs[0], 'summary.json'), 'utf8'));
  }
  return { code, stdout, stderr, seconds, served, summary };
}

/** The k the peak falls to (labels.ts records it in the label's checks and reason, not as a field). */
function troughOf(curve) {
  const drop = curve.checks?.find((c) => c.question === 'drop' && c.holds && c.a?.k === curve.peakK);
  if (drop) return drop.b.k;
  const m = /then k=(\d+) falls/.exec(curve.reason ?? '');
  return m ? Number(m[1]) : null;
}

/** Per model: the curve's label, its claim checked against the true curve, and when it was decided. */
function curvesOf(summary) {
  const delta = summary.settings.delta;
  const byModel = {};
  for (const c of summary.curves) {
    const model = c.provider.replace(/^openai-compatible:/, '');
    const ks = c.points?.map((p) => p.k) ?? KS;
    if (JSON.stringify(ks) !== JSON.stringify(KS)) throw new Error(`curve ${c.provider}: unexpected k grid ${ks.join(', ')}`);
    const label = { label: c.label, kneeK: c.kneeK, peakK: c.peakK, troughK: troughOf(c) };
    byModel[model] = {
      label: c.label,
      holds: c.label === 'inconclusive' ? null : claimHolds(label, truth(model), KS, delta),
      decidedAt: c.decidedAtItems,
    };
  }
  return { byModel, delta };
}

const fmt = (n) => n.toLocaleString('en-US');
let failed = false;
try {
  writeDataset();
  const cellCalls = opts.items * KS.length;
  const full = opts.only === 'adaptive' ? null : await sweep('adaptive-bench-full', null);
  if (full) {
    if (full.code !== 0) throw new Error(`full grid: the sweep exited ${full.code}\n${full.stderr}${full.stdout}`);
    const { calls, total, rejected, lastRejection } = full.served;
    if (rejected > 0) throw new Error(`full grid: the server rejected ${rejected} requests (the last: ${lastRejection})`);
    for (const m of MODELS) {
      if (calls[m] !== cellCalls) throw new Error(`full grid: expected ${cellCalls} calls to ${m}, the server saw ${calls[m] ?? 0}`);
    }
    const newCalls = Number(/(\d+) new calls?/.exec(full.stdout)?.[1]);
    if (newCalls !== total) throw new Error(`full grid: the sweep reports ${newCalls} new calls, the server saw ${total}`);
    if (full.summary.completedTrials !== total) throw new Error(`full grid: ${full.summary.completedTrials} trials completed, ${total} calls`);
    full.curves = curvesOf(full.summary);
    console.log(
      `adaptive: full grid (${fmt(opts.items)} items x ${KS.length} k x ${MODELS.length} curves, concurrency ${opts.concurrency} per provider): ` +
        `${fmt(total)} calls in ${full.seconds.toFixed(1)} s (${Math.round(total / full.seconds)} calls/s)`,
    );
    for (const m of MODELS) {
      const c = full.curves.byModel[m];
      const ideal = idealLabel(truth(m), KS, full.curves.delta);
      const ok = c.label === ideal && c.holds;
      if (!ok) failed = true;
      const verdict = ok ? 'right' : c.label === 'inconclusive' ? `undecided: the true curve is ${ideal}` : `WRONG: the true curve is ${ideal}`;
      console.log(`adaptive:   ${m.padEnd(9)} full grid ${c.label} (${verdict})`);
    }
    if (failed)
      console.log('adaptive: the full grid does not label every curve right at these items: the comparison below has no sound baseline (raise --items)');
  }

  if (opts.only !== 'full') {
    const sampling = `{ mode: adaptive, maxItems: ${opts.items}, firstLook: ${opts.first}, step: ${opts.step} }`;
    const adaptive = await sweep('adaptive-bench-adaptive', sampling);
    if (adaptive.code === 2 && /sampling|adaptive/i.test(adaptive.stderr + adaptive.stdout)) {
      const first = (adaptive.stderr || adaptive.stdout).trim().split('\n').slice(0, 3).join(' | ');
      console.log(`adaptive: adaptive mode not available (the CLI refuses ${sampling}: ${first})`);
    } else if (adaptive.code !== 0) {
      throw new Error(`adaptive: the sweep exited ${adaptive.code}\n${adaptive.stderr}${adaptive.stdout}`);
    } else {
      const { total, rejected, lastRejection } = adaptive.served;
      if (rejected > 0) throw new Error(`adaptive: the server rejected ${rejected} requests (the last: ${lastRejection})`);
      const newCalls = Number(/(\d+) new calls?/.exec(adaptive.stdout)?.[1]);
      if (newCalls !== total) throw new Error(`adaptive: the sweep reports ${newCalls} new calls, the server saw ${total}`);
      const curves = curvesOf(adaptive.summary);
      const fullTotal = full ? full.served.total : cellCalls * MODELS.length;
      const ratio = total / fullTotal;
      let wrong = 0;
      const rows = MODELS.map((m) => {
        const a = curves.byModel[m];
        const f = full?.curves.byModel[m];
        const decided = a.decidedAt === undefined ? 'n/a' : a.decidedAt === null ? 'undecided' : fmt(a.decidedAt);
        const reasons = [];
        if (a.label !== 'inconclusive' && !a.holds) reasons.push('its claim does not hold on the true curve');
        if (f && f.label !== 'inconclusive' && a.label !== 'inconclusive' && a.label !== f.label) reasons.push(`the full grid says ${f.label}`);
        if (reasons.length > 0) wrong++;
        const missed = f && f.label !== 'inconclusive' && a.label === 'inconclusive' ? ' (not reached)' : '';
        return (
          `adaptive:   ${m.padEnd(9)} full ${(f?.label ?? 'not run').padEnd(15)} adaptive ${a.label}${missed}, decided at ${decided} items, ` +
          `${fmt(adaptive.served.calls[m] ?? 0)} calls${reasons.length > 0 ? `: WRONG (${reasons.join('; ')})` : ''}`
        );
      });
      const reached = full
        ? MODELS.filter((m) => full.curves.byModel[m].label !== 'inconclusive' && curves.byModel[m].label === full.curves.byModel[m].label).length
        : null;
      const decidedFull = full ? MODELS.filter((m) => full.curves.byModel[m].label !== 'inconclusive').length : null;
      console.log(
        `adaptive: adaptive (maxItems ${fmt(opts.items)}, firstLook ${fmt(opts.first)}, step ${fmt(opts.step)}): ${fmt(total)} calls in ${adaptive.seconds.toFixed(1)} s ` +
          `vs full grid ${fmt(fullTotal)}${full ? '' : ' (computed, not run)'} -> ${(ratio * 100).toFixed(1)}% of the calls (goal <= 50%, aim 35%)`,
      );
      for (const r of rows) console.log(r);
      console.log(
        `adaptive: ${reached === null ? '' : `${reached} of ${decidedFull} full-grid labels reached, `}${wrong} wrong label${wrong === 1 ? '' : 's'} -> ` +
          `goal ${ratio <= 0.5 && wrong === 0 && (reached === null || reached === decidedFull) ? 'met' : 'NOT met'}`,
      );
      if (wrong > 0) failed = true;
    }
  }
} finally {
  server.kill('SIGTERM');
  if (opts.keep === 'yes') console.log(`adaptive: kept ${dir}`);
  else rmSync(dir, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
