import { z } from 'zod';
import { adaptgaugeJudgeSchema, type AdaptGaugeJudgeConfig } from './adaptgauge-schema.js';

/*
 * Model-graded scoring of the `generate` task (`scoring.method: judge`; docs/experiments.md,
 * "Model-graded scoring"):
 *
 *   scoring:
 *     method: judge
 *     provider: openai:gpt-4o-mini          # or { id, temperature, maxOutputTokens, baseUrl, ... } as AdaptGauge's judge
 *     rubric: prompts/rubric.md             # a LiquidJS template, relative to the experiment file
 *     scale: 0-10                           # whole numbers low-high; default 0-10
 *     calibration: data/human-labels.jsonl  # optional: human scores the judge's agreement is measured on
 *
 * These are extra members of dataset-schema.ts's scoringSchema, with their own refine: they are
 * required with method judge and refused with every other method.
 */

/** The scale a judge grades on when the experiment names none. */
export const DEFAULT_JUDGE_SCALE = '0-10';

/** The largest scale end accepted (a judge's number beyond a few hundred steps is no finer a measure). */
const MAX_SCALE_END = 1000;

const SCALE_PATTERN = /^(\d{1,4})\s*-\s*(\d{1,4})$/;

/** A judge's scale as whole numbers: `low` is the worst grade, `high` the best. */
export interface JudgeScale {
  low: number;
  high: number;
  /** As written in run.json and the report, e.g. `0-10`. */
  text: string;
}

/** `0-10` or `1-5` as a JudgeScale; null when it is not one (the schema says why). */
export function parseJudgeScale(text: string): JudgeScale | null {
  const match = SCALE_PATTERN.exec(text.trim());
  if (!match) return null;
  const low = Number(match[1]);
  const high = Number(match[2]);
  if (!(low < high) || high > MAX_SCALE_END) return null;
  return { low, high, text: `${low}-${high}` };
}

const scaleSchema = z.string({ message: 'expected a scale of whole numbers such as "0-10" or "1-5"' }).superRefine((s, ctx) => {
  if (!SCALE_PATTERN.test(s.trim())) ctx.addIssue({ code: 'custom', message: 'expected a scale of whole numbers such as "0-10" or "1-5" (low-high)' });
  else if (parseJudgeScale(s) === null)
    ctx.addIssue({ code: 'custom', message: `the scale's low end must be below its high end, and the high end at most ${MAX_SCALE_END}` });
});

const filePath = (what: string) => z.string().min(1, { message: `expected ${what}, relative to the experiment file` });

/** The members scoringSchema gains for method judge (all optional there; checkJudgeScoring says when they are needed). */
export const judgeScoringFields = {
  /** The judge model: a provider id, or an object with its options (as AdaptGauge's `task.judge`). */
  provider: adaptgaugeJudgeSchema.optional(),
  /** The grading prompt: a template file, relative to the experiment file. */
  rubric: filePath('the rubric template file').optional(),
  /** Whole numbers low-high; default 0-10. */
  scale: scaleSchema.optional(),
  /** Human scores of replies (JSONL: input, reply, expected?, score), relative to the experiment file. */
  calibration: filePath('a JSONL file of human scores').optional(),
};

const JUDGE_ONLY = ['provider', 'rubric', 'scale', 'calibration'] as const;

/** With method judge, provider and rubric are required; with any other method, the judge's members are refused. */
export function checkJudgeScoring(scoring: { method?: unknown } & Partial<Record<(typeof JUDGE_ONLY)[number], unknown>>, ctx: z.RefinementCtx): void {
  if (scoring.method === 'judge') {
    if (scoring.provider === undefined) {
      ctx.addIssue({ code: 'custom', path: ['provider'], message: 'method judge needs provider: the judge model, e.g. openai:gpt-4o-mini' });
    }
    if (scoring.rubric === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['rubric'],
        message: 'method judge needs rubric: the grading prompt, a template file relative to the experiment file',
      });
    }
    return;
  }
  for (const key of JUDGE_ONLY) {
    if (scoring[key] !== undefined) ctx.addIssue({ code: 'custom', path: [key], message: `${key} applies only to method: judge` });
  }
}

/** Scoring by a judge model, as the task and the runner read it (the scoring config narrowed to method judge). */
export interface JudgeScoringConfig {
  method: 'judge';
  provider: AdaptGaugeJudgeConfig;
  rubric: string;
  scale: JudgeScale;
  calibration?: string;
}

/** The judge's scoring when the scoring config says method judge (the schema made sure of provider and rubric); else null. */
export function judgeScoringOf(scoring: {
  method: string;
  provider?: AdaptGaugeJudgeConfig | undefined;
  rubric?: string | undefined;
  scale?: string | undefined;
  calibration?: string | undefined;
}): JudgeScoringConfig | null {
  if (scoring.method !== 'judge') return null;
  if (scoring.provider === undefined || scoring.rubric === undefined) throw new Error('scoring: method judge without provider or rubric');
  const scale = parseJudgeScale(scoring.scale ?? DEFAULT_JUDGE_SCALE);
  if (scale === null) throw new Error(`scoring.scale: not a scale: ${scoring.scale}`);
  return {
    method: 'judge',
    provider: scoring.provider,
    rubric: scoring.rubric,
    scale,
    ...(scoring.calibration !== undefined && { calibration: scoring.calibration }),
  };
}
