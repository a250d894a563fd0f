import type { Interval } from '../analysis/stats.js';

/** 0.8 -> "80.0%". */
export function pct(x: number, digits = 1): string {
  return `${(x * 100).toFixed(digits)}%`;
}

/** "80.0% [49.0, 94.3] n=10", or "n/a" when there is no data. */
export function formatInterval(iv: Interval | null): string {
  if (!iv) return 'n/a';
  return `${pct(iv.estimate)} [${(iv.lower * 100).toFixed(1)}, ${(iv.upper * 100).toFixed(1)}] n=${iv.n}`;
}

/** A mean for a table: "n/a" for null, otherwise rounded to what a reader can use. */
export function formatNumber(x: number | null, digits = 1): string {
  if (x === null || !Number.isFinite(x)) return 'n/a';
  return x.toFixed(digits);
}

/** The legend label of a curve. */
export function seriesName(provider: string, selector: string): string {
  return `${provider} / ${selector}`;
}

/** Wall time between two ISO timestamps, e.g. "3m 12s"; null when either is missing or unreadable. */
export function formatDuration(startIso: string, endIso: string | null): string | null {
  if (!endIso) return null;
  const ms = Date.parse(endIso) - Date.parse(startIso);
  if (!Number.isFinite(ms) || ms < 0) return null;
  const s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (h > 0) return `${h}h ${m}m ${sec}s`;
  if (m > 0) return `${m}m ${sec}s`;
  return `${sec}s`;
}
