// The statistics against values published by others, computed independently of this code:
// - scipy.stats.mannwhitneyu documentation, Examples (diabetes diagnosis ages, after Conover's
//   textbook example): males vs females gives U1 = 17, and with method="asymptotic" (continuity
//   correction on) p = 0.11134688653314041.
//   https://docs.scipy.org/doc/scipy/reference/generated/scipy.stats.mannwhitneyu.html
// - DolphinDB's mannWhitneyUTest documentation: X = 5 1 4 3 5, Y = 2 4 7 -1 0 4 (ties), correct=true:
//   U = 11, two-sided p = 0.518023.
//   https://dolphindb.com/help/FunctionsandCommands/FunctionReferences/m/mannWhitneyUTest.html
// - ClickHouse's regression test tests/queries/0_stateless/01560_mann_whitney.sql (values checked
//   against scipy there; ties, continuity correction): U = 223, p = 0.5426959774289482.
// - Kayenta's MannWhitneySuite (kayenta-mannwhitney, "returns expected values", tied out against R):
//   control 1..4, experiment 10..40, 95 %: interval [6, 39], estimate 22.5.
// - Standard normal table values (Abramowitz & Stegun 26.2): Φ(1.96) = 0.9750021048517795,
//   z(0.975) = 1.959963984540054, z(0.99) = 2.326347874040841.
import { mannWhitney, normalCdf, normalQuantile, shiftedRankStatistic } from '@shiprail/canary-analyze';

describe('published reference values', () => {
  test('scipy docs: diabetes ages, U1 = 17, asymptotic p = 0.11134688653314041', () => {
    const result = mannWhitney([19, 22, 16, 29, 24], [20, 11, 17, 12]);
    expect(result.u).toBe(17);
    expect(result.pValue).toBeCloseTo(0.11134688653314041, 12);
  });

  test('DolphinDB docs: ties on both sides, U = 11 (the smaller U), p = 0.518023', () => {
    const result = mannWhitney([5, 1, 4, 3, 5], [2, 4, 7, -1, 0, 4]);
    expect(Math.min(result.u, 5 * 6 - result.u)).toBe(11);
    expect(result.pValue).toBeCloseTo(0.518023, 5);
  });

  test('ClickHouse regression test: 20 vs 20 with ties, U = 223, p = 0.5426959774289482', () => {
    const left = [310, 195, 530, 155, 530, 245, 385, 450, 465, 545, 170, 180, 125, 180, 230, 75, 430, 480, 495, 295];
    const right = [116, 171, 176, 421, 111, 326, 481, 111, 346, 441, 261, 411, 206, 521, 456, 446, 296, 51, 426, 261];
    const result = mannWhitney(left, right);
    expect(result.u).toBe(223);
    expect(result.pValue).toBeCloseTo(0.5426959774289482, 14);
    // The statistic of the other sample is the complement; the two-sided p-value is the same.
    expect(mannWhitney(right, left).u).toBe(400 - 223);
    expect(mannWhitney(right, left).pValue).toBeCloseTo(0.5426959774289482, 14);
  });

  test("Kayenta's suite: interval [6, 39] and estimate 22.5 at 95 %", () => {
    const result = mannWhitney([10, 20, 30, 40], [1, 2, 3, 4], 0.95);
    expect(result.lower).toBeCloseTo(6, 9);
    expect(result.upper).toBeCloseTo(39, 9);
    expect(result.estimate).toBeCloseTo(22.5, 9);
  });

  test.each([
    [1.96, 0.9750021048517795],
    [0, 0.5],
    [-1, 0.15865525393145707],
    [-6, 9.865876450376981e-10],
    [8, 1 - 6.22096057427178e-16],
  ])('Φ(%p) = %p', (x, expected) => {
    const actual = normalCdf(x);
    if (expected < 1e-6) expect(actual / expected).toBeCloseTo(1, 10);
    else expect(actual).toBeCloseTo(expected, 14);
  });

  test.each([
    [0.975, 1.959963984540054],
    [0.99, 2.326347874040841],
    [0.5, 0],
    [0.001, -3.090232306167813],
  ])('quantile(%p) = %p', (p, expected) => {
    expect(normalQuantile(p)).toBeCloseTo(expected, 12);
  });
});

