// The sequential boundaries of an analysis's rounds: published values of Lan-DeMets spending, the
// false-alarm budget they keep across looks (checked by simulating the statistic), the decision of one
// round at its boundary, and whole analyses of seeded simulated canaries with the action's default plan.
import {
  CONFIDENCE,
  MAX_BOUNDARY,
  alphaSpent,
  boundaryConfidence,
  judgeMetric,
  roundBoundaries,
  roundOffsets,
  sequentialBoundaries,
  type SpendingFunction,
} from '@shiprail/canary-analyze';
import { seededRandom } from './simulation.ts';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { node24 } from '@shiprail/testkit';

const equallySpaced = (looks: number): number[] => Array.from({ length: looks }, (_, index) => (index + 1) / looks);

describe('sequentialBoundaries: published Lan-DeMets boundaries (gsDesign sfLDOF / sfLDPocock, R ldbounds)', () => {
  test.each<[string, number[], number, SpendingFunction, number[]]>([
    [
      "O'Brien-Fleming, 5 equal looks, α 0.05",
      equallySpaced(5),
      0.05,
      'obrien-fleming',
      [4.877, 3.357, 2.68, 2.29, 2.031],
    ],
    ["O'Brien-Fleming, looks at 0.5 and 1, α 0.05", [0.5, 1], 0.05, 'obrien-fleming', [2.963, 1.969]],
    ['Pocock, 5 equal looks, α 0.05', equallySpaced(5), 0.05, 'pocock', [2.438, 2.427, 2.41, 2.397, 2.386]],
    ['one look: the fixed-sample deviate, α 0.05', [1], 0.05, 'obrien-fleming', [1.96]],
    ['one look: the fixed-sample deviate, α 0.02', [1], 0.02, 'pocock', [2.326]],
  ])('%s', (_name, fractions, alpha, spending, expected) => {
    const boundaries = sequentialBoundaries(fractions, alpha, spending);
    expect(boundaries).toHaveLength(expected.length);
    boundaries.forEach((boundary, index) => expect(boundary).toBeCloseTo(expected[index] as number, 3));
  });

  test('a look that may spend nothing gets the largest boundary: nothing can cross it', () => {
    // The default plan's 20 rounds: O'Brien-Fleming may spend about 1e-35 at the first.
    const boundaries = sequentialBoundaries(equallySpaced(20), 0.02);
    expect(boundaries[0]).toBe(MAX_BOUNDARY);
    expect(boundaries.at(-1)).toBeGreaterThan(2.326);
    expect(boundaries.at(-1)).toBeLessThan(2.6);
    for (let index = 1; index < boundaries.length; index += 1) {
      expect(boundaries[index]).toBeLessThanOrEqual(boundaries[index - 1] as number);
    }
  });

  test.each([
    [[0.5, 0.4, 1], 0.05],
    [[0, 1], 0.05],
    [[0.5, 1.5], 0.05],
    [[1], 0],
    [[1], 1],
  ])('rejects fractions %j or α %d', (fractions, alpha) => {
    expect(() => sequentialBoundaries(fractions, alpha)).toThrow(RangeError);
  });

  test.each<[SpendingFunction, number, number]>([
    ['obrien-fleming', 0.5, 0.001_525 * 2],
    ['obrien-fleming', 1, 0.05],
    ['pocock', 0.5, 0.05 * Math.log(1 + (Math.E - 1) * 0.5)],
    ['pocock', 0, 0],
  ])('alphaSpent(%s, 0.05, %d) = %d', (spending, t, expected) => {
    expect(alphaSpent(spending, 0.05, t)).toBeCloseTo(expected, 5);
  });

  test('boundaryConfidence is the two-sided confidence of ±c', () => {
    expect(boundaryConfidence(1.959_964)).toBeCloseTo(0.95, 6);
    expect(boundaryConfidence(2.326_348)).toBeCloseTo(CONFIDENCE, 6);
  });
});

describe('the budget holds across looks: a simulated standardised Brownian motion crosses as often as spent', () => {
  test.each<[SpendingFunction, number[]]>([
    ['obrien-fleming', equallySpaced(10)],
    ['pocock', equallySpaced(10)],
    ['obrien-fleming', [0.15, 0.4, 0.55, 0.9, 1]],
  ])('%s at %j', (spending, fractions) => {
    const alpha = 0.05;
    const boundaries = sequentialBoundaries(fractions, alpha, spending);
    const random = seededRandom(11);
    const normal = (): number => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
    const paths = 10_000;
    const crossedAt = new Array<number>(fractions.length).fill(0);
    for (let path = 0; path < paths; path += 1) {
      let score = 0;
      let previous = 0;
      for (const [look, t] of fractions.entries()) {
        score += Math.sqrt(t - previous) * normal();
        previous = t;
        if (Math.abs(score / Math.sqrt(t)) > (boundaries[look] as number)) {
          crossedAt[look] = (crossedAt[look] as number) + 1;
          break;
        }
      }
    }
    const crossed = crossedAt.reduce((sum, count) => sum + count, 0) / paths;
    // 10,000 paths: the standard error of a 5 % rate is 0.22 %.
    expect(crossed).toBeGreaterThan(alpha - 0.007);
    expect(crossed).toBeLessThan(alpha + 0.007);
    // Where the budget goes: half of it by t = 0.5 (or the first look past it) for Pocock, far less for O'Brien-Fleming.
    const half = fractions.findIndex((t) => t >= 0.5);
    const early = crossedAt.slice(0, half + 1).reduce((sum, count) => sum + count, 0) / paths;
    expect(early).toBeCloseTo(alphaSpent(spending, alpha, fractions[half] as number), 2);
  });
});

