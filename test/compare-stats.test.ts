// fewshot compare's statistics on hand-made runs: which cells regress (paired tests, margin, Holm over
// the cells), what is flagged, what is listed as one-sided, and which pairs of runs are refused.
import { describe, expect, it } from 'vitest';
import { compareRuns } from '../src/compare/compare.js';
import { CompareError } from '../src/compare/errors.js';
import { DEFAULT_COMPARE_OPTIONS, failsGate, type CompareOptions, type CompareResult } from '../src/compare/types.js';
import type { TrialRecord } from '../src/records/trial.js';
import { cell, loaded, outcomes, type Outcome } from './compare-fixtures.js';
import { thrownBy } from './thrown.js';

const NOW = new Date('2026-01-01T00:00:00Z');

function compare(baseline: TrialRecord[], candidate: TrialRecord[], options: Partial<CompareOptions> = {}, infoB = {}, infoC = {}): CompareResult {
  return compareRuns(loaded('baseline', baseline, infoB), loaded('candidate', candidate, infoC), { ...DEFAULT_COMPARE_OPTIONS, ...options }, NOW);
}

const cellOf = (r: CompareResult, selector: string, k: number, provider = 'local') =>
  r.cells.find((c) => c.provider === provider && c.selector === selector && c.k === k)!;

/** Zero-shot plus two selectors at k = 2, 12 items each. */
function threeCells(similar: readonly Outcome[] = outcomes(12, 12)): TrialRecord[] {
  return [...cell('local', 'none', 0, outcomes(12, 3)), ...cell('local', 'random', 2, outcomes(12, 7)), ...cell('local', 'similar', 2, similar)];
}

