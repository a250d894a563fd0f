import { existsSync, readFileSync } from 'node:fs';

/**
 * The JSON objects of an append-only log (one per line), in order; null when the file does not
 * exist. A line that is not a JSON object (one torn by a kill mid-write) is skipped: the logs are
 * written with appendFileSync, so at most the last line can be torn.
 */
export function readJsonLines(path: string): Record<string, unknown>[] | null {
  if (!existsSync(path)) return null;
  const out: Record<string, unknown>[] = [];
  for (const text of readFileSync(path, 'utf8').split('\n')) {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      continue;
    }
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) out.push(value as Record<string, unknown>);
  }
  return out;
}
