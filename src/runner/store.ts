import { closeSync, existsSync, mkdirSync, openSync, renameSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { RunInfo } from './run-info.js';
import type { TrialRecord } from './trial.js';

/** `<name>-<UTC timestamp>`, e.g. routes-20261125T173000Z; a suffix keeps two runs in one second apart. */
export function createRunDir(outDir: string, name: string, now: Date): { runId: string; dir: string } {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  mkdirSync(outDir, { recursive: true });
  for (let attempt = 1; ; attempt++) {
    const runId = attempt === 1 ? `${name}-${stamp}` : `${name}-${stamp}-${attempt}`;
    const dir = join(outDir, runId);
    if (existsSync(dir)) continue;
    mkdirSync(dir);
    return { runId, dir };
  }
}

/**
 * Appends one JSON line per trial as soon as it completes, with a synchronous write,
 * so a crash loses at most the line being written (readers tolerate a torn last line).
 */
export class TrialWriter {
  private readonly fd: number;
  count = 0;

  constructor(readonly path: string) {
    this.fd = openSync(path, 'a');
  }

  write(record: TrialRecord): void {
    writeSync(this.fd, `${JSON.stringify(record)}\n`);
    this.count++;
  }

  close(): void {
    closeSync(this.fd);
  }
}

/** Writes run.json atomically (temp file + rename), so it is never half-written. */
export function writeRunInfo(dir: string, info: RunInfo): void {
  const path = join(dir, 'run.json');
  writeFileSync(`${path}.tmp`, `${JSON.stringify(info, null, 2)}\n`);
  renameSync(`${path}.tmp`, path);
}
