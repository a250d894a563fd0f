import { z } from 'zod';
import { priceOverridesSchema } from './prices.js';
import { fineTunePriceSchema } from './finetune-prices.js';
import { samplingSchema } from './sampling.js';
import { promptsSchema, TEMPLATE_TASKS } from './prompts-schema.js';
import { adaptgaugeTaskSchema } from './adaptgauge-schema.js';
import { classifyTaskSchema, declaredPoolSize, generateTaskSchema } from './dataset-schema.js';
import { ZERO_SHOT_SELECTOR } from '../records/trial.js';
import { ANTHROPIC_EFFORT_BUDGET, ANTHROPIC_MIN_THINKING_BUDGET, KIND_SUPPORT, MODEL_OPTION_NAMES, REASONING_EFFORTS } from '../records/model-options.js';
import { ORDERS, SELECTOR_NAMES, type SelectorSpec } from './selectors.js';

/** Provider ids: `local`, or `<kind>:<model>`. */
export const PROVIDER_KINDS = ['openai', 'anthropic', 'google', 'openai-compatible', 'azure-openai', 'vertex'] as const;
const providerIdPattern = new RegExp(`^(local|(${PROVIDER_KINDS.join('|')}):[^\\s]+)$`);

const providerId = z.string().regex(providerIdPattern, {
  message: `expected "local" or "<provider>:<model>" with provider one of ${PROVIDER_KINDS.join(', ')} (e.g. "openai:gpt-4o-mini")`,
});

export const providerSchema = z
  .object({
    id: providerId,
    /**
     * Names this entry's curves everywhere (trials' `provider`, cells, report, compare, progress, spend)
     * in place of the id, so one model can run twice with different settings. Not in the cache key.
     */
    label: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, { message: 'expected a label of letters, digits, ".", "_" or "-"' })
      // `local` names the baseline, which is never priced, cached or counted as a call.
      .refine((l) => l !== 'local', { message: '"local" is the baseline\'s name: choose another label' })
      .optional(),
    temperature: z.number().min(0).max(2).optional(),
    maxOutputTokens: z.number().int().positive().optional(),
    baseUrl: z.url({ protocol: /^https?$/, message: 'expected an http(s) URL such as http://localhost:11434/v1' }).optional(),
    /** Calls in flight at once for this provider; defaults to the experiment's concurrency. */
    concurrency: z.number().int().positive().optional(),
    /** Replaces the task's system prompt for this provider. */
    systemPrompt: z.string().min(1).optional(),
    requestsPerMinute: z.number().positive().optional(),
    tokensPerMinute: z.number().positive().optional(),
    /** Per-call timeout; a call past it is retried like a 5xx. */
    timeoutMs: z.number().int().min(100).max(600_000).optional(),
    /** Tries per trial, the first included (429, 5xx, timeouts and malformed responses are retried). */
    maxAttempts: z.number().int().min(1).max(20).optional(),
    /**
     * This entry is a fine-tuned version of another entry of the experiment (its id or label, e.g.
     * `openai:gpt-4o-mini`): the advice compares it at k = 0 with that model's recommended cell, paired
     * over the same items, and prices the break-even with its measured tokens.
     */
    tunedFrom: z.string().min(1).optional(),
    /**
     * Send this provider's calls through its batch API (OpenAI, Anthropic, Gemini: half the price,
     * within 24 hours; `sweep --batch` does it for every provider). Others run synchronously.
     */
    batch: z.boolean().optional(),
    /**
     * Thinking/reasoning: `off`, `{ effort: minimal|low|medium|high }`, `{ budgetTokens: N }` or both.
     * Mapped per API (docs/providers.md); what an API cannot take is refused below.
     */
    reasoning: z
      .union([
        z.literal('off'),
        z
          .object({
            effort: z.enum(REASONING_EFFORTS, { message: `expected an effort: ${REASONING_EFFORTS.join(', ')}` }).optional(),
            budgetTokens: z.number().int().min(0).optional(),
          })
          .strict()
          .refine((r) => r.effort !== undefined || r.budgetTokens !== undefined, {
            message: 'give `effort`, `budgetTokens` or both (or write `reasoning: off`)',
          }),
      ])
      .optional(),
    topP: z.number().gt(0).max(1).optional(),
    /** Stop sequences: one string or up to 4. */
    stop: z
      .union([z.string().min(1), z.array(z.string().min(1)).min(1).max(4, { message: 'at most 4 stop sequences (the tightest API limit)' })])
      .transform((v) => (typeof v === 'string' ? [v] : v))
      .optional(),
    seed: z.number().int().optional(),
    presencePenalty: z.number().min(-2).max(2).optional(),
    frequencyPenalty: z.number().min(-2).max(2).optional(),
    /** `json` (any JSON object), or `{ schema: <file> }`: a JSON Schema file relative to the experiment. */
    responseFormat: z
      .union([
        z.literal('json'),
        z.object({ schema: z.string().regex(/\.json$/i, { message: 'expected a .json file holding a JSON Schema, e.g. schemas/answer.json' }) }).strict(),
      ])
      .optional(),
    /** openai-compatible only: merged into the request body as given (vLLM guided decoding, Ollama options); part of the cache key. */
    extraBody: z.record(z.string(), z.unknown()).optional(),
    /** azure-openai: the API version (else OPENAI_API_VERSION). */
    apiVersion: z.string().min(1).optional(),
    /** vertex: the Google Cloud project and location (else GOOGLE_CLOUD_PROJECT / GOOGLE_CLOUD_LOCATION). */
    project: z.string().min(1).optional(),
    location: z.string().min(1).optional(),
    /** For openai-compatible servers that need a key: the environment variable holding it. */
    apiKeyEnv: z
      .string()
      .regex(/^[A-Z_][A-Z0-9_]*$/, { message: 'expected an environment variable name such as OPENROUTER_API_KEY' })
      .optional(),
  })
  .strict();

