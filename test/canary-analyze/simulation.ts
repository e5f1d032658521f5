// A model of a service scraped by Prometheus, to measure the judge on canaries whose truth is known:
// per-request errors and log-normal latencies, counted into the counters and histogram buckets that
// Prometheus stores every scrape, then evaluated the way the query shapes people write evaluate them
// (Prometheus 2 semantics: a range [W] at t holds the scrapes in [t - W, t]).

/** Deterministic uniform numbers in [0, 1) (mulberry32), so that every run sees the same canaries. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b_79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export interface TrafficProfile {
  scrapeMs: number;
  /** Requests per scrape, uniform between the two. */
  requestsPerScrape: [number, number];
  errorRate: number;
  latencyMedianSeconds: number;
  /** The standard deviation of log(latency). */
  latencySigma: number;
  /** Histogram bucket bounds (`le`), ascending; +Inf is implied. */
  buckets: readonly number[];
}

/** The service the figures are measured on: 150-250 requests per 15 s, 1 % errors, ~100 ms. */
export const DEFAULT_PROFILE: TrafficProfile = {
  scrapeMs: 15_000,
  requestsPerScrape: [150, 250],
  errorRate: 0.01,
  latencyMedianSeconds: 0.1,
  latencySigma: 0.5,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
};

export interface Degradation {
  errorFactor: number;
  latencyFactor: number;
}

export const HEALTHY: Degradation = { errorFactor: 1, latencyFactor: 1 };

/** Cumulative counters at every scrape, as Prometheus stores them. */
export interface Counters {
  requests: Float64Array;
  errors: Float64Array;
  latencySum: Float64Array;
  /** Per bucket bound (then +Inf): the cumulative count of requests at most that slow. */
  buckets: Float64Array[];
  /** A gauge: the mean latency of the requests of the last scrape interval. */
  latencyGauge: Float64Array;
}

export function simulateCounters(
  random: () => number,
  scrapes: number,
  profile: TrafficProfile,
  degradation: Degradation,
): Counters {
  const bounds = profile.buckets;
  const counters: Counters = {
    requests: new Float64Array(scrapes),
    errors: new Float64Array(scrapes),
    latencySum: new Float64Array(scrapes),
    buckets: Array.from({ length: bounds.length + 1 }, () => new Float64Array(scrapes)),
    latencyGauge: new Float64Array(scrapes),
  };
  const perBucket = new Float64Array(bounds.length + 1);
  const [fewest, most] = profile.requestsPerScrape;
  const errorRate = profile.errorRate * degradation.errorFactor;
  const median = profile.latencyMedianSeconds * degradation.latencyFactor;
  // A request is in the first bucket whose bound its latency does not exceed: compare the normal deviate.
  const deviateBounds = bounds.map((bound) => Math.log(bound / median) / profile.latencySigma);
  const normals = normalPairs(random);
  let requests = 0;
  let errors = 0;
  let latencySum = 0;
  for (let scrape = 0; scrape < scrapes; scrape += 1) {
    const count = fewest + Math.floor(random() * (most - fewest + 1));
    let intervalSum = 0;
    for (let request = 0; request < count; request += 1) {
      if (random() < errorRate) errors += 1;
      const normal = normals();
      intervalSum += median * Math.exp(profile.latencySigma * normal);
      let bucket = 0;
      while (bucket < deviateBounds.length && normal > (deviateBounds[bucket] as number)) bucket += 1;
      perBucket[bucket] = (perBucket[bucket] as number) + 1;
    }
    requests += count;
    latencySum += intervalSum;
    counters.requests[scrape] = requests;
    counters.errors[scrape] = errors;
    counters.latencySum[scrape] = latencySum;
    counters.latencyGauge[scrape] = intervalSum / count;
    let cumulative = 0;
    for (let bucket = 0; bucket <= bounds.length; bucket += 1) {
      cumulative += perBucket[bucket] as number;
      (counters.buckets[bucket] as Float64Array)[scrape] = cumulative;
    }
  }
  return counters;
}

