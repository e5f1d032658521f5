// Decisions of whole analyses on seeded simulated canaries, run under plain Node by sequential.test.ts
// (tight numeric loops run an order of magnitude slower inside Jest's module sandbox). The plan is the
// action's own: its default duration, interval and step as parseInputs reads them, its rounds
// (roundOffsets) and their sequential boundaries (roundBoundaries), or with `fixed` every round at 98 %
// as before the boundaries. Prints, as JSON, how many of `canaries` canaries per condition fail.
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
import { HEALTHY, TYPICAL_METRICS, simulateCanary } from './simulation.ts';

const [canariesArgument = '200', seedArgument = '1', rule = 'sequential', durationArgument = ''] =
  process.argv.slice(2);
const canaries = Number(canariesArgument);
const seed = Number(seedArgument);
const inputs = parseInputs(
  new InputParser(
    (name) =>
      ({
        'prometheus-url': 'http://127.0.0.1:9090',
        metrics: 'canary.yml',
        baseline: 'track="stable"',
        canary: 'track="canary"',
        duration: durationArgument,
      })[name] ?? '',
    () => undefined,
  ),
);
const offsets = roundOffsets(inputs.duration, inputs.interval);
const boundaries = roundBoundaries(offsets, inputs.duration, 1 - CONFIDENCE);
const CONDITIONS = {
  healthy: HEALTHY,
  errors2x: { errorFactor: 2, latencyFactor: 1 },
  latency30: { errorFactor: 1, latencyFactor: 1.3 },
  latency15: { errorFactor: 1, latencyFactor: 1.15 },
};

function fails(canary: ReturnType<typeof simulateCanary>): boolean {
  return offsets.some((offset, round) => {
    const count = offset / inputs.step + 1;
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
          samplesPerWindow: queryMemoryMs(shape.query) / inputs.step,
          ...(rule === 'fixed' ? {} : { boundary: boundaries[round] }),
        },
      ).classification,
    }));
    return scoreMetrics(metrics, { pass: 95, marginal: 75 }).decision === 'fail';
  });
}

const failed: Record<string, number> = {};
for (const [offset, [condition, degradation]] of Object.entries(CONDITIONS).entries()) {
  failed[condition] = 0;
  for (let index = 0; index < canaries; index += 1) {
    const canary = simulateCanary(
      seed + offset * 1_000_000 + index,
      TYPICAL_METRICS,
      degradation,
      inputs.duration / 60_000,
    );
    if (fails(canary)) failed[condition] += 1;
  }
}
process.stdout.write(`${JSON.stringify({ durationMs: inputs.duration, rounds: offsets.length, failed })}\n`);
