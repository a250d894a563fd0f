/**
 * What a careful analyst concludes from AdaptGauge's published raw runs: failed calls are
 * separated from wrong answers, and with 3 to 5 items per task no curve label (least of all a
 * peak-regression or a selection-collapse) is supported. AdaptGauge itself labelled some of these.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunSummary } from '../src/records/summary.js';
import { importAdaptGauge } from '../src/import/index.js';

// AdaptGauge's published results, copied into the repository (see data/adaptgauge/SOURCE.md).
const RESULTS = join(import.meta.dirname, '..', 'data', 'adaptgauge', 'results');

describe('analysis of the published AdaptGauge runs', () => {
  const out = mkdtempSync(join(tmpdir(), 'fewshot-ag-analysis-'));
  afterAll(() => rmSync(out, { recursive: true, force: true }));
  const files = readdirSync(RESULTS)
    .filter((f) => /^raw_results_.*\.csv$/.test(f))
    .sort();
  const summaries = new Map<string, RunSummary[]>();
  for (const file of files) {
    const result = importAdaptGauge(join(RESULTS, file), join(out, file), { now: new Date('2026-11-25T00:00:00Z') });
    summaries.set(
      file,
      result.runs.map((r) => JSON.parse(readFileSync(join(r.dir, 'summary.json'), 'utf8')) as RunSummary),
    );
  }

  it.each(files)('%s: no curve gets a label that 3 to 5 items cannot support', (file) => {
    for (const summary of summaries.get(file)!) {
      for (const curve of summary.curves) {
        expect(curve.label, `${summary.runId} ${curve.provider} ${curve.selector}`).toBe('inconclusive');
        // More items would decide it, unless failures left two cells without a shared answered item.
        if (curve.itemsNeeded === null) expect(curve.reason).toMatch(/share no item the model answered in both/);
        else expect(curve.itemsNeeded).toBeGreaterThan(Math.max(...curve.points.map((p) => p.nItems)));
      }
      for (const c of summary.collapse) expect(c.label).not.toBe('selection-collapse');
      for (const a of summary.advice) expect(a.decision).toBe('inconclusive');
    }
  });

  it('keeps the failures behind a published "peak regression" apart from wrong answers', () => {
    // AdaptGauge labelled gemini-3-flash-preview on custom_route_001 peak_regression; 9 of its 15 calls had failed.
    const published = parse(readFileSync(join(RESULTS, 'summary_cloud_model_demo.csv')), { columns: true }) as Record<string, string>[];
    const row = published.find((r) => r.task_id === 'custom_route_001' && r.model_name === 'gemini-3-flash-preview');
    expect(row?.collapse_pattern).toBe('peak_regression');

    const route = summaries.get('raw_results_cloud_model_demo.csv')!.find((s) => s.runId.endsWith('custom_route_001'))!;
    const curve = route.curves.find((c) => c.provider === 'gemini-3-flash-preview')!;
    const failures = curve.points.reduce((n, p) => n + p.failures.provider_error, 0);
    expect(failures).toBe(9);
    expect(curve.label).not.toBe('peak-regression');
    const fmt = (xs: (number | null)[]) => xs.map((x) => (x === null ? 'n/a' : x.toFixed(2))).join(', ');
    console.log(
      `gemini-3-flash-preview on custom_route_001: end to end ${fmt(curve.points.map((p) => p.accuracyEndToEnd))}; ` +
        `provider failures ${failures} of ${curve.points.reduce((n, p) => n + p.nTrials, 0)} calls; ` +
        `accuracy over the calls that answered ${fmt(curve.points.map((p) => p.accuracy))}; label ${curve.label}`,
    );
    // Over the calls that answered, the curve is high and flat-ish; end to end it is dragged down by the errors.
    for (const p of curve.points) {
      if (p.failures.provider_error > 0 && p.accuracy !== null) expect(p.accuracyEndToEnd!).toBeLessThan(p.accuracy);
    }
  });

  it('counts how many of the published non-stable labels survive (none should)', () => {
    const lines: string[] = [];
    for (const file of files) {
      const published = parse(readFileSync(join(RESULTS, file.replace('raw_results_', 'summary_'))), { columns: true }) as Record<string, string>[];
      const flagged = published.filter((r) => r.collapse_pattern && r.collapse_pattern !== 'stable');
      const ours = summaries
        .get(file)!
        .flatMap((s) => s.curves)
        .filter((c) => c.label !== 'inconclusive');
      lines.push(
        `${file}: AdaptGauge non-stable labels ${flagged.length} (${[...new Set(flagged.map((r) => r.collapse_pattern))].join(', ')}); fewshot decided labels ${ours.length}`,
      );
      expect(ours).toHaveLength(0);
    }
    expect(lines).toHaveLength(3);
    console.log(lines.join('\n'));
  });
});
