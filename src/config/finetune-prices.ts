/**
 * The fine-tuning price table (issue 19): per provider and base model, what training costs per 1M
 * training tokens, what the tuned model costs per 1M tokens to use, any hosting fee, and the
 * provider's minimum and recommended numbers of examples. Dated (`asOf`), shown wherever it is used,
 * and overridable entry by entry in the experiment's `fineTune.prices` like `prices:`.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { snapshotBase } from './snapshot.js';

const perMillion = z.number().finite().nonnegative();

/** One base model's fine-tuning price; also the shape of an entry under `fineTune.prices`. */
export const fineTunePriceSchema = z
  .object({
    /** Per 1M training tokens (examples x epochs). */
    training: perMillion,
    /** The tuned model's prices per 1M tokens. */
    input: perMillion,
    output: perMillion,
    cachedInput: perMillion.optional(),
    /** A fixed fee for keeping or serving the tuned model; null: the provider charges one the table does not know. */
    hostingPerMonth: perMillion.nullable().optional(),
    hostingPerHour: perMillion.nullable().optional(),
    /** Epochs when the experiment does not say (the provider's default). */
    epochs: z.number().int().positive().optional(),
    minExamples: z.number().int().nonnegative().optional(),
    recommendedExamples: z.number().int().nonnegative().optional(),
    note: z.string().optional(),
  })
  .strict();

export type FineTunePrice = z.output<typeof fineTunePriceSchema>;

export const fineTuneTableSchema = z
  .object({
    currency: z.string().min(1),
    unit: z.literal('per 1M tokens'),
    asOf: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, { message: 'expected a date as YYYY-MM-DD' }),
    source: z.string().min(1),
    models: z.record(z.string().min(1), fineTunePriceSchema),
  })
  .strict();

export type FineTuneTable = z.output<typeof fineTuneTableSchema>;

/** data/finetune-prices.json, relative to this module: the same from src/config and dist/config. */
export const FINE_TUNE_TABLE_URL = new URL('../../data/finetune-prices.json', import.meta.url);

let cached: FineTuneTable | null = null;

/** The packaged fine-tuning price table, read and validated once per process. */
export function loadFineTuneTable(url: URL = FINE_TUNE_TABLE_URL): FineTuneTable {
  if (url.href === FINE_TUNE_TABLE_URL.href && cached) return cached;
  const file = url.protocol === 'file:' ? fileURLToPath(url) : url.href;
  const parsed = fineTuneTableSchema.safeParse(JSON.parse(readFileSync(url, 'utf8')));
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`${file}: not a fine-tuning price table: field "${issue.path.map(String).join('.')}": ${issue.message}`);
  }
  if (url.href === FINE_TUNE_TABLE_URL.href) cached = parsed.data;
  return parsed.data;
}

/** A fine-tuning price with where it came from. */
export interface ResolvedFineTunePrice extends FineTunePrice {
  /** `experiment` (fineTune.prices), or "fine-tuning price table (as of <date>)". */
  source: string;
  currency: string;
  /** The table entry's id (the base model the price is listed under). */
  listedAs: string;
}

/**
 * The fine-tuning price of a base model: the experiment's override for the id, else the table's entry
 * for the id or for the model it is a dated snapshot of; null when neither lists it.
 */
export function resolveFineTunePrice(
  providerId: string,
  overrides?: Readonly<Record<string, FineTunePrice>> | null,
  table: FineTuneTable = loadFineTuneTable(),
): ResolvedFineTunePrice | null {
  const tableSource = `fine-tuning price table (as of ${table.asOf})`;
  if (overrides && Object.hasOwn(overrides, providerId)) {
    return { ...overrides[providerId]!, source: 'experiment', currency: table.currency, listedAs: providerId };
  }
  if (Object.hasOwn(table.models, providerId)) return { ...table.models[providerId]!, source: tableSource, currency: table.currency, listedAs: providerId };
  const base = snapshotBase(providerId);
  if (base !== null && Object.hasOwn(table.models, base)) {
    return { ...table.models[base]!, source: `${tableSource}, listed as ${base}`, currency: table.currency, listedAs: base };
  }
  return null;
}

/**
 * The base model of an OpenAI fine-tuned model id (`openai:ft:gpt-4o-mini-2024-07-18:acme::abc123`
 * -> `openai:gpt-4o-mini-2024-07-18`); null for any other id.
 */
export function openAIFineTuneBase(providerId: string): string | null {
  const match = /^openai:ft:([^:]+):/.exec(providerId);
  return match ? `openai:${match[1]}` : null;
}

/** Hours in an average month (365.25 x 24 / 12), for a per-hour hosting fee. */
export const HOURS_PER_MONTH = 730.5;

/** The fixed monthly fee of a tuned model: null when the provider charges one the price does not state. */
export function hostingPerMonth(price: Pick<FineTunePrice, 'hostingPerMonth' | 'hostingPerHour'>): number | null {
  if (price.hostingPerMonth === null || price.hostingPerHour === null) return null;
  return (price.hostingPerMonth ?? 0) + (price.hostingPerHour ?? 0) * HOURS_PER_MONTH;
}
