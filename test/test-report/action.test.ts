// The bundled action as the runner runs it, on reports that pytest and coverage.py write during the
// test, on the committed reports of the other tools laid out as their projects are, and on mistakes
// and hostile files: each ends in one `::error` naming the input or the file (and line).
import type { TestReportInputs } from '@shiprail/test-report';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { runAction, type ActionRun } from '../support/harness.ts';
import { copySample, runPytest, samples } from './tools.ts';

type Inputs = Partial<Record<keyof TestReportInputs, string>>;

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'test-report-action-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A fresh workspace with these files (text, or a committed report to copy with `report:<name>`). */
function workspace(files: Record<string, string>): string {
  const directory = mkdtempSync(join(root, 'ws-'));
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(directory, path)), { recursive: true });
    if (content.startsWith('report:')) cpSync(join(samples, 'reports', content.slice(7)), join(directory, path));
    else writeFileSync(join(directory, path), content);
  }
  return directory;
}

const run = (directory: string, inputs: Inputs): Promise<ActionRun> =>
  runAction('test-report', { workspace: directory, inputs, sha: 'abc123', timeoutMs: 60_000 });

interface Annotation {
  file: string | undefined;
  line: number | undefined;
  title: string | undefined;
}

/** The `::error` annotations with their properties. */
function annotations(stdout: string): Annotation[] {
  return [...stdout.matchAll(/^::error(?: ([^:]*))?::/gm)].map((match) => {
    const properties = new Map(
      (match[1] ?? '')
        .split(',')
        .filter((part) => part.includes('='))
        .map((part) => [part.slice(0, part.indexOf('=')), decodeURIComponent(part.slice(part.indexOf('=') + 1))]),
    );
    const line = properties.get('line');
    return {
      file: properties.get('file'),
      line: line === undefined ? undefined : Number(line),
      title: properties.get('title'),
    };
  });
}

/** Every workflow command the step printed, by name: nothing from a report may add one. */
const commands = (stdout: string): string[] => [...stdout.matchAll(/^::([a-z-]+)/gm)].map((match) => match[1] ?? '');

describe('reports written by pytest and coverage.py during the test', () => {
  let directory: string;
  beforeAll(() => {
    directory = workspace({});
    const service = join(directory, 'services', 'calc');
    copySample('python-sample', service);
    const tests = runPytest(service, {
      junit: join(service, 'reports', 'junit.xml'),
      cobertura: join(service, 'coverage.xml'),
      lcov: join(service, 'lcov.info'),
    });
    expect(tests.status).toBe(1);
  });

  test('failures become annotations at the failing line; outputs count every outcome', async () => {
    const result = await run(directory, {
      reports: 'services/*/reports/*.xml',
      coverage: 'services/calc/coverage.xml',
      'min-coverage': '50',
      name: 'calc',
    });
    expect(result.exitCode).toBe(1);
    expect(result.outputs).toEqual({
      passed: 'false',
      tests: '8',
      failures: '3',
      errors: '1',
      skipped: '2',
      coverage: '86.11',
    });
    expect(annotations(result.stdout).map(({ file, line }) => `${file}:${line}`)).toEqual([
      'services/calc/tests/test_calc.py:11',
      'services/calc/tests/test_calc.py:15',
      'services/calc/tests/test_calc.py:20',
      'services/calc/tests/test_calc.py:42',
      'undefined:undefined',
    ]);
    expect(annotations(result.stdout)[0]?.title).toBe('calc: tests.test_calc › test_add_wrong');
    expect(result.errors.at(-1)).toBe('calc: 3 tests of 8 failed; 1 test of 8 errored');
    const summary = result.summary;
    expect(
      summary.startsWith('### calc: ❌ 3 failed, 1 errored, 2 passed, 2 skipped of 8 tests · line coverage 86.11 %'),
    ).toBe(true);
    expect(summary).toContain(
      '[services/calc/tests/test_calc.py:11](https://github.com/acme/shop/blob/abc123/services/calc/tests/test_calc.py#L11)',
    );
    expect(summary.indexOf('#### Failures')).toBeLessThan(summary.indexOf('#### Suites'));
    expect(summary.indexOf('#### Suites')).toBeLessThan(summary.indexOf('#### Coverage'));
  });

  test('lcov from coverage.py below the minimum fails the step, with the figure', async () => {
    const result = await run(directory, { coverage: 'services/calc/lcov.info', 'min-coverage': '90', name: 'calc' });
    expect(result.exitCode).toBe(1);
    expect(result.outputs).toMatchObject({ passed: 'false', tests: '0', coverage: '88.88' });
    expect(result.errors).toEqual(['calc: line coverage 88.88 % is below the minimum of 90 %']);
  });
});

