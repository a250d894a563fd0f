import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { writeReport } from '../report/write.js';
import { readRunInfo, RunInfoError, writeRunInfo, type RunInfo } from '../records/run-info.js';
import { TrialWriter } from '../records/trials-file.js';
import { ZERO_SHOT_SELECTOR, type TrialErrorKind } from '../records/trial.js';
import { sha256 } from '../util/hash.js';
import { TOOL_VERSION } from '../version.js';
import { readAdaptGaugeCsv, type AdaptGaugeCsv } from './adaptgauge-csv.js';
import { DEFAULT_SELECTION, mapAdaptGaugeRows, type MappedTask } from './adaptgauge-map.js';
import { ImportError } from './import-error.js';

export interface ImportOptions {
  /** Run name; run ids are `<name>-<task_id>`. Default: the file name without `raw_results_` and `.csv`. */
  name?: string;
  /** Pins summary.generatedAt, and run.json's times when the CSV has no usable timestamps. */
  now?: Date;
}

/** What one task's folder holds: the facts an analyst needs before reading its curves. */
export interface ImportedRun {
  taskId: string;
  runId: string;
  dir: string;
  trials: number;
  /** ERROR rows, recorded as provider errors. */
  errors: number;
  errorsByKind: Partial<Record<TrialErrorKind, number>>;
  /** Blank outputs (AdaptGauge scored them 0). */
  empty: number;
  models: string[];
  /** Distinct test cases (input + expected output). */
  items: number;
  /** Trials per item within one (model, selector, k) cell: repeats of the same item. */
  repeatsPerItem: { min: number; max: number };
  scoringMethods: Record<string, number>;
  /** Rows AdaptGauge scored 0, and how many of them were failures (ERROR or empty) rather than wrong answers. */
  zeroScores: number;
  zeroScoreFailures: number;
}

export interface ImportResult {
  file: string;
  /** Data rows in the CSV (each became one trial). */
  rows: number;
  runs: ImportedRun[];
}

/**
 * Import an AdaptGauge raw_results_*.csv: one results folder per task under outDir (AdaptGauge
 * analyses per task, and items of different tasks must not be pooled), each with run.json,
 * trials.jsonl and the report. Everything is validated before anything is written.
 */
export function importAdaptGauge(csvPath: string, outDir: string, options: ImportOptions = {}): ImportResult {
  const csv = readAdaptGaugeCsv(csvPath);
  const name = options.name ?? basename(csvPath, extname(csvPath)).replace(/^raw_results_/, '');
  const tasks = mapAdaptGaugeRows(csv.rows, (taskId) => `${name}-${taskId}`);
  const dirs = tasks.map((task) => claimDir(csvPath, join(outDir, task.taskId), task.runId));

  const runs = tasks.map((task, i) => {
    const dir = dirs[i]!;
    const facts = taskFacts(task);
    const info = runInfoFor(csv, task, facts, name, options.now);
    rmSync(join(dir, 'trials.jsonl'), { force: true });
    writeRunInfo(dir, info);
    const writer = new TrialWriter(join(dir, 'trials.jsonl'));
    try {
      for (const t of task.trials) writer.write(t);
    } finally {
      writer.close();
    }
    writeReport(dir, task.trials, info, options.now ? { now: options.now } : {});
    return { taskId: task.taskId, runId: task.runId, dir, ...facts };
  });
  return { file: csvPath, rows: csv.rows.length, runs };
}

/** One line per task folder, for the CLI. */
export function formatImportResult(result: ImportResult): string[] {
  const lines = [`imported ${result.rows} rows from ${result.file} into ${result.runs.length} task folder(s):`];
  for (const r of result.runs) {
    const kinds = Object.entries(r.errorsByKind)
      .map(([k, n]) => `${k} ${n}`)
      .join(', ');
    const repeats = r.repeatsPerItem.min === r.repeatsPerItem.max ? `${r.repeatsPerItem.min}` : `${r.repeatsPerItem.min}-${r.repeatsPerItem.max}`;
    lines.push(
      `  ${r.taskId}: ${r.trials} trials = ${r.items} items x ${r.models.length} model(s), ${repeats} trial(s) per item per cell; ` +
        `${r.errors} provider errors${kinds ? ` (${kinds})` : ''}, ${r.empty} empty; ` +
        `${r.zeroScoreFailures} of ${r.zeroScores} zero scores are failures -> ${r.dir}`,
    );
  }
  return lines;
}

