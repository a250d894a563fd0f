/**
 * Embedding APIs for similarity-based example selection, through the official SDKs:
 * `openai:<model>` (e.g. text-embedding-3-small), `openai-compatible:<model>` (Ollama, vLLM, ... at
 * a base URL) and `google:<model>` (text-embedding-004, gemini-embedding-001).
 *
 * Keys come from the environment only, the same variables as the chat providers; the SDKs' own
 * retries are off and our retry policy (withRetries + classifyError) applies per batch. Every
 * response is validated: one finite vector per input, all of one length.
 */
import type OpenAI from 'openai';
import type { GoogleGenAI } from '@google/genai';
import { z } from 'zod';
import { Rng } from '../util/rng.js';
import { classifyError } from './classify-error.js';
import { ProviderError } from './provider.js';
import { BASE_URL_VARIABLES, DEFAULT_TIMEOUT_MS, KEY_VARIABLES } from './registry.js';
import { DEFAULT_RETRY_POLICY, withRetries, type RetryPolicy } from './retry.js';

export const EMBEDDING_KINDS = ['openai', 'openai-compatible', 'google'] as const;
export type EmbeddingKind = (typeof EMBEDDING_KINDS)[number];

/**
 * openai-compatible embeddings: the server's base URL and, if it needs one, its key. The base URL
 * falls back to OPENAI_BASE_URL; OPENAI_API_KEY is never sent to a compatible server (it belongs to
 * OpenAI, and the server may be someone else's).
 */
export const COMPATIBLE_BASE_URL_VARIABLE = 'FEWSHOT_EMBEDDINGS_BASE_URL';
export const COMPATIBLE_KEY_VARIABLE = 'FEWSHOT_EMBEDDINGS_API_KEY';

/** Texts per request: Gemini's batchEmbedContents takes at most 100; OpenAI takes more, but 100 keeps requests small. */
export const DEFAULT_EMBEDDING_BATCH = 100;

const DEFAULT_BASE_URLS: Record<EmbeddingKind, string | null> = {
  openai: 'https://api.openai.com/v1',
  'openai-compatible': null,
  google: 'https://generativelanguage.googleapis.com/',
};

/** Gemini embeds for a purpose; selection compares texts with each other. Part of the cache identity. */
export const GOOGLE_TASK_TYPE = 'SEMANTIC_SIMILARITY';

export interface Embedder {
  /** As named in the experiment, e.g. `openai:text-embedding-3-small`. */
  readonly id: string;
  readonly kind: EmbeddingKind;
  readonly model: string;
  /**
   * What else makes a vector differ for the same (kind, model, text): Gemini's task type, a
   * compatible server's address. Never a key.
   */
  readonly variant: string;
  /** One vector per text, in order; batched, each batch retried on transient failures. */
  embed(texts: readonly string[], signal?: AbortSignal): Promise<number[][]>;
  /** HTTP requests made so far, retries included. */
  readonly requests: number;
}

export type EmbedderResolution = { status: 'ready'; embedder: Embedder } | { status: 'skipped'; reason: string };

export interface EmbedderOptions {
  /** Replaces real waiting in retries (tests). */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  policy?: Partial<RetryPolicy>;
  batchSize?: number;
  timeoutMs?: number;
}

/** Splits `kind:model`; throws on a kind without an embedding API here (a configuration error, not an environment one). */
export function parseEmbeddingId(id: string): { kind: EmbeddingKind; model: string } {
  const colon = id.indexOf(':');
  const kind = colon > 0 ? id.slice(0, colon) : '';
  const model = colon > 0 ? id.slice(colon + 1) : '';
  if (!(EMBEDDING_KINDS as readonly string[]).includes(kind) || model.trim() === '') {
    throw new Error(
      `embedding provider "${id}": expected <kind>:<model> with kind one of ${EMBEDDING_KINDS.join(', ')} ` +
        '(e.g. openai:text-embedding-3-small, google:text-embedding-004)',
    );
  }
  return { kind: kind as EmbeddingKind, model };
}