describe('compare: regressions', () => {
  it('an identical rerun compares clean: every difference 0, p = 1, nothing flagged', () => {
    const r = compare(threeCells(), threeCells());
    expect(r.verdict).toBe('clean');
    expect(r.counts).toEqual({ cells: 3, regressions: 0, improvements: 0, flags: 0 });
    expect(r.testCount).toBe(6);
    for (const c of r.cells) {
      expect(c.verdict).toBe('no-significant-change');
      expect(c.accuracy.estimate).toBe(0);
      expect(c.accuracy.pAdjusted).toBe(1);
      expect(c.accuracy.nItems).toBe(12);
    }
    expect(r.flags).toEqual([]);
    expect(failsGate(r, 'regression')).toBe(false);
    expect(failsGate(r, 'flag')).toBe(false);
  });

  it('a drop in one cell is a regression named by its cell (exact McNemar), the other cells stay clean', () => {
    const r = compare(threeCells(), threeCells(outcomes(12, 0)));
    expect(r.verdict).toBe('regression');
    expect(r.counts.regressions).toBe(1);
    const similar = cellOf(r, 'similar', 2);
    expect(similar.verdict).toBe('regression');
    expect(similar.accuracy.method).toBe('mcnemar-exact');
    expect(similar.accuracy.estimate).toBe(-1);
    expect(similar.baseline.accuracy).toBe(1);
    expect(similar.candidate.accuracy).toBe(0);
    // 12 discordant pairs, all worse: p = 2 / 2^12, times 6 tests for the smallest under Holm.
    expect(similar.accuracy.pValue).toBeCloseTo(2 / 4096, 12);
    expect(similar.accuracy.pAdjusted).toBeCloseTo((6 * 2) / 4096, 12);
    expect(similar.reasons[0]).toMatch(/^accuracy dropped 100\.0 points \(p = 0\.003 after Holm\), at least the 3\.0-point margin$/);
    expect(cellOf(r, 'random', 2).verdict).toBe('no-significant-change');
    expect(cellOf(r, 'none', 0).verdict).toBe('no-significant-change');
    expect(failsGate(r, 'regression')).toBe(true);
    expect(failsGate(r, 'none')).toBe(false);
  });

  it('Holm corrects for the number of cells: a drop significant alone is not among ten cells', () => {
    // 7 items right -> wrong: McNemar p = 2 / 2^7 = 0.0156.
    const drop = (extra: number) => {
      const before = [...cell('local', 'similar', 2, outcomes(7, 7))];
      const after = [...cell('local', 'similar', 2, outcomes(7, 0))];
      for (let k = 1; k <= extra; k++) {
        before.push(...cell('local', 'random', k, outcomes(7, 4)));
        after.push(...cell('local', 'random', k, outcomes(7, 4)));
      }
      return compare(before, after);
    };
    const alone = drop(0);
    expect(alone.testCount).toBe(2);
    expect(cellOf(alone, 'similar', 2).accuracy.pAdjusted).toBeCloseTo(2 * (2 / 128), 12);
    expect(cellOf(alone, 'similar', 2).verdict).toBe('regression');
    const amongTen = drop(9);
    expect(amongTen.testCount).toBe(20);
    expect(cellOf(amongTen, 'similar', 2).accuracy.pValue).toBeCloseTo(2 / 128, 12);
    expect(cellOf(amongTen, 'similar', 2).accuracy.pAdjusted).toBeCloseTo(20 * (2 / 128), 12);
    expect(cellOf(amongTen, 'similar', 2).verdict).toBe('no-significant-change');
    expect(amongTen.verdict).toBe('clean');
  });

  it('a significant drop smaller than the margin is not a regression; one of exactly the margin is', () => {
    const before = cell('local', 'random', 4, outcomes(400, 400));
    const after = cell('local', 'random', 4, outcomes(400, 380)); // -5 points, p = 2 / 2^20
    const wide = compare(before, after, { margin: 0.1 });
    expect(cellOf(wide, 'random', 4).accuracy.significant).toBe(true);
    expect(cellOf(wide, 'random', 4).verdict).toBe('within-margin');
    expect(wide.verdict).toBe('clean');
    expect(cellOf(compare(before, after, { margin: 0.05 }), 'random', 4).verdict).toBe('regression');
    expect(cellOf(compare(before, after), 'random', 4).verdict).toBe('regression');
  });

  it('a gain of at least the margin is an improvement, never a regression', () => {
    const r = compare(cell('local', 'random', 4, outcomes(20, 2)), cell('local', 'random', 4, outcomes(20, 20)));
    expect(cellOf(r, 'random', 4).verdict).toBe('improvement');
    expect(r.counts.improvements).toBe(1);
    expect(r.verdict).toBe('clean');
  });

  it('repeats make item means: the sign-flip randomization test, repeats never counted as items', () => {
    const r = compare(cell('local', 'random', 4, outcomes(20, 20), {}, 3), cell('local', 'random', 4, outcomes(20, 0), {}, 3));
    const c = cellOf(r, 'random', 4);
    expect(c.accuracy.method).toBe('sign-flip-exact');
    expect(c.accuracy.nItems).toBe(20);
    expect(c.verdict).toBe('regression');
  });

  it('answers that stop parsing are a regression (answer failures), not an untestable cell', () => {
    const r = compare(threeCells(), [...threeCells().filter((t) => t.selector !== 'similar'), ...cell('local', 'similar', 2, Array(12).fill('parse'))]);
    const similar = cellOf(r, 'similar', 2);
    // Unparseable answers score 0: accuracy is tested over all 12 items, and the failures are named too.
    expect(similar.accuracy.nItems).toBe(12);
    expect(similar.candidate.accuracy).toBe(0);
    expect(similar.answerFailures.estimate).toBe(1);
    expect(similar.candidate.answerFailureRate).toBe(1);
    expect(similar.verdict).toBe('regression');
    expect(similar.reasons.join(' ')).toMatch(/answer failures \(empty, truncated, unparseable, refused, scorer failures\) rose 100\.0 points/);
  });

  it('provider errors are flagged, not a regression: infrastructure, not the prompt', () => {
    const r = compare(threeCells(), [...threeCells().filter((t) => t.selector !== 'similar'), ...cell('local', 'similar', 2, Array(12).fill('error'))]);
    const similar = cellOf(r, 'similar', 2);
    expect(similar.verdict).toBe('no-pairs');
    expect(similar.providerErrors.significant).toBe(true);
    expect(r.verdict).toBe('flagged');
    expect(r.flags.filter((f) => f.kind === 'failure-rise')).toEqual([
      expect.objectContaining({
        provider: 'local',
        selector: 'similar',
        k: 2,
        baseline: '0.0%',
        candidate: '100.0%',
        message: 'local / similar / k=2: provider errors rose 100.0 points',
      }),
    ]);
    expect(failsGate(r, 'regression')).toBe(false);
    expect(failsGate(r, 'flag')).toBe(true);
  });
});

