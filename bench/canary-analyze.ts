// Two measurements of the judge.
// 1. Decisions on simulated canaries whose truth is known (test/canary-analyze/simulation.ts):
//    per query shape, how often a healthy canary is judged not to pass (false alarms) and how often a
//    degraded one fails (detection), one 30-minute round at step 15 s, for the judge as it ships (the
//    samples' dependence counted), for Kayenta's rule (every sample independent), for the alternatives
//    that were measured before choosing (one sample per window; the window alone; the autocorrelation
//    alone), and for Flagger's rule on the three typical metrics.
// 2. The time to judge 10 metrics of 2 x 100,000 samples, against sorting the same samples once.
import { InputParser } from '@shiprail/core';
import {
  CONFIDENCE,
  SPENDING,
  autocorrelationTime,
  judgeMetric,
  parseInputs,
  queryMemoryMs,
  scoreMetrics,
  sequentialBoundaries,
  type JudgeOptions,
  type SpendingFunction,
} from '@shiprail/canary-analyze';
import {
  DEFAULT_PROFILE,
  HEALTHY,
  QUERY_SHAPES,
  TYPICAL_METRICS,
  seededRandom,
  simulateCanary,
  type Degradation,
  type QueryShape,
  type SimulatedCanary,
} from '../test/canary-analyze/simulation.ts';
import { median } from './lib/timing.ts';

const CANARIES = Number(process.env['CANARIES'] ?? 200);
const MINUTES = 30;
const STEP_MS = DEFAULT_PROFILE.scrapeMs;
const DEGRADATIONS: Record<string, Degradation> = {
  '2x errors': { errorFactor: 2, latencyFactor: 1 },
  '+30 % latency': { errorFactor: 1, latencyFactor: 1.3 },
  '+15 % latency': { errorFactor: 1, latencyFactor: 1.15 },
};

/** A rule that classifies one metric from both sides' samples in time order: true when it alarms. */
type Rule = (baseline: number[], canary: number[], shape: QueryShape) => boolean;

const options = (shape: QueryShape, extra: Partial<JudgeOptions>): JudgeOptions => ({
  direction: 'either',
  allowedIncrease: 1,
  allowedDecrease: 1,
  samplesPerWindow: queryMemoryMs(shape.query) / STEP_MS,
  ...extra,
});
const alarms = (classification: string): boolean => classification === 'High' || classification === 'Low';

/** Every n-th sample, counted back from the last. */
const thin = (values: number[], every: number): number[] =>
  values.filter((_, index) => (values.length - 1 - index) % every === 0);

const judged =
  (extra: Partial<JudgeOptions>, every?: (shape: QueryShape) => number): Rule =>
  (baseline, canary, shape) => {
    const n = every?.(shape) ?? 1;
    return alarms(judgeMetric(thin(baseline, n), thin(canary, n), options(shape, extra)).classification);
  };

const RULES: Record<string, Rule> = {
  shipped: judged({}),
  'Kayenta (independent)': judged({ dependence: 'independent' }),
  'one per window': judged({ dependence: 'independent' }, (shape) =>
    Math.max(1, Math.round(queryMemoryMs(shape.query) / STEP_MS)),
  ),
  'window only': judged({ dependence: 'window' }),
  'autocorrelation only': judged({ dependence: 'autocorrelation' }),
};

const percent = (count: number, total: number): string => `${((100 * count) / total).toFixed(1)} %`.padStart(8);

function simulate(condition: Degradation, shapes: readonly QueryShape[], seedBase: number): SimulatedCanary[] {
  return Array.from({ length: CANARIES }, (_, index) => simulateCanary(seedBase + index, shapes, condition, MINUTES));
}

const started = performance.now();
const healthy = simulate(HEALTHY, QUERY_SHAPES, 1_000_000);
const degraded = Object.fromEntries(
  Object.entries(DEGRADATIONS).map(([name, condition], index) => [
    name,
    simulate(condition, QUERY_SHAPES, 2_000_000 + index * 100_000),
  ]),
);
console.log(
  `${CANARIES} healthy and ${CANARIES} degraded canaries per condition, one ${MINUTES}-minute round at step 15 s ` +
    `(${Math.round((MINUTES * 60_000) / STEP_MS) + 1} samples per side); simulated in ${((performance.now() - started) / 1000).toFixed(1)} s`,
);

