import { z } from 'zod';

// This file must not import values from ./schema.ts: schema.ts imports this one, and an ESM cycle
// would leave those values uninitialized here. The kinds are repeated from schema.ts on purpose.
const JUDGE_KINDS = ['openai', 'anthropic', 'google', 'openai-compatible'] as const;
const judgeIdPattern = new RegExp(`^(${JUDGE_KINDS.join('|')}):[^\\s]+$`);

const judgeId = z.string().regex(judgeIdPattern, {
  message: `expected "<provider>:<model>" with provider one of ${JUDGE_KINDS.join(', ')} (e.g. "openai:gpt-4o-mini"); the local baseline cannot judge`,
});

/** A judge with options: where and how to call it. */
const judgeObjectSchema = z
  .object({
    id: judgeId,
    /** Default 0 (a judge should be repeatable); set 1 for models that only accept their default. */
    temperature: z.number().min(0).max(2).optional(),
    maxOutputTokens: z.number().int().positive().optional(),
    baseUrl: z.url({ protocol: /^https?$/, message: 'expected an http(s) URL such as http://localhost:11434/v1' }).optional(),
    timeoutMs: z.number().int().min(100).max(600_000).optional(),
    maxAttempts: z.number().int().min(1).max(20).optional(),
    requestsPerMinute: z.number().positive().optional(),
    tokensPerMinute: z.number().positive().optional(),
    apiKeyEnv: z
      .string()
      .regex(/^[A-Z_][A-Z0-9_]*$/, { message: 'expected an environment variable name such as OPENROUTER_API_KEY' })
      .optional(),
  })
  .strict();

export type AdaptGaugeJudgeConfig = z.output<typeof judgeObjectSchema>;

/**
 * The judge model for llm_judge test cases: a provider id, or an object with the provider options
 * that matter for grading. Written as a string it becomes `{ id }`.
 */
export const adaptgaugeJudgeSchema = z
  .union([judgeId, judgeObjectSchema])
  .transform((entry): AdaptGaugeJudgeConfig => (typeof entry === 'string' ? { id: entry } : entry));

/**
 * An AdaptGauge task pack (github.com/ShuntaroOkuma/adapt-gauge-core `tasks/*.json`) as a task:
 * its examples are the pool, its test cases the evaluation items, its distractors the off-task arm.
 */
export const adaptgaugeTaskSchema = z
  .object({
    type: z.literal('adaptgauge'),
    /** The pack's JSON file, relative to the experiment file. */
    file: z.string().min(1, { message: 'expected the path of an AdaptGauge task file (.json)' }),
    /** Which task of a multi-task pack (its `task_id`); required when the file holds several. */
    taskId: z.string().min(1).optional(),
    /** Grades llm_judge test cases; without one (or without its key) those cases are left out, with a notice. */
    judge: adaptgaugeJudgeSchema.optional(),
  })
  .strict();

export type AdaptGaugeTaskConfig = z.output<typeof adaptgaugeTaskSchema>;
