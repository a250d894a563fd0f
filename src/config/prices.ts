import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { openAIFineTuneBase, resolveFineTunePrice } from './finetune-prices.js';
import { snapshotBase } from './snapshot.js';

/** Prices per 1M tokens, in the price table's currency. */
export interface Price {
  input: number;
  output: number;
  /** Input tokens served from the provider's prompt cache; absent when the provider has no such price. */
  cachedInput?: number;
  /**
   * Input tokens written to the provider's prompt cache (Anthropic: 1.25x input for the 5-minute
   * cache). Absent: resolvePrice fills in ANTHROPIC_CACHE_WRITE_MULTIPLIER x input for `anthropic:` ids;
   * elsewhere costPerRequest prices writes as plain input.
   */
  cacheWrite?: number;
  /** The price through the provider's batch API (issue 18); absent: the table's batchMultiplier (0.5) of each rate. */
  batch?: Omit<Price, 'batch'>;
}

/** What the providers' batch APIs bill unless the table or the experiment says otherwise: half of every rate. */
export const DEFAULT_BATCH_MULTIPLIER = 0.5;

/** Anthropic bills a 5-minute cache write at 1.25x the input price (and a read at 0.1x: the table's cachedInput). */
export const ANTHROPIC_CACHE_WRITE_MULTIPLIER = 1.25;

/** A price with where it came from: `experiment` (the experiment's `prices:`) or the dated price table. */
export interface ResolvedPrice extends Price {
  source: string;
  currency: string;
  /** The batch price, always resolved (the entry's own `batch`, else the multiplier applied); `batchSource` says which. */
  batch: Omit<Price, 'batch'>;
  batchSource: string;
}

const perMillion = z.number().finite().nonnegative();

/** One model's price; also the shape of an entry under the experiment's `prices:` map. */
const ratesSchema = z.object({ input: perMillion, output: perMillion, cachedInput: perMillion.optional(), cacheWrite: perMillion.optional() }).strict();
export const priceSchema = ratesSchema.extend({ batch: ratesSchema.optional() }).strict();

/** The experiment's `prices:`: provider id -> price per 1M tokens. Wins over the price table. */
export const priceOverridesSchema = z.record(z.string().min(1), priceSchema);
export type PriceOverrides = Record<string, Price>;

export const priceTableSchema = z
  .object({
    currency: z.string().min(1),
    unit: z.literal('per 1M tokens'),
    /** The day the prices were copied from the providers' pages (YYYY-MM-DD). */
    asOf: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, { message: 'expected a date as YYYY-MM-DD' }),
    source: z.string().min(1),
    /** What the batch APIs bill as a share of each rate, for entries without a `batch` price of their own. */
    batchMultiplier: z.number().positive().max(1).optional(),
    models: z.record(z.string().min(1), priceSchema),
  })
  .strict();

export type PriceTable = z.output<typeof priceTableSchema>;

/** A price table that cannot be used: which file, and which field is wrong. */
export class PriceTableError extends Error {
  constructor(
    readonly file: string,
    readonly reason: string,
  ) {
    super(`${file}: ${reason}`);
    this.name = 'PriceTableError';
  }
}

/** data/prices.json, found relative to this module: the same from src/config and dist/config. */
export const PRICE_TABLE_URL = new URL('../../data/prices.json', import.meta.url);

/** Validate a parsed price table; the error names the first fields that are wrong. */
export function parsePriceTable(value: unknown, file = 'prices.json'): PriceTable {
  const result = priceTableSchema.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues.slice(0, 5).map((issue) => {
    const field = issue.path.map(String).join('.') || '(table)';
    return `field "${field}": ${issue.message}`;
  });
  const more = result.error.issues.length - problems.length;
  throw new PriceTableError(file, `not a price table: ${problems.join('; ')}${more > 0 ? `; and ${more} more` : ''}`);
}

let cached: PriceTable | null = null;

