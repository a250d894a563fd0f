import { z } from 'zod';
import { checkJudgeScoring, judgeScoringFields } from './judge-scoring-schema.js';
import { moduleScoringSchema, withModuleScoring } from './scorer-schema.js';

/*
 * Schemas of the dataset-backed task types (`classify`, `generate`). The experiment schema
 * puts them in its task union; the task modules (src/tasks/classify.ts, generate.ts) take their
 * output types as options.
 *
 * A task reads its examples either from one file that is split, seeded, into pool and
 * evaluation items:
 *
 *   data: { file: data/tickets.jsonl, fields: { input: text, label: label, id: id } }
 *   split: { poolSize: 300, evalItems: 150 }
 *
 * or from two fixed files:
 *
 *   pool: { file: data/train.csv, fields: { input: question, output: answer } }
 *   eval: { file: data/test.csv, fields: { input: question, output: answer } }
 *
 * Paths are relative to the experiment file's folder.
 */

const columnName = z
  .string()
  .min(1, { message: 'expected a column name (a JSON field may be addressed with dots, e.g. meta.text)' })
  .refine((s) => s.trim() === s, { message: 'a column name must not start or end with spaces' });

const fileName = z.string().min(1, { message: 'expected a file path, relative to the experiment file' });

/** jsonl: one JSON object a line; csv: a header row naming the columns. Default: from the extension. */
export const DATA_FORMATS = ['jsonl', 'csv'] as const;

const labelFieldsSchema = z
  .object({
    input: columnName,
    label: columnName,
    /** Default: `<file>:<line>`. */
    id: columnName.optional(),
  })
  .strict();

const outputFieldsSchema = z
  .object({
    input: columnName,
    output: columnName,
    /** Default: `<file>:<line>`. */
    id: columnName.optional(),
  })
  .strict();

function dataFileSchema<F extends z.ZodType>(fields: F) {
  return z
    .object({
      file: fileName,
      format: z.enum(DATA_FORMATS, { message: 'expected jsonl or csv' }).optional(),
      fields,
    })
    .strict();
}

export const splitSchema = z
  .object({
    /** Pool examples (the shots are drawn from them). */
    poolSize: z.number().int().min(1).max(100_000),
    /** Evaluation items, drawn apart from the pool. */
    evalItems: z.number().int().min(1).max(100_000),
  })
  .strict();

interface DatasetShape {
  data?: unknown;
  split?: unknown;
  pool?: unknown;
  eval?: unknown;
}

/** Exactly one of `data` + `split` (a seeded split) or `pool` + `eval` (fixed files). */
function checkDatasetShape(task: DatasetShape, ctx: z.RefinementCtx): void {
  const single = task.data !== undefined || task.split !== undefined;
  const fixed = task.pool !== undefined || task.eval !== undefined;
  if (single && fixed) {
    ctx.addIssue({
      code: 'custom',
      path: task.data !== undefined ? ['data'] : ['split'],
      message: 'give either data + split (one file, split by the seed) or pool + eval (two fixed files), not both',
    });
    return;
  }
  if (!single && !fixed) {
    ctx.addIssue({
      code: 'custom',
      path: [],
      message: 'expected data + split (one file, split by the seed) or pool + eval (two fixed files)',
    });
    return;
  }
  const pairs: [keyof DatasetShape, keyof DatasetShape, string][] = single
    ? [
        ['data', 'split', 'split: { poolSize, evalItems } (how to divide data into pool and evaluation items)'],
        ['split', 'data', 'data: { file, fields } (the file to split)'],
      ]
    : [
        ['pool', 'eval', 'eval: { file, fields } (the evaluation items)'],
        ['eval', 'pool', 'pool: { file, fields } (the examples shots are drawn from)'],
      ];
  for (const [present, missing, what] of pairs) {
    if (task[present] !== undefined && task[missing] === undefined) {
      ctx.addIssue({ code: 'custom', path: [missing], message: `${present} needs ${what}` });
    }
  }
}

const labelName = z
  .string()
  .min(1)
  .refine((s) => s.trim() === s && !/[\r\n]/.test(s), { message: 'a label must be one line without surrounding spaces' });

