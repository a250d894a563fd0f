/**
 * Which requests mark their prefix for a provider's prompt cache, and when they are sent.
 *
 * Anthropic caches only what is marked (cache_control), bills the write at 1.25x the input price and
 * a read at 0.1x: a prefix written and never read costs a quarter more than not caching it. Most
 * selectors seed their shots per item (random, balanced, shuffled arms, distractors), so their prefixes
 * are never sent twice; `first` gives every item the same shots, and selectors that ignore the rng
 * (similar, diverse, embedding) give an item the same shots at every repeat. Rather than trust a
 * selector's name, the runner renders the prefix other trials would send and compares:
 *
 * - a trial's prefix is *shared* when another item of its cell (same provider, prompt, selector, k
 *   and repeat) sends the same system prompt and shots: the first two items other than its own are
 *   asked, memoized per cell and repeat; or when the same item at another repeat does (repeat 0 asks
 *   repeat 1, every other repeat asks repeat 0);
 * - only a shared prefix is marked (CompletionRequest.cachePrefix; the adapter drops the mark below
 *   the model's minimum cacheable length).
 *
 * Order. The plan keeps items outermost (a run stopped early, or an adaptive look, leaves every cell
 * paired over the same items), so a shared prefix comes back once per item: one item's trials apart
 * (cells x repeats in the provider's queue), well within the cache's 5-minute lifetime (refreshed by
 * every read) unless one item's trials take longer than that. Running a cell's items back to back
 * instead would break that pairing, and with `concurrency` workers would send the first `concurrency`
 * copies of a cold prefix at once: each a write, none a read. What runs close together here is the
 * first call of a prefix and the rest: a marked request whose prefix has not been answered (in the
 * last 5 minutes) waits while another call with that prefix is in flight, so one call writes and
 * the others read (prime()). The wait happens once per prefix and lifetime.
 */
import { splitSystem } from '../providers/messages.js';
import type { ChatMessage } from '../providers/provider.js';
import { canonicalJson, sha256 } from '../util/hash.js';
import type { TrialSpec } from './plan.js';

/** How long Anthropic keeps a cached prefix after its last use (the default, 5-minute cache). */
export const PROMPT_CACHE_TTL_MS = 5 * 60_000;

/** The trial's prompt as another trial would have it: its messages and the provider's system prompt override. */
export interface PrefixRequest {
  messages: readonly ChatMessage[];
  systemPrompt?: string | undefined;
}

/**
 * The identity of a request's cacheable prefix (system prompt and turns up to the last assistant turn,
 * the last shot's answer) for one provider; null when there is no shot.
 */
export function prefixKey(provider: string, request: PrefixRequest): string | null {
  const { system, turns } = splitSystem({ messages: [...request.messages], ...(request.systemPrompt !== undefined && { systemPrompt: request.systemPrompt }) });
  const end = turns.map((m) => m.role).lastIndexOf('assistant');
  if (end < 0) return null;
  return sha256(canonicalJson({ provider, system, turns: turns.slice(0, end + 1) }));
}

/** Released by the call that primes a prefix: `answered` when it came back (the prefix is then in the cache). */
export type PrimeRelease = (answered: boolean) => void;

/** One sweep's prefix sharing: the memoized prefixes of reference trials and the prefixes in the cache. */
export class PromptCacheSharing {
  private readonly references = new Map<string, string | null>();
  /** Prefix -> when a call that sent it last came back. */
  private readonly answered = new Map<string, number>();
  /** Prefix -> the call writing it, while it runs. */
  private readonly priming = new Map<string, Promise<void>>();

  constructor(
    private readonly itemCount: number,
    private readonly repeats: number,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * The trial's prefix key when another trial of the run sends the same prefix, else null.
   * `render` gives another trial's request (its shots selected and its prompt rendered as the sweep would).
   */
  sharedPrefix(spec: TrialSpec, request: PrefixRequest, render: (other: TrialSpec) => PrefixRequest): string | null {
    if (spec.k === 0) return null;
    const own = prefixKey(spec.provider, request);
    if (own === null) return null;
    let others = 0;
    for (let item = 0; item < this.itemCount && others < 2; item++) {
      if (item === spec.itemIndex) continue;
      others++;
      const key = JSON.stringify([spec.provider, spec.prompt, spec.selector, spec.k, spec.repeat, item]);
      let reference = this.references.get(key);
      if (reference === undefined) {
        reference = prefixKey(spec.provider, render({ ...spec, itemIndex: item }));
        this.references.set(key, reference);
      }
      if (reference === own) return own;
    }
    if (this.repeats > 1 && prefixKey(spec.provider, render({ ...spec, repeat: spec.repeat === 0 ? 1 : 0 })) === own) return own;
    return null;
  }

  /**
   * Before a call with a shared prefix: waits while another call is writing the prefix and none has
   * come back with it within the cache's lifetime; then returns the release this call must call when
   * it ends (a no-op when the prefix is already cached). Null when `signal` aborted the wait.
   */
  async prime(prefix: string, signal?: AbortSignal): Promise<PrimeRelease | null> {
    for (;;) {
      if (signal?.aborted) return null;
      const last = this.answered.get(prefix);
      if (last !== undefined && this.now() - last < PROMPT_CACHE_TTL_MS) return (ok) => this.touch(prefix, ok);
      const writing = this.priming.get(prefix);
      if (!writing) break;
      if (!(await settled(writing, signal))) return null;
    }
    let release!: () => void;
    this.priming.set(
      prefix,
      new Promise<void>((resolve) => {
        release = resolve;
      }),
    );
    return (ok) => {
      this.touch(prefix, ok);
      this.priming.delete(prefix);
      release();
    };
  }

  private touch(prefix: string, ok: boolean): void {
    if (ok) this.answered.set(prefix, this.now());
  }
}

/** True once `p` settles, false if `signal` aborts first; leaves no listener behind. */
function settled(p: Promise<void>, signal?: AbortSignal): Promise<boolean> {
  if (!signal) return p.then(() => true);
  return new Promise<boolean>((resolve) => {
    const onAbort = () => resolve(false);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    });
  });
}

const sweeps = new WeakMap<object, PromptCacheSharing>();

/**
 * The sharing state of one sweep, kept per execution context (the same across an adaptive sweep's
 * looks); created on first use.
 */
export function promptCacheFor(ctx: { readonly items: readonly unknown[]; readonly repeats?: number | undefined }): PromptCacheSharing {
  let sharing = sweeps.get(ctx);
  if (!sharing) sweeps.set(ctx, (sharing = new PromptCacheSharing(ctx.items.length, ctx.repeats ?? 1)));
  return sharing;
}