/** A provider may be written as a bare id string or as an object with options. */
const providerEntry = z
  .union([providerId, providerSchema])
  .transform((entry) => (typeof entry === 'string' ? { id: entry } : entry))
  // No SDK default to fall back on: an openai-compatible server is wherever baseUrl says.
  .refine((p) => !p.id.startsWith('openai-compatible:') || p.baseUrl !== undefined, {
    message:
      "openai-compatible providers need `baseUrl:` (the server's OpenAI-style API, e.g. http://localhost:11434/v1 for Ollama); write the provider as { id, baseUrl }",
    path: ['baseUrl'],
  })
  .superRefine(checkModelOptions);

/** The model options an entry sets, checked against what its API takes (records/model-options.ts's KIND_SUPPORT). */
function checkModelOptions(p: z.output<typeof providerSchema>, ctx: z.RefinementCtx): void {
  const kind = p.id === 'local' ? 'local' : p.id.slice(0, p.id.indexOf(':'));
  const support = KIND_SUPPORT[kind];
  if (!support) return;
  const api = kind === 'local' ? 'the local baseline (it calls no model)' : `${kind} providers`;
  for (const name of MODEL_OPTION_NAMES) {
    if (p[name] !== undefined && !support.options.includes(name)) {
      const hint = name === 'extraBody' ? ' (extraBody is for openai-compatible servers)' : '';
      ctx.addIssue({ code: 'custom', path: [name], message: `${api} do not take \`${name}\`${hint}: remove it from this entry` });
    }
  }
  for (const [field, kinds] of [
    ['apiVersion', ['azure-openai']],
    ['project', ['vertex']],
    ['location', ['vertex']],
  ] as const) {
    if (p[field] !== undefined && !(kinds as readonly string[]).includes(kind)) {
      ctx.addIssue({ code: 'custom', path: [field], message: `\`${field}\` is for ${kinds.join(', ')} providers only` });
    }
  }
  const r = p.reasoning;
  if (r === undefined || r === 'off' || !support.options.includes('reasoning')) return;
  if (r.budgetTokens !== undefined && !support.reasoningBudget && r.effort === undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['reasoning', 'budgetTokens'],
      message: `${api} take a reasoning effort, not a token budget: write reasoning: { effort: ${REASONING_EFFORTS.join(' | ')} }`,
    });
  }
  if (kind === 'anthropic' && p.responseFormat !== undefined) {
    // Structured output is a forced tool, and the Messages API refuses thinking with a forced tool (400).
    ctx.addIssue({
      code: 'custom',
      path: ['responseFormat'],
      message:
        'Anthropic cannot think and answer through a forced tool in one call: set reasoning: off, or drop responseFormat (or run the two as two labelled entries)',
    });
  }
  if (kind === 'anthropic') {
    const budget = r.budgetTokens ?? (r.effort !== undefined ? ANTHROPIC_EFFORT_BUDGET[r.effort] : undefined);
    const max = p.maxOutputTokens;
    if (budget !== undefined && budget < ANTHROPIC_MIN_THINKING_BUDGET) {
      ctx.addIssue({
        code: 'custom',
        path: ['reasoning', 'budgetTokens'],
        message: `Anthropic's thinking budget must be at least ${ANTHROPIC_MIN_THINKING_BUDGET} tokens (got ${budget})`,
      });
    }
    if (budget !== undefined && (max === undefined || budget >= max)) {
      ctx.addIssue({
        code: 'custom',
        path: ['maxOutputTokens'],
        message: `with reasoning, Anthropic needs maxOutputTokens above the thinking budget (${budget}${r.budgetTokens === undefined ? `, effort ${r.effort}` : ''}): set maxOutputTokens to at least ${budget + 256}`,
      });
    }
  }
}

