import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderCompareJunit } from './render-junit.js';
import { renderCompareMarkdown } from './render-markdown.js';
import type { CompareResult, FailOn } from './types.js';

export { checkComparable, checkSameExperiment, compareRuns } from './compare.js';
export { CompareError } from './errors.js';
export { loadRun, resolveRunDir, type LoadedRun } from './load.js';
export { renderCompareJunit } from './render-junit.js';
export { renderCompareMarkdown } from './render-markdown.js';
export { renderCompareTable } from './render-terminal.js';
export { DEFAULT_COMPARE_OPTIONS, failsGate, type CompareOptions, type CompareResult, type FailOn } from './types.js';

export interface CompareFiles {
  json: string;
  markdown: string;
  junit: string;
}

/** The JSON form of a comparison (compare.json). */
export function renderCompareJson(result: CompareResult): string {
  return `${JSON.stringify(result, null, 2)}\n`;
}

/** Writes compare.json, compare.md and compare.junit.xml into a folder (the candidate run's, for `sweep --baseline`). */
export function writeCompareFiles(dir: string, result: CompareResult, failOn: FailOn): CompareFiles {
  const files: CompareFiles = { json: join(dir, 'compare.json'), markdown: join(dir, 'compare.md'), junit: join(dir, 'compare.junit.xml') };
  writeAtomic(files.json, renderCompareJson(result));
  writeAtomic(files.markdown, renderCompareMarkdown(result));
  writeAtomic(files.junit, renderCompareJunit(result, failOn));
  return files;
}

function writeAtomic(path: string, content: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, content);
  renameSync(tmp, path);
}
