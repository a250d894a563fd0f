import { resolvePrice } from '../config/prices.js';
import { estimateTokens } from '../providers/tokens.js';
import { ANTHROPIC_DEFAULT_MAX_TOKENS } from '../providers/anthropic.js';
import { firstSelector } from '../selectors/first.js';
import { selectShots } from './execute.js';
import type { PreparedSweep } from './prepare.js';

export interface CellEstimate {
  /** The prompt variant (`builtin`: the task's own prompt). */
  prompt: string;
  selector: string;
  k: number;
  calls: number;
  meanPromptTokens: number;
}

export interface ProviderEstimate {
  /** The provider's name: its label, else its id. */
  provider: string;
  /** Its id, when the name is a label. */
  id?: string;
  calls: number;
  promptTokens: number;
  /** The most output the calls may produce (maxOutputTokens per call); null when unbounded. */
  maxOutputTokens: number | null;
  cells: CellEstimate[];
  /** Input cost, and input plus the most output; null without a price. */
  cost: { input: number; upToWithOutput: number | null; currency: string; source: string } | null;
  /** Minutes the configured rate limits need at least; null when no limit is set. */
  minutesAtRateLimits: number | null;
}

/**
 * What a sweep would send, without calling anything: prompts are rendered exactly as the sweep
 * would render them, and tokens estimated at about four characters a token.
 */
export function estimateSweep(prepared: PreparedSweep): ProviderEstimate[] {
  const { config, tasks, task, data, plan, resolutions } = prepared;
  // A remote selector (embeddings) would call its API: estimate its prompts with the pool's first examples instead.
  const arms = new Map(prepared.arms.map((arm) => [arm.label, arm.selector.remote ? { ...arm, selector: firstSelector } : arm]));
  const ctx = { experimentSeed: config.seed, pool: data.pool, items: data.items, arms, distractors: data.distractors ?? [] };
  const promptTokens = new Map<string, number>();
  const out: ProviderEstimate[] = [];
  for (const r of resolutions) {
    if (r.status !== 'ready') continue;
    const cells = new Map<string, CellEstimate & { total: number }>();
    let total = 0;
    let calls = 0;
    for (const spec of plan) {
      if (spec.provider !== r.name) continue;
      // The prompt depends on (prompt variant, selector, k, repeat, item), not on the provider: render it once.
      const key = JSON.stringify([spec.prompt, spec.selector, spec.k, spec.repeat, spec.itemIndex]);
      let tokens = promptTokens.get(key);
      if (tokens === undefined) {
        const messages = (tasks.get(spec.prompt) ?? task).render(selectShots(spec, ctx), data.items[spec.itemIndex]!);
        tokens = estimateTokens(messages.map((m) => m.content).join('\n'));
        promptTokens.set(key, tokens);
      }
      const cellKey = JSON.stringify([spec.prompt, spec.selector, spec.k]);
      const cell = cells.get(cellKey) ?? { prompt: spec.prompt, selector: spec.selector, k: spec.k, calls: 0, meanPromptTokens: 0, total: 0 };
      cell.calls++;
      cell.total += tokens;
      cells.set(cellKey, cell);
      total += tokens;
      calls++;
    }
    const maxOut = r.config.maxOutputTokens ?? (r.id.startsWith('anthropic:') ? ANTHROPIC_DEFAULT_MAX_TOKENS : null);
    const maxOutputTokens = r.id === 'local' ? 0 : maxOut === null ? null : maxOut * calls;
    const price = r.id === 'local' ? null : resolvePrice(r.id, config.prices ?? null);
    const rpm = r.config.requestsPerMinute;
    const tpm = r.config.tokensPerMinute;
    const minutes = [rpm !== undefined ? calls / rpm : 0, tpm !== undefined ? (total + (maxOutputTokens ?? 0)) / tpm : 0];
    out.push({
      provider: r.name,
      ...(r.name !== r.id && { id: r.id }),
      calls,
      promptTokens: total,
      maxOutputTokens,
      cells: [...cells.values()].map(({ total: t, ...c }) => ({ ...c, meanPromptTokens: Math.round(t / c.calls) })),
      cost: price
        ? {
            input: (total / 1e6) * price.input,
            upToWithOutput: maxOutputTokens === null ? null : (total / 1e6) * price.input + (maxOutputTokens / 1e6) * price.output,
            currency: price.currency,
            source: price.source,
          }
        : null,
      minutesAtRateLimits: rpm === undefined && tpm === undefined ? null : Math.max(...minutes),
    });
  }
  return out;
}
