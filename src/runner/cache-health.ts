/**
 * Keeping the response cache from costing an answer: is its folder writable, is its file a sound
 * SQLite database, and what to do when it is not (move it aside, never delete what may hold paid answers).
 *
 *   <cache dir>/cache.sqlite.corrupt-<UTC time>[-wal|-shm]   a damaged cache, moved aside
 *
 * The moved WAL keeps its suffix, so `sqlite3 cache.sqlite.corrupt-<time>` still reads the answers it holds.
 */
import { closeSync, existsSync, mkdirSync, openSync, renameSync, rmSync } from 'node:fs';
import { isAbsolute, relative } from 'node:path';
import { probeWrite } from '../util/writable.js';
import type Database from 'better-sqlite3';

/** The database file and the two files SQLite keeps beside it in WAL mode. */
export const CACHE_SIBLINGS = ['', '-wal', '-shm'] as const;

/** The cache cannot be used as asked (not writable, not openable): the sweep stops before any call, exit 2. */
export class CacheError extends Error {
  constructor(
    readonly path: string,
    detail: string,
  ) {
    super(`${displayPath(path)}: ${detail}`);
    this.name = 'CacheError';
  }
}

/** A cache file that cannot be trusted: not a database, damaged pages, or not fewshot's table. */
export class CacheDamagedError extends Error {
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`${displayPath(path)}: damaged (${reason})`);
    this.name = 'CacheDamagedError';
  }
}

/** SQLite result codes that mean the file's contents are wrong, as opposed to the disk, permissions or a lock. */
export function isDamage(err: unknown): boolean {
  const code = err instanceof Error ? (err as { code?: unknown }).code : undefined;
  return typeof code === 'string' && (code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT'));
}

/** One line: the error's code and message (SQLite's messages carry no code, Node's do). */
export function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && !err.message.startsWith(code) ? `${code}: ${err.message}` : err.message;
}

/** Relative to the working directory when below it, else absolute. */
export function displayPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}

/**
 * `PRAGMA quick_check`, stopping at the first problem; null when the file is sound.
 *
 * quick_check rather than integrity_check: it reads every page once and checks what a torn write or
 * an overwritten page breaks (page headers, b-tree order and links, cell bounds, overflow chains, the
 * free list, record formats), in time linear in the file. integrity_check also looks every row up in
 * every index (three per row here): on a 100,000-entry cache (116 MB, warm disk cache, 2 cores) it took
 * 450 ms against quick_check's 250 ms, and it runs before every sweep. An index that disagrees with its
 * table is not how a file gets damaged on disk, and a lookup that meets one fails with SQLITE_CORRUPT,
 * which the run handles like any damage (moved aside, fresh cache).
 */
export function quickCheck(db: Database.Database): string | null {
  const rows = db.pragma('quick_check(1)') as { quick_check: string }[];
  const text = rows
    .map((r) => r.quick_check)
    .join(' ')
    .replace(/\*\*\* in database \w+ \*\*\*/g, '')
    .replace(/\s+/g, ' ')
    .trim();
  return text === 'ok' ? null : `quick_check: ${text.length > 200 ? `${text.slice(0, 200)}...` : text}`;
}

/** 2025-01-02T03:04:05.678Z -> 20250102T030405Z (no colons: safe in a file name everywhere). */
export function utcStamp(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
}

/** Moves the cache file and its -wal/-shm to `<file>.corrupt-<UTC time>[-wal|-shm]`; returns the new path of the file. */
export function moveAside(file: string, nowMs: number): string {
  const stamp = utcStamp(nowMs);
  let target = `${file}.corrupt-${stamp}`;
  for (let n = 2; CACHE_SIBLINGS.some((s) => existsSync(target + s)); n++) target = `${file}.corrupt-${stamp}-${n}`;
  for (const s of CACHE_SIBLINGS) if (existsSync(file + s)) renameSync(file + s, target + s);
  return target;
}

/** Deletes the cache file and its -wal/-shm. */
export function removeCacheFiles(file: string): void {
  for (const s of CACHE_SIBLINGS) rmSync(file + s, { force: true });
}

const REMEDY = 'nothing was run: make it writable, point --cache-dir or FEWSHOT_CACHE_DIR at a writable folder, or run with --no-cache';

/**
 * Throws a CacheError unless this process can create files in the cache folder (SQLite's -wal and
 * -shm, a fresh cache) and write the cache's existing files. Tried, not inferred from mode bits: root
 * writes through chmod, and a read-only mount refuses everyone.
 */
export function checkWritable(dir: string, file: string): void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (err) {
    throw new CacheError(dir, `cannot create the response cache folder (${describeError(err)}); expected a folder this user can write; ${REMEDY}`);
  }
  const denied = probeWrite(dir);
  if (denied !== null) throw new CacheError(dir, `the response cache folder is not writable (${denied}); expected a folder this user can write; ${REMEDY}`);
  for (const s of CACHE_SIBLINGS) {
    const path = file + s;
    if (!existsSync(path)) continue;
    try {
      closeSync(openSync(path, 'r+'));
    } catch (err) {
      throw new CacheError(path, `the response cache file is not writable (${describeError(err)}); expected a file this user can write; ${REMEDY}`);
    }
  }
}
