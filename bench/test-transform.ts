// How the suite's TypeScript reaches jest: Node's own type stripping (the transform jest.config.js names)
// against ts-jest transpiling each module, on a clean checkout as CI runs it (an empty jest cache). The
// floor is the same jest run with a cache that already holds every transformed module, measured in the
// same run, interleaved.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Config } from 'jest';
import { repoRoot } from '@shiprail/rehearsal/action-metadata';
import { median, timeNode, type Timing } from './lib/timing.ts';

const { default: jestConfig } = (await import(pathToFileURL(join(repoRoot, 'jest.config.js')).href)) as {
  default: Config;
};
const ROUNDS = 3;
/** Quick suites whose module graph covers core, the test kit and two actions. */
const SUITES = ['test/core', 'test/test-report'];

const TRANSFORMS = {
  'Node type stripping': jestConfig.transform,
  'ts-jest': {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.transpile.json', diagnostics: false }],
  },
};

function runJest(transform: unknown, cacheDirectory: string): Timing {
  const config = JSON.stringify({ ...jestConfig, rootDir: repoRoot, transform, reporters: ['default'] });
  const jest = join(repoRoot, 'node_modules/jest/bin/jest.js');
  const args = ['--experimental-vm-modules', '--disable-warning=ExperimentalWarning', jest, '--config', config];
  return timeNode([...args, '--cacheDirectory', cacheDirectory, '--silent', ...SUITES], {
    cwd: repoRoot,
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: process.env['HOME'] ?? tmpdir() },
  });
}

const warmCache = mkdtempSync(join(tmpdir(), 'bench-jest-warm-'));
runJest(TRANSFORMS['Node type stripping'], warmCache);
const timings: Record<string, Timing[]> = { 'warm cache (floor)': [] };
for (const name of Object.keys(TRANSFORMS)) timings[`${name}, empty cache`] = [];
for (let round = 0; round < ROUNDS; round += 1) {
  timings['warm cache (floor)']?.push(runJest(TRANSFORMS['Node type stripping'], warmCache));
  for (const [name, transform] of Object.entries(TRANSFORMS)) {
    const cold = mkdtempSync(join(tmpdir(), 'bench-jest-cold-'));
    timings[`${name}, empty cache`]?.push(runJest(transform, cold));
    rmSync(cold, { recursive: true, force: true });
  }
}
rmSync(warmCache, { recursive: true, force: true });
const floor = timings['warm cache (floor)'] ?? [];
const floorWall = median(floor.map((timing) => timing.wallMs));
const floorCpu = median(floor.map((timing) => timing.cpuMs));
console.log(`jest ${SUITES.join(' ')}, median of ${ROUNDS}:`);
for (const [name, runs] of Object.entries(timings)) {
  const wall = median(runs.map((timing) => timing.wallMs));
  const cpu = median(runs.map((timing) => timing.cpuMs));
  console.log(
    `  ${name.padEnd(34)} ${(wall / 1000).toFixed(2)} s wall (${(wall / floorWall).toFixed(2)}x), ` +
      `${(cpu / 1000).toFixed(2)} s CPU (${(cpu / floorCpu).toFixed(2)}x)`,
  );
}
