// Decisions on seeded simulated canaries, run under plain Node by dependence.test.ts (tight numeric
// loops run an order of magnitude slower inside Jest's module sandbox). Prints, as JSON, how many of
// `canaries` canaries per condition each rule decides `pass` and `fail` for the three typical metrics
// judged together over one 30-minute round at step 15 s.
import { judgeMetric, queryMemoryMs, scoreMetrics, type DependenceModel } from '@shiprail/canary-analyze';
import { HEALTHY, TYPICAL_METRICS, simulateCanary } from './simulation.ts';

const [canariesArgument = '100', seedArgument = '1'] = process.argv.slice(2);
const canaries = Number(canariesArgument);
const seed = Number(seedArgument);
const CONDITIONS = {
  healthy: HEALTHY,
  errors2x: { errorFactor: 2, latencyFactor: 1 },
  latency30: { errorFactor: 1, latencyFactor: 1.3 },
  latency15: { errorFactor: 1, latencyFactor: 1.15 },
};
const RULES: Record<string, DependenceModel> = { shipped: 'window+autocorrelation', kayenta: 'independent' };

const counts: Record<string, Record<string, { pass: number; fail: number }>> = {};
for (const [offset, [condition, degradation]] of Object.entries(CONDITIONS).entries()) {
  for (let index = 0; index < canaries; index += 1) {
    const canary = simulateCanary(seed + offset * 1_000_000 + index, TYPICAL_METRICS, degradation, 30);
    for (const [rule, dependence] of Object.entries(RULES)) {
      const metrics = TYPICAL_METRICS.map((shape, position) => ({
        name: shape.name,
        weight: 1,
        critical: false,
        classification: judgeMetric(canary.baseline[position] ?? [], canary.canary[position] ?? [], {
          direction: 'either',
          allowedIncrease: 1,
          allowedDecrease: 1,
          samplesPerWindow: queryMemoryMs(shape.query) / 15_000,
          dependence,
        }).classification,
      }));
      const { decision } = scoreMetrics(metrics, { pass: 95, marginal: 75 });
      const tally = ((counts[rule] ??= {})[condition] ??= { pass: 0, fail: 0 });
      if (decision === 'pass') tally.pass += 1;
      if (decision === 'fail') tally.fail += 1;
    }
  }
}
process.stdout.write(`${JSON.stringify(counts)}\n`);
