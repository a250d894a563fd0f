import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

// The results folder's files are written by records/: trials.jsonl by TrialWriter, run.json by writeRunInfo.

/** `<name>-<UTC timestamp>`, e.g. routes-20261125T173000Z; a suffix keeps two runs in one second apart. */
export function createRunDir(outDir: string, name: string, now: Date): { runId: string; dir: string } {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  mkdirSync(outDir, { recursive: true });
  for (let attempt = 1; ; attempt++) {
    const runId = attempt === 1 ? `${name}-${stamp}` : `${name}-${stamp}-${attempt}`;
    const dir = join(outDir, runId);
    if (existsSync(dir)) continue;
    mkdirSync(dir);
    return { runId, dir };
  }
}