/** Standard normal deviates, both of each Box-Muller pair. */
function normalPairs(random: () => number): () => number {
  let spare = Number.NaN;
  return () => {
    if (!Number.isNaN(spare)) {
      const value = spare;
      spare = Number.NaN;
      return value;
    }
    const radius = Math.sqrt(-2 * Math.log(1 - random()));
    const angle = 2 * Math.PI * random();
    spare = radius * Math.sin(angle);
    return radius * Math.cos(angle);
  };
}

/** What one sample of a query shape is, at scrape `at`, with the step equal to the scrape interval. */
export type ShapeEvaluator = (counters: Counters, at: number, profile: TrafficProfile) => number;

export interface QueryShape {
  name: string;
  /** `errors` shapes are degraded by the error rate, `latency` shapes by the latency. */
  kind: 'errors' | 'latency';
  /** The PromQL people write for it (what the action reads the window from). */
  query: string;
  /** Scrapes of history one sample needs. */
  memory: number;
  evaluate: ShapeEvaluator;
}

const delta = (series: Float64Array, at: number, scrapes: number): number =>
  (series[at] as number) - (series[at - scrapes] as number);

const errorRatio =
  (scrapes: number): ShapeEvaluator =>
  (c, at) =>
    delta(c.errors, at, scrapes) / delta(c.requests, at, scrapes);

const meanLatency =
  (scrapes: number): ShapeEvaluator =>
  (c, at) =>
    delta(c.latencySum, at, scrapes) / delta(c.requests, at, scrapes);

/** histogram_quantile over the bucket increases of the last `scrapes` intervals (linear interpolation). */
const quantile =
  (q: number, scrapes: number): ShapeEvaluator =>
  (c, at, profile) => {
    const total = delta(c.buckets[profile.buckets.length] as Float64Array, at, scrapes);
    const rank = q * total;
    let below = 0;
    let lower = 0;
    for (let bucket = 0; bucket < profile.buckets.length; bucket += 1) {
      const upper = profile.buckets[bucket] as number;
      const count = delta(c.buckets[bucket] as Float64Array, at, scrapes);
      if (count >= rank) return lower + ((upper - lower) * (rank - below)) / Math.max(count - below, 1e-12);
      below = count;
      lower = upper;
    }
    return lower;
  };

/** avg_over_time / max_over_time of an inner shape over `scrapes` + 1 evaluations (a subquery). */
const overTime =
  (inner: ShapeEvaluator, scrapes: number, combine: 'avg' | 'max'): ShapeEvaluator =>
  (c, at, profile) => {
    let total = 0;
    let highest = Number.NEGATIVE_INFINITY;
    for (let back = 0; back <= scrapes; back += 1) {
      const value = inner(c, at - back, profile);
      total += value;
      highest = Math.max(highest, value);
    }
    return combine === 'avg' ? total / (scrapes + 1) : highest;
  };

const gaugeAverage =
  (scrapes: number): ShapeEvaluator =>
  (c, at) => {
    let total = 0;
    for (let back = 0; back <= scrapes; back += 1) total += c.latencyGauge[at - back] as number;
    return total / (scrapes + 1);
  };

const ERRORS =
  'sum(rate(http_requests_total{ {{selector}}, code="500" }[W])) / sum(rate(http_requests_total{ {{selector}} }[W]))';
const MEAN =
  'sum(rate(http_request_duration_seconds_sum{ {{selector}} }[W])) / sum(rate(http_request_duration_seconds_count{ {{selector}} }[W]))';
const P95 = 'histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{ {{selector}} }[W])))';
const windowed = (query: string, window: string): string => query.replaceAll('[W]', `[${window}]`);