export const routesTaskSchema = z
  .object({
    type: z.literal('routes'),
    stores: z
      .object({ min: z.number().int().min(3).max(7), max: z.number().int().min(3).max(7) })
      .strict()
      .refine((s) => s.min <= s.max, { message: 'stores.min must be <= stores.max' })
      .default({ min: 3, max: 6 }),
    /** 0: every store open all day; 1: every store has a tight receiving window. */
    windowTightness: z.number().min(0).max(1).default(0.5),
    poolSize: z.number().int().min(1).max(2000).default(32),
    evalItems: z.number().int().min(1).max(5000).default(60),
  })
  .strict();

export const taskSchema = z.discriminatedUnion('type', [routesTaskSchema, classifyTaskSchema, generateTaskSchema, adaptgaugeTaskSchema]);

const selectorName = z.enum(SELECTOR_NAMES, { message: `expected a selector: ${SELECTOR_NAMES.join(', ')}` });

/** A selector as a bare name, or with options. */
const selectorEntry = z
  .union([
    selectorName.refine((n) => n !== 'embedding', {
      message: 'the embedding selector needs a provider: write it as { name: embedding, provider: openai:text-embedding-3-small }',
    }),
    z
      .object({
        name: selectorName,
        label: z
          .string()
          .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, { message: 'expected a label of letters, digits, ".", "_" or "-"' })
          // The zero-shot cell every curve shares is selector "none": an arm of that name would merge into it.
          .refine((l) => l !== ZERO_SHOT_SELECTOR, {
            message: `"${ZERO_SHOT_SELECTOR}" is reserved for the shared zero-shot (k = 0) cell: choose another label`,
          })
          .optional(),
        lambda: z.number().min(0).max(1).optional(),
        provider: providerId.optional(),
      })
      .strict()
      .refine((s) => s.name !== 'embedding' || (s.provider !== undefined && /^(openai|google|openai-compatible):/.test(s.provider)), {
        message: 'the embedding selector needs `provider: <openai|google|openai-compatible>:<embedding model>`, e.g. openai:text-embedding-3-small',
        path: ['provider'],
      }),
  ])
  .transform((entry): SelectorSpec => (typeof entry === 'string' ? { name: entry } : entry));

