import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AnalysisOverrides } from '../analysis/options.js';
import { buildSummary, type RunSummary } from '../analysis/summary.js';
import type { RunInfo } from '../runner/run-info.js';
import type { TrialSource } from '../analysis/accumulate.js';
import { renderReportHtml } from './html.js';
import { renderSummaryMarkdown } from './markdown.js';

export { readTrials, TrialsFileError, type ReadTrialsResult } from './trials-file.js';

export interface ReportPaths {
  summaryPath: string;
  reportPath: string;
  markdownPath: string;
}

export interface WriteReportOptions {
  /** Pins summary.generatedAt (tests). */
  now?: Date;
  /** Extra notices for the report, e.g. readTrials' warnings. */
  notices?: readonly string[];
  /** `fewshot report` flags (alpha, delta, target, ...): they win over the run's recorded experiment. */
  overrides?: AnalysisOverrides;
}

/** Write summary.json, summary.md and report.html into runDir. */
export function writeReport(
  runDir: string,
  trials: TrialSource,
  runInfo: RunInfo,
  options: WriteReportOptions = {},
): ReportPaths {
  const summary = buildSummary(trials, runInfo, options.now ?? new Date(), options.notices ?? [], options.overrides ?? {});
  return writeReportFiles(runDir, summary, runInfo);
}

/** Write summary.json, summary.md and report.html of an already built summary into runDir. */
export function writeReportFiles(runDir: string, summary: RunSummary, runInfo: RunInfo): ReportPaths {
  mkdirSync(runDir, { recursive: true });
  const paths: ReportPaths = {
    summaryPath: join(runDir, 'summary.json'),
    reportPath: join(runDir, 'report.html'),
    markdownPath: join(runDir, 'summary.md'),
  };
  writeAtomic(paths.summaryPath, `${JSON.stringify(summary, null, 2)}\n`);
  writeAtomic(paths.markdownPath, renderSummaryMarkdown(summary));
  writeAtomic(paths.reportPath, renderReportHtml(summary, runInfo));
  return paths;
}

/** Write then rename, so a reader (or a browser refresh) never sees half a file. */
function writeAtomic(path: string, content: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, content);
  renameSync(tmp, path);
}
