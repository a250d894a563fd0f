/**
 * The `embedding` selector: the k pool examples most similar to the item, by cosine similarity of
 * their embeddings (`selectors: [{ name: embedding, provider: openai:text-embedding-3-small }]`).
 *
 * prepare(pool, items) embeds every pool example and every evaluation item once, before the sweep,
 * reading and filling the on-disk cache (embedding-cache.ts); select is then pure arithmetic. The
 * ranking depends on nothing but the texts, so the k-shot set is a prefix of the (k+1)-shot set and
 * every repeat sees the same shots (the rng is not used).
 */
import { resolveEmbedder, type Embedder, type EmbedderOptions } from '../providers/embeddings.js';
import type { TaskItem } from '../tasks/task.js';
import type { Rng } from '../util/rng.js';
import { cacheDir, EmbeddingCache, textKey } from './embedding-cache.js';
import { checkK, eligiblePool } from './guard.js';
import type { Selector, SelectorDeps, SelectorResolution, SelectorSpec } from './selector.js';

export const EMBEDDING_SELECTOR = 'embedding';

export interface EmbeddingSelectorDeps extends SelectorDeps {
  /** Where `.fewshot/` is when FEWSHOT_CACHE_DIR is not set (default: the working directory). */
  cwd?: string;
  /** Retry waits, batch size, timeout (tests). */
  embedderOptions?: EmbedderOptions;
}

/** What prepare did, for a log line. */
export interface EmbeddingPrepareStats {
  /** Distinct texts (pool and items) that need a vector. */
  texts: number;
  fromCache: number;
  embedded: number;
  /** HTTP requests made, retries included. */
  requests: number;
  cacheFile: string;
}

/**
 * The selector for a spec, or why it is skipped (a missing key or base URL, named).
 * Throws on a spec without `provider` or with a provider that has no embedding API here.
 */
export function createEmbeddingSelector(spec: SelectorSpec, deps: EmbeddingSelectorDeps): SelectorResolution {
  if (!spec.provider) {
    throw new Error(`the ${EMBEDDING_SELECTOR} selector needs a provider, e.g. { name: embedding, provider: openai:text-embedding-3-small }`);
  }
  const resolution = resolveEmbedder(spec.provider, deps.env, deps.embedderOptions);
  if (resolution.status === 'skipped') return resolution;
  const cache = new EmbeddingCache(cacheDir(deps.env, deps.cwd), {
    kind: resolution.embedder.kind,
    model: resolution.embedder.model,
    variant: resolution.embedder.variant,
  });
  return { status: 'ready', selector: new EmbeddingSelector(resolution.embedder, cache) };
}

export class EmbeddingSelector implements Selector {
  readonly name = EMBEDDING_SELECTOR;
  /** Selecting calls an embedding API: a dry run estimates with other shots instead. */
  readonly remote = true;
  /** Unit vectors by text key. */
  private readonly unit = new Map<string, Float64Array>();
  /** Full rankings per (pool, item): select only slices them. */
  private readonly rankings = new WeakMap<readonly TaskItem<unknown>[], Map<string, TaskItem<unknown>[]>>();
  private dims: number | null = null;
  stats: EmbeddingPrepareStats | null = null;

  constructor(
    readonly embedder: Embedder,
    readonly cache: EmbeddingCache,
  ) {}

  /** Problems met with the cache file (it was then rebuilt). */
  get notices(): readonly string[] {
    return this.cache.notices;
  }

  async prepare(pool: readonly TaskItem[], items: readonly TaskItem[] = []): Promise<void> {
    const texts = new Map<string, string>();
    for (const x of [...pool, ...items]) {
      const key = textKey(x.text);
      if (!texts.has(key) && !this.unit.has(key)) texts.set(key, x.text);
    }
    const missing = [...texts].filter(([key]) => !this.cache.has(key));
    const requestsBefore = this.embedder.requests;
    if (missing.length > 0) {
      const vectors = await this.embedder.embed(missing.map(([, text]) => text));
      this.cache.save(new Map(missing.map(([key], i) => [key, vectors[i]!])));
    }
    for (const key of texts.keys()) this.unit.set(key, this.toUnit(key, this.cache.get(key)!));
    this.stats = {
      texts: texts.size,
      fromCache: texts.size - missing.length,
      embedded: missing.length,
      requests: this.embedder.requests - requestsBefore,
      cacheFile: this.cache.file,
    };
  }

  /** The rng is not used: the ranking is a function of the texts alone. */
  select<D>(item: TaskItem<D>, pool: readonly TaskItem<D>[], k: number, _rng?: Rng): TaskItem<D>[] {
    const eligible = eligiblePool(item, pool);
    checkK(k, eligible.length, EMBEDDING_SELECTOR);
    return this.ranking(item, pool).slice(0, k);
  }

  /** The eligible pool, most similar first; ties keep the pool's order. */
  private ranking<D>(item: TaskItem<D>, pool: readonly TaskItem<D>[]): TaskItem<D>[] {
    let byItem = this.rankings.get(pool);
    if (!byItem) {
      byItem = new Map();
      this.rankings.set(pool, byItem);
    }
    const known = byItem.get(item.id);
    if (known) return known as TaskItem<D>[];
    const query = this.vector(item);
    const ranked = eligiblePool(item, pool)
      .map((ex, index) => ({ ex, index, similarity: dot(query, this.vector(ex)) }))
      .sort((a, b) => b.similarity - a.similarity || a.index - b.index)
      .map((r) => r.ex);
    byItem.set(item.id, ranked);
    return ranked;
  }

  private vector(x: TaskItem<unknown>): Float64Array {
    const v = this.unit.get(textKey(x.text));
    if (!v) throw new Error(`${EMBEDDING_SELECTOR} selector: no embedding for ${x.id}; prepare(pool, items) must embed it before select`);
    return v;
  }

  private toUnit(key: string, vector: readonly number[]): Float64Array {
    if (this.dims === null) this.dims = vector.length;
    if (vector.length !== this.dims) {
      throw new Error(
        `${EMBEDDING_SELECTOR} selector: ${this.embedder.id} vectors of ${vector.length} and ${this.dims} dimensions (text ${key.slice(0, 12)}); ` +
          `delete ${this.cache.file} if the model changed`,
      );
    }
    let norm = 0;
    for (const x of vector) norm += x * x;
    norm = Math.sqrt(norm);
    // A zero vector is similar to nothing (cosine 0), rather than a division by zero.
    return Float64Array.from(vector, (x) => (norm > 0 ? x / norm : 0));
  }
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}