const ruleNames = Object.keys(RULES);
console.log('');
console.log('False alarms on healthy canaries (a metric judged High or Low), per query shape and rule:');
console.log(
  `${'shape'.padEnd(52)} ${'τ̂ (median)'.padStart(10)} ${ruleNames.map((name) => name.padStart(20)).join('')}`,
);
for (const [index, shape] of QUERY_SHAPES.entries()) {
  const taus = healthy
    .map((canary) => autocorrelationTime([canary.baseline[index] ?? [], canary.canary[index] ?? []]))
    .sort((a, b) => a - b);
  const row = ruleNames.map((name) => {
    const rule = RULES[name] as Rule;
    const count = healthy.filter((canary) =>
      rule(canary.baseline[index] ?? [], canary.canary[index] ?? [], shape),
    ).length;
    return percent(count, CANARIES).padStart(20);
  });
  console.log(
    `${shape.name.padEnd(52)} ${(taus[Math.floor(taus.length / 2)] ?? 0).toFixed(1).padStart(10)} ${row.join('')}`,
  );
}

console.log('');
console.log('Detection of degraded canaries (the metric judged High), per query shape and rule:');
for (const [condition, canaries] of Object.entries(degraded)) {
  const kind = condition.includes('errors') ? 'errors' : 'latency';
  console.log(`-- ${condition}`);
  for (const [index, shape] of QUERY_SHAPES.entries()) {
    if (shape.kind !== kind) continue;
    const row = ruleNames.map((name) => {
      const rule = RULES[name] as Rule;
      const count = canaries.filter((canary) =>
        rule(canary.baseline[index] ?? [], canary.canary[index] ?? [], shape),
      ).length;
      return percent(count, CANARIES).padStart(20);
    });
    console.log(`${shape.name.padEnd(52)} ${''.padStart(10)} ${row.join('')}`);
  }
}

// The three typical metrics judged together, as a round of the action scores them (pass-score 95).
const TRIO = TYPICAL_METRICS.map((shape) => QUERY_SHAPES.indexOf(shape));
const FLAGGER_SHAPES = ['error ratio, rate[1m]', 'latency p95, rate[1m]', 'latency mean, rate[1m]'].map((name) =>
  QUERY_SHAPES.findIndex((shape) => shape.name === name),
);

function actionDecision(canary: SimulatedCanary, dependence: JudgeOptions['dependence']): string {
  const metrics = TRIO.map((index) => {
    const shape = QUERY_SHAPES[index] as QueryShape;
    const judgement = judgeMetric(
      canary.baseline[index] ?? [],
      canary.canary[index] ?? [],
      options(shape, { dependence }),
    );
    return { name: shape.name, classification: judgement.classification, weight: 1, critical: false };
  });
  return scoreMetrics(metrics, { pass: 95, marginal: 75 }).decision;
}

/**
 * Flagger's documented analysis: every `interval` (1m) each metric's query over [1m] is checked against
 * its thresholdRange; a check where any metric is out of range counts one failed check, and the canary
 * is rolled back when failed checks reach `threshold` (5). Thresholds as a team would tune them on this
 * service: error ratio at most 1.5 % (1.5 x the 1 % the stable version shows), p95 and mean latency at
 * most 10 % above the stable version's own median over the round.
 */
function flaggerDecision(canary: SimulatedCanary): string {
  const limits = FLAGGER_SHAPES.map((index, position) =>
    position === 0 ? 1.5 * DEFAULT_PROFILE.errorRate : 1.1 * median(canary.baseline[index] ?? []),
  );
  let failed = 0;
  const samples = canary.canary[0]?.length ?? 0;
  for (let minute = 1; (minute * 60_000) / STEP_MS < samples; minute += 1) {
    const at = (minute * 60_000) / STEP_MS;
    if (FLAGGER_SHAPES.some((index, position) => (canary.canary[index]?.[at] ?? 0) > (limits[position] ?? 0))) {
      failed += 1;
    }
    if (failed >= 5) return 'fail';
  }
  return 'pass';
}

