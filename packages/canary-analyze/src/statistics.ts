// Rank statistics for two independent samples: the Mann-Whitney U test (normal approximation with tie
// and continuity correction, as R's `wilcox.test(x, y, exact = FALSE, correct = TRUE, conf.int = TRUE)`),
// the confidence interval for the location shift and the Hodges-Lehmann estimate, computed from sorted
// samples so that 2 x 100,000 values take milliseconds per evaluation rather than a re-rank each time.

const LOG_SQRT_2PI = 0.918_938_533_204_672_8;

/** The standard normal cumulative distribution function, accurate to ~1e-15 (and in relative terms in the tails). */
export function normalCdf(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  if (x < -5) return upperTail(-x);
  if (x > 5) return 1 - upperTail(x);
  // Marsaglia's series: Φ(x) = 1/2 + φ(x) (x + x³/3 + x⁵/(3·5) + …)
  let sum = x;
  let term = x;
  const square = x * x;
  for (let odd = 3; odd < 400; odd += 2) {
    term *= square / odd;
    const next = sum + term;
    if (next === sum) break;
    sum = next;
  }
  return 0.5 + sum * Math.exp(-0.5 * square - LOG_SQRT_2PI);
}

/** 1 - Φ(x) for x > 5 by its continued fraction (modified Lentz), keeping relative accuracy far out. */
function upperTail(x: number): number {
  const tiny = 1e-300;
  let f = x;
  let c = x;
  let d = 0;
  for (let k = 1; k < 500; k += 1) {
    d = x + k * d;
    d = d === 0 ? tiny : 1 / d;
    c = x + k / c;
    if (c === 0) c = tiny;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.exp(-0.5 * x * x - LOG_SQRT_2PI) / f;
}

// Acklam's rational approximation, then one Halley step against normalCdf for full double precision.
const A = [
  -39.696_830_286_653_76, 220.946_098_424_520_5, -275.928_510_446_968_7, 138.357_751_867_269, -30.664_798_066_147_16,
  2.506_628_277_459_239,
];
const B = [
  -54.476_098_798_224_06, 161.585_836_858_040_9, -155.698_979_859_886_6, 66.801_311_887_719_72, -13.280_681_552_885_72,
];
const C = [
  -0.007_784_894_002_430_293, -0.322_396_458_041_136_5, -2.400_758_277_161_838, -2.549_732_539_343_734,
  4.374_664_141_464_968, 2.938_163_982_698_783,
];
const D = [0.007_784_695_709_041_462, 0.322_467_129_070_039_8, 2.445_134_137_142_996, 3.754_408_661_907_416];

const poly = (coefficients: readonly number[], x: number): number =>
  coefficients.reduce((accumulator, coefficient) => accumulator * x + coefficient, 0);

/** The standard normal quantile function (inverse of normalCdf). */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) {
    if (p === 0) return Number.NEGATIVE_INFINITY;
    if (p === 1) return Number.POSITIVE_INFINITY;
    return Number.NaN;
  }
  const low = 0.024_25;
  let x: number;
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    x = poly(C, q) / (poly(D, q) * q + 1);
  } else if (p > 1 - low) {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    x = -poly(C, q) / (poly(D, q) * q + 1);
  } else {
    const q = p - 0.5;
    const r = q * q;
    x = (poly(A, r) * q) / (poly(B, r) * r + 1);
  }
  const error = normalCdf(x) - p;
  const u = error * Math.sqrt(2 * Math.PI) * Math.exp((x * x) / 2);
  return x - u / (1 + (x * u) / 2);
}

export const sortAscending = (values: readonly number[]): Float64Array => Float64Array.from(values).sort();

export function mean(values: ArrayLike<number>): number {
  if (values.length === 0) return Number.NaN;
  let total = 0;
  for (let index = 0; index < values.length; index += 1) total += values[index] ?? 0;
  return total / values.length;
}

/** The median of sorted values. */
export function sortedMedian(sorted: ArrayLike<number>): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const middle = Math.floor(n / 2);
  return n % 2 === 1 ? (sorted[middle] ?? Number.NaN) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

/**
 * The rank statistic of `x - shift` against `y`: U = #{x_i - shift > y_j} + ½ #{x_i - shift = y_j} (the
 * rank sum of the shifted x minus n(n+1)/2), and Σ(t³ - t) over the groups of tied values in the pooled
 * sample, which the variance's tie correction needs. Both inputs sorted ascending; one merge pass.
 */
