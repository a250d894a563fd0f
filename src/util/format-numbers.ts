/**
 * Proportions and p-values as text: the one home of the number formatters that analysis (labels,
 * reasons), compare and report all write with. Depends on nothing, so any layer may import it
 * (analysis must not import report/).
 *
 * Proportions are in [0, 1] and written as percentages or percentage points with one decimal.
 * Where two call sites wrote a value differently, both forms are kept here under their own names
 * (signedPoints / signedPointsPlainZero; formatP / pEquals / pRelation).
 */

/** A proportion as a percentage: 0.8 -> "80.0%" (digits after the point: 1 unless given). */
export function pct(x: number, digits = 1): string {
  return `${(x * 100).toFixed(digits)}%`;
}

/** A proportion in percentage points, without a sign: 0.651 -> "65.1", -0.03 -> "-3.0". */
export function points(x: number): string {
  return (x * 100).toFixed(1);
}

/** Percentage points with a sign, "+" from zero up: 0.123 -> "+12.3", 0 -> "+0.0", -0.05 -> "-5.0". */
export function signedPoints(x: number): string {
  return `${x >= 0 ? '+' : ''}${points(x)}`;
}

/** Percentage points with a sign only above zero: 0.123 -> "+12.3", 0 -> "0.0", -0.05 -> "-5.0". */
export function signedPointsPlainZero(x: number): string {
  return `${x > 0 ? '+' : ''}${points(x)}`;
}

/** A p-value for a table cell: "0.012", "<0.001" below what three decimals show, "n/a" when not finite. */
export function formatP(p: number): string {
  if (!Number.isFinite(p)) return 'n/a';
  return p < 0.001 ? '<0.001' : p.toFixed(3);
}

/** A p-value with its name, no spaces: "p=0.012", or "p<0.001" below what three decimals show. */
export function pEquals(p: number): string {
  return p < 0.001 ? 'p<0.001' : `p=${p.toFixed(3)}`;
}

/** A p-value's relation, to follow a "p ": "= 0.012", "< 0.001" ("= n/a" when not finite). */
export function pRelation(p: number): string {
  const f = formatP(p);
  return f.startsWith('<') ? `< ${f.slice(1)}` : `= ${f}`;
}
