/**
 * The response cache: every successful provider answer, keyed by what was asked, in one SQLite file.
 * A rerun of the same experiment (after a crash, a Ctrl-C or to add a provider) answers every call
 * made before from here, so none is paid twice. Errors are never stored: a rerun retries them.
 *
 *   <cache dir>/cache.sqlite   responses(key, provider, created_at, result JSON)
 *
 * The file holds hashes, prompts' answers and usage, never a key: the cache key is a hash of the
 * request (which carries no credentials), see cacheKey().
 *
 * The cache never costs an answer (see cache-health.ts): a sweep refuses to start when the cache
 * cannot be written (exit 2, before any call); a file that is not a database or fails
 * `PRAGMA quick_check` is moved aside as cache.sqlite.corrupt-<UTC time> and a fresh cache is started;
 * during the run get() and put() never throw: damage found then is moved aside the same way, any other
 * read or write error turns the cache off for the rest of the run, with a notice each time.
 */
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import type { CompletionRequest, CompletionResult } from '../providers/provider.js';
import { canonicalJson, sha256 } from '../util/hash.js';
import { CacheDamagedError, CacheError, checkWritable, describeError, displayPath, isDamage, moveAside, quickCheck, removeCacheFiles } from './cache-health.js';

export { CacheDamagedError, CacheError } from './cache-health.js';

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
  request: Omit<CompletionRequest, 'subject'>;
  /** The repeat index: part of the key only when sampling is not deterministic. */
  repeat: number;
  /**
   * Whether the provider sends `temperature` to the model (its capabilities.honoursTemperature).
   * Absent: read from the id as before capabilities existed (Anthropic does not; every other API does).
   */
  honoursTemperature?: boolean;
}

/**
 * sha256 of the canonical JSON of what determines the answer. Repeats of one request are separate
 * measurements when the model samples (temperature unset or > 0), so the repeat index is in the key
 * then; at temperature 0 they are the same question and share one answer. Anthropic does not receive
 * `temperature` (see providers/anthropic.ts), so it always samples.
 */
