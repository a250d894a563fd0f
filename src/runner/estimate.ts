import { resolvePrice } from '../config/prices.js';
import type { ProviderConfig } from '../config/schema.js';
import type { ChatMessage, CompletionRequest, Provider } from '../providers/provider.js';
import { ProviderError } from '../providers/provider.js';
import { countPromptTokens, tokenCounting, wireMessages } from '../providers/tokens.js';
import { firstSelector } from '../selectors/first.js';
import { selectShots } from './execute.js';
import type { TrialSpec } from './plan.js';
import type { PreparedSweep } from './prepare.js';

export interface CellEstimate {
  /** The prompt variant (`builtin`: the task's own prompt). */
  prompt: string;
  selector: string;
  k: number;
  calls: number;
  meanPromptTokens: number;
  /** The cell's longest prompt, in tokens: what the context-window check holds against the window. */
  maxPromptTokens: number;
  /** Which trial has the longest prompt: its item and repeat. */
  longest: { itemIndex: number; itemId: string; repeat: number };
  /** The prompt tokens of all the cell's calls. */
  promptTokens: number;
  /** True when maxPromptTokens is the API's count (`sweep --dry-run --count-tokens`). */
  countedByApi?: boolean;
}

/** How a provider's prompt tokens were had, e.g. `exact (o200k_base)`, `estimated (~4 chars/token)`, `counted by the API`. */
export interface TokenCountLabel {
  exact: boolean;
  label: string;
}

export interface ProviderEstimate {
  /** The provider's name: its label, else its id. */
  provider: string;
  /** Its id, when the name is a label. */
  id?: string;
  calls: number;
  promptTokens: number;
  /** How the prompt tokens were counted (providers/tokens.ts; the API's count with --count-tokens). */
  tokenCount: TokenCountLabel;
  /** The most output one call may produce: maxOutputTokens, else the adapter's default (capabilities.defaultMaxOutputTokens); null: the API's own. */
  maxOutputTokensPerCall: number | null;
  /** The most output the calls may produce (maxOutputTokensPerCall x calls); null when unbounded. */
  maxOutputTokens: number | null;
  cells: CellEstimate[];
  /** Input cost, and input plus the most output; null without a price. */
  cost: { input: number; upToWithOutput: number | null; currency: string; source: string } | null;
  /** Minutes the configured rate limits need at least; null when no limit is set. */
  minutesAtRateLimits: number | null;
}

type ReadyResolution = Extract<PreparedSweep['resolutions'][number], { status: 'ready' }>;
type PromptKey = Pick<TrialSpec, 'prompt' | 'selector' | 'k' | 'repeat' | 'itemIndex'>;

/**
 * The messages a trial's task renders, exactly as the sweep renders them; a remote selector
 * (embeddings) would call its API, so its prompts are rendered with the pool's first examples instead.
 */
export function promptRenderer(prepared: PreparedSweep): (spec: PromptKey) => ChatMessage[] {
  const { config, tasks, task, data } = prepared;
  const arms = new Map(prepared.arms.map((arm) => [arm.label, arm.selector.remote ? { ...arm, selector: firstSelector } : arm]));
  const ctx = { experimentSeed: config.seed, pool: data.pool, items: data.items, arms, distractors: data.distractors ?? [] };
  return (spec) => (tasks.get(spec.prompt) ?? task).render(selectShots({ ...spec, provider: '' }, ctx), data.items[spec.itemIndex]!);
}

/**
 * What a sweep would send, without calling anything: prompts are rendered exactly as the sweep
 * would render them, as each provider's adapter sends them (the entry's systemPrompt in place of the
 * task's), and counted by countPromptTokens: exactly for OpenAI models, about four characters a
 * token for the others.
 */