describe('passing tests', () => {
  test('a passing run sets its outputs, writes no annotation and passes the step', async () => {
    const directory = workspace({});
    copySample('python-sample', directory);
    // Only the tests that pass, skip or are expected to fail.
    const tests = runPytest(directory, {
      junit: join(directory, 'junit.xml'),
      cobertura: join(directory, 'coverage.xml'),
      select: 'not wrong and not zero and not broken and not empty',
    });
    expect(tests.status).toBe(0);
    const result = await run(directory, { reports: 'junit.xml', coverage: 'coverage.xml', 'min-coverage': '65' });
    expect({ exitCode: result.exitCode, errors: result.errors }).toEqual({ exitCode: 0, errors: [] });
    expect(result.outputs).toEqual({
      passed: 'true',
      tests: '4',
      failures: '0',
      errors: '0',
      skipped: '2',
      coverage: '69.44',
    });
    expect(result.summary.startsWith('### Tests: ✅ 2 passed, 2 skipped of 4 tests · line coverage 69.44 %')).toBe(
      true,
    );
    expect(result.summary).not.toContain('#### Failures');
  });
});

describe('every dialect at once, in project layouts', () => {
  test('counts add up and each failure points into its project', async () => {
    const directory = workspace({
      'py/reports/pytest.xml': 'report:pytest-xunit2.xml',
      'py/tests/test_calc.py': '',
      'jest-sample/junit.xml': 'report:jest-junit.xml',
      'jest-sample/calc.test.cjs': '',
      'cart/target/surefire-reports/TEST-com.acme.shop.CartTest.xml': 'report:surefire-TEST-com.acme.shop.CartTest.xml',
      'cart/src/test/java/com/acme/shop/CartTest.java': '',
      'inventory/build/test-results/test/TEST-com.acme.shop.InventoryTest.xml':
        'report:gradle-TEST-com.acme.shop.InventoryTest.xml',
      'inventory/src/test/kotlin/com/acme/shop/InventoryTest.kt': '',
      'services/pricing/go-report.xml': 'report:go-junit-report.xml',
      'services/pricing/discount/discount_test.go': '',
      'services/pricing/tax/tax_test.go': '',
    });
    const result = await run(directory, {
      reports: ['py/reports/*.xml', 'jest-sample/junit.xml', '**/TEST-*.xml', 'services/**/*report.xml'].join('\n'),
      name: 'shop',
    });
    expect(result.outputs).toEqual({
      passed: 'false',
      tests: '25',
      failures: '9',
      errors: '2',
      skipped: '6',
      coverage: '',
    });
    const located = annotations(result.stdout).map(({ file, line }) => `${file}:${line}`);
    // GitHub shows ten error annotations per step: nine failures and the step's own error.
    expect(located).toEqual([
      'cart/src/test/java/com/acme/shop/CartTest.java:31',
      'cart/src/test/java/com/acme/shop/CartTest.java:40',
      'inventory/src/test/kotlin/com/acme/shop/InventoryTest.kt:22',
      'jest-sample/calc.test.cjs:9',
      'jest-sample/calc.test.cjs:13',
      'py/tests/test_calc.py:11',
      'py/tests/test_calc.py:15',
      'py/tests/test_calc.py:20',
      'py/tests/test_calc.py:42',
      'undefined:undefined',
    ]);
    // The two Go failures beyond the annotations are in the log and the summary.
    expect(result.stdout).toContain(
      '✗ github.com/acme/shop/services/pricing/tax › TestRegions at services/pricing/tax/tax_test.go:12',
    );
    expect(result.summary).toContain('services/pricing/tax/tax_test.go:12');
  });
});

