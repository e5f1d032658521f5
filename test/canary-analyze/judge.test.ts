import {
  judgeMetric,
  roundOffsets,
  scoreMetrics,
  type JudgeOptions,
  type ScoredMetric,
} from '@shiprail/canary-analyze';

const options = (overrides: Partial<JudgeOptions> = {}): JudgeOptions => ({
  direction: 'either',
  allowedIncrease: 1,
  allowedDecrease: 1,
  ...overrides,
});

/** Values around `center` with a fixed spread, in a shuffled order. */
const around = (center: number, count = 40, spread = 0.1): number[] =>
  Array.from({ length: count }, (_, index) => center * (1 + spread * Math.sin(index * 2.3)));

describe('judgeMetric', () => {
  test.each([
    ['no canary data', [1, 2, 3], [], 'NoData', /no data for the canary/],
    ['no baseline data', [], [1, 2], 'NoData', /no data for the baseline/],
    ['only NaN on the canary (removed)', [1, 2, 3], [Number.NaN, Number.NaN], 'NoData', /canary/],
    ['identical data in another order', [1, 2, 3, 4], [4, 3, 2, 1], 'Pass', /identical/],
    ['every value the same', [5, 5, 5], [5, 5], 'Pass', /same/],
    [
      'same distribution',
      around(100),
      around(100)
        .reverse()
        .map((v) => v + 0.01),
      'Pass',
      /no significant/,
    ],
    ['canary twice as high', around(100), around(200), 'High', /canary higher/],
    ['canary half as high', around(100), around(50), 'Low', /canary lower/],
  ])('%s', (_name, baseline, canary, classification, reason) => {
    const judgement = judgeMetric(baseline, canary, options());
    expect(judgement.classification).toBe(classification);
    expect(judgement.reason).toMatch(reason);
  });

  test('NaN and infinite samples are removed and counted', () => {
    const judgement = judgeMetric([1, Number.NaN, 2, 3], [Number.POSITIVE_INFINITY, 1, 2, 3.5], options());
    expect(judgement.baseline).toMatchObject({ count: 3, removed: 1, median: 2 });
    expect(judgement.canary).toMatchObject({ count: 3, removed: 1, median: 2 });
  });

  test.each([
    ['increase', around(200), 'High'],
    ['increase', around(50), 'Pass'],
    ['decrease', around(200), 'Pass'],
    ['decrease', around(50), 'Low'],
    ['either', around(50), 'Low'],
  ] as const)('direction %s: a canary at %#', (direction, canary, classification) => {
    expect(judgeMetric(around(100), canary, options({ direction })).classification).toBe(classification);
  });

  test('the effect size gates a significant change: allowedIncrease 2.5 tolerates a doubling', () => {
    const judgement = judgeMetric(around(100), around(200), options({ allowedIncrease: 2.5 }));
    expect(judgement.classification).toBe('Pass');
    expect(judgement.ratio).toBeCloseTo(2, 1);
    expect(judgeMetric(around(100), around(200), options({ allowedIncrease: 1.9 })).classification).toBe('High');
  });

  test('the mean ratio is undefined when a mean is 0, and then does not gate', () => {
    const judgement = judgeMetric(new Array<number>(30).fill(0), around(1, 30), options({ allowedIncrease: 5 }));
    expect(judgement.ratio).toBeNaN();
    expect(judgement.classification).toBe('High');
  });

  test('a change inside the tolerance band passes: the interval must clear ±25 % of the estimate', () => {
    // Tiny shift relative to spread: the interval straddles 0.
    const judgement = judgeMetric(around(100, 40, 0.3), around(101, 40, 0.3), options());
    expect(judgement.classification).toBe('Pass');
    expect(judgement.lower).toBeLessThan(0);
  });

  test.each([
    [{ max: 0.05 }, around(0.06), 'High', /above max 0.05/],
    [{ max: 0.05 }, around(0.04), 'Pass', /no significant/],
    [{ min: 0.99 }, around(0.98, 40, 0.001), 'Low', /below min 0.99/],
  ])('absolute limits like Flagger: %p', (limits, canary, classification, reason) => {
    // The baseline sits on the same level, so only the limit can fail the canary.
    const judgement = judgeMetric(
      canary.map((value) => value * 1.0001),
      canary,
      options(limits),
    );
    expect(judgement.classification).toBe(classification);
    expect(judgement.reason).toMatch(reason);
  });

  test('the statistics are reported for the canary against the baseline', () => {
    const judgement = judgeMetric(around(100), around(200), options());
    expect(judgement.u).toBe(40 * 40);
    expect(judgement.pValue).toBeLessThan(1e-10);
    expect(judgement.estimate).toBeGreaterThan(80);
    expect(judgement.lower).toBeLessThan(judgement.estimate ?? 0);
  });
});

