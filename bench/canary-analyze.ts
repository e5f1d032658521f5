// Judging 10 metrics of 2 x 100,000 samples each (Mann-Whitney with interval and Hodges-Lehmann
// estimate, as a round of canary-analyze does), against a baseline measured in the same run: sorting
// the same samples once, the least any rank test has to do.
import { judgeMetric } from '@shiprail/canary-analyze';

const METRICS = 10;
const SAMPLES = 100_000;

/** Deterministic, so runs compare. */
function generator(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state ^ (state >>> 15), 0x2c1b_3c6d) + 0x6d2b_79f5) >>> 0;
    return state / 2 ** 32;
  };
}

/** Latency-like samples: log-normal-ish, with repeated values as real rates have. */
function samples(seed: number, scale: number): number[] {
  const random = generator(seed);
  return Array.from({ length: SAMPLES }, () => Math.round(scale * Math.exp(random() + random() - 1) * 1000) / 1000);
}

const data = Array.from({ length: METRICS }, (_, index) => ({
  baseline: samples(index * 2 + 1, 0.1),
  // Half the metrics shifted by 2 %, half the same distribution.
  canary: samples(index * 2 + 2, index % 2 === 0 ? 0.102 : 0.1),
}));

function time<T>(label: string, body: () => T, repeats = 3): { ms: number; result: T } {
  let best = Number.POSITIVE_INFINITY;
  let result: T | undefined;
  for (let run = 0; run < repeats; run += 1) {
    globalThis.gc?.();
    const started = performance.now();
    result = body();
    best = Math.min(best, performance.now() - started);
  }
  console.log(`${label.padEnd(58)} ${best.toFixed(1).padStart(8)} ms`);
  return { ms: best, result: result as T };
}

console.log(`${METRICS} metrics x 2 x ${SAMPLES.toLocaleString('en')} samples (best of 3)`);
const sorting = time('baseline: sort every sample once (Float64Array)', () =>
  data.map(({ baseline, canary }) => [Float64Array.from(baseline).sort(), Float64Array.from(canary).sort()]),
);
const judging = time('judge all metrics (U, p, 98 % interval, estimate, ratio)', () =>
  data.map(({ baseline, canary }) =>
    judgeMetric(baseline, canary, { direction: 'either', allowedIncrease: 1, allowedDecrease: 1 }),
  ),
);
console.log(
  `ratio judge / sort: ${(judging.ms / sorting.ms).toFixed(1)}x; per metric: ${(judging.ms / METRICS).toFixed(1)} ms`,
);
console.log(`classifications: ${judging.result.map((judgement) => judgement.classification).join(' ')}`);
