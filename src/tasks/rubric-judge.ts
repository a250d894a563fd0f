/**
 * Model-graded scoring (`scoring.method: judge`; docs/experiments.md, "Model-graded scoring"): a judge
 * model grades each answer by the experiment's rubric, a LiquidJS template file, on a scale of whole
 * numbers (`0-10` by default); its number becomes a score in [0, 1]: (number - low) / (high - low).
 *
 * The task does not call the judge: `call` describes the call (a ModelCall, see task.ts) and the runner
 * makes it through its provider path (runner/score.ts: response cache, budget, retries, rate limits,
 * progress, cost). A judge call that fails, or a verdict without a number on the scale on its last
 * line, is a failed measurement, never a wrong answer.
 *
 * The rubric is the judge's user message; a fixed system message asks for the number on the last line.
 * Its variables: every column of the item's record under its own name, then `id`, `input`, `expected`
 * (the item's expected output), `reply` (the answer graded), `low`, `high` and `scale` (e.g. "0-10").
 * Like prompt templates (templates.ts, whose engine settings this mirrors): strict variables (an
 * unknown name is an error with its file:line:col), no file access, nothing HTML-escaped.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Template } from 'liquidjs';
import type { JudgeScale, JudgeScoringConfig } from '../config/judge-scoring-schema.js';
import { sha256 } from '../util/hash.js';
import { TaskDataError } from './errors.js';
import type { ChatMessage, ModelCall, TemplateFile } from './task.js';
import { templateEngine, templateError } from './templates.js';

/** The variables a rubric is rendered with (see the file comment). */
export type RubricVariables = Record<string, unknown>;

/** What the rubric needs to know about one graded reply. */
export interface RubricSubject {
  /** The record's columns (dataset row, calibration record): each is a variable under its own name. */
  columns: Record<string, unknown>;
  id: string;
  input: string;
  /** The expected output; absent in a calibration record without one (then `expected` is unknown to the rubric). */
  expected?: string;
  reply: string;
}

export interface RubricJudge {
  readonly scale: JudgeScale;
  /** The rubric file, by path as written and sha256 of its content. */
  readonly file: TemplateFile;
  /** The rubric rendered for one reply; throws a TemplateError (file:line:col) for an unknown variable. */
  render(subject: RubricSubject): string;
  /** The judge's grading of one reply, as a call for the runner to make. */
  call(subject: RubricSubject): ModelCall;
}

/** The judge's system message: how to end the verdict, so that the number can be read. */
export function judgeSystemPrompt(scale: JudgeScale): string {
  return (
    'You are a careful grader. Grade the reply described in the user message by the rubric there. ' +
    `You may explain briefly first. End with the grade alone, a whole number from ${scale.low} (worst) to ${scale.high} (best), on its own last line.`
  );
}

/** Reads and compiles the rubric (relative to the experiment's folder): a missing file or a syntax error stops here. */
export function loadRubricJudge(config: JudgeScoringConfig, baseDir: string): RubricJudge {
  const path = join(baseDir, config.rubric);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a folder, not a file' : (e as Error).message;
    throw new TaskDataError(path, null, `cannot read the rubric of scoring.rubric: ${why}`);
  }
  const liquid = templateEngine('a rubric');
  let template: Template[];
  try {
    template = liquid.parse(text, path);
  } catch (e) {
    throw templateError(path, e);
  }
  const scale = config.scale;
  const render = (subject: RubricSubject): string => {
    const scope = rubricVariables(subject, scale);
    try {
      return String(liquid.renderSync(template, scope)).trim();
    } catch (e) {
      throw templateError(path, e, scope);
    }
  };
  const temperature = config.provider.temperature ?? 0;
  const maxOutputTokens = config.provider.maxOutputTokens;
  return {
    scale,
    file: { name: config.rubric, sha256: sha256(text) },
    render,
    call: (subject) => {
      const messages: ChatMessage[] = [
        { role: 'system', content: judgeSystemPrompt(scale) },
        { role: 'user', content: render(subject) },
      ];
      return {
        kind: 'needs-model',
        role: 'judge',
        request: { messages, temperature, ...(maxOutputTokens !== undefined && { maxOutputTokens }) },
        finish: (reply) => {
          const value = parseScaledVerdict(reply.text, scale);
          if (value === null) {
            const tail = reply.text.trim().split(/\r?\n/).at(-1)?.slice(0, 120) ?? '';
            const why = reply.finishReason === 'length' ? ' (the verdict was cut off at the output token limit)' : '';
            throw new Error(`no grade from ${scale.low} to ${scale.high} on the verdict's last line${why}: "${tail}"`);
          }
          return {
            score: normalizeGrade(value, scale),
            details: { scoringMethod: 'judge', judge: reply.provider, judgeScore: value },
          };
        },
      };
    },
  };
}

/** The rubric's scope: the columns, then the mapped names over them. */
export function rubricVariables(subject: RubricSubject, scale: JudgeScale): RubricVariables {
  return {
    ...subject.columns,
    id: subject.id,
    input: subject.input,
    ...(subject.expected !== undefined && { expected: subject.expected }),
    reply: subject.reply,
    low: scale.low,
    high: scale.high,
    scale: scale.text,
  };
}

/** A grade on the scale as a score in [0, 1]. */
export function normalizeGrade(value: number, scale: JudgeScale): number {
  return (value - scale.low) / (scale.high - scale.low);
}

/**
 * The grade on the verdict's last non-empty line ("7", "7/10", "7 out of 10", "Score: 7", "Grade: **4**"),
 * or null when that line holds none, or one off the scale. Only the last line counts: numbers in the
 * reasoning above it are not verdicts. A decimal within the scale (7.5) is read as it is.
 */
export function parseScaledVerdict(text: string, scale: JudgeScale): number | null {
  const lines = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '');
  const last = lines.at(-1);
  if (last === undefined) return null;
  const cleaned = last.replace(/[*_`#>]/g, '').trim();
  const match = /^(?:(?:final\s+)?(?:score|grade|rating)\s*[:=]?\s*)?(\d{1,4}(?:\.\d+)?)\s*(?:(?:\/|out of)\s*(\d{1,4}))?\s*\.?$/i.exec(cleaned);
  if (!match) return null;
  const value = Number(match[1]);
  if (match[2] !== undefined && Number(match[2]) !== scale.high) return null;
  return Number.isFinite(value) && value >= scale.low && value <= scale.high ? value : null;
}