const metric = (
  name: string,
  classification: ScoredMetric['classification'],
  extra: Partial<ScoredMetric> = {},
): ScoredMetric => ({
  name,
  classification,
  weight: 1,
  critical: false,
  ...extra,
});
const thresholds = { pass: 95, marginal: 75 };

describe('scoreMetrics', () => {
  test.each([
    ['all pass', [metric('a', 'Pass'), metric('b', 'Pass')], 'pass', 100],
    ['one of two fails', [metric('a', 'Pass'), metric('b', 'High')], 'fail', 50],
    ['weights: 4 of 5 pass', [metric('a', 'Pass', { weight: 4 }), metric('b', 'Low')], 'marginal', 80],
    [
      'exactly the pass score passes',
      [...Array.from({ length: 19 }, (_, i) => metric(`m${i}`, 'Pass')), metric('x', 'High')],
      'pass',
      95,
    ],
    [
      'exactly the marginal score is marginal',
      [metric('a', 'Pass', { weight: 3 }), metric('b', 'High')],
      'marginal',
      75,
    ],
    [
      'a critical failure is 0',
      [metric('a', 'Pass', { weight: 9 }), metric('b', 'High', { critical: true })],
      'fail',
      0,
    ],
    [
      'no data is left out of the score',
      [metric('a', 'Pass'), metric('b', 'Pass'), metric('c', 'NoData')],
      'pass',
      100,
    ],
    ['half without data is inconclusive', [metric('a', 'Pass'), metric('b', 'NoData')], 'inconclusive', 100],
    ['all without data is inconclusive', [metric('a', 'NoData'), metric('b', 'NoData')], 'inconclusive', 0],
    [
      'a critical metric without data is inconclusive',
      [metric('a', 'Pass'), metric('b', 'Pass'), metric('c', 'NoData', { critical: true })],
      'inconclusive',
      100,
    ],
    [
      'a query error is inconclusive',
      [metric('a', 'Pass'), metric('b', 'Pass'), metric('c', 'Error', { error: 'rejected' })],
      'inconclusive',
      100,
    ],
    [
      'a critical failure beats missing data',
      [metric('a', 'NoData'), metric('b', 'Low', { critical: true })],
      'fail',
      0,
    ],
    ['no metrics at all is inconclusive', [], 'inconclusive', 0],
  ] as const)('%s', (_name, metrics, decision, score) => {
    const verdict = scoreMetrics(metrics, thresholds);
    expect(verdict).toMatchObject({ decision, score });
    expect(verdict.reason.length).toBeGreaterThan(5);
  });

  test("the README's worked example: 75 is marginal; a critical failure is 0; two without data are inconclusive", () => {
    const example = (errorRate: ScoredMetric['classification'], p50: ScoredMetric['classification']) => [
      metric('error-rate', errorRate, { weight: 2, critical: true }),
      metric('latency-p50', p50),
      metric('latency-p99', 'High'),
      metric('cpu', 'NoData'),
    ];
    expect(scoreMetrics(example('Pass', 'Pass'), thresholds)).toMatchObject({ decision: 'marginal', score: 75 });
    expect(scoreMetrics(example('High', 'Pass'), thresholds)).toMatchObject({ decision: 'fail', score: 0 });
    expect(scoreMetrics(example('Pass', 'NoData'), thresholds)).toMatchObject({ decision: 'inconclusive' });
  });

  test('the reason names what failed', () => {
    expect(scoreMetrics([metric('a', 'Pass'), metric('latency', 'High')], thresholds).reason).toMatch(/latency High/);
    expect(scoreMetrics([metric('errors', 'High', { critical: true })], thresholds).reason).toMatch(
      /critical metric errors/,
    );
    expect(scoreMetrics([metric('a', 'Error', { error: 'connection refused' })], thresholds).reason).toMatch(
      /connection refused/,
    );
  });
});

describe('roundOffsets', () => {
  test.each([
    [0, 60_000, [0]],
    [600_000, 60_000, [60_000, 120_000, 180_000, 240_000, 300_000, 360_000, 420_000, 480_000, 540_000, 600_000]],
    [150_000, 60_000, [60_000, 120_000, 150_000]],
    [30_000, 60_000, [30_000]],
  ])('duration %p, interval %p', (duration, interval, expected) => {
    expect(roundOffsets(duration, interval)).toEqual(expected);
  });
});
