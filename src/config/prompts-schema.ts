import { z } from 'zod';

/** The tasks whose prompt `prompts:` may replace (the dataset tasks); routes and AdaptGauge keep their built-in prompts. */
export const TEMPLATE_TASKS = ['classify', 'generate'] as const;

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

/** `prompts:`: exactly one entry for now (prompt variants as a sweep dimension are not supported yet). */
export const promptsSchema = z
  .array(promptSchema)
  .min(1, { message: 'expected one prompt (or leave `prompts:` out for the task’s built-in prompt)' })
  .max(1, { message: 'prompt variants are not supported yet: give exactly one entry in `prompts:`' });

export type PromptConfig = z.output<typeof promptSchema>;
