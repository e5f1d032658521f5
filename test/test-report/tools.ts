// The real test tools the fixtures come from: Debian's pytest and coverage.py, Jest with jest-junit,
// Node's own test runner and Debian's Go (`go test -json`).
import { ConfigurationError } from '@shiprail/core';
import { spawnSync } from 'node:child_process';
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '@shiprail/rehearsal/action-metadata';
import { node24 } from '@shiprail/testkit';

export const samples = join(repoRoot, 'test', 'fixtures', 'test-report');

/** A Python that has both pytest and coverage (Debian's python3-pytest and python3-coverage). */
export function findPython(): string {
  for (const candidate of ['/usr/bin/python3', 'python3']) {
    const probe = spawnSync(candidate, ['-c', 'import pytest, coverage'], { encoding: 'utf8' });
    if (probe.status === 0) return candidate;
  }
  throw new Error('no python3 with pytest and coverage: apt-get install python3-pytest python3-coverage');
}

export interface ToolRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

function run(program: string, args: readonly string[], cwd: string, env: Record<string, string> = {}): ToolRun {
  const result = spawnSync(program, args, { cwd, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 120_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/**
 * Runs the Python sample's tests under coverage in `directory` (a copy of python-sample): JUnit XML
 * (`xunit2`, pytest's default, or `xunit1` with file and line attributes), Cobertura XML and lcov.
 */
export function runPytest(
  directory: string,
  outputs: { junit: string; family?: 'xunit1' | 'xunit2'; cobertura?: string; lcov?: string; select?: string },
): ToolRun {
  const python = findPython();
  const family = ['-o', `junit_family=${outputs.family ?? 'xunit2'}`];
  const tests = run(
    python,
    [
      '-m',
      'coverage',
      'run',
      '--source=.',
      '-m',
      'pytest',
      '-p',
      'no:cacheprovider',
      '-q',
      ...family,
      `--junitxml=${outputs.junit}`,
      ...(outputs.select === undefined ? [] : ['-k', outputs.select]),
    ],
    directory,
    { PYTHONDONTWRITEBYTECODE: '1' },
  );
  if (outputs.cobertura !== undefined) run(python, ['-m', 'coverage', 'xml', '-o', outputs.cobertura], directory);
  if (outputs.lcov !== undefined) run(python, ['-m', 'coverage', 'lcov', '-o', outputs.lcov], directory);
  return tests;
}

/** Runs the Node test runner sample in `directory` (a copy of node-sample) with Node's JUnit reporter writing `junit`. */
export function runNodeTest(directory: string, junit: string): ToolRun {
  return run(
    node24,
    ['--test', '--test-reporter=junit', `--test-reporter-destination=${junit}`, 'calc.test.mjs'],
    directory,
  );
}

/** Runs the Jest sample in `directory` (a copy of jest-sample) with jest-junit writing `junit`. */
export function runJest(directory: string, junit: string): ToolRun {
  const config = JSON.stringify({ testMatch: ['**/*.test.cjs'], rootDir: directory });
  return run(
    node24,
    [
      join(repoRoot, 'node_modules', 'jest', 'bin', 'jest.js'),
      '--config',
      config,
      '--ci',
      '--reporters=default',
      `--reporters=${join(repoRoot, 'node_modules', 'jest-junit')}`,
    ],
    directory,
    { JEST_JUNIT_OUTPUT_FILE: junit },
  );
}

/**
 * Runs `go test -json` with `args` in `directory` (a copy of go-sample) with a private build cache and
 * no network; `stderr: 'merged'` appends what Go writes to stderr (compiler errors) as `2>&1` would, after
 * the events.
 */
export function runGoTest(
  directory: string,
  args: readonly string[],
  options: { stderr?: 'merged'; env?: Record<string, string> } = {},
): ToolRun {
  const result = run('go', ['test', '-json', ...args], directory, {
    GOFLAGS: '-mod=mod',
    GOPROXY: 'off',
    GOTOOLCHAIN: 'local',
    GOCACHE: join(directory, '..', '.gocache'),
    GOPATH: join(directory, '..', '.gopath'),
    ...options.env,
  });
  return options.stderr === 'merged' ? { ...result, stdout: `${result.stderr}${result.stdout}` } : result;
}

/** Copies a sample project (python-sample, jest-sample, node-sample, go-sample) to `target`. */
export function copySample(name: 'python-sample' | 'jest-sample' | 'node-sample' | 'go-sample', target: string): void {
  cpSync(join(samples, name), target, { recursive: true });
}

export function toolVersions(): Record<string, string> {
  const python = findPython();
  const first = (result: ToolRun): string => `${result.stdout}${result.stderr}`.trim().split('\n')[0] ?? '';
  const jestJunit = JSON.parse(
    spawnSync(
      node24,
      [
        '-p',
        `JSON.stringify(require(${JSON.stringify(join(repoRoot, 'node_modules', 'jest-junit', 'package.json'))}).version)`,
      ],
      {
        encoding: 'utf8',
      },
    ).stdout,
  ) as string;
  return {
    python: first(run(python, ['--version'], repoRoot)),
    pytest: first(run(python, ['-m', 'pytest', '--version'], repoRoot)),
    coverage: first(run(python, ['-m', 'coverage', '--version'], repoRoot)),
    jest: first(run(node24, [join(repoRoot, 'node_modules', 'jest', 'bin', 'jest.js'), '--version'], repoRoot)),
    'jest-junit': jestJunit,
    go: first(run('go', ['version'], repoRoot)),
  };
}

/** The message a user reads for the ConfigurationError `run` throws; fails the test for any other outcome. */
export function configurationMistake(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigurationError) return error.describe();
    throw error;
  }
  throw new Error('expected a ConfigurationError, but nothing was thrown');
}