/** R's definition, computed the slow way: rank the pooled sample (average ranks for ties). */
function naiveRankStatistic(x: number[], y: number[], shift: number): { u: number; ties: number } {
  const pooled = [...x.map((value) => value - shift), ...y];
  const rank = (value: number): number => {
    const below = pooled.filter((other) => other < value).length;
    const equal = pooled.filter((other) => other === value).length;
    return below + (equal + 1) / 2;
  };
  const rankSum = pooled.slice(0, x.length).reduce((sum, value) => sum + rank(value), 0);
  const counts = new Map<number, number>();
  for (const value of pooled) counts.set(value, (counts.get(value) ?? 0) + 1);
  const ties = [...counts.values()].reduce((sum, t) => sum + t ** 3 - t, 0);
  return { u: rankSum - (x.length * (x.length + 1)) / 2, ties };
}

/** A small deterministic generator, so failures reproduce. */
function generator(seed: number): () => number {
  let state = seed;
  return () => {
    state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0;
    return state / 2 ** 32;
  };
}

describe('the fast rank statistic equals ranking the pooled sample', () => {
  test.each([1, 2, 3, 4, 5, 6])('random tied samples, seed %p', (seed) => {
    const random = generator(seed);
    const x = Array.from({ length: 5 + Math.floor(random() * 20) }, () => Math.floor(random() * 8));
    const y = Array.from({ length: 5 + Math.floor(random() * 20) }, () => Math.floor(random() * 8));
    const sortedX = Float64Array.from(x).sort();
    const sortedY = Float64Array.from(y).sort();
    for (const shift of [-3, -1, 0, 0.5, 2]) {
      expect(shiftedRankStatistic(sortedX, sortedY, shift)).toEqual(naiveRankStatistic(x, y, shift));
    }
  });
});

describe('Hodges-Lehmann estimate and interval', () => {
  test.each([7, 8, 9, 10])('the estimate is the median of pairwise differences (seed %p)', (seed) => {
    const random = generator(seed);
    const x = Array.from({ length: 15 }, () => Math.round(random() * 1000) / 10 + 5);
    const y = Array.from({ length: 12 }, () => Math.round(random() * 1000) / 10);
    const differences = x.flatMap((a) => y.map((b) => a - b)).sort((a, b) => a - b);
    const middle = differences.length / 2;
    const median = ((differences[middle - 1] ?? 0) + (differences[middle] ?? 0)) / 2;
    const result = mannWhitney(x, y, 0.98);
    expect(result.estimate).toBeCloseTo(median, 6);
    expect(result.lower).toBeLessThanOrEqual(result.estimate);
    expect(result.upper).toBeGreaterThanOrEqual(result.estimate);
    // The bounds are pairwise differences (where the step function jumps).
    expect(differences.some((difference) => Math.abs(difference - result.lower) < 1e-6)).toBe(true);
    expect(differences.some((difference) => Math.abs(difference - result.upper) < 1e-6)).toBe(true);
  });

  test('a wider confidence level gives a wider interval', () => {
    const x = [12, 15, 11, 18, 14, 16, 13, 17];
    const y = [10, 9, 12, 11, 8, 13, 10, 9];
    const narrow = mannWhitney(x, y, 0.8);
    const wide = mannWhitney(x, y, 0.98);
    expect(wide.lower).toBeLessThanOrEqual(narrow.lower);
    expect(wide.upper).toBeGreaterThanOrEqual(narrow.upper);
  });

  test.each([
    // R returns the bracket of differences [97, 99] here, as if 1 sample against 3 proved a shift.
    ['1 against 3, far apart', [100], [1, 2, 3], Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY],
    [
      '3 against 3, wholly apart (|z| at most 1.75 < 2.33)',
      [10, 11, 12],
      [1, 2, 3],
      Number.NEGATIVE_INFINITY,
      Number.POSITIVE_INFINITY,
    ],
  ])(
    'samples too few to reach significance even wholly apart: no shift excluded on that side (%s)',
    (_name, x, y, lower, upper) => {
      const result = mannWhitney(x, y, 0.98);
      expect(result.lower).toBe(lower);
      expect(result.upper).toBe(upper);
    },
  );

  test('refuses empty samples', () => {
    expect(() => mannWhitney([], [1])).toThrow(RangeError);
  });
});