/** The range of `analysis.resamples`, and of the `--resamples` flag of `fewshot report` and `fewshot compare`. */
export const MIN_RESAMPLES = 200;
export const MAX_RESAMPLES = 100_000;
const DEFAULT_RESAMPLES = 2000;
const resamplesCount = z.number().int().min(MIN_RESAMPLES).max(MAX_RESAMPLES);

/** `analysis:` as written, before its deprecated `bootstrapResamples` is read as `resamples` (analysisSchema). */
export const analysisFieldsSchema = z
  .object({
    /** Family-wise error rate of the run's significance tests (Holm). */
    alpha: z.number().gt(0).lt(0.5).default(0.05),
    /** Practical margin: the smallest accuracy difference worth acting on (0.05 = 5 points). */
    delta: z.number().gt(0).lt(1).default(0.05),
    /** Draws of every bootstrap and of the sign-flip randomization test beyond its exact range. */
    resamples: resamplesCount.optional(),
    /** Deprecated: the old name of `resamples` (it sets the randomization test's draws too, not only the bootstrap's). */
    bootstrapResamples: resamplesCount.optional(),
  })
  .strict();

/** How strict the verdicts are; recorded in summary.json with every result. */
export const analysisSchema = analysisFieldsSchema
  .superRefine((a, ctx) => {
    if (a.resamples !== undefined && a.bootstrapResamples !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['bootstrapResamples'], message: 'give `resamples` only: `bootstrapResamples` is its old name' });
    }
  })
  .transform(({ bootstrapResamples, resamples, ...rest }) => ({ ...rest, resamples: resamples ?? bootstrapResamples ?? DEFAULT_RESAMPLES }));