export function cacheKey(input: CacheKeyInput): string {
  const { request } = input;
  const honours = input.honoursTemperature ?? !input.provider.startsWith('anthropic:');
  const deterministic = request.temperature === 0 && honours;
  return sha256(
    canonicalJson({
      v: 1,
      provider: input.provider,
      model: input.model,
      endpoint: input.endpoint ? publicEndpoint(input.endpoint) : null,
      // Model options (reasoning, sampling, structured output) only when set: an entry without them keeps its old keys.
      params: {
        temperature: request.temperature,
        maxOutputTokens: request.maxOutputTokens,
        systemPrompt: request.systemPrompt,
        reasoning: request.reasoning,
        topP: request.topP,
        stop: request.stop,
        seed: request.seed,
        presencePenalty: request.presencePenalty,
        frequencyPenalty: request.frequencyPenalty,
        responseFormat: request.responseFormat,
        extraBody: request.extraBody,
      },
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

/**
 * Throws a CacheError (exit 2) unless this process can write the cache in `dir`: create files in the
 * folder and write the existing cache files. A sweep checks before its first call.
 */
export function checkCacheWritable(dir: string): void {
  checkWritable(dir, join(dir, CACHE_FILE));
}

export interface CacheOptions {
  now?: () => number;
  /** Told, one line each, of a problem the cache met and got past (file moved aside, cache turned off). */
  onNotice?: (notice: string) => void;
  /** How long a write waits for another process's write lock before it fails (default 5 s). */
  busyTimeoutMs?: number;
}

export class ResponseCache {
  readonly path: string;
  /** Every notice given (also passed to onNotice as it happens). */
  readonly notices: string[] = [];
  private db: Database.Database | null = null;
  private getStmt: Database.Statement<[string], { result: string }> | null = null;
  private putStmt: Database.Statement<[string, string, number, string]> | null = null;
  private readonly now: () => number;
  private readonly onNotice: ((notice: string) => void) | undefined;
  private readonly busyTimeoutMs: number;

  /**
   * Opens (creating) the cache in `dir`. Throws CacheDamagedError when the file is not a sound cache,
   * and SQLite's or Node's error when it cannot be opened; a sweep uses ResponseCache.open() instead.
   */
  constructor(dir: string, options: CacheOptions | (() => number) = {}) {
    const o = typeof options === 'function' ? { now: options } : options;
    this.now = o.now ?? Date.now;
    this.onNotice = o.onNotice;
    this.busyTimeoutMs = o.busyTimeoutMs ?? 5000;
    mkdirSync(dir, { recursive: true });
    this.path = join(dir, CACHE_FILE);
    this.connect();
  }

  /**
   * The cache for a sweep: refuses (CacheError, before any call) a folder or file this process cannot
   * write; moves a damaged file aside, with a notice, and starts a fresh cache in its place.
   */
  static open(dir: string, options: CacheOptions = {}): ResponseCache {
    const path = join(dir, CACHE_FILE);
    checkWritable(dir, path);
    let damaged: CacheDamagedError;
    try {
      return new ResponseCache(dir, options);
    } catch (err) {
      if (!(err instanceof CacheDamagedError)) throw new CacheError(path, `cannot open the response cache (${describeError(err)})`);
      damaged = err;
    }
    let moved: string;
    try {
      moved = moveAside(path, (options.now ?? Date.now)());
    } catch (err) {
      throw new CacheError(
        path,
        `the response cache is damaged (${damaged.reason}) and could not be moved aside (${describeError(err)}); run "fewshot cache clear" or delete it`,
      );
    }
    let cache: ResponseCache;
    try {
      cache = new ResponseCache(dir, options);
    } catch (err) {
      throw new CacheError(path, `cannot start a fresh response cache (${describeError(err)}) after moving the damaged one to ${displayPath(moved)}`);
    }
    cache.notice(
      `response cache ${displayPath(path)} is damaged (${damaged.reason}); moved it to ${displayPath(moved)} and started a fresh cache: calls answered before are asked again`,
    );
    return cache;
  }

  /** Opens the cache in `dir` only if it exists (throws CacheDamagedError for a damaged file; `fewshot cache` uses inspectCache/clearCache). */
  static openExisting(dir: string): ResponseCache | null {
    return existsSync(join(dir, CACHE_FILE)) ? new ResponseCache(dir) : null;
  }

  /** False once the cache was turned off by an error (or closed): get() then answers null and put() stores nothing. */
  get enabled(): boolean {
    return this.db !== null;
  }

  private connect(): void {
    // Checked read-only, before anything is written to it: a damaged file (and its WAL, which a
    // read-write connection would fold in or delete on close) is moved aside as it was found.
    if (existsSync(this.path)) this.check();
    const db = new Database(this.path);
    try {
      db.pragma(`busy_timeout = ${this.busyTimeout}`);
      // WAL: readers never block the writer, and a process killed mid-write leaves the last commit intact.
      db.pragma('journal_mode = WAL');
      // NORMAL in WAL mode survives a killed process (only a power cut can lose the last commits).
      db.pragma('synchronous = NORMAL');
      db.exec(`
        CREATE TABLE IF NOT EXISTS responses (
          key TEXT PRIMARY KEY,
          provider TEXT NOT NULL,
          created_at INTEGER NOT NULL,
          result TEXT NOT NULL
        );
        CREATE INDEX IF NOT EXISTS responses_provider ON responses (provider);
        CREATE INDEX IF NOT EXISTS responses_created ON responses (created_at);
      `);
      try {
        this.getStmt = db.prepare('SELECT result FROM responses WHERE key = ?');
        this.putStmt = db.prepare('INSERT OR REPLACE INTO responses (key, provider, created_at, result) VALUES (?, ?, ?, ?)');
      } catch (err) {
        // A SQLite file whose `responses` table is someone else's.
        if (isDamage(err)) throw err;
        throw new CacheDamagedError(this.path, `not a fewshot response cache: ${describeError(err)}`);
      }
    } catch (err) {
      this.getStmt = null;
      this.putStmt = null;
      closeQuietly(db);
      if (isDamage(err)) throw new CacheDamagedError(this.path, describeError(err));
      throw err;
    }
    this.db = db;
  }

  private get busyTimeout(): number {
    return Math.max(0, Math.floor(this.busyTimeoutMs));
  }

  /** Throws CacheDamagedError when the existing file is not a sound SQLite database. */
  private check(): void {
    let db: Database.Database | null = null;
    try {
      db = new Database(this.path, { readonly: true, fileMustExist: true });
      db.pragma(`busy_timeout = ${this.busyTimeout}`);
      const problem = quickCheck(db);
      if (problem) throw new CacheDamagedError(this.path, problem);
    } catch (err) {
      if (isDamage(err)) throw new CacheDamagedError(this.path, describeError(err));
      throw err;
    } finally {
      if (db) closeQuietly(db);
    }
  }

  /** A stored answer, or null. Never throws: a failed read is a miss (see failed()). */
  get(key: string): CompletionResult | null {
    if (!this.getStmt) return null;
    let row: { result: string } | undefined;
    try {
      row = this.getStmt.get(key);
    } catch (err) {
      this.failed(err, 'read');
      return null;
    }
    if (!row) return null;
    try {
      return JSON.parse(row.result) as CompletionResult;
    } catch {
      return null; // a row that is not JSON: asked again, and the new answer replaces it
    }
  }

  /**
   * Stores a successful answer (callers never pass errors). Autocommitted: durable once it returns.
   * Never throws: the answer is the caller's to record whatever happens here (see failed()).
   */
  put(key: string, provider: string, result: CompletionResult): void {
    if (!this.putStmt) return;
    const value: CompletionResult = {
      text: result.text,
      finishReason: result.finishReason,
      tokensIn: result.tokensIn,
      tokensOut: result.tokensOut,
      cachedTokens: result.cachedTokens,
      latencyMs: result.latencyMs,
      requestId: result.requestId,
      attempts: result.attempts ?? 1,
      ...(result.reasoningTokens !== undefined && { reasoningTokens: result.reasoningTokens }),
      ...(result.reasoningTokensEstimated && { reasoningTokensEstimated: true }),
      ...(result.snapshot !== undefined && { snapshot: result.snapshot }),
      ...(result.cacheWriteTokens !== undefined && { cacheWriteTokens: result.cacheWriteTokens }),
    };
    const row: [string, string, number, string] = [key, provider, this.now(), JSON.stringify(value)];
    try {
      this.putStmt.run(...row);
    } catch (err) {
      if (!this.failed(err, 'write')) return;
      try {
        this.putStmt?.run(...row); // into the fresh cache
      } catch (again) {
        this.failed(again, 'write');
      }
    }
  }

  /**
   * A read or write failed during a run. Damage: the file is moved aside and a fresh cache opened
   * (true: try again). Anything else (read-only, disk full, I/O error, a lock held too long): the cache
   * is off for the rest of the run (false). Either way one notice, and no throw.
   */
  private failed(err: unknown, op: 'read' | 'write'): boolean {
    const shown = displayPath(this.path);
    this.close();
    if (isDamage(err)) {
      try {
        const moved = moveAside(this.path, this.now());
        this.connect();
        this.notice(
          `response cache ${shown} was found damaged during the run (${describeError(err)}); moved it to ${displayPath(moved)} and went on with a fresh cache: calls answered before are asked again`,
        );
        return true;
      } catch (again) {
        this.close();
        this.notice(
          `response cache ${shown} was found damaged during the run (${describeError(err)}) and no fresh cache could replace it (${describeError(again)}); the cache is off for the rest of this run: answers still go to trials.jsonl, but a rerun asks this run's new calls again`,
        );
        return false;
      }
    }
    this.notice(
      `response cache ${shown} could not be ${op === 'read' ? 'read' : 'written'} (${describeError(err)}); the cache is off for the rest of this run: answers still go to trials.jsonl, but a rerun asks this run's new calls again`,
    );
    return false;
  }

  private notice(line: string): void {
    this.notices.push(line);
    this.onNotice?.(line);
  }

  private get handle(): Database.Database {
    if (!this.db) throw new CacheError(this.path, 'the response cache is closed');
    return this.db;
  }

  stats(): CacheStats {
    const byProvider = this.handle.prepare('SELECT provider, COUNT(*) AS entries FROM responses GROUP BY provider ORDER BY provider').all() as {
      provider: string;
      entries: number;
    }[];
    const entries = byProvider.reduce((n, p) => n + p.entries, 0);
    const sizeBytes = ['', '-wal', '-shm'].reduce((n, suffix) => n + (existsSync(this.path + suffix) ? statSync(this.path + suffix).size : 0), 0);
    return { path: this.path, entries, byProvider, sizeBytes };
  }

  /** Deletes the matching entries (all of them without a filter); returns how many. */
  clear(filter: ClearFilter = {}): number {
    const db = this.handle;
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
    const removed = db.prepare(sql).run(...params).changes;
    // An explicit clean-up should give the disk space back, not just mark pages free.
    if (removed > 0) {
      db.pragma('wal_checkpoint(TRUNCATE)');
      db.exec('VACUUM');
    }
    return removed;
  }

  /** Closes the file; never throws. */
  close(): void {
    const db = this.db;
    this.db = null;
    this.getStmt = null;
    this.putStmt = null;
    if (db) closeQuietly(db);
  }
}

function closeQuietly(db: Database.Database): void {
  try {
    if (db.open) db.close();
  } catch {
    // closing a damaged file may fail; nothing more to do with it
  }
}

/** What `fewshot cache stats` found. */
export type CacheInspection =
  | { state: 'missing'; path: string }
  | { state: 'damaged'; path: string; reason: string }
  | { state: 'ok'; path: string; stats: CacheStats };

/** Opens the cache in `dir` to report on it; a damaged file is reported, not touched. Throws only CacheError. */
export function inspectCache(dir: string): CacheInspection {
  const path = join(dir, CACHE_FILE);
  if (!existsSync(path)) return { state: 'missing', path };
  let cache: ResponseCache;
  try {
    cache = new ResponseCache(dir);
  } catch (err) {
    if (err instanceof CacheDamagedError) return { state: 'damaged', path, reason: err.reason };
    throw new CacheError(path, `cannot open the response cache (${describeError(err)})`);
  }
  try {
    return { state: 'ok', path, stats: cache.stats() };
  } catch (err) {
    if (isDamage(err)) return { state: 'damaged', path, reason: describeError(err) };
    throw new CacheError(path, `cannot read the response cache (${describeError(err)})`);
  } finally {
    cache.close();
  }
}

/** The one line `fewshot cache stats` gives for a damaged file. */
export function damagedCacheMessage(path: string, reason: string): string {
  return `${displayPath(path)}: damaged (${reason}); expected a readable SQLite response cache. "fewshot cache clear" removes it; the next "fewshot sweep" moves it aside to ${CACHE_FILE}.corrupt-<UTC time> and starts a fresh cache`;
}

/** What `fewshot cache clear` did. */
export type ClearOutcome =
  | { state: 'missing'; path: string }
  | { state: 'cleared'; path: string; removed: number; left: number }
  /** Damaged, no filter: the files were deleted, as asked. */
  | { state: 'damaged-removed'; path: string; reason: string }
  /** Damaged, with a filter: entries cannot be picked out of it, so it was moved aside whole (it may hold answers to keep). */
  | { state: 'damaged-moved'; path: string; reason: string; movedTo: string };

/** `fewshot cache clear`: works on a damaged file too (see ClearOutcome). Throws only CacheError. */
export function clearCache(dir: string, filter: ClearFilter = {}, now: () => number = Date.now): ClearOutcome {
  const path = join(dir, CACHE_FILE);
  if (!existsSync(path)) return { state: 'missing', path };
  const damaged = (reason: string): ClearOutcome => {
    try {
      if (filter.provider === undefined && filter.olderThanMs === undefined) {
        removeCacheFiles(path);
        return { state: 'damaged-removed', path, reason };
      }
      return { state: 'damaged-moved', path, reason, movedTo: moveAside(path, now()) };
    } catch (err) {
      throw new CacheError(
        path,
        `the response cache is damaged (${reason}) and could not be removed (${describeError(err)}); expected a folder this user can write`,
      );
    }
  };
  let cache: ResponseCache;
  try {
    cache = new ResponseCache(dir, { now });
  } catch (err) {
    if (err instanceof CacheDamagedError) return damaged(err.reason);
    throw new CacheError(path, `cannot open the response cache (${describeError(err)})`);
  }
  try {
    const removed = cache.clear(filter);
    return { state: 'cleared', path, removed, left: cache.stats().entries };
  } catch (err) {
    cache.close();
    if (isDamage(err)) return damaged(describeError(err));
    throw new CacheError(path, `cannot clear the response cache (${describeError(err)}); expected a file this user can write`);
  } finally {
    cache.close();
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