/** A ready embedder, or why it cannot run in this environment (a missing key or base URL). */
export function resolveEmbedder(id: string, env: NodeJS.ProcessEnv, options: EmbedderOptions = {}): EmbedderResolution {
  const { kind, model } = parseEmbeddingId(id);
  let apiKey: string;
  let baseUrl: string;
  if (kind === 'openai-compatible') {
    const url = env[COMPATIBLE_BASE_URL_VARIABLE] || env.OPENAI_BASE_URL;
    if (!url) {
      return {
        status: 'skipped',
        reason: `openai-compatible embeddings need a base URL: set ${COMPATIBLE_BASE_URL_VARIABLE} or OPENAI_BASE_URL (e.g. http://localhost:11434/v1)`,
      };
    }
    baseUrl = url;
    // Local servers take any key, but the SDK insists on one.
    apiKey = env[COMPATIBLE_KEY_VARIABLE] || 'not-needed';
  } else {
    const variables = KEY_VARIABLES[kind] ?? [];
    const keyVariable = variables.find((name) => env[name]);
    if (!keyVariable) return { status: 'skipped', reason: `no API key: set ${variables.join(' or ')} to run it` };
    apiKey = env[keyVariable]!;
    const variable = BASE_URL_VARIABLES[kind];
    baseUrl = (variable && env[variable]) || DEFAULT_BASE_URLS[kind]!;
  }
  const settings: EmbedderSettings = {
    id,
    kind,
    model,
    apiKey,
    baseUrl,
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    batchSize: options.batchSize ?? DEFAULT_EMBEDDING_BATCH,
    policy: { ...DEFAULT_RETRY_POLICY, ...options.policy },
    ...(options.sleep && { sleep: options.sleep }),
  };
  return { status: 'ready', embedder: kind === 'google' ? new GoogleEmbedder(settings) : new OpenAIEmbedder(settings) };
}

interface EmbedderSettings {
  id: string;
  kind: EmbeddingKind;
  model: string;
  apiKey: string;
  baseUrl: string;
  timeoutMs: number;
  batchSize: number;
  policy: RetryPolicy;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

abstract class BatchingEmbedder implements Embedder {
  requests = 0;

  constructor(protected readonly settings: EmbedderSettings) {}

  get id(): string {
    return this.settings.id;
  }
  get kind(): EmbeddingKind {
    return this.settings.kind;
  }
  get model(): string {
    return this.settings.model;
  }
  abstract readonly variant: string;

  /** One request: the vectors for `texts`, validated, or a ProviderError. */
  protected abstract embedBatch(texts: readonly string[], signal?: AbortSignal): Promise<number[][]>;

  async embed(texts: readonly string[], signal?: AbortSignal): Promise<number[][]> {
    const out: number[][] = [];
    // Batches go one after another: a pool is embedded once, and a burst would only meet rate limits.
    for (let start = 0; start < texts.length; start += this.settings.batchSize) {
      const batch = texts.slice(start, start + this.settings.batchSize);
      const jitter = new Rng(['embed-jitter', this.settings.id, batch[0] ?? '']);
      const { value } = await withRetries(
        () => {
          this.requests++;
          return this.embedBatch(batch, signal);
        },
        this.settings.policy,
        jitter,
        { ...(this.settings.sleep && { sleep: this.settings.sleep }), ...(signal && { signal }) },
      );
      const dims = out[0]?.length;
      if (dims !== undefined && value[0] !== undefined && value[0].length !== dims) {
        throw this.malformed(`vectors of ${value[0].length} dimensions after earlier ones of ${dims}`);
      }
      out.push(...value);
    }
    return out;
  }

  /** Checks one finite, non-empty vector per input, all of one length. */
  protected checkVectors(vectors: number[][], expected: number): number[][] {
    if (vectors.length !== expected) throw this.malformed(`${vectors.length} vectors for ${expected} inputs`);
    const dims = vectors[0]?.length ?? 0;
    for (const [i, v] of vectors.entries()) {
      if (v.length === 0) throw this.malformed(`vector ${i} is empty`);
      if (v.length !== dims) throw this.malformed(`vector ${i} has ${v.length} dimensions, vector 0 has ${dims}`);
      if (!v.every(Number.isFinite)) throw this.malformed(`vector ${i} holds a non-finite number`);
    }
    return vectors;
  }