const DECIDERS: Record<string, (canary: SimulatedCanary) => string> = {
  shipped: (canary) => actionDecision(canary, undefined),
  'Kayenta (independent)': (canary) => actionDecision(canary, 'independent'),
  'Flagger (thresholds)': flaggerDecision,
};
console.log('');
console.log(`The three typical metrics together (${TYPICAL_METRICS.map((shape) => shape.name).join('; ')}):`);
console.log(
  `${'canaries'.padEnd(40)} ${Object.keys(DECIDERS)
    .map((name) => name.padStart(24))
    .join('')}`,
);
const trioRow = (label: string, canaries: SimulatedCanary[], counts: (decision: string) => boolean): void => {
  const row = Object.values(DECIDERS).map((decide) =>
    percent(canaries.filter((canary) => counts(decide(canary))).length, CANARIES).padStart(24),
  );
  console.log(`${label.padEnd(40)} ${row.join('')}`);
};
trioRow('healthy: false alarms (not pass)', healthy, (decision) => decision !== 'pass');
for (const [condition, canaries] of Object.entries(degraded)) {
  trioRow(`${condition}: detected (fail)`, canaries, (decision) => decision === 'fail');
}

// Rounds as the action runs them: every `interval` over all samples since the start, stopping at the
// first failing round; a canary fails when any round fails it. Each plan is a duration, an interval and
// how a round's interval is placed: at 98 % every round (the rule before the sequential boundaries), or
// at the round's boundary of a Lan-DeMets spending function that spends 2 % over the whole analysis.
interface RoundPlan {
  minutes: number;
  interval: number;
  spending?: SpendingFunction;
}
const ROUND_PLANS: RoundPlan[] = [
  { minutes: 10, interval: 1 },
  { minutes: 10, interval: 1, spending: 'pocock' },
  { minutes: 10, interval: 1, spending: 'obrien-fleming' },
  { minutes: 15, interval: 1, spending: 'obrien-fleming' },
  { minutes: 20, interval: 1 },
  { minutes: 20, interval: 1, spending: 'pocock' },
  { minutes: 20, interval: 1, spending: 'obrien-fleming' },
  { minutes: 30, interval: 3 },
  { minutes: 30, interval: 1 },
  { minutes: 30, interval: 1, spending: 'obrien-fleming' },
];
/** The action's defaults as its inputs read them, so that the row marked as the defaults is theirs. */
const DEFAULTS = parseInputs(
  new InputParser(
    (name) =>
      ({
        'prometheus-url': 'http://127.0.0.1:9090',
        metrics: 'canary.yml',
        baseline: 'track="stable"',
        canary: 'track="canary"',
      })[name] ?? '',
    () => undefined,
  ),
);
const planLabel = ({ minutes, interval, spending }: RoundPlan): string => {
  const rule = spending === undefined ? '98 % every round' : spending === 'pocock' ? 'Pocock' : "O'Brien-Fleming";
  const defaults =
    minutes * 60_000 === DEFAULTS.duration && interval * 60_000 === DEFAULTS.interval && spending === SPENDING;
  const before = minutes === 10 && interval === 1 && spending === undefined;
  return `${defaults ? 'defaults: ' : before ? 'old defaults: ' : ''}${minutes}m / ${interval}m, ${rule}`;
};
const ROUND_CANARIES = Number(process.env['ROUND_CANARIES'] ?? 2000);
const LONGEST = Math.max(...ROUND_PLANS.map((plan) => plan.minutes));

/** The minute of the first failing round of a plan, or undefined when every round passes. */
function failingMinute(canary: SimulatedCanary, plan: RoundPlan, boundaries: readonly number[]): number | undefined {
  for (let round = 1; round * plan.interval <= plan.minutes; round += 1) {
    const elapsed = round * plan.interval;
    const count = (elapsed * 60_000) / STEP_MS + 1;
    // The canaries of this section hold the typical metrics only, in their order.
    const metrics = TYPICAL_METRICS.map((shape, index) => {
      const judgement = judgeMetric(
        (canary.baseline[index] ?? []).slice(0, count),
        (canary.canary[index] ?? []).slice(0, count),
        options(shape, plan.spending ? { boundary: boundaries[round - 1] } : {}),
      );
      return { name: shape.name, classification: judgement.classification, weight: 1, critical: false };
    });
    if (scoreMetrics(metrics, { pass: 95, marginal: 75 }).decision === 'fail') return elapsed;
  }
  return undefined;
}