export const experimentSchema = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, {
      message: 'expected a name of letters, digits, ".", "_" or "-" (it becomes part of the results folder name)',
    }),
    description: z.string().optional(),
    seed: z.number().int().min(0).default(0),
    task: taskSchema,
    shots: z
      .array(z.number().int().min(0))
      .min(1)
      .refine((ks) => new Set(ks).size === ks.length, { message: 'shot counts must not repeat' }),
    selectors: z
      .array(selectorEntry)
      .min(1)
      .refine((s) => new Set(s.map((x) => x.label ?? x.name)).size === s.length, {
        message: 'selectors must not repeat (give a repeated selector a distinct `label`)',
      })
      .default([{ name: 'random' }]),
    /** Shot order as its own factor: every selector runs in each order listed, as its own curve. */
    order: z
      .array(z.enum(ORDERS))
      .min(1)
      .refine((o) => new Set(o).size === o.length, { message: 'orders must not repeat' })
      .default(['selected']),
    /** A separate arm per selector with this many off-task examples mixed into the shots (tasks with distractors only). */
    distractors: z
      .object({ count: z.number().int().min(1).max(64) })
      .strict()
      .optional(),
    /** Repeats of every (provider, selector, k, item): different shot draws and samples of the same item. */
    repeats: z.number().int().min(1).max(100).default(1),
    providers: z
      .array(providerEntry)
      .min(1)
      .superRefine((ps, ctx) => {
        // An entry is named by its label, else its id: names must not repeat (the same model twice needs distinct labels).
        const seen = new Set<string>();
        ps.forEach((p, i) => {
          const name = p.label ?? p.id;
          if (seen.has(name)) {
            ctx.addIssue({
              code: 'custom',
              message:
                p.label !== undefined
                  ? `provider label "${name}" is already used: labels and ids must not repeat`
                  : `provider "${name}" is already listed: give each entry of one model a distinct \`label\` (e.g. { id: ${name}, label: ${name.slice(name.indexOf(':') + 1)}-t1, temperature: 1 })`,
              path: [i, p.label !== undefined ? 'label' : 'id'],
            });
          }
          seen.add(name);
        });
        // tunedFrom names another entry (by label, else id): the base model the tuned one is compared with.
        const names = ps.map((p) => p.label ?? p.id);
        ps.forEach((p, i) => {
          if (p.tunedFrom === undefined) return;
          const self = p.label ?? p.id;
          if (p.tunedFrom === self || !names.includes(p.tunedFrom)) {
            ctx.addIssue({
              code: 'custom',
              message: `expected the name of another provider entry (the base model this one was tuned from): one of ${names.filter((n) => n !== self).join(', ') || '(none)'}`,
              path: [i, 'tunedFrom'],
            });
          }
        });
      }),
    concurrency: z.number().int().positive().max(1024).default(8),
    out: z.string().min(1).default('results'),
    /** Target accuracy in [0, 1] (answer failures count wrong): missing it on a settled curve means fine-tune. */
    target: z.number().gt(0).max(1).optional(),
    /** Requests per month in production, for the monthly cost in the advice. */
    requestsPerMonth: z.number().int().positive().optional(),
    /** Prices per 1M tokens by provider id (e.g. "openai:gpt-4o-mini"), overriding data/prices.json. */
    prices: priceOverridesSchema.optional(),
    /**
     * The fine-tune break-even (issue 19): the horizon the training is spread over (months, default 6),
     * the epochs (default: the price table's, as the provider documents), and fine-tuning prices by base
     * model id over data/finetune-prices.json.
     */
    fineTune: z
      .object({
        horizonMonths: z.number().positive().max(120).default(6),
        epochs: z.number().int().positive().max(100).optional(),
        prices: z.record(z.string().min(1), fineTunePriceSchema).optional(),
      })
      .strict()
      .optional(),
    /** How items enter: every item in every cell (`full`, the default), or in looks until each curve is decided (`adaptive`). */
    sampling: samplingSchema.optional(),
    /** Context windows in tokens by provider id or prefix, over the dated table in data/ (like prices). */
    contextWindows: z.record(z.string(), z.number().int().positive()).optional(),
    /** Spending cap for a sweep, in the price table's currency (USD): checked against the estimate first, then per call. */
    budget: z.number().finite().positive().optional(),
    analysis: analysisSchema.default({ alpha: 0.05, delta: 0.05, resamples: DEFAULT_RESAMPLES }),
    /** The prompt as template files (dataset tasks only; one entry for now); without it, the task's built-in prompt. */
    prompts: promptsSchema.optional(),
  })
  .strict()
  .superRefine((exp, ctx) => {
    if (exp.prompts !== undefined && !(TEMPLATE_TASKS as readonly string[]).includes(exp.task.type)) {
      ctx.addIssue({
        code: 'custom',
        path: ['prompts'],
        message: `task "${exp.task.type}" keeps its built-in prompt: \`prompts:\` is supported for the ${TEMPLATE_TASKS.join(' and ')} tasks only`,
      });
    }
    // Fixed pool files have no declared size: their k is checked against the loaded pool.
    const poolSize = 'poolSize' in exp.task ? exp.task.poolSize : 'split' in exp.task ? declaredPoolSize(exp.task) : null;
    exp.shots.forEach((k, i) => {
      if (poolSize !== null && k > poolSize) {
        ctx.addIssue({
          code: 'custom',
          path: ['shots', i],
          message: `k = ${k} needs at least ${k} pool examples, but task.poolSize is ${poolSize}`,
        });
      }
    });
  });

export type ExperimentConfig = z.output<typeof experimentSchema>;
export type ProviderConfig = z.output<typeof providerSchema>;
export type RoutesTaskConfig = z.output<typeof routesTaskSchema>;
export type TaskConfig = z.output<typeof taskSchema>;
