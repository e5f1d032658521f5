// Samples of overlapping range windows are not independent: the judge counts what they are worth.
// Seeded simulations of scraped services (per-request errors, log-normal latencies, 150-250 requests
// per 15 s) show Kayenta's rule (every sample independent) raising false alarms on healthy canaries,
// and the shipped judge keeping them at most 1 in 100 while still failing degraded canaries.
import {
  autocorrelationTime,
  judgeMetric,
  mannWhitneySorted,
  parsePromQLDuration,
  queryMemoryMs,
  type JudgeOptions,
} from '@shiprail/canary-analyze';
import { HEALTHY, QUERY_SHAPES, TYPICAL_METRICS, seededRandom, simulateCanary, type QueryShape } from './simulation.ts';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { node24 } from '@shiprail/testkit';

const STEP_MS = 15_000;

describe('queryMemoryMs: the data behind one sample, read from the PromQL', () => {
  test.each([
    ['sum(rate(http_requests_total{ {{selector}} }[2m]))', 120_000],
    ['sum(rate(a{x="1"}[1m])) / sum(rate(b{x="1"}[5m]))', 300_000],
    ['sum(increase(a[1h30m]))', 5_400_000],
    ['histogram_quantile(0.95, sum by (le) (rate(a_bucket[1m])))', 60_000],
    ['sum(irate(a[5m]))', 0],
    ['max(last_over_time(a[10m]))', 0],
    ['avg_over_time(rate(a[1m])[5m:15s])', 360_000],
    ['max_over_time(irate(a[1m])[5m:])', 300_000],
    ['sum(a{code=~"5[0-9]{2}"})', 0],
    ["sum(rate(a{path='/x[1m]'}[30s]))", 30_000],
    ['avg(process_resident_memory_bytes)', 0],
  ])('%s -> %d ms', (query, expected) => {
    expect(queryMemoryMs(query)).toBe(expected);
  });

  test.each([
    ['5m', 300_000],
    ['250ms', 250],
    ['1h30m', 5_400_000],
    ['1w', 604_800_000],
    ['5', undefined],
    ['m5', undefined],
    ['0-9', undefined],
  ])('parsePromQLDuration(%s)', (text, expected) => {
    expect(parsePromQLDuration(text)).toBe(expected);
  });
});

describe('the variance factor of the test', () => {
  test.each([1, 4, 8, 20])('factor %d divides the deviate by its square root and widens the interval', (factor) => {
    const x = Float64Array.from({ length: 60 }, (_, index) => 10 + Math.sin(index * 2.3) + index * 0.01).sort();
    const y = Float64Array.from({ length: 60 }, (_, index) => 10.4 + Math.sin(index * 1.7)).sort();
    const plain = mannWhitneySorted(x, y, 0.98);
    const widened = mannWhitneySorted(x, y, 0.98, factor);
    expect(widened.u).toBe(plain.u);
    expect(widened.z).toBeCloseTo(plain.z / Math.sqrt(factor), 10);
    expect(widened.upper - widened.lower).toBeGreaterThanOrEqual(plain.upper - plain.lower);
    if (factor > 1) expect(widened.pValue).toBeGreaterThan(plain.pValue);
  });
});

describe('autocorrelationTime', () => {
  const random = seededRandom(7);
  const noise = Array.from({ length: 4000 }, () => random() - 0.5);
  /** Moving sums of `width` values: the autocorrelation of a rate over a window of `width` steps. */
  const movingSum = (width: number): number[] =>
    noise.slice(width).map((_, index) => noise.slice(index, index + width).reduce((a, b) => a + b, 0));

  test.each([
    ['independent samples', noise, 1, 1.2],
    ['a window of 4 steps', movingSum(4), 3.2, 4.8],
    ['a window of 8 steps', movingSum(8), 6.5, 9.5],
    ['a window of 20 steps', movingSum(20), 16, 24],
  ])('%s', (_name, values, low, high) => {
    const tau = autocorrelationTime([values]);
    expect(tau).toBeGreaterThanOrEqual(low);
    expect(tau).toBeLessThanOrEqual(high);
  });

  test.each([
    ['too short to tell', [[1, 2, 3]]],
    ['constant', [new Array<number>(40).fill(3)]],
    ['nothing', []],
  ])('%s: 1', (_name, series) => {
    expect(autocorrelationTime(series)).toBe(1);
  });
});

describe('seeded simulations: one 30-minute round at step 15 s, 100 canaries per condition', () => {
  type Tally = Record<'shipped' | 'kayenta', Record<string, { pass: number; fail: number }>>;
  let tally: Tally;
  beforeAll(() => {
    const script = fileURLToPath(new URL('simulated-decisions.ts', import.meta.url));
    const run = spawnSync(node24, [script, '100', '1'], { encoding: 'utf8', timeout: 120_000 });
    if (run.status !== 0) throw new Error(`simulated-decisions failed: ${run.stderr}`);
    tally = JSON.parse(run.stdout) as Tally;
  }, 150_000);

  test("healthy canaries: Kayenta's rule fails many, the shipped judge passes at least 99 in 100", () => {
    expect(tally.kayenta['healthy']?.pass).toBeLessThan(80);
    expect(tally.shipped['healthy']?.pass).toBeGreaterThanOrEqual(99);
  });

  test.each([
    ['2x the error rate', 'errors2x', 99],
    ['+30 % latency', 'latency30', 99],
    ['+15 % latency', 'latency15', 80],
  ])('%s (%s) fails at least %d times in 100', (_name, condition, atLeast) => {
    expect(tally.shipped[condition]?.fail).toBeGreaterThanOrEqual(atLeast);
  });
});

describe('the judgement of one simulated canary', () => {
  const canary = simulateCanary(42, TYPICAL_METRICS, HEALTHY, 30);
  const options = (shape: QueryShape, dependence: JudgeOptions['dependence']): JudgeOptions => ({
    direction: 'either',
    allowedIncrease: 1,
    allowedDecrease: 1,
    samplesPerWindow: queryMemoryMs(shape.query) / STEP_MS,
    dependence,
  });

  test('reports the dependence and the effective sample size, and widens the interval', () => {
    const shape = TYPICAL_METRICS[2] as QueryShape;
    expect(shape.query).toContain('[5m]');
    const judgement = judgeMetric(canary.baseline[2] ?? [], canary.canary[2] ?? [], options(shape, undefined));
    expect(judgement.baseline.count).toBe(121);
    expect(judgement.dependence?.samplesPerWindow).toBe(20);
    expect(judgement.dependence?.factor).toBeGreaterThanOrEqual(20);
    expect(judgement.dependence?.effective.baseline).toBeCloseTo(121 / (judgement.dependence?.factor ?? 1), 1);
    const independent = judgeMetric(canary.baseline[2] ?? [], canary.canary[2] ?? [], options(shape, 'independent'));
    expect(independent.dependence?.factor).toBe(1);
    expect((judgement.upper ?? 0) - (judgement.lower ?? 0)).toBeGreaterThan(
      (independent.upper ?? 0) - (independent.lower ?? 0),
    );
  });

  test('every measured query shape reads its window from its PromQL as the simulation evaluates it', () => {
    for (const shape of QUERY_SHAPES) {
      expect([shape.name, queryMemoryMs(shape.query) / STEP_MS]).toEqual([
        shape.name,
        shape.name.includes('irate') && !shape.name.includes('over_time') ? 0 : shape.memory,
      ]);
    }
  });
});
