import { extname } from 'node:path';
import { z } from 'zod';

/*
 * `scoring: { module: ./scorers/refund.mjs }`: a scorer of the user's own, a JavaScript module
 * exporting `(ctx) => number | { score, details }` (docs/experiments.md, "Scorers of your own";
 * the module is loaded and called by src/tasks/scorer-module.ts). Accepted by the dataset tasks
 * (`classify`, `generate`). The path is relative to the experiment file.
 */

/** Extensions Node imports as JavaScript: .mjs (ES module), .cjs (CommonJS), .js (by the nearest package.json's `type`). */
export const SCORER_MODULE_EXTENSIONS = ['.mjs', '.js', '.cjs'] as const;
/** TypeScript extensions: imported only when this Node strips types itself (Node 22.6+ with a flag, 23.6+ by default); Node 20 cannot. */
export const SCORER_TYPESCRIPT_EXTENSIONS = ['.ts', '.mts', '.cts'] as const;

/** How long one call of the scorer may take before it is a scorer failure, by default. */
export const DEFAULT_SCORER_TIMEOUT_MS = 5000;

/** Whether this Node can import TypeScript itself (`process.features.typescript`, Node 22.10+; absent on Node 20). */
export function nodeStripsTypes(): boolean {
  const features = process.features as { typescript?: unknown };
  return features.typescript === 'strip' || features.typescript === 'transform';
}

/** Why a scorer module's file name cannot be loaded by this Node, or null when its extension is fine. */
export function scorerExtensionProblem(module: string, stripsTypes = nodeStripsTypes()): string | null {
  const ext = extname(module).toLowerCase();
  if ((SCORER_MODULE_EXTENSIONS as readonly string[]).includes(ext)) return null;
  if ((SCORER_TYPESCRIPT_EXTENSIONS as readonly string[]).includes(ext)) {
    if (stripsTypes) return null;
    return (
      `${module} is TypeScript, which Node ${process.versions.node} cannot import without a flag: ` +
      `compile it to JavaScript (e.g. npx tsc, or esbuild) and name the .mjs or .js file, or write the scorer in .mjs`
    );
  }
  return `expected a JavaScript module (${SCORER_MODULE_EXTENSIONS.join(', ')}), got ${ext === '' ? 'a file without an extension' : `"${ext}"`}`;
}

export const moduleScoringSchema = z
  .object({
    /** The scorer's file, relative to the experiment file. */
    module: z
      .string()
      .min(1, { message: 'expected the scorer module file, relative to the experiment file' })
      .superRefine((module, ctx) => {
        const problem = scorerExtensionProblem(module);
        if (problem !== null) ctx.addIssue({ code: 'custom', message: problem });
      }),
    /** The export to call. Default: the default export when it is a function, else the export named `score`. */
    export: z
      .string()
      .regex(/^[A-Za-z_$][\w$]*$/, { message: 'expected the name of an export, e.g. score (or default)' })
      .optional(),
    /** How long one call may take (ms) before it is a scorer failure. */
    timeoutMs: z.number().int().min(1).max(600_000).default(DEFAULT_SCORER_TIMEOUT_MS),
  })
  .strict();

export type ModuleScoringConfig = z.output<typeof moduleScoringSchema>;

/** Whether a `scoring:` value names a module (and so is read by moduleScoringSchema rather than the built-in methods' schema). */
export function namesScorerModule(value: unknown): boolean {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && 'module' in value;
}

export function isModuleScoring<T extends object>(scoring: T | ModuleScoringConfig): scoring is ModuleScoringConfig {
  return 'module' in scoring && typeof scoring.module === 'string';
}

/**
 * A `scoring:` field that is either a scorer module (an object with `module`) or what `builtIn`
 * reads. Routed by that key rather than a plain union, so a mistake is reported against the form
 * meant (a union would report the first branch's complaint).
 */
export function withModuleScoring<S extends z.ZodType>(builtIn: S) {
  return z.unknown().transform((value, ctx): z.output<S> | ModuleScoringConfig => {
    const result = namesScorerModule(value) ? moduleScoringSchema.safeParse(value) : builtIn.safeParse(value);
    if (result.success) return result.data as z.output<S> | ModuleScoringConfig;
    ctx.issues.push(...(result.error.issues as typeof ctx.issues));
    return z.NEVER;
  });
}