export function estimateSweep(prepared: PreparedSweep): ProviderEstimate[] {
  const { plan, resolutions, data } = prepared;
  const render = promptRenderer(prepared);
  const ready = resolutions.filter((r): r is ReadyResolution => r.status === 'ready');
  // Providers that count alike (one encoding, or the estimate; one system prompt) share their counts.
  const groupOf = (r: ReadyResolution) => JSON.stringify([tokenCounting(r.id).encoding ?? 'estimate', r.config.systemPrompt ?? null]);
  const groups = new Map<string, ReadyResolution>();
  for (const r of ready) if (!groups.has(groupOf(r))) groups.set(groupOf(r), r);
  const groupIndex = new Map([...groups.keys()].map((g, i) => [g, i]));
  const representatives = [...groups.values()];
  // The prompt depends on (prompt variant, selector, k, repeat, item), not on the provider: render it once.
  const counts = new Map<string, number[]>();
  const countsOf = (spec: TrialSpec): number[] => {
    const key = JSON.stringify([spec.prompt, spec.selector, spec.k, spec.repeat, spec.itemIndex]);
    let found = counts.get(key);
    if (found === undefined) {
      const messages = render(spec);
      found = representatives.map((r) => countPromptTokens(r.id, wireMessages(messages, r.config.systemPrompt)).tokens);
      counts.set(key, found);
    }
    return found;
  };
  const out: ProviderEstimate[] = [];
  for (const r of ready) {
    const index = groupIndex.get(groupOf(r))!;
    const cells = new Map<string, CellEstimate>();
    for (const spec of plan) {
      if (spec.provider !== r.name) continue;
      const tokens = countsOf(spec)[index]!;
      const cellKey = JSON.stringify([spec.prompt, spec.selector, spec.k]);
      let cell = cells.get(cellKey);
      if (!cell) {
        cell = {
          prompt: spec.prompt,
          selector: spec.selector,
          k: spec.k,
          calls: 0,
          meanPromptTokens: 0,
          maxPromptTokens: -1,
          longest: longestAt(spec),
          promptTokens: 0,
        };
        cells.set(cellKey, cell);
      }
      cell.calls++;
      cell.promptTokens += tokens;
      if (tokens > cell.maxPromptTokens) {
        cell.maxPromptTokens = tokens;
        cell.longest = longestAt(spec);
      }
    }
    const counting = tokenCounting(r.id);
    out.push(providerEstimate(r, prepared, [...cells.values()], { exact: counting.exact, label: counting.label }));
  }
  return out;

  function longestAt(spec: TrialSpec): CellEstimate['longest'] {
    return { itemIndex: spec.itemIndex, itemId: data.items[spec.itemIndex]!.id, repeat: spec.repeat };
  }
}

/** The output a call of this entry may produce: its maxOutputTokens, else what its adapter sends by default; null: the API's own (unknown). */
export function maxOutputTokensOf(provider: Provider, config: Pick<ProviderConfig, 'maxOutputTokens'>): number | null {
  return config.maxOutputTokens ?? provider.capabilities.defaultMaxOutputTokens;
}

/** A provider's totals, cost and time from its cells. */
function providerEstimate(r: ReadyResolution, prepared: PreparedSweep, cells: CellEstimate[], tokenCount: TokenCountLabel): ProviderEstimate {
  const { config } = prepared;
  const local = r.id === 'local';
  for (const cell of cells) cell.meanPromptTokens = Math.round(cell.promptTokens / cell.calls);
  const total = cells.reduce((n, c) => n + c.promptTokens, 0);
  const calls = cells.reduce((n, c) => n + c.calls, 0);
  const perCall = local ? 0 : maxOutputTokensOf(r.provider, r.config);
  const maxOutputTokens = perCall === null ? null : perCall * calls;
  const price = local ? null : resolvePrice(r.id, config.prices ?? null);
  const rpm = r.config.requestsPerMinute;
  const tpm = r.config.tokensPerMinute;
  const minutes = [rpm !== undefined ? calls / rpm : 0, tpm !== undefined ? (total + (maxOutputTokens ?? 0)) / tpm : 0];
  return {
    provider: r.name,
    ...(r.name !== r.id && { id: r.id }),
    calls,
    promptTokens: total,
    tokenCount,
    maxOutputTokensPerCall: perCall,
    maxOutputTokens,
    cells,
    cost: price
      ? {
          input: (total / 1e6) * price.input,
          upToWithOutput: maxOutputTokens === null ? null : (total / 1e6) * price.input + (maxOutputTokens / 1e6) * price.output,
          currency: price.currency,
          source: price.source,
        }
      : null,
    minutesAtRateLimits: rpm === undefined && tpm === undefined ? null : Math.max(...minutes),
  };
}

/** `sweep --dry-run --count-tokens`: how many prompts each provider's count endpoint is asked at most. */
export const API_COUNT_LIMIT = 100;
export const API_COUNTED_LABEL = 'counted by the API';

export interface ApiCountOptions {
  /** Distinct prompts asked per provider at most, the longest cells first (default API_COUNT_LIMIT). */
  limit?: number;
  /** Count calls in flight per provider (default 4). */
  concurrency?: number;
  signal?: AbortSignal;
}

/**
 * `--count-tokens`: each provider whose API counts tokens for free (capabilities.countTokens:
 * Anthropic, Gemini) is asked for the longest prompt of each cell (one call per distinct prompt, at
 * most `limit`, the longest cells first). A counted cell's longest prompt takes the API's count and
 * its other prompts are scaled by the same ratio to the local count; cells past the limit are scaled
 * by the counted cells' overall ratio. A provider whose count fails keeps its local counts, with a note.
 * Returns the estimates (the same objects for providers that were not asked) and notes to print.
 */