export function shiftedRankStatistic(x: Float64Array, y: Float64Array, shift: number): { u: number; ties: number } {
  const nx = x.length;
  const ny = y.length;
  let u = 0;
  let ties = 0;
  let i = 0;
  let j = 0;
  // Typed-array reads are in bounds by the loop conditions; `as number` keeps this hot loop free of checks.
  while (i < nx || j < ny) {
    const xi = i < nx ? (x[i] as number) - shift : Number.POSITIVE_INFINITY;
    const yj = j < ny ? (y[j] as number) : Number.POSITIVE_INFINITY;
    if (xi < yj) {
      let inX = 1;
      for (i += 1; i < nx && (x[i] as number) - shift === xi; i += 1) inX += 1;
      u += inX * j;
      if (inX > 1) ties += inX * inX * inX - inX;
    } else if (yj < xi) {
      let inY = 1;
      for (j += 1; j < ny && (y[j] as number) === yj; j += 1) inY += 1;
      if (inY > 1) ties += inY * inY * inY - inY;
    } else {
      let inX = 1;
      for (i += 1; i < nx && (x[i] as number) - shift === xi; i += 1) inX += 1;
      const below = j;
      let inY = 1;
      for (j += 1; j < ny && (y[j] as number) === yj; j += 1) inY += 1;
      u += inX * below + 0.5 * inX * inY;
      const group = inX + inY;
      ties += group * group * group - group;
    }
  }
  return { u, ties };
}

export interface MannWhitneyResult {
  /** U of the first sample (x): the number of (x, y) pairs with x > y, ties counting ½ (scipy's U1, R's W). */
  u: number;
  /** The normal deviate after the tie-corrected variance and the continuity correction. */
  z: number;
  /** Two-sided p-value of the normal approximation. */
  pValue: number;
  /** Confidence interval for the shift x - y at the requested level. */
  lower: number;
  upper: number;
  /** Hodges-Lehmann estimate of the shift (the median of the pairwise differences x_i - y_j). */
  estimate: number;
}

/**
 * Mann-Whitney U test of x against y with the normal approximation, tie correction and continuity
 * correction, plus the asymptotic confidence interval and estimate of the shift, following R's
 * `wilcox.test` (the logic Kayenta's judge ports): the interval bounds are the shifts d where the
 * corrected statistic of x - d crosses ±z_{1-α/2}; the estimate is where it crosses 0.
 */
export function mannWhitney(
  xValues: readonly number[],
  yValues: readonly number[],
  confidence = 0.95,
): MannWhitneyResult {
  return mannWhitneySorted(sortAscending(xValues), sortAscending(yValues), confidence);
}

/**
 * mannWhitney over samples already sorted ascending (the judge sorts once for everything).
 * `varianceFactor` widens the statistic's variance for samples that are not independent: with an
 * integrated autocorrelation time τ, n samples carry the information of n/τ independent ones and the
 * variance of U grows by τ (1 for independent samples, the textbook test). `criticalValue`, when given, places
 * the interval's ends at ±criticalValue instead of the confidence's quantile (a sequential boundary far in
 * the tail, where 1 - confidence would round away).
 */
export function mannWhitneySorted(
  x: Float64Array,
  y: Float64Array,
  confidence = 0.95,
  varianceFactor = 1,
  criticalValue = normalQuantile(1 - (1 - confidence) / 2),
): MannWhitneyResult {
  const n1 = x.length;
  const n2 = y.length;
  if (n1 === 0 || n2 === 0) throw new RangeError('both samples need at least one value');
  const n = n1 + n2;

  const deviate = (shift: number): number => {
    const { u, ties } = shiftedRankStatistic(x, y, shift);
    const centered = u - (n1 * n2) / 2;
    const variance = varianceFactor * ((n1 * n2) / 12) * (n + 1 - ties / (n * (n - 1)));
    if (!(variance > 0)) return Number.NaN;
    return (centered - Math.sign(centered) * 0.5) / Math.sqrt(variance);
  };

  const { u } = shiftedRankStatistic(x, y, 0);
  const z = deviate(0);
  const pValue = Number.isNaN(z) ? 1 : Math.min(1, 2 * Math.min(normalCdf(z), 1 - normalCdf(z)));

  const muMin = (x[0] ?? 0) - (y[n2 - 1] ?? 0);
  const muMax = (x[n1 - 1] ?? 0) - (y[0] ?? 0);
  const search: StepSearch = {
    nearest: (shift) => nearestDifference(x, y, shift),
    tolerance: 1e-9 * Math.max(muMax - muMin, Number.MIN_VALUE),
    delta: 1e-12 * Math.max(muMax - muMin, Math.abs(muMin), Math.abs(muMax), Number.MIN_VALUE),
    probeBelow: 1e-3 * (muMax - muMin),
  };
  const quantile = criticalValue;
  // R's root(): the ends of the range when the statistic does not cross there (extreme samples). The
  // estimate is found first; the interval's ends lie on either side of it, which narrows their search.
  const root = (target: number, low = muMin, high = muMax): number => {
    const f = (shift: number): number => deviate(shift) - target;
    const atLow = f(low);
    if (!(atLow > 0)) return low;
    const atHigh = f(high);
    if (!(atHigh < 0)) return high;
    return crossing(f, low, atLow, high, atHigh, search);
  };
  const estimate = root(0);
  // Unlike R, when even samples shifted wholly apart are not significant (few samples, or samples worth
  // few independent ones), the interval is unbounded on that side: no shift is excluded.
  const reachable = (sign: 1 | -1): boolean =>
    sign * deviate(sign === 1 ? muMin - search.delta : muMax + search.delta) > quantile;
  const lower = reachable(1)
    ? root(quantile, muMin, Math.max(muMin, Math.min(muMax, estimate + search.delta)))
    : Number.NEGATIVE_INFINITY;
  const upper = reachable(-1)
    ? root(-quantile, Math.min(muMax, Math.max(muMin, estimate - search.delta)), muMax)
    : Number.POSITIVE_INFINITY;
  return { u, z, pValue, lower, upper, estimate };
}