describe('compare: flags and one-sided cells', () => {
  it('cells, items and providers on one side only are listed, and what the candidate lost is flagged', () => {
    const baseline = [
      ...cell('local', 'random', 2, outcomes(14, 7)),
      ...cell('local', 'first', 2, outcomes(14, 7)),
      ...cell('openai:gpt-4o-mini', 'random', 2, outcomes(12, 7)),
    ];
    const candidate = [...cell('local', 'random', 2, outcomes(12, 6)), ...cell('local', 'diverse', 2, outcomes(12, 6))];
    const r = compare(baseline, candidate);
    expect(r.cells.map((c) => `${c.provider}/${c.selector}/${c.k}`)).toEqual(['local/random/2']);
    expect(cellOf(r, 'random', 2).accuracy.nItems).toBe(12);
    expect(r.onlyInBaseline.providers).toEqual(['openai:gpt-4o-mini']);
    expect(r.onlyInBaseline.cells).toEqual([
      { provider: 'openai:gpt-4o-mini', selector: 'random', k: 2, nItems: 12 },
      { provider: 'local', selector: 'first', k: 2, nItems: 14 },
    ]);
    expect(r.onlyInBaseline.items).toEqual([{ provider: 'local', count: 2, ids: ['item-012', 'item-013'] }]);
    expect(r.onlyInCandidate).toEqual({ providers: [], cells: [{ provider: 'local', selector: 'diverse', k: 2, nItems: 12 }], items: [] });
    expect(r.flags.filter((f) => f.kind === 'coverage').map((f) => f.message)).toEqual([
      'openai:gpt-4o-mini: in the baseline, not in the candidate (skipped or removed)',
      'local: 1 cell and 2 items of the baseline missing from the candidate',
    ]);
  });

  it('a rise in tokens and cost per request beyond the threshold is flagged with both values', () => {
    const id = 'openai:gpt-4o-mini';
    const prices = { config: { prices: { [id]: { input: 1, output: 2 } } } };
    const before = [
      ...cell(id, 'random', 2, outcomes(12, 6), { tokensIn: 1000, tokensOut: 10 }),
      ...cell(id, 'random', 4, outcomes(12, 6), { tokensIn: 2000, tokensOut: 10 }),
    ];
    const after = [
      ...cell(id, 'random', 2, outcomes(12, 6), { tokensIn: 1050, tokensOut: 10 }),
      ...cell(id, 'random', 4, outcomes(12, 6), { tokensIn: 3000, tokensOut: 10 }),
    ];
    const r = compare(before, after, {}, prices, prices);
    expect(r.flags).toEqual([
      expect.objectContaining({
        kind: 'cost-rise',
        provider: id,
        selector: 'random',
        k: 4,
        message:
          'openai:gpt-4o-mini / random / k=4: tokens or cost per request rose more than 10%: 2,010 -> 3,010 tokens per request (+50%), cost per 1,000 requests $2.02 -> $3.02 (+50%)',
      }),
    ]);
    expect(cellOf(r, 'random', 2, id).candidate.costPer1k).toBeCloseTo(1.07, 10);
    expect(compare(before, after, { costThreshold: 0.6 }, prices, prices).flags).toEqual([]);
  });

  it('a curve label that got worse (plateau -> peak-regression) is flagged, with the cell that regressed', () => {
    const n = 200;
    const base = [...cell('local', 'none', 0, outcomes(n, 40)), ...cell('local', 'random', 4, outcomes(n, 160))];
    const baseline = [...base, ...cell('local', 'random', 16, outcomes(n, 160))];
    const candidate = [...base, ...cell('local', 'random', 16, outcomes(n, 60))];
    const r = compare(baseline, candidate);
    expect(r.flags.find((f) => f.kind === 'label-worse')).toEqual(
      expect.objectContaining({ provider: 'local', selector: 'random', baseline: 'plateau', candidate: 'peak-regression' }),
    );
    expect(cellOf(r, 'random', 16).verdict).toBe('regression');
    expect(cellOf(r, 'random', 4).verdict).toBe('no-significant-change');
  });

  it('a changed recommendation is flagged', () => {
    const n = 200;
    const zero = cell('local', 'none', 0, outcomes(n, 40));
    const baseline = [...zero, ...cell('local', 'random', 4, outcomes(n, 160)), ...cell('local', 'random', 16, outcomes(n, 160))];
    const candidate = [...zero, ...cell('local', 'random', 4, outcomes(n, 60)), ...cell('local', 'random', 16, outcomes(n, 160))];
    const advice = compare(baseline, candidate).flags.find((f) => f.kind === 'advice-changed');
    expect(advice?.baseline).toBe('keep-few-shot at random k=4');
    expect(advice?.candidate).toMatch(/ at random k=16$/);
  });
});

