/**
 * The judge's calibration set (`scoring.calibration`; docs/experiments.md, "Calibrating the judge"):
 * replies a person has already graded on the judge's scale, one JSON object a line:
 *
 *   {"input": "...", "reply": "...", "expected": "...", "score": 7}
 *
 * `input`, `reply` (the answer graded) and `score` (the human grade, on the scoring scale) are
 * required; `expected` and `id` are optional; every other field is a rubric variable under its own
 * name, as a dataset column is (`score` is not: the judge must not see the human's grade).
 *
 * Checked when loading, before any call (TaskDataError with file:line): the file, each record, and
 * the rubric rendered for each record (an unknown variable names the record and the rubric's line).
 */
import { readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { TaskDataError } from './errors.js';
import type { RubricJudge, RubricSubject } from './rubric-judge.js';

/** One human-graded reply. */
export interface CalibrationCase {
  /** 1-based line in the file. */
  line: number;
  id: string;
  /** The human grade, on the judge's scale. */
  human: number;
  subject: RubricSubject;
}

export interface CalibrationSet {
  /** The file as the experiment names it (relative to the experiment file). */
  file: string;
  cases: CalibrationCase[];
}

/** Fewer records give no agreement worth an interval. */
export const MIN_CALIBRATION_RECORDS = 2;

export function loadCalibration(file: string, baseDir: string, judge: RubricJudge): CalibrationSet {
  const path = isAbsolute(file) ? file : join(baseDir, file);
  let buffer: Buffer;
  try {
    buffer = readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'file not found' : code === 'EISDIR' ? 'is a folder, not a file' : (e as Error).message;
    throw new TaskDataError(path, null, `cannot read the calibration file of scoring.calibration: ${why} (paths are relative to the experiment file's folder)`);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(buffer).replace(/^\uFEFF/, '');
  } catch {
    throw new TaskDataError(path, null, 'not valid UTF-8: the calibration file must be UTF-8 text; re-save it as UTF-8');
  }
  const { low, high } = judge.scale;
  const cases: CalibrationCase[] = [];
  const ids = new Map<string, number>();
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = i + 1;
    if (raw.trim() === '') return;
    const fail = (reason: string): never => {
      throw new TaskDataError(path, line, reason);
    };
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (e) {
      fail(`not valid JSON (${(e as Error).message}): expected one JSON object a line, with input, reply and score`);
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) fail('expected a JSON object with input, reply and score');
    const record = value as Record<string, unknown>;
    const text = (key: string, required: boolean): string | undefined => {
      const v = record[key];
      if (v === undefined) {
        if (required) fail(`missing field "${key}"; the record has: ${Object.keys(record).join(', ') || 'no fields'}`);
        return undefined;
      }
      if (typeof v === 'number') return String(v);
      if (typeof v !== 'string') return fail(`field "${key}": expected text, got ${Array.isArray(v) ? 'an array' : v === null ? 'null' : `a ${typeof v}`}`);
      return v;
    };
    const input = text('input', true)!;
    const reply = text('reply', true)!;
    const expected = text('expected', false);
    const id = text('id', false) ?? `${file}:${line}`;
    const earlier = ids.get(id);
    if (earlier !== undefined) fail(`duplicate id ${JSON.stringify(id)} (also on line ${earlier})`);
    ids.set(id, line);
    const score = record.score;
    const human = typeof score === 'number' ? score : typeof score === 'string' && score.trim() !== '' ? Number(score) : Number.NaN;
    if (score === undefined) fail(`missing field "score" (the human grade, from ${low} to ${high})`);
    if (!Number.isFinite(human) || human < low || human > high) {
      fail(`field "score": expected the human grade, a number from ${low} to ${high} (scoring.scale), got ${JSON.stringify(score)}`);
    }
    const { score: _human, ...columns } = record;
    const subject: RubricSubject = { columns, id, input, reply, ...(expected !== undefined && { expected }) };
    try {
      judge.render(subject);
    } catch (e) {
      if (e instanceof TaskDataError) fail(`the rubric ${e.message}`);
      throw e;
    }
    cases.push({ line, id, human, subject });
  });
  if (cases.length < MIN_CALIBRATION_RECORDS) {
    throw new TaskDataError(
      path,
      null,
      `${cases.length} graded record${cases.length === 1 ? '' : 's'}: the judge's agreement needs at least ${MIN_CALIBRATION_RECORDS}`,
    );
  }
  return { file, cases };
}
