/**
 * Sequential sampling (issue 17): items enter in looks, and a curve stops taking items once its label
 * is decided. Looking again and again at growing data would inflate every check's error if each look
 * used the fixed-n level, so every one-sided check runs at a group-sequential nominal level instead:
 * the Pocock-type constant boundary c for the planned looks, chosen so that the chance the check's
 * statistic crosses c at ANY look, when its claim is false, is the check's fixed-n level (Pocock 1977;
 * Jennison & Turnbull 2000, ch. 2 and 19). A label's checks are one-sided bounds on paired mean
 * differences of items, whose standardized statistics over nested item prefixes behave like a Brownian
 * motion observed at the information times t_j = n_j / n_max (asymptotically), which is the setting
 * the boundary is computed for; the label's alpha shares (label-family.ts) then bound the whole label's
 * error at alpha over every look, as at a fixed n. The boundary is computed exactly for the looks'
 * information times by the Armitage-McPherson-Rowe recursive integration, not looked up in a table, so
 * any firstLook / step / maxItems schedule gets its own. Validated by simulation near every label
 * boundary (test/sequential-validation.test.ts).
 */
import { normalUpperTail } from './paired.js';
import { normalQuantile } from './stats.js';

/** Information times of a schedule: n_j / n_max. */
export function informationTimes(looks: readonly number[]): number[] {
  const max = looks[looks.length - 1]!;
  return looks.map((n) => n / max);
}

/** Grid points per look (odd, for Simpson's rule): 201 keeps the boundary within 1e-4 of a 801-point grid. */
const GRID = 201;

function phi(z: number): number {
  return Math.exp(-0.5 * z * z) / Math.sqrt(2 * Math.PI);
}

/**
 * The chance that a standard Brownian motion W, observed at times t_1 < ... < t_L = 1, has
 * W(t_j) / sqrt(t_j) > c at some look: the sum over looks of the chance of first crossing there
 * (summed directly, so small levels keep their precision), by recursive integration of the density
 * of W(t_j) below the boundary on a grid.
 */
export function crossingProbability(c: number, times: readonly number[]): number {
  let total = normalUpperTail(c);
  if (times.length === 1) return total;
  // Density of W(t_1) on [lo, b_1].
  let sd = Math.sqrt(times[0]!);
  let lo = -8 * Math.sqrt(times[times.length - 1]!);
  let hi = c * sd;
  let xs = grid(lo, hi);
  let density = xs.map((x) => phi(x / sd) / sd);
  for (let j = 1; j < times.length; j++) {
    const dt = times[j]! - times[j - 1]!;
    const s = Math.sqrt(dt);
    const b = c * Math.sqrt(times[j]!);
    const h = xs[1]! - xs[0]!;
    // First crossing at look j: below the boundary until now, above b now.
    let cross = 0;
    for (let i = 0; i < xs.length; i++) cross += weight(i, xs.length) * density[i]! * normalUpperTail((b - xs[i]!) / s);
    total += cross * h;
    if (j === times.length - 1) break;
    // Carry the density below b to the next look.
    sd = Math.sqrt(times[j]!);
    lo = -8 * sd;
    hi = b;
    const next = grid(lo, hi);
    const nextDensity = next.map((y) => {
      let sum = 0;
      for (let i = 0; i < xs.length; i++) sum += weight(i, xs.length) * density[i]! * phi((y - xs[i]!) / s);
      return (sum * h) / s;
    });
    xs = next;
    density = nextDensity;
  }
  return total;
}

function grid(lo: number, hi: number): number[] {
  const out = new Array<number>(GRID);
  for (let i = 0; i < GRID; i++) out[i] = lo + ((hi - lo) * i) / (GRID - 1);
  return out;
}

/** Simpson's weights on an odd grid. */
function weight(i: number, n: number): number {
  if (i === 0 || i === n - 1) return 1 / 3;
  return i % 2 === 1 ? 4 / 3 : 2 / 3;
}

/** The constant boundary c with crossingProbability(c) = level (bisection). */
export function boundaryFor(level: number, times: readonly number[]): number {
  // Between the fixed-n quantile (one look) and the Bonferroni one (looks treated as independent tests).
  let lo = normalQuantile(1 - level);
  let hi = normalQuantile(1 - level / times.length) + 1e-6;
  while (crossingProbability(hi, times) > level) hi += 0.5;
  for (let i = 0; i < 28; i++) {
    const mid = (lo + hi) / 2;
    if (crossingProbability(mid, times) > level) lo = mid;
    else hi = mid;
  }
  return hi;
}

const CACHES = new Map<string, Map<number, number>>();

/**
 * Maps a check's fixed-n one-sided level to the nominal level it is tested at on every look of the
 * schedule (the Pocock-type constant boundary). One look: the level itself. Cached per level.
 */
export class SequentialLevels {
  readonly times: readonly number[];
  private readonly cache: Map<number, number>;

  constructor(readonly looks: readonly number[]) {
    this.times = informationTimes(looks);
    // Shared by every analysis of the same schedule (each look's, then the report's): a boundary costs ~0.1 s.
    const key = this.times.join(',');
    let cache = CACHES.get(key);
    if (!cache) CACHES.set(key, (cache = new Map()));
    this.cache = cache;
  }

  nominal(level: number): number {
    if (this.times.length <= 1 || level <= 0 || level >= 0.5) return level;
    let out = this.cache.get(level);
    if (out === undefined) {
      out = normalUpperTail(boundaryFor(level, this.times));
      this.cache.set(level, out);
    }
    return out;
  }
}

/**
 * Items a paired difference of `delta` needs to be shown at one-sided `level` with 80% power, for
 * item differences of standard deviation `sd` (a normal approximation: n = ((z_level + z_0.8) sd / delta)^2).
 */
export function itemsForDifference(delta: number, level: number, sd: number): number {
  const z = normalQuantile(1 - level) + normalQuantile(0.8);
  return Math.ceil(((z * sd) / delta) ** 2);
}