/** Refuse to mix an import into a folder that holds another run; re-importing the same run replaces it. */
function claimDir(file: string, dir: string, runId: string): string {
  if (existsSync(dir) && readdirSync(dir).length > 0) {
    // Read with the schema every reader of run.json shares: only a valid run.json of this very run may be replaced.
    const infoPath = join(dir, 'run.json');
    let holds: string;
    if (!existsSync(infoPath)) holds = 'other files';
    else {
      try {
        const existing = readRunInfo(infoPath).runId;
        if (existing === runId) return dir;
        holds = `run ${existing}`;
      } catch (err) {
        if (!(err instanceof RunInfoError)) throw err;
        holds = `other files (${err.message})`;
      }
    }
    throw new ImportError(file, null, `${dir} already holds ${holds}; import into another folder or under another name`);
  }
  mkdirSync(dir, { recursive: true });
  return dir;
}

type TaskFacts = Omit<ImportedRun, 'taskId' | 'runId' | 'dir'>;

function taskFacts(task: MappedTask): TaskFacts {
  const errorsByKind: Partial<Record<TrialErrorKind, number>> = {};
  const scoringMethods: Record<string, number> = {};
  const perCell = new Map<string, number>();
  let errors = 0;
  let empty = 0;
  let zeroScores = 0;
  let zeroScoreFailures = 0;
  task.trials.forEach((t, i) => {
    const row = task.rows[i]!;
    const failed = t.error !== null || (t.output ?? '').trim() === '';
    if (t.error) {
      errors++;
      errorsByKind[t.error.kind] = (errorsByKind[t.error.kind] ?? 0) + 1;
    } else if ((t.output ?? '').trim() === '') empty++;
    // AdaptGauge scored every ERROR row 0, whatever its score column says.
    if (t.error !== null || row.score === 0) {
      zeroScores++;
      if (failed) zeroScoreFailures++;
    }
    scoringMethods[row.scoringMethod] = (scoringMethods[row.scoringMethod] ?? 0) + 1;
    const key = JSON.stringify([t.provider, t.selector, t.k, t.itemId]);
    perCell.set(key, (perCell.get(key) ?? 0) + 1);
  });
  const counts = [...perCell.values()];
  return {
    trials: task.trials.length,
    errors,
    errorsByKind: Object.fromEntries(Object.entries(errorsByKind).sort(([a], [b]) => (a < b ? -1 : 1))),
    empty,
    models: distinct(task.trials.map((t) => t.model)),
    items: new Set(task.trials.map((t) => t.itemId)).size,
    repeatsPerItem: { min: Math.min(...counts), max: Math.max(...counts) },
    scoringMethods,
    zeroScores,
    zeroScoreFailures,
  };
}

function runInfoFor(csv: AdaptGaugeCsv, task: MappedTask, facts: TaskFacts, name: string, now: Date | undefined): RunInfo {
  const times = task.rows.map((r) => timestampMs(r.timestamp)).filter((t): t is number => t !== null);
  const fallback = (now ?? new Date()).toISOString();
  const selections = distinct(task.rows.map((r) => r.exampleSelection ?? `${DEFAULT_SELECTION} (assumed)`));
  return {
    runId: task.runId,
    experiment: { name, path: csv.file },
    config: {
      source: 'adaptgauge',
      file: csv.file,
      fileSha256: sha256(csv.text),
      taskId: task.taskId,
      adaptgaugeRunIds: distinct(task.rows.map((r) => r.runId)),
      categories: distinct(task.rows.map((r) => r.category)),
      models: facts.models,
      shots: [...new Set(task.rows.map((r) => r.shotCount))].sort((a, b) => a - b),
      exampleSelections: selections,
      trialIds: distinct(task.rows.map((r) => r.trialId)),
      scoringMethods: facts.scoringMethods,
      rows: task.rows.length,
      missingColumns: csv.missingOptional,
      ignoredColumns: csv.extraColumns,
    },
    seed: 0,
    tool: { name: 'fewshot', version: TOOL_VERSION },
    git: { commit: null, dirty: null },
    startedAt: times.length > 0 ? new Date(Math.min(...times)).toISOString() : fallback,
    endedAt: times.length > 0 ? new Date(Math.max(...times)).toISOString() : fallback,
    status: 'complete',
    providers: facts.models.map((id) => ({ id, status: 'ran' as const })),
    notices: noticesFor(csv, task, facts, times.length),
    plannedTrials: task.trials.length,
    completedTrials: task.trials.length,
    task: { type: 'adaptgauge', poolSize: 0, evalItems: facts.items, baseline: 'none (imported run)', measures: [] },
  };
}

