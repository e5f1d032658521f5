import { runAction } from './support/harness.ts';
test('probe', async () => {
  const run = await runAction('detect-changed-services', {});
  expect(run.exitCode).toBe(0);
  expect(run.outputs['services']).toBe('[".github/services.yml"]');
});
