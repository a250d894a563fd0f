import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, describe, expect, it } from 'vitest';
import { classifyOutcome } from '../src/analysis/outcome.js';
import { formatImportResult, importAdaptGauge } from '../src/import/index.js';
import { readTrials } from '../src/records/trials-file.js';

// AdaptGauge's published raw results, copied into the repository (see data/adaptgauge/SOURCE.md).
const RESULTS = join(import.meta.dirname, '..', 'data', 'adaptgauge', 'results');

describe('AdaptGauge import over the published raw results', () => {
  const out = mkdtempSync(join(tmpdir(), 'fewshot-adaptgauge-'));
  afterAll(() => rmSync(out, { recursive: true, force: true }));
  const files = readdirSync(RESULTS)
    .filter((f) => /^raw_results_.*\.csv$/.test(f))
    .sort();

  it('finds the raw result files', () => {
    expect(files).toEqual(['raw_results_cloud_model_demo.csv', 'raw_results_local_model_demo.csv', 'raw_results_qwen35_demo.csv']);
  });

  it.each(files)('%s: every row becomes a trial and every ERROR row a provider error', (file) => {
    const path = join(RESULTS, file);
    // Counted independently of the importer, straight from the CSV.
    const rows = parse(readFileSync(path), { columns: true, bom: true, skip_empty_lines: true }) as Record<string, string>[];
    const errorRows = rows.filter((r) => (r.actual_output ?? '').trimStart().startsWith('ERROR:')).length;
    const emptyRows = rows.filter((r) => (r.actual_output ?? '').trim() === '').length;
    const tasks = new Set(rows.map((r) => r.task_id));

    const result = importAdaptGauge(path, join(out, file), { now: new Date('2026-11-25T00:00:00Z') });
    console.log(formatImportResult(result).join('\n'));

    expect(result.rows).toBe(rows.length);
    expect(result.runs.map((r) => r.taskId).sort()).toEqual([...tasks].sort());
    let trials = 0;
    let providerErrors = 0;
    let empty = 0;
    for (const run of result.runs) {
      const written = readTrials(join(run.dir, 'trials.jsonl'));
      expect(written.warnings).toEqual([]);
      expect(written.trials).toHaveLength(run.trials);
      trials += written.trials.length;
      const outcomes = written.trials.map(classifyOutcome);
      providerErrors += outcomes.filter((o) => o === 'provider_error').length;
      empty += outcomes.filter((o) => o === 'empty').length;
      // A failure never carries a score.
      for (const t of written.trials) if (t.error) expect(t.score).toBe(0);
      const summary = JSON.parse(readFileSync(join(run.dir, 'summary.json'), 'utf8')) as {
        totals: { trials: number; failures: { provider_error: number; empty: number } };
      };
      expect(summary.totals.trials).toBe(run.trials);
      expect(summary.totals.failures.provider_error).toBe(run.errors);
      expect(summary.totals.failures.empty).toBe(run.empty);
    }
    expect(trials).toBe(rows.length);
    expect(providerErrors).toBe(errorRows);
    expect(empty).toBe(emptyRows);
  });
});
