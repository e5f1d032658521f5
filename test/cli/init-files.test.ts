// Files that exist are never overwritten without --force (or a yes on a terminal): init shows their diff.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { copyFixture, removeCopies, runInitOn } from './system.ts';

afterAll(removeCopies);

const MINE = 'services:\n  mine:\n    path: .\n';

function withOwnManifest(): string {
  const directory = copyFixture('single-service', 'repo');
  execFileSync('mkdir', ['-p', join(directory, '.github')]);
  writeFileSync(join(directory, '.github/services.yml'), MINE);
  return directory;
}

test('an existing file that differs: its diff, left as it is, exit 1, no question without a terminal', async () => {
  const directory = withOwnManifest();
  const { code, system } = await runInitOn(directory);
  expect(code).toBe(1);
  const printed = system.output.join('');
  expect(printed).toContain('--- .github/services.yml\n+++ .github/services.yml (shiprail init)\n');
  expect(printed).toContain('-  mine:\n');
  expect(printed).toMatch(/^\+  hello-api:$/m);
  expect(system.questions).toEqual([]);
  expect(system.errors.join('')).toContain(
    '.github/services.yml exists and differs (diff above): left as they are; --force overwrites',
  );
  expect(readFileSync(join(directory, '.github/services.yml'), 'utf8')).toBe(MINE);
  // The other files are new: written.
  expect(printed).toContain('wrote .github/workflows/deploy.yml');
});

test('--force overwrites', async () => {
  const directory = withOwnManifest();
  const { code } = await runInitOn(directory, ['--force']);
  expect(code).toBe(0);
  expect(readFileSync(join(directory, '.github/services.yml'), 'utf8')).toContain('hello-api:');
});

test.each([
  ['y', true],
  ['', false],
])('on a terminal, init asks; the answer %j overwrites: %s', async (answer, overwritten) => {
  const directory = withOwnManifest();
  const { code, system } = await runInitOn(directory, [], { interactive: true, answer });
  expect(system.questions).toEqual(['Overwrite .github/services.yml? [y/N] ']);
  expect(code).toBe(overwritten ? 0 : 1);
  expect(readFileSync(join(directory, '.github/services.yml'), 'utf8') === MINE).toBe(!overwritten);
});

// single-service has plain manifests: the first run writes a kustomize base under them, which the second renders.
test.each([
  'compose-env',
  'single-service',
  'skaffold-modules',
  'nested-dockerfiles',
  'kustomize-components',
  'helm-chart',
])('%s: a second run finds every file unchanged', async (fixture) => {
  const directory = copyFixture(fixture, 'repo');
  expect((await runInitOn(directory)).code).toBe(0);
  const { code, system } = await runInitOn(directory);
  expect(code).toBe(0);
  expect(system.output.join('')).not.toContain('wrote ');
  expect(system.output.join('')).toContain('unchanged .github/services.yml');
});

// As microservices-demo lays it out: the manifests are a kustomization already, and a second kustomize
// tree beside them names the images by a release registry. The overlays the first run writes over the
// manifests must not change which tree the second run reads the services' workloads from.
test('a second kustomize tree beside the manifests: a second run finds every file unchanged', async () => {
  const directory = copyFixture('skaffold-modules', 'repo');
  const manifests = ['ads', 'cart', 'frontend', 'loadgenerator', 'payments'].map((name) => `${name}.yaml`);
  writeFileSync(
    join(directory, 'kubernetes-manifests/kustomization.yaml'),
    `resources:\n${manifests.map((file) => `  - ${file}\n`).join('')}`,
  );
  mkdirSync(join(directory, 'kustomize/base'), { recursive: true });
  for (const file of manifests) {
    const released = readFileSync(join(directory, 'kubernetes-manifests', file), 'utf8').replace(
      /image: (\S+)/g,
      'image: releases.example.com/shop/$1:v0.9.0',
    );
    writeFileSync(join(directory, 'kustomize/base', file), released);
  }
  writeFileSync(
    join(directory, 'kustomize/base/kustomization.yaml'),
    readFileSync(join(directory, 'kubernetes-manifests/kustomization.yaml')),
  );
  writeFileSync(join(directory, 'kustomize/kustomization.yaml'), 'resources:\n  - base\n');
  const first = await runInitOn(directory);
  expect(first.code).toBe(0);
  expect(first.system.output.join('')).toMatch(/workload: kubernetes-manifests\/cart\.yaml:\d+/);
  const second = await runInitOn(directory);
  expect(second.system.output.join('')).not.toContain('+++');
  expect(second.code).toBe(0);
});

test('--dry-run writes nothing', async () => {
  const directory = copyFixture('compose-env', 'repo');
  const { code, system } = await runInitOn(directory, ['--dry-run']);
  expect(code).toBe(0);
  expect(system.output.join('')).toContain('would write .github/services.yml');
  expect(() => readFileSync(join(directory, '.github/services.yml'))).toThrow();
});

test('the bundle runs as npx runs it, on Node 20 or later', () => {
  const directory = copyFixture('skaffold-modules', 'repo');
  const bundle = fileURLToPath(new URL('../../dist/cli/index.js', import.meta.url));
  const output = execFileSync(bundle, ['init', directory, '--dry-run'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  expect(output).toMatch(/^SERVICE\s+BUILT WITH\s+CONTEXT\s+DOCKERFILE\s+WORKLOAD\s+IMAGE IN MANIFESTS\s+SOURCE$/m);
  expect(output).toMatch(
    /^ads\s+jib\s+src\/ads\s+- \(build command\)\s+deployment\/adservice \(server\)\s+ads\s+skaffold: skaffold\.yaml:16; build: skaffold\.yaml:19 \(jib\), src\/ads\/build\.gradle;/m,
  );
  expect(output).toContain('would write .github/services.yml');
});