describe('compare: what can be compared', () => {
  it('different task types are refused; a different experiment name too, unless allowed', () => {
    const trials = threeCells();
    const routes = { task: { type: 'routes', poolSize: 4, evalItems: 12, baseline: 'greedy', measures: [] } };
    expect(thrownBy(CompareError, () => compare(trials, trials, {}, {}, routes)).message).toBe(
      'mismatched experiments: the baseline (baseline-dir) ran a classify task, the candidate (candidate-dir) a routes task; their items cannot be paired',
    );
    const renamed = { experiment: { name: 'other', path: 'x.yaml' } };
    expect(thrownBy(CompareError, () => compare(trials, trials, {}, {}, renamed)).message).toBe(
      'mismatched experiments: the baseline (baseline-dir) is experiment "demo", the candidate (candidate-dir) "other"; pass --allow-different-experiments to compare a renamed experiment',
    );
    const allowed = compare(trials, trials, { allowDifferentExperiments: true }, {}, renamed);
    expect(allowed.verdict).toBe('clean');
    expect(allowed.notices).toContain('different experiments compared: "demo" and "other"');
  });

  it("runs without a cell in common are refused, naming both sides' cells", () => {
    const message = thrownBy(CompareError, () => compare(cell('local', 'random', 2, outcomes(5, 2)), cell('local', 'similar', 2, outcomes(5, 2)))).message;
    expect(message).toBe(
      'nothing to compare: no provider x selector x k cell has items asked in both runs (baseline baseline-dir: local / random / k=2; candidate candidate-dir: local / similar / k=2)',
    );
    // Same cell, disjoint items: nothing paired either.
    const other = cell('local', 'random', 2, outcomes(5, 2)).map((t) => ({ ...t, itemId: `other-${t.itemId}` }));
    expect(thrownBy(CompareError, () => compare(cell('local', 'random', 2, outcomes(5, 2)), other)).message).toMatch(/^nothing to compare/);
  });

  it('what changed in the prompt: the template diff, the settings that differ, items that changed', () => {
    const fingerprint = (template: string, itemsHash = 'items-1') => ({ prompt: { hash: `h-${template.length}`, settingsHash: 's', itemsHash, template } });
    const template = '# classify\n\n[system]\nRoute the ticket.\nAnswer with the label only.\n\n[user]\nmy card was charged twice\n';
    const worse = template.replace('Answer with the label only.', 'Answer with a short essay.');
    const configB = { config: { seed: 1, providers: [{ id: 'local' }, { id: 'openai:gpt-4o-mini', temperature: 0 }], selectors: [{ name: 'random' }] } };
    const configC = {
      config: {
        seed: 1,
        providers: [{ id: 'local' }, { id: 'openai:gpt-4o-mini', temperature: 0, systemPrompt: 'Be brief.' }],
        selectors: [{ name: 'random', label: 'random' }],
      },
    };
    const r = compare(threeCells(), threeCells(), {}, { ...fingerprint(template), ...configB }, { ...fingerprint(worse, 'items-2'), ...configC });
    expect(r.prompt.templateChanged).toBe(true);
    expect(r.prompt.itemsChanged).toBe(true);
    expect(r.prompt.settingsChanged).toBe(true);
    expect(r.prompt.settingsChanges).toEqual(['providers.openai:gpt-4o-mini.systemPrompt: (unset) -> "Be brief."']);
    expect(r.prompt.diff).toEqual(
      [
        '--- baseline baseline-run',
        '+++ candidate candidate-run',
        '@@ -2,7 +2,7 @@',
        '',
        ' [system]',
        ' Route the ticket.',
        '-Answer with the label only.',
        '+Answer with a short essay.',
        '',
        ' [user]',
        ' my card was charged twice',
      ].map((l, i) => (i === 3 || i === 8 ? ' ' : l)),
    );
    expect(r.notices).toContain(
      'the evaluation items differ in content: items are paired by id, but some ids now hold other questions (task data or task settings changed)',
    );
    const same = compare(threeCells(), threeCells(), {}, { ...fingerprint(template), ...configB }, { ...fingerprint(template), ...configB });
    expect(same.prompt).toEqual({
      templateChanged: false,
      settingsChanged: false,
      itemsChanged: false,
      settingsChanges: [],
      diff: [],
      templateFiles: [],
      scoringFiles: [],
    });
  });

  it('the same two runs give the same comparison', () => {
    const a = compare(threeCells(), threeCells(outcomes(12, 2)));
    const b = compare(threeCells(), threeCells(outcomes(12, 2)));
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
  });
});
