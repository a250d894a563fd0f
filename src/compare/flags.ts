import type { Advice, CollapseSummary, CurveLabel, RunSummary } from '../records/summary.js';
import { pct } from '../util/format-numbers.js';
import { points } from './cell-tests.js';
import type { CellComparison, Flag, OneSided } from './types.js';

/**
 * Curve labels from better to worse, for "a label that got worse": a curve still improving or
 * settled on a plateau is healthy; inconclusive says nothing; no benefit means the shots buy
 * nothing; a peak-regression means more shots hurt.
 */
export const LABEL_RANK: Record<CurveLabel, number> = { improving: 0, plateau: 0, inconclusive: 1, 'no-benefit': 2, 'peak-regression': 3 };
export const COLLAPSE_RANK: Record<CollapseSummary['label'], number> = { stable: 0, inconclusive: 1, 'selection-collapse': 2 };

/** Curves (provider x selector) whose label got worse, and providers whose selection check did. */
export function labelFlags(baseline: RunSummary, candidate: RunSummary): Flag[] {
  const flags: Flag[] = [];
  for (const c of candidate.curves) {
    const b = baseline.curves.find((x) => x.provider === c.provider && x.selector === c.selector);
    if (!b || LABEL_RANK[c.label] <= LABEL_RANK[b.label]) continue;
    flags.push({
      kind: 'label-worse',
      provider: c.provider,
      selector: c.selector,
      k: null,
      message: `${c.provider} / ${c.selector}: the curve went from ${b.label} to ${c.label} (${c.reason})`,
      baseline: b.label,
      candidate: c.label,
    });
  }
  for (const c of candidate.collapse) {
    // With prompt variants on both sides, a verdict per variant: matched by id (one prompt a side: whatever the ids).
    const sameProvider = baseline.collapse.filter((x) => x.provider === c.provider);
    const b = sameProvider.length === 1 ? sameProvider[0] : sameProvider.find((x) => x.prompt === c.prompt);
    if (!b || COLLAPSE_RANK[c.label] <= COLLAPSE_RANK[b.label]) continue;
    flags.push({
      kind: 'collapse-worse',
      provider: c.provider,
      selector: c.gainSelector,
      k: c.k,
      message: `${c.provider}${candidate.collapse.filter((x) => x.provider === c.provider).length > 1 ? ` (prompt ${c.prompt})` : ''}: the selection check went from ${b.label} to ${c.label} (${c.detail})`,
      baseline: b.label,
      candidate: c.label,
    });
  }
  return flags;
}

/**
 * Providers whose model snapshot changed: between the runs (the candidate answered from a model the
 * baseline never saw), or within the candidate (two snapshots answered it). A silent model update
 * looks exactly like a prompt regression, so the cells' differences may be the model's.
 * OpenAI's backend fingerprint alone is not flagged: it changes often without a new model.
 */
export function snapshotFlags(baseline: RunSummary, candidate: RunSummary): Flag[] {
  const flags: Flag[] = [];
  const modelsOf = (p: RunSummary['providers'][number] | undefined) => [...new Set(Object.keys(p?.snapshots ?? {}).map((s) => s.split(' ')[0]!))].sort();
  for (const c of candidate.providers) {
    const name = c.label ?? c.id;
    const after = modelsOf(c);
    const before = modelsOf(baseline.providers.find((x) => (x.label ?? x.id) === name));
    if (after.length === 0 || before.length === 0) continue;
    const changed = after.some((m) => !before.includes(m));
    if (!changed && after.length === 1) continue;
    flags.push({
      kind: 'snapshot-changed',
      provider: name,
      selector: null,
      k: null,
      message: `${name}: ${changed ? `the model snapshot changed (${before.join(', ')} -> ${after.join(', ')})` : `${after.length} model snapshots answered the candidate (${after.join(', ')})`}: differences may be the model's, not the prompt's`,
      baseline: before.join(', '),
      candidate: after.join(', '),
    });
  }
  return flags;
}

/** Providers whose recommendation (decision, selector or k) changed. */
export function adviceFlags(baseline: RunSummary, candidate: RunSummary): Flag[] {
  const flags: Flag[] = [];
  for (const c of candidate.advice) {
    const b = baseline.advice.find((x) => x.provider === c.provider);
    if (!b || (b.decision === c.decision && b.selector === c.selector && b.k === c.k)) continue;
    flags.push({
      kind: 'advice-changed',
      provider: c.provider,
      selector: c.selector,
      k: c.k,
      message: `${c.provider}: the recommendation changed from ${describeAdvice(b)} to ${describeAdvice(c)}`,
      baseline: describeAdvice(b),
      candidate: describeAdvice(c),
    });
  }
  return flags;
}

export function describeAdvice(a: Advice): string {
  return a.selector === null || a.k === null ? a.decision : `${a.decision} at ${a.selector} k=${a.k}`;
}