/** Read and validate a price table; the packaged one (data/prices.json) is read once per process. */
export function loadPriceTable(url: URL = PRICE_TABLE_URL): PriceTable {
  const isDefault = url.href === PRICE_TABLE_URL.href;
  if (isDefault && cached) return cached;
  const file = url.protocol === 'file:' ? fileURLToPath(url) : url.href;
  let text: string;
  try {
    text = readFileSync(url, 'utf8');
  } catch (e) {
    throw new PriceTableError(file, `cannot read the price table (${(e as Error).message})`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new PriceTableError(file, `not valid JSON (${(e as Error).message})`);
  }
  const table = parsePriceTable(value, file);
  if (isDefault) cached = table;
  return table;
}

/**
 * The price of a provider's calls: the experiment's override for that id when there is one
 * (source `experiment`), else the price table's entry for the id, else the entry of the model the
 * id is a dated snapshot of; null when neither knows it (e.g. `openai-compatible:*`).
 */
export function resolvePrice(
  providerId: string,
  overrides?: Readonly<Record<string, Price>> | null,
  table: PriceTable = loadPriceTable(),
): ResolvedPrice | null {
  const override = overrides && Object.hasOwn(overrides, providerId) ? overrides[providerId] : undefined;
  const anthropic = providerId.startsWith('anthropic:');
  const multiplier = table.batchMultiplier ?? DEFAULT_BATCH_MULTIPLIER;
  if (override) return withSource(override, 'experiment', table.currency, anthropic, multiplier, `price table (as of ${table.asOf})`);

  const models = table.models;
  const tableSource = `price table (as of ${table.asOf})`;
  if (Object.hasOwn(models, providerId)) return withSource(models[providerId]!, tableSource, table.currency, anthropic, multiplier, tableSource);
  const base = snapshotBase(providerId);
  if (base !== null && Object.hasOwn(models, base)) {
    return withSource(models[base]!, `${tableSource}, listed as ${base}`, table.currency, anthropic, multiplier, tableSource);
  }
  // An OpenAI fine-tuned model (`openai:ft:<base>:<org>::<id>`) is billed at its base model's tuned price.
  const tunedBase = openAIFineTuneBase(providerId);
  const tuned = tunedBase ? resolveFineTunePrice(tunedBase) : null;
  if (tuned) {
    const rates: Price = { input: tuned.input, output: tuned.output, ...(tuned.cachedInput !== undefined && { cachedInput: tuned.cachedInput }) };
    return withSource(rates, `${tuned.source}, tuned ${tuned.listedAs}`, tuned.currency, false, multiplier, tuned.source);
  }
  return null;
}

/** `anthropic`: a price without cacheWrite gets Anthropic's (ANTHROPIC_CACHE_WRITE_MULTIPLIER x input). */
function withSource(price: Price, source: string, currency: string, anthropic: boolean, batchMultiplier: number, tableSource: string): ResolvedPrice {
  const rates = (p: Omit<Price, 'batch'>): Omit<Price, 'batch'> => {
    const cacheWrite = p.cacheWrite ?? (anthropic ? p.input * ANTHROPIC_CACHE_WRITE_MULTIPLIER : undefined);
    return {
      input: p.input,
      output: p.output,
      ...(p.cachedInput !== undefined ? { cachedInput: p.cachedInput } : {}),
      ...(cacheWrite !== undefined ? { cacheWrite } : {}),
    };
  };
  const own = rates(price);
  const scaled = (x: number | undefined) => (x === undefined ? undefined : x * batchMultiplier);
  const batch: Omit<Price, 'batch'> = price.batch
    ? rates(price.batch)
    : {
        input: own.input * batchMultiplier,
        output: own.output * batchMultiplier,
        ...(own.cachedInput !== undefined && { cachedInput: scaled(own.cachedInput)! }),
        ...(own.cacheWrite !== undefined && { cacheWrite: scaled(own.cacheWrite)! }),
      };
  const batchSource = price.batch ? source : `${Math.round(batchMultiplier * 100)}% of the price (batch APIs, ${tableSource})`;
  return { ...own, source, currency, batch, batchSource };
}

/**
 * Cost of one request in the price's currency. `cachedTokensIn` (a part of tokensIn: read from the
 * prompt cache) is priced at cachedInput when the price has one, at the input price otherwise;
 * `cacheWriteTokensIn` (another part: written to the prompt cache) at cacheWrite, else at input.
 */
export function costPerRequest(price: Price, tokensIn: number, tokensOut: number, cachedTokensIn = 0, cacheWriteTokensIn = 0): number {
  const cachedIn = Math.min(Math.max(cachedTokensIn, 0), tokensIn);
  const writtenIn = Math.min(Math.max(cacheWriteTokensIn, 0), tokensIn - cachedIn);
  const cachedRate = price.cachedInput ?? price.input;
  const writeRate = price.cacheWrite ?? price.input;
  return ((tokensIn - cachedIn - writtenIn) * price.input + cachedIn * cachedRate + writtenIn * writeRate + tokensOut * price.output) / 1_000_000;
}

/**
 * What the prompt cache saved on one request: its prompt at the plain input price minus the same
 * prompt as billed (reads at cachedInput, writes at cacheWrite). Negative when writes cost more than
 * reads saved (prefixes written and never read).
 */
export function cacheSavingsPerRequest(price: Price, tokensIn: number, cachedTokensIn: number, cacheWriteTokensIn: number): number {
  return costPerRequest(price, tokensIn, 0) - costPerRequest(price, tokensIn, 0, cachedTokensIn, cacheWriteTokensIn);
}
