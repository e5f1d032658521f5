// Group-sequential boundaries: the analysis looks at a growing sample every round, and each look that
// may fail the canary spends part of one false-alarm budget for the whole analysis (Lan and DeMets'
// alpha spending), instead of spending the whole budget on every round. The statistic at each look is
// taken as a standardised Brownian motion in information time (Mann-Whitney's deviate over a growing
// sample is one, asymptotically); the boundaries are found by recursive numerical integration of the
// statistic's density over the rounds it survived (Armitage, McPherson and Rowe; Jennison and Turnbull,
// "Group Sequential Methods", ch. 19).
import { normalCdf, normalQuantile } from './statistics.ts';

/** How the false-alarm budget is spent over the analysis's information (0 < t <= 1). */
export type SpendingFunction = 'obrien-fleming' | 'pocock';

export const SPENDING_FUNCTIONS: readonly SpendingFunction[] = ['obrien-fleming', 'pocock'];

/**
 * The share of a two-sided budget `alpha` spent by information fraction t, half on each side (as
 * gsDesign's sfLDOF / sfLDPocock and R's ldbounds spend it). O'Brien-Fleming type: per side
 * 2 - 2Φ(z_{1-α/4} / √t), which spends almost nothing early and keeps the last look near the
 * fixed-sample test's; Pocock type: α ln(1 + (e - 1) t), which spends evenly.
 */
export function alphaSpent(spending: SpendingFunction, alpha: number, t: number): number {
  if (t <= 0) return 0;
  if (t >= 1) return alpha;
  if (spending === 'pocock') return alpha * Math.log(1 + (Math.E - 1) * t);
  return 2 * (2 - 2 * normalCdf(normalQuantile(1 - alpha / 4) / Math.sqrt(t)));
}

/** Grid points per standard deviation of a look's increment: boundaries agree to 1e-4 with 24. */
const POINTS_PER_SD = 12;

/** Standard deviations of a look's increment beyond which its normal kernel is taken as 0 (φ(9) < 1e-17). */
const KERNEL_REACH = 9;

/** Bounds the work of one look (its convolution is quadratic in the grid) when looks are very many. */
const MAX_GRID_INTERVALS = 1600;

/** A sub-density of the score S = Z √t on an odd grid over the continuation region, with Simpson weights. */
interface Density {
  points: Float64Array;
  /** density x Simpson weight at each point: sums against a function give the integral. */
  mass: Float64Array;
}

const normalDensity = (x: number): number => Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);

/** Simpson's rule over [-limit, limit]: an odd number of equally spaced points. */
function simpsonGrid(limit: number, sd: number): { points: Float64Array; weights: Float64Array } {
  const intervals = 2 * Math.min(MAX_GRID_INTERVALS / 2, Math.max(8, Math.ceil((POINTS_PER_SD * 2 * limit) / sd / 2)));
  const h = (2 * limit) / intervals;
  const points = new Float64Array(intervals + 1);
  const weights = new Float64Array(intervals + 1);
  for (let index = 0; index <= intervals; index += 1) {
    points[index] = -limit + index * h;
    weights[index] = ((index === 0 || index === intervals ? 1 : index % 2 === 1 ? 4 : 2) * h) / 3;
  }
  return { points, weights };
}

/** P(|S_k| > c √t_k and the statistic survived every earlier look), from the previous look's sub-density. */
function crossingProbability(previous: Density | undefined, t: number, step: number, c: number): number {
  const edge = c * Math.sqrt(t);
  if (!previous) return 2 * (1 - normalCdf(c));
  const sd = Math.sqrt(step);
  let total = 0;
  for (let index = 0; index < previous.points.length; index += 1) {
    const s = previous.points[index] as number;
    // Points further than KERNEL_REACH increments from both edges cannot reach them.
    if (edge - Math.abs(s) > KERNEL_REACH * sd) continue;
    total += (previous.mass[index] as number) * (normalCdf((-edge - s) / sd) + 1 - normalCdf((edge - s) / sd));
  }
  return total;
}