/** How to search a step function whose jumps are at the pairwise differences x_i - y_j. */
interface StepSearch {
  /** The pairwise difference nearest to a shift. */
  nearest: (shift: number) => number;
  /** Brackets narrower than this end the search (then snapped to the nearest difference). */
  tolerance: number;
  /** A shift this far either side of a difference is past its jump. */
  delta: number;
  /** Brackets narrower than this are worth probing for the jump itself. */
  probeBelow: number;
}

/**
 * Where a non-increasing step function crosses zero between lo (f > 0) and hi (f < 0). Regula falsi
 * with the Illinois modification finds the neighbourhood in a few evaluations (for large samples the
 * statistic is nearly smooth); then, every third step, the pairwise difference nearest the bracket is
 * tried as the jump itself, which ends the search on the staircase of small or tied samples without
 * bisecting down to rounding. When f is zero on a stretch, the middle of the stretch.
 */
function crossing(
  f: (value: number) => number,
  low: number,
  fLow: number,
  high: number,
  fHigh: number,
  search: StepSearch,
): number {
  let lo = low;
  let hi = high;
  let flo = fLow;
  let fhi = fHigh;
  let retained = 0;
  for (let step = 1; step < 300 && hi - lo > search.tolerance; step += 1) {
    if (step % 3 === 0 && hi - lo < search.probeBelow) {
      const jump = jumpAt(f, (value) => value > 0, lo, hi, search);
      if (jump.found !== undefined) return jump.found;
      if (jump.lo !== undefined) [lo, flo] = jump.lo;
      if (jump.hi !== undefined) [hi, fhi] = jump.hi;
      if (jump.zero !== undefined) return zeroStretch(f, lo, jump.zero, hi, search);
      continue;
    }
    let mid = (lo * fhi - hi * flo) / (fhi - flo);
    if (!(mid > lo && mid < hi)) mid = lo + (hi - lo) / 2;
    if (!(mid > lo && mid < hi)) break;
    const value = f(mid);
    if (value > 0) {
      lo = mid;
      flo = value;
      if (retained === 1) fhi /= 2;
      retained = 1;
    } else if (value < 0) {
      hi = mid;
      fhi = value;
      if (retained === -1) flo /= 2;
      retained = -1;
    } else {
      return zeroStretch(f, lo, mid, hi, search);
    }
  }
  return search.nearest(lo + (hi - lo) / 2);
}

interface JumpProbe {
  /** The difference where `left` stops holding. */
  found?: number;
  /** Narrower bracket ends learnt from the probe, with f there. */
  lo?: [number, number];
  hi?: [number, number];
  /** A shift where f is exactly 0. */
  zero?: number;
}

/** Probes the pairwise difference nearest the middle of (lo, hi): is it where `left(f)` stops holding? */
function jumpAt(
  f: (value: number) => number,
  left: (value: number) => boolean,
  lo: number,
  hi: number,
  search: StepSearch,
): JumpProbe {
  const candidate = search.nearest(lo + (hi - lo) / 2);
  const before = candidate - search.delta;
  const after = candidate + search.delta;
  if (!(before > lo && after < hi)) return {};
  const fBefore = f(before);
  if (!left(fBefore)) return fBefore === 0 ? { zero: before, hi: [before, fBefore] } : { hi: [before, fBefore] };
  const fAfter = f(after);
  if (!left(fAfter)) return { found: candidate };
  return fAfter === 0 ? { zero: after, lo: [after, fAfter] } : { lo: [after, fAfter] };
}

