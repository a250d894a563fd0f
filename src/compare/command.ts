import { writeFileSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { checkComparable, compareRuns } from './compare.js';
import { CompareError } from './errors.js';
import { renderCompareJson, writeCompareFiles } from './index.js';
import { loadRun, type LoadedRun } from './load.js';
import { renderCompareJunit } from './render-junit.js';
import { renderCompareMarkdown } from './render-markdown.js';
import { renderCompareTable } from './render-terminal.js';
import { DEFAULT_COMPARE_OPTIONS, failsGate, type CompareOptions, type CompareResult, type FailOn } from './types.js';

/** What `fewshot compare` and `sweep --baseline` do; src/cli.ts declares their flags and maps errors to exit codes. */

export const FAIL_ON = ['regression', 'flag', 'none'] as const;

/** Exit codes of a comparison: 0 the gate passes, 1 it fails (a regression; or a flag under --fail-on flag). CompareError means 2. */
export const COMPARE_EXIT = { pass: 0, fail: 1 } as const;

export interface CompareArgs {
  baseline: string;
  candidate: string;
  margin?: number | undefined;
  alpha?: number | undefined;
  costThreshold?: number | undefined;
  resamples?: number | undefined;
  markdown?: string | undefined;
  junit?: string | undefined;
  json?: string | undefined;
  failOn: FailOn;
  allowDifferentExperiments: boolean;
}

/**
 * `fewshot compare`: the terminal table on stdout, or the one output asked for without a file name
 * (`--markdown`, `--junit`, `--json`); outputs with a file name are written there.
 */
export function compareCommand(args: CompareArgs, write: (text: string) => void = (t) => process.stdout.write(t)): number {
  const options = compareOptions(args);
  const outputs: { name: string; path: string | undefined; render: (r: CompareResult) => string }[] = [
    { name: 'markdown', path: args.markdown, render: renderCompareMarkdown },
    { name: 'junit', path: args.junit, render: (r) => renderCompareJunit(r, args.failOn) },
    { name: 'json', path: args.json, render: renderCompareJson },
  ];
  const toStdout = outputs.filter((o) => o.path === '');
  if (toStdout.length > 1) {
    throw new CompareError(`${toStdout.map((o) => `--${o.name}`).join(' and ')}: only one output can be printed; give the others a file name`);
  }
  checkOutputPaths(outputs, { baseline: args.baseline, candidate: args.candidate });
  const baseline = loadRun(args.baseline, 'baseline');
  const candidate = loadRun(args.candidate, 'candidate');
  const result = compareRuns(baseline, candidate, options);
  for (const o of outputs) {
    if (!o.path) continue;
    try {
      writeFileSync(o.path, o.render(result));
    } catch (err) {
      throw new CompareError(`--${o.name} ${o.path}: cannot write (${(err as Error).message})`);
    }
  }
  write(toStdout.length === 1 ? toStdout[0]!.render(result) : renderCompareTable(result));
  return failsGate(result, args.failOn) ? COMPARE_EXIT.fail : COMPARE_EXIT.pass;
}

/**
 * An output file may not land in either compared run (its run.json, trials.jsonl and reports are the
 * record being compared) nor be named by two outputs: refused before anything is read or written.
 */
function checkOutputPaths(outputs: readonly { name: string; path: string | undefined }[], runs: Record<'baseline' | 'candidate', string>): void {
  const taken = new Map<string, string>();
  for (const o of outputs) {
    if (!o.path) continue;
    const target = resolve(o.path);
    for (const [side, dir] of Object.entries(runs)) {
      const inside = relative(resolve(dir), target);
      if (inside === '' || (inside.split(sep)[0] !== '..' && !isAbsolute(inside))) {
        throw new CompareError(`--${o.name} ${o.path}: inside the ${side} run (${dir}), whose files are the record being compared; write it elsewhere`);
      }
    }
    const other = taken.get(target);
    if (other) throw new CompareError(`--${o.name} ${o.path}: --${other} writes that file too; give each output its own file`);
    taken.set(target, o.name);
  }
}

/** `sweep --baseline`: the baseline, loaded and checked against the experiment before the sweep spends anything. */
export interface Gate {
  baseline: LoadedRun;
  failOn: FailOn;
  options: CompareOptions;
}

/**
 * `readExperiment` reads and validates the experiment file (the CLI passes config's loadExperiment:
 * compare reads results folders, never experiment files itself). It runs after the baseline is loaded.
 */
export function prepareGate(
  experiment: string,
  baselinePath: string,
  failOn: FailOn,
  margin: number | undefined,
  readExperiment: (path: string) => { name: string; task: { type: string } },
): Gate {
  const options = compareOptions({ margin });
  const baseline = loadRun(baselinePath, 'baseline');
  const config = readExperiment(experiment);
  checkComparable(
    { dir: baseline.dir, name: baseline.info.experiment.name, taskType: baseline.info.task.type },
    { dir: experiment, name: config.name, taskType: config.task.type },
    false,
  );
  return { baseline, failOn, options };
}

/** After the sweep: compare with the baseline, print the table, write compare.* into the run; the exit code of the gate. */
export function runGate(gate: Gate, runDir: string, log: (line: string) => void = (l) => console.log(l)): number {
  const candidate = loadRun(relative(process.cwd(), runDir) || runDir, 'candidate');
  const result = compareRuns(gate.baseline, candidate, gate.options);
  const files = writeCompareFiles(runDir, result, gate.failOn);
  log('');
  log(renderCompareTable(result).trimEnd());
  log(`compare: ${relative(process.cwd(), files.markdown) || files.markdown} (also compare.json, compare.junit.xml)`);
  return failsGate(result, gate.failOn) ? COMPARE_EXIT.fail : COMPARE_EXIT.pass;
}

/** The statistics flags, checked; a bad value is a CompareError (exit 2). */
export function compareOptions(args: {
  margin?: number | undefined;
  alpha?: number | undefined;
  costThreshold?: number | undefined;
  resamples?: number | undefined;
  allowDifferentExperiments?: boolean;
}): CompareOptions {
  const check = (name: string, value: number | undefined, ok: (v: number) => boolean, expected: string, fallback: number) => {
    if (value === undefined) return fallback;
    if (!(Number.isFinite(value) && ok(value))) throw new CompareError(`--${name}: expected ${expected}, got ${value}`);
    return value;
  };
  const d = DEFAULT_COMPARE_OPTIONS;
  return {
    margin: check('margin', args.margin, (v) => v >= 0 && v < 1, 'a number in [0, 1), e.g. 0.03 for 3 points', d.margin),
    alpha: check('alpha', args.alpha, (v) => v > 0 && v < 0.5, 'a number in (0, 0.5)', d.alpha),
    costThreshold: check('cost-threshold', args.costThreshold, (v) => v > 0, 'a number > 0, e.g. 0.1 for 10%', d.costThreshold),
    resamples: check('resamples', args.resamples, (v) => Number.isInteger(v) && v >= 200, 'a whole number >= 200', d.resamples),
    allowDifferentExperiments: args.allowDifferentExperiments ?? false,
  };
}