export async function countTokensWithApi(
  prepared: PreparedSweep,
  estimates: readonly ProviderEstimate[],
  options: ApiCountOptions = {},
): Promise<{ estimates: ProviderEstimate[]; notes: { provider: string; text: string }[] }> {
  const limit = options.limit ?? API_COUNT_LIMIT;
  const render = promptRenderer(prepared);
  const notes: { provider: string; text: string }[] = [];
  const out: ProviderEstimate[] = [];
  for (const e of estimates) {
    const r = prepared.resolutions.find((x): x is ReadyResolution => x.status === 'ready' && x.name === e.provider);
    const provider = r?.provider;
    if (!r || !provider || !provider.capabilities.countTokens || !provider.countTokens) {
      out.push(e);
      continue;
    }
    // Distinct prompts, the longest cells first: k = 0 cells of several selectors often send one prompt.
    const asks = new Map<string, { request: CompletionRequest; cells: CellEstimate[] }>();
    const ordered = [...e.cells].sort((a, b) => b.maxPromptTokens - a.maxPromptTokens);
    let skipped = 0;
    for (const cell of ordered) {
      const request = countRequest(render({ prompt: cell.prompt, selector: cell.selector, k: cell.k, ...cell.longest }), r, prepared);
      const key = JSON.stringify(request);
      const ask = asks.get(key);
      if (ask) ask.cells.push(cell);
      else if (asks.size < limit) asks.set(key, { request, cells: [cell] });
      else skipped++;
    }
    let counted: Map<CellEstimate, number>;
    try {
      counted = await countAll(provider, [...asks.values()], options.concurrency ?? 4, options.signal);
    } catch (err) {
      if (!(err instanceof ProviderError)) throw err;
      notes.push({ provider: e.provider, text: `the API's token count failed (${err.message}); the counts stay ${e.tokenCount.label}` });
      out.push(e);
      continue;
    }
    let apiTotal = 0;
    let localTotal = 0;
    for (const [cell, tokens] of counted) {
      apiTotal += tokens;
      localTotal += cell.maxPromptTokens;
    }
    const overall = localTotal > 0 ? apiTotal / localTotal : 1;
    const cells = e.cells.map((cell): CellEstimate => {
      const api = counted.get(cell);
      const ratio = api !== undefined ? (cell.maxPromptTokens > 0 ? api / cell.maxPromptTokens : 1) : overall;
      return {
        ...cell,
        maxPromptTokens: api ?? Math.round(cell.maxPromptTokens * ratio),
        promptTokens: Math.round(cell.promptTokens * ratio),
        ...(api !== undefined && { countedByApi: true }),
      };
    });
    const label =
      `${API_COUNTED_LABEL} (the longest prompt of ${counted.size === e.cells.length ? 'each cell' : `${counted.size} of ${e.cells.length} cells`}, ` +
      `${asks.size} count call${asks.size === 1 ? '' : 's'}; the cells' other prompts scaled by the same ratio)`;
    if (skipped > 0) {
      notes.push({
        provider: e.provider,
        text: `--count-tokens asks at most ${limit} prompts per provider: ${skipped} more cell${skipped === 1 ? '' : 's'} scaled by the counted cells' ratio to the local count (${overall.toFixed(2)})`,
      });
    }
    out.push(providerEstimate(r, prepared, cells, { exact: true, label }));
  }
  return { estimates: out, notes };
}

/** The count request of a prompt: what the sweep's call would carry, less the sampling the count ignores. */
function countRequest(messages: ChatMessage[], r: ReadyResolution, prepared: PreparedSweep): CompletionRequest {
  return {
    messages,
    ...prepared.requestOptions?.get(r.name),
    ...(r.config.maxOutputTokens !== undefined && { maxOutputTokens: r.config.maxOutputTokens }),
    ...(r.config.systemPrompt !== undefined && { systemPrompt: r.config.systemPrompt }),
  };
}

/** Asks the count endpoint for each prompt, `concurrency` at once; the first failure rejects. */
async function countAll(
  provider: Provider,
  asks: readonly { request: CompletionRequest; cells: CellEstimate[] }[],
  concurrency: number,
  signal: AbortSignal | undefined,
): Promise<Map<CellEstimate, number>> {
  const counted = new Map<CellEstimate, number>();
  let next = 0;
  const worker = async () => {
    while (next < asks.length) {
      const ask = asks[next++]!;
      const tokens = await provider.countTokens!(ask.request, signal);
      for (const cell of ask.cells) counted.set(cell, tokens);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, asks.length) }, worker));
  return counted;
}
