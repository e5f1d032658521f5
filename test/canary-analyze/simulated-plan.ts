// Decisions of whole analyses on seeded simulated canaries, run under plain Node by sequential.test.ts
// (tight numeric loops run an order of magnitude slower inside Jest's module sandbox). A plan is the
// action's own: `default` is its default duration, interval and step as parseInputs reads them, its
// rounds (roundOffsets) and their sequential boundaries (roundBoundaries); `sequential:<duration>` the
// same with another duration; `fixed:<duration>` every round at 98 %, as before the boundaries. The
// canaries are simulated once, for the longest plan, and every plan judges the same ones (a shorter plan
// reads the first minutes). Prints, as JSON, how many of `canaries` canaries per condition each plan fails.
import { InputParser } from '@shiprail/core';
import {
  CONFIDENCE,
  judgeMetric,
  parseInputs,
  queryMemoryMs,
  roundBoundaries,
  roundOffsets,
  scoreMetrics,
} from '@shiprail/canary-analyze';
import { HEALTHY, TYPICAL_METRICS, simulateCanary, type SimulatedCanary } from './simulation.ts';

const [canariesArgument = '50', seedArgument = '1', ...planArguments] = process.argv.slice(2);
const canaries = Number(canariesArgument);
const seed = Number(seedArgument);
const CONDITIONS = {
  healthy: HEALTHY,
  errors2x: { errorFactor: 2, latencyFactor: 1 },
  latency30: { errorFactor: 1, latencyFactor: 1.3 },
  latency15: { errorFactor: 1, latencyFactor: 1.15 },
};

interface Plan {
  name: string;
  fixed: boolean;
  durationMs: number;
  stepMs: number;
  offsets: number[];
  boundaries: number[];
  /** Canaries failed, per condition. */
  failed: Record<string, number>;
}

function plan(name: string): Plan {
  const [rule = 'default', duration = ''] = name.split(':');
  const inputs = parseInputs(
    new InputParser(
      (input) =>
        ({
          'prometheus-url': 'http://127.0.0.1:9090',
          metrics: 'canary.yml',
          baseline: 'track="stable"',
          canary: 'track="canary"',
          duration,
        })[input] ?? '',
      () => undefined,
    ),
  );
  const offsets = roundOffsets(inputs.duration, inputs.interval);
  return {
    name,
    fixed: rule === 'fixed',
    durationMs: inputs.duration,
    stepMs: inputs.step,
    offsets,
    boundaries: roundBoundaries(offsets, inputs.duration, 1 - CONFIDENCE),
    failed: {},
  };
}

function fails(canary: SimulatedCanary, { fixed, stepMs, offsets, boundaries }: Plan): boolean {
  return offsets.some((offset, round) => {
    const count = offset / stepMs + 1;
    const metrics = TYPICAL_METRICS.map((shape, position) => ({
      name: shape.name,
      weight: 1,
      critical: false,
      classification: judgeMetric(
        (canary.baseline[position] ?? []).slice(0, count),
        (canary.canary[position] ?? []).slice(0, count),
        {
          direction: 'either',
          allowedIncrease: 1,
          allowedDecrease: 1,
          samplesPerWindow: queryMemoryMs(shape.query) / stepMs,
          ...(fixed ? {} : { boundary: boundaries[round] }),
        },
      ).classification,
    }));
    return scoreMetrics(metrics, { pass: 95, marginal: 75 }).decision === 'fail';
  });
}

const plans = (planArguments.length > 0 ? planArguments : ['default']).map(plan);
const minutes = Math.max(...plans.map((each) => each.durationMs)) / 60_000;
for (const [offset, [condition, degradation]] of Object.entries(CONDITIONS).entries()) {
  for (const each of plans) each.failed[condition] = 0;
  for (let index = 0; index < canaries; index += 1) {
    const canary = simulateCanary(seed + offset * 1_000_000 + index, TYPICAL_METRICS, degradation, minutes);
    for (const each of plans) if (fails(canary, each)) each.failed[condition] = (each.failed[condition] ?? 0) + 1;
  }
}
const results = Object.fromEntries(
  plans.map(({ name, durationMs, offsets, failed }) => [name, { durationMs, rounds: offsets.length, failed }]),
);
process.stdout.write(`${JSON.stringify(results)}\n`);