/** The Wilson score interval (95 %) of a proportion, in percent. */
function wilson(count: number, total: number): [number, number] {
  const z = 1.959_964;
  const p = count / total;
  const centre = (p + (z * z) / (2 * total)) / (1 + (z * z) / total);
  const half = (z / (1 + (z * z) / total)) * Math.sqrt((p * (1 - p)) / total + (z * z) / (4 * total * total)) || 0;
  return [100 * Math.max(0, centre - half), 100 * Math.min(1, centre + half)];
}
const rate = (count: number, total: number): string => {
  const [low, high] = wilson(count, total);
  return `${((100 * count) / total).toFixed(1)} % [${low.toFixed(1)}, ${high.toFixed(1)}]`;
};

console.log('');
console.log(
  `Every round of an analysis, the three typical metrics, ${ROUND_CANARIES} canaries per condition ` +
    `(a canary fails when any round fails it; [95 % Wilson interval]; minutes: median time to the failing round):`,
);
const roundStarted = performance.now();
const roundCanaries: Record<string, SimulatedCanary[]> = Object.fromEntries(
  Object.entries({ healthy: HEALTHY, ...DEGRADATIONS }).map(([name, condition], index) => [
    name,
    Array.from({ length: ROUND_CANARIES }, (_, offset) =>
      simulateCanary(5_000_000 + index * 100_000 + offset, TYPICAL_METRICS, condition, LONGEST),
    ),
  ]),
);
const conditionNames = Object.keys(roundCanaries);
console.log(
  `${'plan'.padEnd(42)}${conditionNames.map((name) => `${name} fail`.padStart(24)).join('')}${'minutes'.padStart(18)}`,
);
for (const plan of ROUND_PLANS) {
  const rounds = plan.minutes / plan.interval;
  const fractions = Array.from({ length: rounds }, (_, index) => (index + 1) / rounds);
  const boundaries = plan.spending ? sequentialBoundaries(fractions, 1 - CONFIDENCE, plan.spending) : [];
  const minutes: number[] = [];
  const cells = conditionNames.map((name) => {
    const failed = (roundCanaries[name] ?? [])
      .map((canary) => failingMinute(canary, plan, boundaries))
      .filter((minute): minute is number => minute !== undefined);
    if (name !== 'healthy') minutes.push(...failed);
    return rate(failed.length, ROUND_CANARIES).padStart(24);
  });
  console.log(`${planLabel(plan).padEnd(42)}${cells.join('')}${String(median(minutes)).padStart(18)}`);
}
console.log(`(${((performance.now() - roundStarted) / 1000).toFixed(0)} s)`);

// Judge time: 10 metrics of 2 x 100,000 samples.
const METRICS = 10;
const SAMPLES = 100_000;

/** Latency-like samples: log-normal-ish, with repeated values as real rates have. */
function samples(seed: number, scale: number): number[] {
  const random = seededRandom(seed);
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
  console.log(`${label.padEnd(66)} ${best.toFixed(1).padStart(8)} ms`);
  return { ms: best, result: result as T };
}

console.log('');
console.log(`${METRICS} metrics x 2 x ${SAMPLES.toLocaleString('en')} samples (best of 3)`);
const sorting = time('baseline: sort every sample once (Float64Array)', () =>
  data.map(({ baseline, canary }) => [Float64Array.from(baseline).sort(), Float64Array.from(canary).sort()]),
);
const judging = time('judge all metrics (dependence, U, p, 98 % interval, estimate, ratio)', () =>
  data.map(({ baseline, canary }) =>
    judgeMetric(baseline, canary, { direction: 'either', allowedIncrease: 1, allowedDecrease: 1, samplesPerWindow: 4 }),
  ),
);
const independent = time('judge all metrics as Kayenta would (samples independent)', () =>
  data.map(({ baseline, canary }) =>
    judgeMetric(baseline, canary, {
      direction: 'either',
      allowedIncrease: 1,
      allowedDecrease: 1,
      dependence: 'independent',
    }),
  ),
);
console.log(
  `ratio judge / sort: ${(judging.ms / sorting.ms).toFixed(1)}x; per metric: ${(judging.ms / METRICS).toFixed(1)} ms; ` +
    `counting the dependence costs ${(judging.ms - independent.ms).toFixed(1)} ms in all`,
);
console.log(`classifications: ${judging.result.map((judgement) => judgement.classification).join(' ')}`);
