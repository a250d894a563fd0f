import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

// The dated table of context windows (data/context-windows.json) and the experiment's
// `contextWindows:` over it, looked up like prices: the exact id, else the longest listed prefix.

export const contextWindowTableSchema = z
  .object({
    unit: z.literal('tokens'),
    /** The day the windows were copied from the providers' pages (YYYY-MM-DD). */
    asOf: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, { message: 'expected a date as YYYY-MM-DD' }),
    source: z.string().min(1),
    notes: z.array(z.string()).optional(),
    models: z.record(z.string().min(1), z.number().int().positive()),
  })
  .strict();

export type ContextWindowTable = z.output<typeof contextWindowTableSchema>;

/** A context window and where it came from: `experiment contextWindows` or the dated table. */
export interface ResolvedContextWindow {
  tokens: number;
  /** E.g. `experiment contextWindows`, `context-window table, as of 2026-12-01`, `..., listed as openai:gpt-4o-mini`. */
  source: string;
}

/** A context-window table that cannot be used: which file, and what is wrong. */
export class ContextWindowTableError extends Error {
  constructor(
    readonly file: string,
    readonly reason: string,
  ) {
    super(`${file}: ${reason}`);
    this.name = 'ContextWindowTableError';
  }
}

/** data/context-windows.json, found relative to this module: the same from src/config and dist/config. */
export const CONTEXT_WINDOW_TABLE_URL = new URL('../../data/context-windows.json', import.meta.url);

/** Validate a parsed table; the error names the first fields that are wrong. */
export function parseContextWindowTable(value: unknown, file = 'context-windows.json'): ContextWindowTable {
  const result = contextWindowTableSchema.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues.slice(0, 5).map((issue) => `field "${issue.path.map(String).join('.') || '(table)'}": ${issue.message}`);
  throw new ContextWindowTableError(file, `not a context-window table: ${problems.join('; ')}`);
}

let cached: ContextWindowTable | null = null;

/** Read and validate a table; the packaged one is read once per process. */
export function loadContextWindowTable(url: URL = CONTEXT_WINDOW_TABLE_URL): ContextWindowTable {
  const isDefault = url.href === CONTEXT_WINDOW_TABLE_URL.href;
  if (isDefault && cached) return cached;
  const file = url.protocol === 'file:' ? fileURLToPath(url) : url.href;
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(url, 'utf8'));
  } catch (e) {
    throw new ContextWindowTableError(file, `cannot read the context-window table (${(e as Error).message})`);
  }
  const table = parseContextWindowTable(value, file);
  if (isDefault) cached = table;
  return table;
}

/**
 * The id listed for `id` in `models`: the id itself, else the longest listed id that `id` starts with
 * followed by `-` (a dated snapshot, `-latest`, or a variant of a listed model). A prefix must end at
 * a `-` so that `openai:gpt-4` never answers for `openai:gpt-4.5-preview`.
 */
export function lookupByPrefix(id: string, models: Readonly<Record<string, number>>): string | null {
  if (Object.hasOwn(models, id)) return id;
  let best: string | null = null;
  for (const listed of Object.keys(models)) {
    if (id.length > listed.length && id.startsWith(listed) && id[listed.length] === '-' && (best === null || listed.length > best.length)) best = listed;
  }
  return best;
}

/** Where an Azure deployment or a Vertex model is listed: `openai:<deployment>`, `google:<model>`. */
function publicId(providerId: string): string | null {
  if (providerId.startsWith('azure-openai:')) return `openai:${providerId.slice('azure-openai:'.length)}`;
  if (providerId.startsWith('vertex:')) return `google:${providerId.slice('vertex:'.length)}`;
  return null;
}

/**
 * The context window of a provider's model, in tokens: the experiment's `contextWindows:` (by id or
 * prefix) first, else the dated table; `azure-openai:<deployment>` and `vertex:<model>` are looked
 * up under `openai:` and `google:` when neither lists them by their own id. Null when nothing knows it
 * (e.g. `openai-compatible:*`, `local`): such providers' prompts are not checked.
 */
export function resolveContextWindow(
  providerId: string,
  overrides?: Readonly<Record<string, number>> | null,
  table: ContextWindowTable = loadContextWindowTable(),
): ResolvedContextWindow | null {
  const ids = [providerId, publicId(providerId)].filter((id): id is string => id !== null);
  if (overrides) {
    for (const id of ids) {
      const listed = lookupByPrefix(id, overrides);
      if (listed !== null) return { tokens: overrides[listed]!, source: `experiment contextWindows${listed !== providerId ? `, listed as ${listed}` : ''}` };
    }
  }
  const tableSource = `context-window table, as of ${table.asOf}`;
  for (const id of ids) {
    const listed = lookupByPrefix(id, table.models);
    if (listed !== null) return { tokens: table.models[listed]!, source: `${tableSource}${listed !== providerId ? `, listed as ${listed}` : ''}` };
  }
  return null;
}