/** f is 0 at `zero` (lo < zero < hi): the middle of the stretch where it stays 0. */
function zeroStretch(f: (value: number) => number, lo: number, zero: number, hi: number, search: StepSearch): number {
  return (edge(f, lo, zero, (value) => value > 0, search) + edge(f, zero, hi, (value) => value === 0, search)) / 2;
}

/** The jump between `inside(f(lo))` and not, within [lo, hi]: bisection, trying the nearest difference every third step. */
function edge(
  f: (value: number) => number,
  low: number,
  high: number,
  inside: (value: number) => boolean,
  search: StepSearch,
): number {
  let lo = low;
  let hi = high;
  for (let step = 1; step < 300 && hi - lo > search.tolerance; step += 1) {
    if (step % 3 === 0) {
      const jump = jumpAt(f, inside, lo, hi, search);
      if (jump.found !== undefined) return jump.found;
      if (jump.lo !== undefined) lo = jump.lo[0];
      if (jump.hi !== undefined) hi = jump.hi[0];
      continue;
    }
    const mid = lo + (hi - lo) / 2;
    if (!(mid > lo && mid < hi)) break;
    if (inside(f(mid))) lo = mid;
    else hi = mid;
  }
  return search.nearest(lo + (hi - lo) / 2);
}

/** The pairwise difference x_i - y_j nearest to `shift` (both samples sorted ascending). */
export function nearestDifference(x: Float64Array, y: Float64Array, shift: number): number {
  let gap = Number.POSITIVE_INFINITY;
  let nearest = shift;
  let j = 0;
  for (let i = 0; i < x.length; i += 1) {
    const xi = x[i] as number;
    const target = xi - shift;
    while (j < y.length && (y[j] as number) < target) j += 1;
    if (j > 0 && target - (y[j - 1] as number) < gap) {
      gap = target - (y[j - 1] as number);
      nearest = xi - (y[j - 1] as number);
    }
    if (j < y.length && (y[j] as number) - target < gap) {
      gap = (y[j] as number) - target;
      nearest = xi - (y[j] as number);
    }
  }
  return nearest;
}

/** Series shorter than this give no usable autocorrelation estimate. */
export const MIN_AUTOCORRELATION_SAMPLES = 16;
/** The longest lag the autocorrelation is summed to (longer memories come from the query's window). */
export const MAX_AUTOCORRELATION_LAG = 500;
/** The estimate reads at most the last this many samples of a series: plenty, and a bounded cost. */
export const MAX_AUTOCORRELATION_SAMPLES = 10_000;

/**
 * The integrated autocorrelation time τ = 1 + 2 Σ ρ_k of one or more series in time order, pooled
 * (each series centred on its own mean), by Geyer's initial monotone sequence estimator: the sums of
 * adjacent pairs of autocorrelations are added while they stay positive, each capped by the previous.
 * n samples with memory τ carry the information of n/τ independent ones. At least 1; 1 when the series
 * are too short to tell. Reads the last MAX_AUTOCORRELATION_SAMPLES of each series.
 */
export function autocorrelationTime(series: ReadonlyArray<ArrayLike<number>>): number {
  const usable = series
    .filter((values) => values.length >= MIN_AUTOCORRELATION_SAMPLES)
    .map((values) => Array.prototype.slice.call(values, -MAX_AUTOCORRELATION_SAMPLES) as number[]);
  if (usable.length === 0) return 1;
  const means = usable.map((values) => mean(values));
  const shortest = Math.min(...usable.map((values) => values.length));
  const maxLag = Math.min(MAX_AUTOCORRELATION_LAG, Math.floor(shortest / 3));
  const covariance = (lag: number): number => {
    let total = 0;
    usable.forEach((values, which) => {
      const centre = means[which] as number;
      for (let index = lag; index < values.length; index += 1) {
        total += ((values[index] as number) - centre) * ((values[index - lag] as number) - centre);
      }
    });
    return total;
  };
  const variance = covariance(0);
  if (!(variance > 0)) return 1;
  let tau = -1;
  let previousPair = Number.POSITIVE_INFINITY;
  for (let lag = 0; lag + 1 <= maxLag; lag += 2) {
    const pair = Math.min(previousPair, (covariance(lag) + covariance(lag + 1)) / variance);
    if (!(pair > 0)) break;
    tau += 2 * pair;
    previousPair = pair;
  }
  return Math.max(1, tau);
}