describe('roundBoundaries: the rounds of an analysis', () => {
  test.each([
    ['10m every 1m', 600_000, 60_000, sequentialBoundaries(equallySpaced(10), 0.02)],
    ['150s every 1m: the last round at the duration', 150_000, 60_000, sequentialBoundaries([0.4, 0.8, 1], 0.02)],
    ['duration 0: one look at 98 %', 0, 600_000, [2.326_347_874]],
  ])('%s', (_name, duration, interval, expected) => {
    const boundaries = roundBoundaries(roundOffsets(duration, interval), duration, 1 - CONFIDENCE);
    expect(boundaries).toHaveLength(expected.length);
    boundaries.forEach((boundary, index) => expect(boundary).toBeCloseTo(expected[index] as number, 6));
  });
});

describe('the decision of one round at its boundary', () => {
  // 40 samples each side, independent, the canary shifted up by `shift`: Mann-Whitney's deviate z is given.
  const baseline = Array.from({ length: 40 }, (_, index) => 100 + 10 * Math.sin(index * 2.3));
  const canary = (shift: number): number[] =>
    Array.from({ length: 40 }, (_, index) => 100 + shift + 10 * Math.sin(index * 1.7 + 0.5));
  const judge = (shift: number, boundary: number | undefined): string =>
    judgeMetric(baseline, canary(shift), {
      direction: 'either',
      allowedIncrease: 1,
      allowedDecrease: 1,
      dependence: 'independent',
      ...(boundary === undefined ? {} : { boundary }),
    }).classification;

  test.each([
    // shift, z, then the classification at boundaries 2.326 (98 %, the default), 3, 4, 5 and MAX_BOUNDARY
    [4, 2.43, ['Pass', 'Pass', 'Pass', 'Pass', 'Pass']],
    [5, 2.959, ['High', 'Pass', 'Pass', 'Pass', 'Pass']],
    [8, 4.229, ['High', 'High', 'Pass', 'Pass', 'Pass']],
    [25, 7.693, ['High', 'High', 'High', 'High', 'Pass']],
  ])('canary + %d (z %d)', (shift, _z, expected) => {
    expect([2.326_348, 3, 4, 5, MAX_BOUNDARY].map((boundary) => judge(shift, boundary))).toEqual(expected);
    expect(judge(shift, undefined)).toBe(expected[0]);
  });

  test('an interval at the boundary is wider the higher the boundary', () => {
    const at = (boundary: number) =>
      judgeMetric(baseline, canary(8), {
        direction: 'either',
        allowedIncrease: 1,
        allowedDecrease: 1,
        dependence: 'independent',
        boundary,
      });
    const [narrow, wide] = [at(2.326_348), at(4)];
    expect((wide.upper ?? 0) - (wide.lower ?? 0)).toBeGreaterThan((narrow.upper ?? 0) - (narrow.lower ?? 0));
    expect(at(MAX_BOUNDARY).lower).toBe(Number.NEGATIVE_INFINITY);
  });
});

describe('whole analyses of seeded simulated canaries (three typical metrics, 50 canaries per condition)', () => {
  // A few seconds of simulation: the rates themselves, over 2,000 canaries each with their intervals, are
  // the bench's (npm run bench -- canary-analyze). Here the same canaries judged by the default plan and by
  // the plan it replaced must fall on either side of bounds that the default meets with room to spare.
  type Run = { durationMs: number; rounds: number; failed: Record<string, number> };
  const CANARIES = 50;
  let runs: Record<string, Run>;
  beforeAll(() => {
    const script = fileURLToPath(new URL('simulated-plan.ts', import.meta.url));
    const result = spawnSync(node24, [script, String(CANARIES), '1', 'default', 'fixed:10m'], {
      encoding: 'utf8',
      timeout: 120_000,
    });
    if (result.status !== 0) throw new Error(`simulated-plan failed: ${result.stderr}`);
    runs = JSON.parse(result.stdout) as Record<string, Run>;
  }, 130_000);
  /** At most 1 of 50 healthy canaries failed, at least 48 with 2x errors, 49 with +30 % latency, 45 with +15 %. */
  const meetsBounds = ({ failed }: Run): boolean =>
    (failed['healthy'] ?? CANARIES) <= 1 &&
    (failed['errors2x'] ?? 0) >= 48 &&
    (failed['latency30'] ?? 0) >= 49 &&
    (failed['latency15'] ?? 0) >= 45;

  test('the default plan: 20 rounds of a minute, within the bounds', () => {
    const defaults = runs['default'] as Run;
    expect(defaults).toMatchObject({ durationMs: 1_200_000, rounds: 20 });
    expect(Object.keys(defaults.failed)).toEqual(['healthy', 'errors2x', 'latency30', 'latency15']);
    expect(meetsBounds(defaults)).toBe(true);
  });

  test('the plan it replaced (98 % every round of 10 minutes) misses the same bounds', () => {
    expect(runs['fixed:10m']).toMatchObject({ durationMs: 600_000, rounds: 10 });
    expect(meetsBounds(runs['fixed:10m'] as Run)).toBe(false);
  });
});
