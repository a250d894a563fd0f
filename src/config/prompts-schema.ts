import { z } from 'zod';
import { BUILTIN_PROMPT } from '../records/trial.js';

/** The tasks whose prompt `prompts:` may replace (each task's variables: docs/experiments.md, "Your own prompt"). */
export const TEMPLATE_TASKS = ['classify', 'generate', 'routes', 'adaptgauge'] as const;

const templatePath = z.string().min(1, { message: 'expected a template file path, relative to the experiment file' });

/** One prompt written as template files (relative to the experiment file); rendered by tasks/templates.ts. */
export const promptSchema = z
  .object({
    id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, { message: 'expected an id of letters, digits, ".", "_" or "-"' }),
    /** The system turn; none when absent. */
    system: templatePath.optional(),
    /** How one item is asked (and, with `shots: turns`, how each shot's user turn is written). */
    user: templatePath,
    /** How one example is shown when `shots: inline`: the rendered shots, joined by a blank line, are `examples` in `user`. */
    shot: templatePath.optional(),
    /** turns: each shot a user/assistant pair; inline: all shots in the user message. */
    shots: z.enum(['turns', 'inline']).default('turns'),
  })
  .strict()
  .refine((p) => p.shots === 'inline' || p.shot === undefined, {
    message: '`shot:` is used only with `shots: inline` (with turns, each shot is written with the `user` template)',
    path: ['shot'],
  });

/** Prompt variants in one experiment: each is a curve per provider and selector, so the grid grows with them. */
export const MAX_PROMPT_VARIANTS = 8;

/**
 * `prompts:`: one prompt, or several variants run as separate curves over the same items, shots and
 * providers (trials carry the variant's id as `prompt`).
 */
export const promptsSchema = z
  .array(promptSchema)
  .min(1, { message: 'expected at least one prompt (or leave `prompts:` out for the task’s built-in prompt)' })
  .max(MAX_PROMPT_VARIANTS, { message: `at most ${MAX_PROMPT_VARIANTS} prompt variants per experiment` })
  .superRefine((prompts, ctx) => {
    const seen = new Set<string>();
    prompts.forEach((p, i) => {
      if (p.id === BUILTIN_PROMPT) {
        ctx.addIssue({ code: 'custom', path: [i, 'id'], message: `"${BUILTIN_PROMPT}" names the task's own prompt in results: choose another id` });
      } else if (seen.has(p.id)) {
        ctx.addIssue({ code: 'custom', path: [i, 'id'], message: `prompt id "${p.id}" is already used: each variant needs its own id` });
      }
      seen.add(p.id);
    });
  });

export type PromptConfig = z.output<typeof promptSchema>;