/** Significant rises in failures that are not regressions: provider errors, and answer failures under the margin. */
export function failureFlags(cells: readonly CellComparison[]): Flag[] {
  const flags: Flag[] = [];
  for (const c of cells) {
    const where = `${c.provider} / ${c.selector} / k=${c.k}`;
    if (c.providerErrors.significant && c.providerErrors.estimate > 0) {
      flags.push({
        kind: 'failure-rise',
        provider: c.provider,
        selector: c.selector,
        k: c.k,
        message: `${where}: provider errors rose ${points(c.providerErrors.estimate)} points`,
        baseline: rate(c.baseline.providerErrorRate),
        candidate: rate(c.candidate.providerErrorRate),
      });
    }
    if (c.verdict !== 'regression' && c.answerFailures.significant && c.answerFailures.estimate > 0) {
      flags.push({
        kind: 'failure-rise',
        provider: c.provider,
        selector: c.selector,
        k: c.k,
        message: `${where}: answer failures rose ${points(c.answerFailures.estimate)} points (under the margin)`,
        baseline: rate(c.baseline.answerFailureRate),
        candidate: rate(c.candidate.answerFailureRate),
      });
    }
  }
  return flags;
}

/**
 * Per provider, the cells whose tokens or cost per request rose by more than the threshold; one
 * flag naming how many, and the largest rise with both values.
 */
export function costFlags(cells: readonly CellComparison[], threshold: number): Flag[] {
  const flags: Flag[] = [];
  const providers = [...new Set(cells.map((c) => c.provider))];
  for (const provider of providers) {
    const mine = cells.filter((c) => c.provider === provider);
    const risen = mine
      .map((c) => ({ c, tokens: rise(c.baseline.tokensPerRequest, c.candidate.tokensPerRequest), cost: rise(c.baseline.costPer1k, c.candidate.costPer1k) }))
      .filter((r) => (r.tokens ?? 0) > threshold || (r.cost ?? 0) > threshold)
      .sort((x, y) => Math.max(y.tokens ?? 0, y.cost ?? 0) - Math.max(x.tokens ?? 0, x.cost ?? 0));
    if (risen.length === 0) continue;
    const top = risen[0]!;
    const money = (x: number | null) =>
      x === null ? 'n/a' : `${top.c.currency === 'USD' ? '$' : ''}${x.toPrecision(3)}${top.c.currency !== 'USD' ? ` ${top.c.currency}` : ''}`;
    const tokens = `${whole(top.c.baseline.tokensPerRequest)} -> ${whole(top.c.candidate.tokensPerRequest)} tokens per request (${signedPct(top.tokens)})`;
    const cost =
      top.c.baseline.costPer1k !== null && top.c.candidate.costPer1k !== null
        ? `, cost per 1,000 requests ${money(top.c.baseline.costPer1k)} -> ${money(top.c.candidate.costPer1k)} (${signedPct(top.cost)})`
        : '';
    const scope = risen.length === 1 ? '' : ` in ${risen.length} of ${mine.length} cells; largest at ${top.c.selector} k=${top.c.k}`;
    flags.push({
      kind: 'cost-rise',
      provider,
      selector: risen.length === 1 ? top.c.selector : null,
      k: risen.length === 1 ? top.c.k : null,
      message: `${provider}${risen.length === 1 ? ` / ${top.c.selector} / k=${top.c.k}` : ''}: tokens or cost per request rose more than ${Math.round(threshold * 100)}%${scope}: ${tokens}${cost}`,
      baseline: whole(top.c.baseline.tokensPerRequest),
      candidate: whole(top.c.candidate.tokensPerRequest),
    });
  }
  return flags;
}

/** Providers, cells and items of the baseline that the candidate lacks (a skipped provider, a dropped selector, a partial run). */
export function coverageFlags(onlyInBaseline: OneSided): Flag[] {
  const flags: Flag[] = [];
  for (const provider of onlyInBaseline.providers) {
    flags.push({
      kind: 'coverage',
      provider,
      selector: null,
      k: null,
      message: `${provider}: in the baseline, not in the candidate (skipped or removed)`,
      baseline: 'ran',
      candidate: 'absent',
    });
  }
  const byProvider = new Map<string, { cells: number; items: number }>();
  for (const c of onlyInBaseline.cells) {
    if (onlyInBaseline.providers.includes(c.provider)) continue;
    const e = byProvider.get(c.provider) ?? { cells: 0, items: 0 };
    e.cells++;
    byProvider.set(c.provider, e);
  }
  for (const i of onlyInBaseline.items) {
    const e = byProvider.get(i.provider) ?? { cells: 0, items: 0 };
    e.items += i.count;
    byProvider.set(i.provider, e);
  }
  for (const [provider, e] of byProvider) {
    const parts = [e.cells > 0 ? `${e.cells} cell${e.cells === 1 ? '' : 's'}` : '', e.items > 0 ? `${e.items} item${e.items === 1 ? '' : 's'}` : ''].filter(
      Boolean,
    );
    flags.push({
      kind: 'coverage',
      provider,
      selector: null,
      k: null,
      message: `${provider}: ${parts.join(' and ')} of the baseline missing from the candidate`,
      baseline: 'present',
      candidate: 'missing',
    });
  }
  return flags;
}

function rise(before: number | null, after: number | null): number | null {
  if (before === null || after === null || !(before > 0)) return null;
  return after / before - 1;
}

function rate(x: number | null): string {
  return x === null ? 'n/a' : pct(x);
}

function whole(x: number | null): string {
  return x === null
    ? 'n/a'
    : Math.round(x)
        .toString()
        .replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

function signedPct(x: number | null): string {
  return x === null ? 'n/a' : `${x >= 0 ? '+' : ''}${(x * 100).toFixed(0)}%`;
}