export const classifyTaskSchema = z
  .object({
    type: z.literal('classify'),
    data: dataFileSchema(labelFieldsSchema).optional(),
    split: splitSchema.optional(),
    pool: dataFileSchema(labelFieldsSchema).optional(),
    eval: dataFileSchema(labelFieldsSchema).optional(),
    /** The label set, in order (the order of the prompt's list; the first is the k = 0 guess). Default: the data's labels, sorted. */
    labels: z
      .array(labelName)
      .min(2, { message: 'a classification needs at least two labels' })
      .refine((ls) => new Set(ls.map(labelKey)).size === ls.length, {
        message: 'labels must not repeat (case, spaces, "_" and "-" do not count)',
      })
      .optional(),
    /** The system prompt's instruction; the label list and "Answer with the label only." follow it. */
    instruction: z.string().min(1).optional(),
    /** A scorer of your own (./scorer-schema.ts); default: 1 for the item's label, else 0. */
    scoring: moduleScoringSchema.optional(),
  })
  .strict()
  .superRefine(checkDatasetShape);

/** `judge`: a model grades each answer with a rubric (./judge-scoring-schema.ts). */
export const SCORING_METHODS = ['exact', 'contains', 'regex', 'f1', 'json', 'judge'] as const;

export const scoringSchema = z
  .object({
    method: z.enum(SCORING_METHODS, { message: `expected one of ${SCORING_METHODS.join(', ')}` }),
    /**
     * regex: the pattern an answer must match (searched, not anchored: use ^ and $).
     * `{{expected}}` in it stands for the item's expected output, regex-escaped.
     * Default: the expected output itself, read as a regular expression.
     */
    pattern: z
      .string()
      .min(1)
      .refine((p) => compiles(p.replaceAll('{{expected}}', 'x')), { message: 'not a valid regular expression' })
      .optional(),
    /** json: the fields (dotted paths allowed) that must match. Default: every field of the expected object. */
    fields: z
      .array(z.string().min(1))
      .min(1)
      .refine((fs) => new Set(fs).size === fs.length, { message: 'fields must not repeat' })
      .optional(),
    /** Default false: case is ignored (exact, contains and json strings also collapse whitespace; regex gets the `i` flag). */
    caseSensitive: z.boolean().default(false),
    /** method judge: provider, rubric, scale, calibration (./judge-scoring-schema.ts). */
    ...judgeScoringFields,
  })
  .strict()
  .superRefine((s, ctx) => {
    if (s.pattern !== undefined && s.method !== 'regex') {
      ctx.addIssue({ code: 'custom', path: ['pattern'], message: 'pattern applies only to method: regex' });
    }
    if (s.fields !== undefined && s.method !== 'json') {
      ctx.addIssue({ code: 'custom', path: ['fields'], message: 'fields applies only to method: json' });
    }
  })
  .superRefine(checkJudgeScoring);

export const generateTaskSchema = z
  .object({
    type: z.literal('generate'),
    data: dataFileSchema(outputFieldsSchema).optional(),
    split: splitSchema.optional(),
    pool: dataFileSchema(outputFieldsSchema).optional(),
    eval: dataFileSchema(outputFieldsSchema).optional(),
    /** The system prompt. Default: a short one asking for the answer only (a JSON object for method json). */
    instruction: z.string().min(1).optional(),
    /** A built-in method, or a scorer of your own: `{ module }` (./scorer-schema.ts). */
    scoring: withModuleScoring(scoringSchema).default({ method: 'exact', caseSensitive: false }),
  })
  .strict()
  .superRefine(checkDatasetShape);

export type ClassifyTaskConfig = z.output<typeof classifyTaskSchema>;
export type GenerateTaskConfig = z.output<typeof generateTaskSchema>;
export type ScoringConfig = z.output<typeof scoringSchema>;

/**
 * The pool size a dataset task declares before loading: split.poolSize, or null for fixed files
 * (their pool size is known only once the pool file is read). For the experiment's k <= pool check.
 */
export function declaredPoolSize(task: { split?: { poolSize: number } | undefined }): number | null {
  return task.split?.poolSize ?? null;
}

/** Labels compare without case, and with spaces, `_` and `-` alike ("Product question" = "product_question"). */
export function labelKey(label: string): string {
  return label
    .toLowerCase()
    .replace(/[\s_-]+/g, ' ')
    .trim();
}

function compiles(pattern: string): boolean {
  try {
    new RegExp(pattern);
    return true;
  } catch {
    return false;
  }
}
