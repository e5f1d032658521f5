// Regenerates the committed reports under test/fixtures/test-report/reports/ with the real tools:
// `node test/test-report/make-fixtures.ts` (Node 24). The samples run in a copy under a temporary
// `shop/` directory; its path and this repository's path are then written as a runner's workspace
// (/home/runner/work/shop/shop), as they appear in reports made on GitHub's runners.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '@shiprail/rehearsal/action-metadata';
import { copySample, runGoTest, runJest, runNodeTest, runPytest, samples, toolVersions } from './tools.ts';

const RUNNER_WORKSPACE = '/home/runner/work/shop/shop';
const output = join(samples, 'reports');
const temp = mkdtempSync(join(tmpdir(), 'test-report-fixtures-'));
const shop = join(temp, 'shop');
try {
  mkdirSync(output, { recursive: true });
  copySample('python-sample', join(shop, 'python-sample'));
  copySample('jest-sample', join(shop, 'jest-sample'));
  copySample('node-sample', join(shop, 'node-sample'));
  const python = join(shop, 'python-sample');
  runPytest(python, {
    junit: join(temp, 'pytest-xunit2.xml'),
    cobertura: join(temp, 'coverage-py.xml'),
    lcov: join(temp, 'coverage-py.lcov'),
  });
  runPytest(python, { junit: join(temp, 'pytest-xunit1.xml'), family: 'xunit1' });
  runJest(join(shop, 'jest-sample'), join(temp, 'jest-junit.xml'));
  runNodeTest(join(shop, 'node-sample'), join(temp, 'node-test-junit.xml'));
  const go = join(shop, 'go-sample');
  copySample('go-sample', go);
  writeFileSync(join(temp, 'go-test.json'), runGoTest(go, ['./calc', './panics', './broken']).stdout);
  writeFileSync(join(temp, 'go-test-stderr.json'), runGoTest(go, ['./broken'], { stderr: 'merged' }).stdout);
  // A rerun of the failed test, as gotestsum --rerun-fails appends it to the same file: the test fails
  // on a cold cache and passes once it is warm.
  const cache = { SHOP_CACHE_DIR: mkdtempSync(join(temp, 'cache-')) };
  writeFileSync(
    join(temp, 'go-test-rerun.json'),
    runGoTest(go, ['./flaky'], { env: cache }).stdout +
      runGoTest(go, ['-run', '^TestWarmCache$', './flaky'], { env: cache }).stdout,
  );
  for (const name of [
    'pytest-xunit2.xml',
    'pytest-xunit1.xml',
    'coverage-py.xml',
    'coverage-py.lcov',
    'jest-junit.xml',
    'node-test-junit.xml',
    'go-test.json',
    'go-test-stderr.json',
    'go-test-rerun.json',
  ]) {
    const text = readFileSync(join(temp, name), 'utf8')
      .split(shop)
      .join(RUNNER_WORKSPACE)
      .split(repoRoot)
      .join(RUNNER_WORKSPACE);
    writeFileSync(join(output, name), text);
  }
  console.log(JSON.stringify(toolVersions(), null, 2));
} finally {
  rmSync(temp, { recursive: true, force: true });
}