function noticesFor(csv: AdaptGaugeCsv, task: MappedTask, facts: TaskFacts, timed: number): string[] {
  const n = task.rows.length;
  const kinds = Object.entries(facts.errorsByKind)
    .map(([k, c]) => `${k} ${c}`)
    .join(', ');
  const notices = [
    `imported from AdaptGauge raw results (${basename(csv.file)}): ${n} rows; ` +
      `${facts.errors} ERROR rows became provider errors${kinds ? ` (${kinds})` : ''}; ${facts.empty} empty outputs; ` +
      `${facts.zeroScoreFailures} of the ${facts.zeroScores} rows AdaptGauge scored 0 were failures, not wrong answers`,
    `${facts.items} test items, each asked ${rangeText(facts.repeatsPerItem)} time(s) per model, selection and shot count: ` +
      'repeats re-measure the same items, so intervals count items, not trials',
  ];
  const judged = facts.scoringMethods.llm_judge ?? 0;
  if (judged > 0) {
    notices.push(`scoring method llm_judge for ${judged} rows: scores are an LLM judge's keyword coverage, not exact (nothing checks the answer itself)`);
  }
  const f1 = facts.scoringMethods.f1 ?? 0;
  if (f1 > 0) notices.push(`scoring method f1 for ${f1} rows: token overlap with the expected text, graded (a correct answer in other words scores low)`);
  if (csv.missingOptional.includes('example_selection')) {
    notices.push(`no example_selection column: k > 0 rows are recorded under selector ${DEFAULT_SELECTION} (AdaptGauge's default)`);
  }
  const zeroShotSelections = distinct(task.rows.filter((r) => r.shotCount === 0).map((r) => r.exampleSelection ?? ''));
  if (zeroShotSelections.length > 1) {
    notices.push(
      `AdaptGauge ran k = 0 once per example selection (${zeroShotSelections.join(', ')}); with no shots these are the same ` +
        `condition, so they are pooled as repeats in the shared ${ZERO_SHOT_SELECTOR} cell`,
    );
  }
  if (task.rows.every((r) => r.inputTokens === 0 && r.outputTokens === 0)) {
    notices.push('token counts are all 0 in the CSV: AdaptGauge did not record them, so token means are not real');
  }
  if (timed < n) notices.push(`${n - timed} rows have no parseable timestamp; run times cover the rest`);
  if (task.rows.some((r) => /^\d{4}-\d{2}-\d{2}[T ][\d:.]+$/.test(r.timestamp))) {
    notices.push('timestamps carry no time zone; read as UTC');
  }
  if (task.duplicateRows > 0) notices.push(`${task.duplicateRows} rows repeat an earlier (model, selection, shots, item, trial_id); kept as further repeats`);
  if (task.clampedScores > 0) notices.push(`${task.clampedScores} scores outside [0, 1] were clamped`);
  if (csv.missingOptional.some((c) => c !== 'example_selection')) {
    notices.push(`columns absent from the CSV (taken as blank or 0): ${csv.missingOptional.filter((c) => c !== 'example_selection').join(', ')}`);
  }
  return notices;
}

/** ISO-like timestamps as Python writes them; one without a zone is read as UTC so the result is machine-independent. */
export function timestampMs(text: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:?\d{2})?$/.exec(text);
  if (!m) return null;
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  let t = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), Number((frac ?? '').padEnd(3, '0').slice(0, 3)));
  if (zone && zone !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    const digits = zone.replace(/[+:-]/g, '');
    t -= sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2))) * 60_000;
  }
  return Number.isFinite(t) ? t : null;
}

function rangeText(r: { min: number; max: number }): string {
  return r.min === r.max ? `${r.min}` : `${r.min} to ${r.max}`;
}

function distinct(values: readonly string[]): string[] {
  return [...new Set(values)];
}