describe('mistakes and hostile files end in one error naming the input or the file', () => {
  const bomb = [
    '<?xml version="1.0"?>',
    '<!DOCTYPE lolz [',
    '<!ENTITY lol "lollollollollollollollollollol">',
    ...Array.from(
      { length: 9 },
      (_, level) => `<!ENTITY lol${level + 1} "${`&lol${level === 0 ? '' : level};`.repeat(10)}">`,
    ),
    ']>',
    '<testsuite name="&lol9;"/>',
  ].join('\n');

  test.each([
    [
      'a glob that matches nothing',
      {},
      { reports: 'reports/*.xml' },
      "input 'reports': no file matches 'reports/*.xml'",
      undefined,
    ],
    [
      'a path above the workspace',
      {},
      { reports: '../*.xml' },
      "input 'reports': '../*.xml' leaves the workspace ('..'); give paths relative to it",
      undefined,
    ],
    [
      'malformed XML',
      { 'r/bad.xml': '<testsuite>\n<testcase name="a">\n</testsuite>\n' },
      { reports: 'r/bad.xml' },
      /^r\/bad\.xml:3: malformed XML/,
      { file: 'r/bad.xml', line: 3 },
    ],
    [
      'a report that is not JUnit',
      { 'cov.xml': '<coverage line-rate="1"/>' },
      { reports: 'cov.xml' },
      /^cov\.xml: is not a JUnit XML report/,
      { file: 'cov.xml', line: undefined },
    ],
    [
      'an entity expansion bomb',
      { 'bomb.xml': bomb },
      { reports: 'bomb.xml' },
      /^bomb\.xml:3: declares XML entities/,
      { file: 'bomb.xml', line: 3 },
    ],
    [
      'a coverage file of unknown format',
      { 'coverage.json': '{"total":{}}' },
      { coverage: 'coverage.json' },
      /^coverage\.json: is neither an lcov tracefile nor Cobertura XML/,
      { file: 'coverage.json', line: undefined },
    ],
    [
      'a coverage glob matching two files',
      { 'a/lcov.info': '', 'b/lcov.info': '' },
      { coverage: '*/lcov.info' },
      "input 'coverage': '*/lcov.info' matches 2 files; give one coverage file",
      undefined,
    ],
    [
      'a minimum without a coverage file',
      { 'j.xml': 'report:jest-junit.xml' },
      { reports: 'j.xml', 'min-coverage': '80' },
      "input 'min-coverage': is 80 but no coverage file is given",
      undefined,
    ],
  ])('%s', async (_label, files: Record<string, string>, inputs: Inputs, message, location) => {
    const result = await run(workspace(files), inputs);
    expect(result.exitCode).toBe(1);
    expect(result.errors).toHaveLength(1);
    if (typeof message === 'string') expect(result.errors[0]).toBe(message);
    else expect(result.errors[0]).toMatch(message);
    if (location) expect(annotations(result.stdout)[0]).toMatchObject(location);
    expect(result.outputs).toEqual({});
  });

  test('a file too large to read is refused by its size, at once', async () => {
    const directory = workspace({ 'big.xml': '' });
    truncateSync(join(directory, 'big.xml'), 65 * 1024 * 1024);
    const started = Date.now();
    const result = await run(directory, { reports: '*.xml' });
    expect(result.errors).toEqual(['big.xml: is 65.0 MiB; test-report reads files up to 64.0 MiB']);
    expect(Date.now() - started).toBeLessThan(20_000);
  });

  test('a report linked from outside the workspace is refused, and never read', async () => {
    const outside = workspace({ 'secret.xml': '<testsuite name="SECRET-CONTENT"/>' });
    const directory = workspace({});
    symlinkSync(join(outside, 'secret.xml'), join(directory, 'report.xml'));
    const result = await run(directory, { reports: '*.xml' });
    expect(result.errors).toEqual(["input 'reports': 'report.xml' is a symbolic link out of the workspace"]);
    expect(result.stdout + result.summary).not.toContain('SECRET-CONTENT');
  });

  test('workflow commands inside a report never reach the log as commands', async () => {
    const report = [
      '<testsuite name="::warning::suite">',
      '<testcase classname="::set-output name=passed::true" name="x&#10;::error::injected&#10;::add-mask::x">',
      '<failure message="&#10;::warning file=a.js::pwned">&#10;::stop-commands::token&#10;::notice::after</failure>',
      '</testcase>',
      '</testsuite>',
    ].join('\n');
    const result = await run(workspace({ 'r.xml': report }), { reports: 'r.xml' });
    expect(result.outputs['passed']).toBe('false');
    expect(commands(result.stdout).filter((command) => command !== 'error' && command !== 'debug')).toEqual([]);
    expect(result.warnings).toEqual([]);
    expect(result.errors).toHaveLength(2);
    expect(result.errors.at(-1)).toBe('Tests: 1 test of 1 failed');
  });
});