/** The query shapes measured, with the scrape interval of 15 s (window / 15 s scrapes of memory). */
export const QUERY_SHAPES: readonly QueryShape[] = [
  ...(['1m', '2m', '5m'] as const).map((window, index): QueryShape => {
    const scrapes = [4, 8, 20][index] as number;
    return {
      name: `error ratio, rate[${window}]`,
      kind: 'errors',
      query: windowed(ERRORS, window),
      memory: scrapes,
      evaluate: errorRatio(scrapes),
    };
  }),
  {
    name: 'errors, increase[2m]',
    kind: 'errors',
    query: 'sum(increase(http_requests_total{ {{selector}}, code="500" }[2m]))',
    memory: 8,
    evaluate: (c, at) => delta(c.errors, at, 8),
  },
  {
    name: 'error ratio, irate[1m]',
    kind: 'errors',
    query: windowed(ERRORS, '1m').replaceAll('rate(', 'irate('),
    memory: 1,
    evaluate: errorRatio(1),
  },
  {
    name: 'error ratio, avg_over_time(rate[1m])[5m:15s]',
    kind: 'errors',
    query: `avg_over_time((${windowed(ERRORS, '1m')})[5m:15s])`,
    memory: 24,
    evaluate: overTime(errorRatio(4), 20, 'avg'),
  },
  ...(['1m', '2m', '5m'] as const).map((window, index): QueryShape => {
    const scrapes = [4, 8, 20][index] as number;
    return {
      name: `latency p95, rate[${window}]`,
      kind: 'latency',
      query: windowed(P95, window),
      memory: scrapes,
      evaluate: quantile(0.95, scrapes),
    };
  }),
  {
    name: 'latency p95, irate[1m]',
    kind: 'latency',
    query: windowed(P95, '1m').replace('rate(', 'irate('),
    memory: 1,
    evaluate: quantile(0.95, 1),
  },
  {
    name: 'latency p95, max_over_time(p95 rate[1m])[5m:15s]',
    kind: 'latency',
    query: `max_over_time(${windowed(P95, '1m')}[5m:15s])`,
    memory: 24,
    evaluate: overTime(quantile(0.95, 4), 20, 'max'),
  },
  ...(['1m', '2m', '5m'] as const).map((window, index): QueryShape => {
    const scrapes = [4, 8, 20][index] as number;
    return {
      name: `latency mean, rate[${window}]`,
      kind: 'latency',
      query: windowed(MEAN, window),
      memory: scrapes,
      evaluate: meanLatency(scrapes),
    };
  }),
  {
    name: 'latency mean, avg_over_time(gauge[2m])',
    kind: 'latency',
    query: 'avg(avg_over_time(http_request_duration_seconds_mean{ {{selector}} }[2m]))',
    memory: 8,
    evaluate: gaugeAverage(8),
  },
];

/** The three metrics teams write first (error ratio over 2m, p95 over 1m, mean latency over 5m). */
export const TYPICAL_METRICS: readonly QueryShape[] = [
  'error ratio, rate[2m]',
  'latency p95, rate[1m]',
  'latency mean, rate[5m]',
].map((name) => QUERY_SHAPES.find((shape) => shape.name === name) as QueryShape);

export interface SimulatedCanary {
  /** Per shape: the samples of one round, in time order, step = scrape interval. */
  baseline: number[][];
  canary: number[][];
}

/**
 * One baseline and one canary over `minutes` (one sample per scrape, `minutes * 4 + 1` of them at 15 s),
 * evaluated for every shape.
 */
export function simulateCanary(
  seed: number,
  shapes: readonly QueryShape[],
  degradation: Degradation,
  minutes = 30,
  profile: TrafficProfile = DEFAULT_PROFILE,
): SimulatedCanary {
  const random = seededRandom(seed);
  const lead = Math.max(...shapes.map((shape) => shape.memory));
  const samples = Math.round((minutes * 60_000) / profile.scrapeMs) + 1;
  const scrapes = lead + samples;
  const sides = [HEALTHY, degradation].map((side) => simulateCounters(random, scrapes, profile, side));
  const [baseline, canary] = sides.map((counters) =>
    shapes.map((shape) =>
      Array.from({ length: samples }, (_, index) => shape.evaluate(counters, lead + index, profile)),
    ),
  ) as [number[][], number[][]];
  return { baseline, canary };
}
