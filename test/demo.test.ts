// `npm run demo` is the README's first command: it must run the whole pipeline green on a machine with
// the Debian packages .ci/run installs.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from '../scripts/lib/action-metadata.ts';
import { node24 } from './support/harness.ts';

test('the demo runs every stage of the pipeline, green, and cleans up', () => {
  const result = spawnSync(node24, [join(repoRoot, 'scripts', 'demo.ts')], {
    cwd: repoRoot,
    encoding: 'utf8',
    timeout: 240_000,
  });
  expect(result.stderr).not.toMatch(/Error/);
  const summary = result.stdout.slice(result.stdout.indexOf('Pipeline summary'));
  for (const stage of [
    'detect-changed-services',
    'build-push',
    'trivy-gate',
    'kustomize-bump',
    'rollout-wait',
    'smoke-test',
    'canary-analyze',
  ]) {
    expect(summary).toMatch(new RegExp(`✔ ${stage} `));
  }
  expect(summary).toMatch(/2 of 3 services/);
  expect(summary).toMatch(/built with buildah and pushed/);
  expect(summary).toMatch(/result=success/);
  expect(summary).toMatch(/decision=pass/);
  expect(result.status).toBe(0);
}, 300_000);
