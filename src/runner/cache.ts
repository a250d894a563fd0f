/**
 * The response cache: every successful provider answer, keyed by what was asked, in one SQLite file.
 * A rerun of the same experiment (after a crash, a Ctrl-C or to add a provider) answers every call
 * made before from here, so none is paid twice. Errors are never stored: a rerun retries them.
 *
 *   <cache dir>/cache.sqlite   responses(key, provider, created_at, result JSON)
 *
 * The file holds hashes, prompts' answers and usage, never a key: the cache key is a hash of the
 * request (which carries no credentials), see cacheKey().
 */
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import type { CompletionRequest, CompletionResult } from '../providers/provider.js';
import { canonicalJson, sha256 } from '../util/hash.js';

export const CACHE_DIR_VARIABLE = 'FEWSHOT_CACHE_DIR';
export const CACHE_FILE = 'cache.sqlite';

/**
 * Where the cache lives: the --cache-dir flag, else FEWSHOT_CACHE_DIR, else `.fewshot/` beside the
 * experiment (or in the working directory when there is none, for `fewshot cache`).
 */
export function resolveCacheDir(options: { flag?: string | undefined; env: NodeJS.ProcessEnv; experimentPath?: string | undefined }): string {
  if (options.flag) return resolve(options.flag);
  const fromEnv = options.env[CACHE_DIR_VARIABLE];
  if (fromEnv) return resolve(fromEnv);
  return options.experimentPath ? join(dirname(resolve(options.experimentPath)), '.fewshot') : resolve('.fewshot');
}

export interface CacheKeyInput {
  provider: string;
  model: string;
  /**
   * The server behind the provider, when it is not the SDK's default (openai-compatible servers,
   * proxies): the same model id on two servers may be two models. Credentials and query are dropped.
   */
  endpoint?: string | undefined;
  request: Pick<CompletionRequest, 'messages' | 'temperature' | 'maxOutputTokens' | 'systemPrompt'>;
  /** The repeat index: part of the key only when sampling is not deterministic. */
  repeat: number;
}

/**
 * sha256 of the canonical JSON of what determines the answer. Repeats of one request are separate
 * measurements when the model samples (temperature unset or > 0), so the repeat index is in the key
 * then; at temperature 0 they are the same question and share one answer. Anthropic does not receive
 * `temperature` (see providers/anthropic.ts), so it always samples.
 */
export function cacheKey(input: CacheKeyInput): string {
  const { request } = input;
  const deterministic = request.temperature === 0 && !input.provider.startsWith('anthropic:');
  return sha256(
    canonicalJson({
      v: 1,
      provider: input.provider,
      model: input.model,
      endpoint: input.endpoint ? publicEndpoint(input.endpoint) : null,
      params: { temperature: request.temperature, maxOutputTokens: request.maxOutputTokens, systemPrompt: request.systemPrompt },
      messages: request.messages,
      repeat: deterministic ? null : input.repeat,
    }),
  );
}

/** A base URL without user, password, query or fragment: whatever might carry a secret. */
export function publicEndpoint(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname.replace(/\/+$/, '')}`;
  } catch {
    return sha256(url); // not a URL: still tells servers apart, reveals nothing
  }
}

export interface CacheStats {
  path: string;
  entries: number;
  byProvider: { provider: string; entries: number }[];
  /** The database file and its WAL and shared-memory files. */
  sizeBytes: number;
}

export interface ClearFilter {
  provider?: string | undefined;
  /** Only entries created more than this many milliseconds ago. */
  olderThanMs?: number | undefined;
}

export class ResponseCache {
  readonly path: string;
  private readonly db: Database.Database;
  private readonly getStmt: Database.Statement<[string], { result: string }>;
  private readonly putStmt: Database.Statement<[string, string, number, string]>;

  constructor(
    dir: string,
    private readonly now: () => number = Date.now,
  ) {
    mkdirSync(dir, { recursive: true });
    this.path = join(dir, CACHE_FILE);
    this.db = new Database(this.path);
    // WAL: readers never block the writer, and a process killed mid-write leaves the last commit intact.
    this.db.pragma('journal_mode = WAL');
    // NORMAL in WAL mode survives a killed process (only a power cut can lose the last commits).
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS responses (
        key TEXT PRIMARY KEY,
        provider TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        result TEXT NOT NULL
      );
      CREATE INDEX IF NOT EXISTS responses_provider ON responses (provider);
      CREATE INDEX IF NOT EXISTS responses_created ON responses (created_at);
    `);
    this.getStmt = this.db.prepare('SELECT result FROM responses WHERE key = ?');
    this.putStmt = this.db.prepare('INSERT OR REPLACE INTO responses (key, provider, created_at, result) VALUES (?, ?, ?, ?)');
  }

  /** Opens the cache in `dir` only if it exists (for `fewshot cache stats` and `clear`). */
  static openExisting(dir: string): ResponseCache | null {
    return existsSync(join(dir, CACHE_FILE)) ? new ResponseCache(dir) : null;
  }

  get(key: string): CompletionResult | null {
    const row = this.getStmt.get(key);
    return row ? (JSON.parse(row.result) as CompletionResult) : null;
  }

  /** Stores a successful answer (callers never pass errors). Autocommitted: durable once it returns. */
  put(key: string, provider: string, result: CompletionResult): void {
    const value: CompletionResult = {
      text: result.text,
      finishReason: result.finishReason,
      tokensIn: result.tokensIn,
      tokensOut: result.tokensOut,
      cachedTokens: result.cachedTokens,
      latencyMs: result.latencyMs,
      requestId: result.requestId,
      attempts: result.attempts ?? 1,
    };
    this.putStmt.run(key, provider, this.now(), JSON.stringify(value));
  }

  stats(): CacheStats {
    const byProvider = this.db
      .prepare('SELECT provider, COUNT(*) AS entries FROM responses GROUP BY provider ORDER BY provider')
      .all() as { provider: string; entries: number }[];
    const entries = byProvider.reduce((n, p) => n + p.entries, 0);
    const sizeBytes = ['', '-wal', '-shm'].reduce((n, suffix) => n + (existsSync(this.path + suffix) ? statSync(this.path + suffix).size : 0), 0);
    return { path: this.path, entries, byProvider, sizeBytes };
  }

  /** Deletes the matching entries (all of them without a filter); returns how many. */
  clear(filter: ClearFilter = {}): number {
    const where: string[] = [];
    const params: (string | number)[] = [];
    if (filter.provider !== undefined) {
      where.push('provider = ?');
      params.push(filter.provider);
    }
    if (filter.olderThanMs !== undefined) {
      where.push('created_at < ?');
      params.push(this.now() - filter.olderThanMs);
    }
    const sql = `DELETE FROM responses${where.length ? ` WHERE ${where.join(' AND ')}` : ''}`;
    const removed = this.db.prepare(sql).run(...params).changes;
    // An explicit clean-up should give the disk space back, not just mark pages free.
    if (removed > 0) {
      this.db.pragma('wal_checkpoint(TRUNCATE)');
      this.db.exec('VACUUM');
    }
    return removed;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

/** `30m`, `12h`, `7d`, `2w`, `45s` -> milliseconds; null when it is not such a duration. */
export function parseDuration(text: string): number | null {
  const m = /^(\d+(?:\.\d+)?)\s*(s|m|h|d|w)$/.exec(text.trim());
  if (!m) return null;
  const unit = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }[m[2] as 's' | 'm' | 'h' | 'd' | 'w'];
  const ms = Number(m[1]) * unit;
  return ms > 0 ? ms : null;
}