/** The sub-density of S_k on (-c √t, c √t): the previous one convolved with N(0, step), or N(0, t) at the first look. */
function survivingDensity(previous: Density | undefined, t: number, step: number, c: number): Density {
  const sd = Math.sqrt(step);
  // Beyond 8 standard deviations of S_k the density adds nothing a boundary could feel.
  const { points, weights } = simpsonGrid(Math.min(c, 8) * Math.sqrt(t), Math.sqrt(Math.min(t, step)));
  const mass = new Float64Array(points.length);
  for (let index = 0; index < points.length; index += 1) {
    const s = points[index] as number;
    let density = 0;
    if (!previous) density = normalDensity(s / sd) / sd;
    else {
      // The previous grid is uniform: only its points within KERNEL_REACH increments of s contribute.
      const first = previous.points[0] as number;
      const spacing = ((previous.points[previous.points.length - 1] as number) - first) / (previous.points.length - 1);
      const from = Math.max(0, Math.floor((s - KERNEL_REACH * sd - first) / spacing));
      const to = Math.min(previous.points.length - 1, Math.ceil((s + KERNEL_REACH * sd - first) / spacing));
      for (let near = from; near <= to; near += 1) {
        density += (previous.mass[near] as number) * normalDensity((s - (previous.points[near] as number)) / sd);
      }
      density /= sd;
    }
    mass[index] = density * (weights[index] as number);
  }
  return { points, mass };
}

/** The largest deviate a boundary is given: past it, nothing is left to spend at that look. */
export const MAX_BOUNDARY = 12;

/**
 * Two-sided boundaries c_1..c_K for looks at increasing information fractions (the last normally 1):
 * the statistic crosses ±c_k at look k, having stayed inside at the earlier looks, with probability
 * alphaSpent(t_k) - alphaSpent(t_{k-1}) when there is no difference. One look at t = 1 gives the
 * fixed-sample deviate z_{1-α/2}.
 */
export function sequentialBoundaries(
  fractions: readonly number[],
  alpha: number,
  spending: SpendingFunction = 'obrien-fleming',
): number[] {
  if (!(alpha > 0 && alpha < 1)) throw new RangeError(`alpha must lie in (0, 1), got ${alpha}`);
  const boundaries: number[] = [];
  let previous: Density | undefined;
  let previousT = 0;
  let spent = 0;
  for (const t of fractions) {
    if (!(t > previousT && t <= 1)) throw new RangeError(`information fractions must increase within (0, 1], got ${t}`);
    const step = t - previousT;
    const target = alphaSpent(spending, alpha, t) - spent;
    const c = solveBoundary((candidate) => crossingProbability(previous, t, step, candidate), target);
    boundaries.push(c);
    spent += Math.min(target, crossingProbability(previous, t, step, c));
    previous = survivingDensity(previous, t, step, c);
    previousT = t;
  }
  return boundaries;
}

/** The deviate c where the crossing probability (decreasing in c) equals `target`, by bisection. */
function solveBoundary(probability: (c: number) => number, target: number): number {
  if (!(target > 0) || probability(MAX_BOUNDARY) >= target) return MAX_BOUNDARY;
  let low = 0;
  let high = MAX_BOUNDARY;
  for (let iteration = 0; iteration < 60 && high - low > 1e-9; iteration += 1) {
    const middle = (low + high) / 2;
    if (probability(middle) > target) low = middle;
    else high = middle;
  }
  return (low + high) / 2;
}

/** The two-sided confidence of a repeated confidence interval with boundary c: 1 - 2(1 - Φ(c)). */
export const boundaryConfidence = (c: number): number => 1 - 2 * (1 - normalCdf(c));

/** How the analysis spends its false-alarm budget over its rounds. */
export const SPENDING: SpendingFunction = 'obrien-fleming';

/**
 * The boundary of every round of an analysis: a round's information is the share of the analysis's
 * duration it has seen (every round judges every sample since the start); `duration: 0` is one look at
 * the fixed-sample deviate. `alpha` is the two-sided false-alarm budget of one metric for the whole analysis.
 */
export function roundBoundaries(offsetsMs: readonly number[], durationMs: number, alpha: number): number[] {
  if (durationMs <= 0) return offsetsMs.map(() => normalQuantile(1 - alpha / 2));
  return sequentialBoundaries(
    offsetsMs.map((offset) => offset / durationMs),
    alpha,
    SPENDING,
  );
}