  protected malformed(why: string): ProviderError {
    return new ProviderError('malformed', `${this.settings.id}: malformed embeddings response (${why})`);
  }
}

const openAIResponseSchema = z.looseObject({
  data: z.array(z.looseObject({ embedding: z.array(z.number()), index: z.number().int().min(0) })),
});

class OpenAIEmbedder extends BatchingEmbedder {
  private client: Promise<OpenAI> | null = null;

  get variant(): string {
    // A compatible server's model name says little without the server: the address is part of the identity.
    return this.settings.kind === 'openai-compatible' ? `at ${redactUrl(this.settings.baseUrl)}` : '';
  }

  private getClient(): Promise<OpenAI> {
    this.client ??= import('openai').then(
      ({ default: OpenAIClient }) =>
        new OpenAIClient({
          apiKey: this.settings.apiKey,
          baseURL: this.settings.baseUrl,
          maxRetries: 0, // one retry policy, ours
          timeout: this.settings.timeoutMs,
          ...(this.settings.kind === 'openai-compatible' && { organization: null, project: null }),
        }),
    );
    return this.client;
  }

  protected async embedBatch(texts: readonly string[], signal?: AbortSignal): Promise<number[][]> {
    let raw: unknown;
    try {
      const client = await this.getClient();
      // Plain floats: the SDK's default base64 is not spoken by every compatible server.
      raw = await client.embeddings.create({ model: this.settings.model, input: [...texts], encoding_format: 'float' }, signal ? { signal } : undefined);
    } catch (err) {
      throw classifyError(err, this.settings.id, signal?.aborted ?? false);
    }
    const parsed = openAIResponseSchema.safeParse(raw);
    if (!parsed.success) throw this.malformed(firstIssue(parsed.error));
    const vectors: number[][] = new Array(texts.length);
    for (const row of parsed.data.data) {
      if (row.index >= texts.length) throw this.malformed(`index ${row.index} for ${texts.length} inputs`);
      if (vectors[row.index] !== undefined) throw this.malformed(`index ${row.index} appears twice`);
      vectors[row.index] = row.embedding;
    }
    if (parsed.data.data.length !== texts.length) throw this.malformed(`${parsed.data.data.length} vectors for ${texts.length} inputs`);
    return this.checkVectors(vectors, texts.length);
  }
}

const googleResponseSchema = z.looseObject({
  embeddings: z.array(z.looseObject({ values: z.array(z.number()) })),
});

class GoogleEmbedder extends BatchingEmbedder {
  private client: Promise<GoogleGenAI> | null = null;

  get variant(): string {
    return `taskType=${GOOGLE_TASK_TYPE}`;
  }

  private getClient(): Promise<GoogleGenAI> {
    this.client ??= import('@google/genai').then(
      ({ GoogleGenAI: Client }) =>
        new Client({
          vertexai: false,
          apiKey: this.settings.apiKey,
          httpOptions: { timeout: this.settings.timeoutMs, baseUrl: this.settings.baseUrl },
        }),
    );
    return this.client;
  }

  protected async embedBatch(texts: readonly string[], signal?: AbortSignal): Promise<number[][]> {
    let raw: unknown;
    try {
      const client = await this.getClient();
      // Explicit Content objects: a bare string array would be read as the parts of one content by some models.
      raw = await client.models.embedContent({
        model: this.settings.model,
        contents: texts.map((text) => ({ role: 'user', parts: [{ text }] })),
        config: { taskType: GOOGLE_TASK_TYPE, ...(signal && { abortSignal: signal }) },
      });
    } catch (err) {
      throw classifyError(err, this.settings.id, signal?.aborted ?? false);
    }
    const parsed = googleResponseSchema.safeParse(raw);
    if (!parsed.success) throw this.malformed(firstIssue(parsed.error));
    return this.checkVectors(
      parsed.data.embeddings.map((e) => e.values),
      texts.length,
    );
  }
}

function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'unexpected shape';
  const path = issue.path.map(String).join('.');
  return path ? `${path}: ${issue.message}` : issue.message;
}

/** A URL without credentials, query or fragment: safe to write into a cache file. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname.replace(/\/+$/, '')}`;
  } catch {
    return '(unparseable URL)';
  }
}
