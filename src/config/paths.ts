/**
 * The folders a sweep writes into (the results folder, the response cache), checked before anything
 * is called: a sweep that would fail at its first write must not spend first.
 *
 * Writability is tested by doing it (creating and removing a probe file), not from permission bits:
 * root ignores them, and ACLs, read-only mounts and network file systems are not in the mode.
 */
import { statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { probeWrite, writeErrorReason } from '../util/writable.js';
import { configFieldError, fieldInFile } from './load.js';
import type { ExperimentConfig } from './schema.js';

/**
 * Why `path` cannot be used as a folder to write into, or null when it can: an existing folder that
 * can be written, or a missing one whose nearest existing ancestor is a folder that can be written
 * (it is created on first use). Nothing is left behind.
 */
export function folderProblem(path: string): string | null {
  const target = resolve(path);
  let existing = target;
  for (;;) {
    try {
      statSync(existing);
      break;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      // ENOTDIR: a part of the path is a file; the walk up finds it.
      if (code !== 'ENOENT' && code !== 'ENOTDIR') return `cannot be checked (${writeErrorReason(err)})`;
      const parent = dirname(existing);
      if (parent === existing) return 'cannot be created: no part of the path exists';
      existing = parent;
    }
  }
  const isFolder = statSync(existing).isDirectory();
  if (existing === target) {
    if (!isFolder) return 'is a file, not a folder';
    const denied = probeWrite(target);
    return denied === null ? null : `is not writable (${denied})`;
  }
  if (!isFolder) return `cannot be created: ${existing} is a file, not a folder`;
  const denied = probeWrite(existing);
  return denied === null ? null : `cannot be created: ${existing} is not writable (${denied})`;
}

export interface OutputFolderOptions {
  /** The experiment file as given (errors name it). */
  experiment: string;
  config: ExperimentConfig;
  /** `--out`, overriding the experiment's `out`. */
  outFlag?: string | undefined;
  /**
   * The response cache folder to check, and how the user chose it (`--cache-dir`, the environment
   * variable, or the default), or null when the run uses no cache.
   */
  cache?: { dir: string; source: 'flag' | 'env' | 'default' } | null;
  /** Makes the error for a bad command-line flag or environment (the CLI's usage error: exit 2). */
  usageError: (message: string) => Error;
}

const EXPECTED = 'expected a folder that can be written (or created)';

/**
 * Throws when the results folder or the response cache folder cannot be written: a ConfigError at
 * the line of `out:` when the experiment set it, else a usage error naming the flag or variable.
 * The default cache folder is checked only when a provider other than `local` may use it.
 */
export function checkOutputFolders(options: OutputFolderOptions): void {
  const { config, experiment, outFlag, usageError } = options;
  const out = outFlag ?? config.out;
  const outProblem = folderProblem(out);
  if (outProblem !== null) {
    if (outFlag !== undefined) throw usageError(`--out ${outFlag}: ${outProblem}; ${EXPECTED} for the results`);
    if (fieldInFile(config, ['out'])) throw configFieldError(config, experiment, ['out'], `${out} ${outProblem}; ${EXPECTED} for the results (or pass --out)`);
    throw usageError(`results folder ${out} (the default out:): ${outProblem}; set out: in the experiment or pass --out`);
  }
  const cache = options.cache;
  if (!cache) return;
  if (cache.source === 'default' && config.providers.every((p) => p.id === 'local')) return;
  const problem = folderProblem(cache.dir);
  if (problem === null) return;
  const what =
    cache.source === 'flag'
      ? `--cache-dir ${cache.dir}`
      : cache.source === 'env'
        ? `FEWSHOT_CACHE_DIR=${cache.dir}`
        : `response cache folder ${cache.dir} (the default, beside the experiment)`;
  throw usageError(`${what}: ${problem}; ${EXPECTED} for the response cache (or pass --no-cache)`);
}
