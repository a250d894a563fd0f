/**
 * The on-disk embedding cache: one JSON file per embedding identity (provider kind, model and
 * variant), mapping sha256(text) to its vector. A pool embedded once is never paid for again, on
 * any later sweep. The file holds no key and no text, only hashes and numbers.
 *
 *   <cache dir>/embeddings/<kind>-<model>-<hash of identity>.json
 *   { "version": 1, "provider": "openai", "model": "...", "variant": "", "dims": 1536,
 *     "vectors": { "<sha256 of text>": [ ... ] } }
 *
 * The cache dir is FEWSHOT_CACHE_DIR, else `.fewshot/` under the working directory.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { sha256 } from '../util/hash.js';

export const CACHE_DIR_VARIABLE = 'FEWSHOT_CACHE_DIR';

export function cacheDir(env: NodeJS.ProcessEnv, cwd: string = process.cwd()): string {
  return env[CACHE_DIR_VARIABLE] || join(cwd, '.fewshot');
}

export interface EmbeddingIdentity {
  kind: string;
  model: string;
  variant: string;
}

const fileSchema = z.object({
  version: z.literal(1),
  provider: z.string(),
  model: z.string(),
  variant: z.string(),
  dims: z.number().int().min(0),
  vectors: z.record(z.string().regex(/^[0-9a-f]{64}$/), z.array(z.number())),
});

/** The cache key of a text: its hash, so the file never holds the text itself. */
export function textKey(text: string): string {
  return sha256(text);
}

export class EmbeddingCache {
  readonly file: string;
  private vectors = new Map<string, number[]>();
  /** Problems met reading the file (it is then treated as empty and rewritten). */
  readonly notices: string[] = [];

  constructor(
    dir: string,
    private readonly identity: EmbeddingIdentity,
  ) {
    const safeModel = identity.model.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 80);
    const hash = sha256(JSON.stringify([identity.kind, identity.model, identity.variant])).slice(0, 12);
    this.file = join(dir, 'embeddings', `${identity.kind}-${safeModel}-${hash}.json`);
    this.vectors = this.read();
  }

  get size(): number {
    return this.vectors.size;
  }

  get(key: string): number[] | undefined {
    return this.vectors.get(key);
  }

  has(key: string): boolean {
    return this.vectors.has(key);
  }

  /** Adds vectors and writes the file: merged with what is on disk now (another sweep may have added some), replaced atomically. */
  save(entries: ReadonlyMap<string, number[]>): void {
    for (const [key, vector] of entries) this.vectors.set(key, vector);
    const onDisk = this.read(false);
    for (const [key, vector] of onDisk) if (!this.vectors.has(key)) this.vectors.set(key, vector);
    const dims = this.vectors.values().next().value?.length ?? 0;
    const body = {
      version: 1,
      provider: this.identity.kind,
      model: this.identity.model,
      variant: this.identity.variant,
      dims,
      vectors: Object.fromEntries(this.vectors),
    };
    mkdirSync(join(this.file, '..'), { recursive: true });
    const tmp = `${this.file}.${process.pid}.${Date.now()}.tmp`;
    writeFileSync(tmp, JSON.stringify(body));
    renameSync(tmp, this.file);
  }

  private read(report = true): Map<string, number[]> {
    let source: string;
    try {
      source = readFileSync(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' && report)
        this.notices.push(`embedding cache ${this.file} unreadable (${(err as Error).message}); embedding again`);
      return new Map();
    }
    let parsed;
    try {
      parsed = fileSchema.safeParse(JSON.parse(source));
    } catch {
      parsed = null;
    }
    if (!parsed?.success) {
      if (report) this.notices.push(`embedding cache ${this.file} is not a valid cache file; embedding again and rewriting it`);
      return new Map();
    }
    return new Map(Object.entries(parsed.data.vectors));
  }
}
