import { existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { analysisOptions, type AnalysisOverrides } from '../analysis/options.js';
import { buildSummary } from '../analysis/summary.js';
import type { RunInfo } from '../records/run-info.js';
import { writeSummary, type RunSummary } from '../records/summary.js';
import { accumulate, type SampledTrial, type TrialSource } from '../analysis/accumulate.js';
import { probeWrite, writeFileAtomic } from '../util/writable.js';
import { adviceReasons } from './advice-text.js';
import { buildReportCharts, writeChartFiles } from './charts/index.js';
import { renderReportHtml } from './html.js';
import { renderSummaryMarkdown } from './markdown.js';
import { variantSamples, variantView } from './variants.js';

export interface ReportPaths {
  summaryPath: string;
  reportPath: string;
  markdownPath: string;
}

/** What writeReport wrote, and the summary it built (for the chart files). */
export interface WrittenReport extends ReportPaths {
  summary: RunSummary;
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
export function writeReport(runDir: string, trials: TrialSource, runInfo: RunInfo, options: WriteReportOptions = {}): WrittenReport {
  const totals = accumulate(
    trials,
    (runInfo.task.measures ?? []).map((m) => m.key),
  );
  const summary = buildSummary(totals, runInfo, options.now ?? new Date(), options.notices ?? [], options.overrides ?? {}, adviceReasons);
  return { ...writeReportFiles(runDir, summary, runInfo, totals.samples()), summary };
}

/**
 * charts/<id>.vl.json (each chart's Vega-Lite spec) and charts/<id>.svg (drawn in Node by vega's
 * headless view, for places where scripts do not run). Apart from writeReport because drawing is
 * asynchronous; the page itself does not need these files.
 */
export async function writeReportCharts(runDir: string, summary: RunSummary, runInfo: RunInfo): Promise<string[]> {
  return writeChartFiles(runDir, buildReportCharts(variantView(summary), analysisOptions(runInfo.config, runInfo.seed, {})));
}

/** Write summary.json, summary.md and report.html of an already built summary into runDir. */
export function writeReportFiles(runDir: string, summary: RunSummary, runInfo: RunInfo, samples: readonly SampledTrial[] = []): ReportPaths {
  mkdirSync(runDir, { recursive: true });
  const paths: ReportPaths = {
    summaryPath: join(runDir, 'summary.json'),
    reportPath: join(runDir, 'report.html'),
    markdownPath: join(runDir, 'summary.md'),
  };
  writeSummary(paths.summaryPath, summary);
  // Prompt variants are drawn as curves named `<prompt> · <selector>` (variants.ts); summary.json keeps them apart.
  const view = variantView(summary);
  writeFileAtomic(paths.markdownPath, renderSummaryMarkdown(view));
  writeFileAtomic(paths.reportPath, renderReportHtml(view, runInfo, variantSamples(summary, samples)));
  return paths;
}

/** A results folder the report files cannot be written into: which folder, and why. */
export class ReportFolderError extends Error {
  constructor(
    readonly dir: string,
    readonly reason: string,
  ) {
    super(
      `${dir}: cannot write the report there (${reason}); "fewshot report" rewrites summary.json, summary.md, ` +
        'report.html and charts/ in the results folder: make it writable, or copy the folder and report on the copy',
    );
    this.name = 'ReportFolderError';
  }
}

/**
 * Before a rebuild reads anything large: the run folder (and its charts/ folder, when there is one)
 * can be written. Tested by creating and removing a probe file, not from permission bits, which
 * root ignores and which say nothing of read-only mounts or ACLs. Throws ReportFolderError.
 */
export function checkReportFolderWritable(runDir: string): void {
  const charts = join(runDir, 'charts');
  for (const dir of existsSync(charts) ? [runDir, charts] : [runDir]) {
    const denied = probeWrite(dir);
    if (denied !== null) throw new ReportFolderError(dir, denied);
  }
  // A report file replaced by a folder would fail its atomic rename half way through the rewrite.
  for (const name of ['summary.json', 'summary.md', 'report.html']) {
    const path = join(runDir, name);
    if (existsSync(path) && statSync(path).isDirectory()) throw new ReportFolderError(runDir, `${name} is a folder, not a file`);
  }
}
