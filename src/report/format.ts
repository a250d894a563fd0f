import type { Interval } from '../records/summary.js';
import { pct, points, signedPointsPlainZero } from '../util/format-numbers.js';

// The report modules take these from here; their one home is src/util/format-numbers.ts.
export { formatP, pct } from '../util/format-numbers.js';

/** "80.0% [49.0, 94.3] n=10", or "n/a" when there is no data. */
export function formatInterval(iv: Interval | null): string {
  if (!iv) return 'n/a';
  return `${pct(iv.estimate)} [${points(iv.lower)}, ${points(iv.upper)}] n=${iv.n}`;
}

/** The same from separate fields (summary.json's curve points and advice): "72.0% [65.1, 78.3] n=60". */
export function formatEstimate(estimate: number | null, low: number | null, high: number | null, n: number): string {
  if (estimate === null || low === null || high === null) return 'n/a';
  return formatInterval({ estimate, lower: low, upper: high, n });
}

/** A difference of proportions in percentage points with its interval: "+10.0 points [3.1, 16.9]". */
export function formatDifference(estimate: number, low: number, high: number): string {
  return `${signedPointsPlainZero(estimate)} points [${points(low)}, ${points(high)}]`;
}

/** A mean for a table: "n/a" for null, otherwise rounded to what a reader can use. */
export function formatNumber(x: number | null, digits = 1): string {
  if (x === null || !Number.isFinite(x)) return 'n/a';
  return x.toFixed(digits);
}

/** A whole number with thousands separators, locale-independent: 1234567 -> "1,234,567". */
export function formatCount(x: number): string {
  return Math.round(x)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/**
 * Money in the price table's currency, to what a reader can use: "$0", "$0.0042", "$1.25",
 * "$12,345". "n/a" for null. Other currencies are written after the amount ("1.25 EUR").
 */
export function formatMoney(x: number | null, currency: string): string {
  if (x === null || !Number.isFinite(x)) return 'n/a';
  let amount: string;
  if (x === 0) amount = '0';
  else if (Math.abs(x) >= 1000) amount = formatCount(x);
  else if (Math.abs(x) >= 1) amount = x.toFixed(2);
  else amount = x.toFixed(Math.min(10, 1 - Math.floor(Math.log10(Math.abs(x))))); // two significant digits
  return currency === 'USD' ? `$${amount}` : `${amount} ${currency}`;
}

/** The legend label of a curve. */
export function seriesName(provider: string, selector: string, label?: string): string {
  return label ? `${provider} / ${selector} (${label})` : `${provider} / ${selector}`;
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
