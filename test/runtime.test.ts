import { createTestRuntime } from './support/runtime.ts';
test('in-process runtime runs real programs', async () => {
  const runtime = createTestRuntime({ inputs: { x: '5m' } });
  expect(runtime.inputs.duration('x', '1m')).toBe(300_000);
  const result = await runtime.exec('git', ['--version'], { silent: true });
  expect(result.stdout).toMatch(/git version/);
});
