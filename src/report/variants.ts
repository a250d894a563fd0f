import type { SampledTrial } from '../analysis/accumulate.js';
import type { CellRef, Comparison, LabelCheck, RunSummary } from '../records/summary.js';
import { promptOf } from '../records/trial.js';

/** Between a prompt variant and a selector in a curve's name: `terse · similar`. */
export const VARIANT_SEPARATOR = ' · ';

/** The run's prompt variants, in the order its cells list them. */
export function runPrompts(summary: Pick<RunSummary, 'cells'>): string[] {
  return [...new Set(summary.cells.map(promptOf))];
}

/** True when the run swept two or more prompt variants. */
export function hasPromptVariants(summary: Pick<RunSummary, 'cells'>): boolean {
  return runPrompts(summary).length > 1;
}

/**
 * The summary as the report draws it: with two or more prompt variants, every curve, cell and
 * comparison is named `<prompt> · <selector>`, so each chart and table shows the variants' curves
 * side by side without knowing about variants (a lane's zero-shot cell reads `<prompt> · none`).
 * With one prompt, the summary itself (unless `named`: compare names both runs' cells so when either
 * has variants). summary.json keeps `prompt` and `selector` apart.
 */
export function variantView(summary: RunSummary, named: boolean = hasPromptVariants(summary)): RunSummary {
  if (!named) return summary;
  const name = (prompt: string | undefined, selector: string) => `${promptOf({ prompt })}${VARIANT_SEPARATOR}${selector}`;
  const ref = (prompt: string | undefined, r: CellRef): CellRef => ({ ...r, selector: name(prompt, r.selector) });
  const comparison = (prompt: string | undefined, c: Comparison): Comparison => ({ ...c, a: ref(prompt, c.a), b: ref(prompt, c.b) });
  const check = (prompt: string | undefined, c: LabelCheck): LabelCheck => ({ ...c, a: ref(prompt, c.a), b: ref(prompt, c.b) });
  return {
    ...summary,
    cells: summary.cells.map((c) => ({ ...c, selector: name(c.prompt, c.selector) })),
    curves: summary.curves.map((c) => ({
      ...c,
      selector: name(c.prompt, c.selector),
      points: c.points.map((p) => ({ ...p, cellSelector: name(c.prompt, p.cellSelector) })),
      checks: c.checks.map((x) => check(c.prompt, x)),
      tests: c.tests.map((x) => comparison(c.prompt, x)),
    })),
    collapse: summary.collapse.map((c) => ({
      ...c,
      gainSelector: c.gainSelector === null ? null : name(c.prompt, c.gainSelector),
      lossSelector: c.lossSelector === null ? null : name(c.prompt, c.lossSelector),
      checks: c.checks.map((x) => check(c.prompt, x)),
      selectorTests: c.selectorTests.map((x) => comparison(c.prompt, x)),
    })),
    failureTrends: summary.failureTrends.map((t) => ({ ...t, selector: name(t.prompt, t.selector) })),
    advice: summary.advice.map((a) => (a.selector === null ? a : { ...a, selector: name(a.prompt, a.selector) })),
  };
}

/** The drill-down's trials named like variantView's cells. */
export function variantSamples(summary: RunSummary, samples: readonly SampledTrial[]): readonly SampledTrial[] {
  if (!hasPromptVariants(summary)) return samples;
  return samples.map((t) => ({ ...t, selector: `${t.prompt}${VARIANT_SEPARATOR}${t.selector}` }));
}
