// Reports other than JUnit XML, read directly: `go test -json` output made by Go itself from
// go-sample/ (a pass, a failure, a skip, subtests, a panic, a build failure, a rerun) and TRX files
// written to the TeamTest 2010 schema (xUnit and MSTest shapes); the format is told by the content.
import { ConfigurationError } from '@shiprail/core';
import {
  locateFailure,
  parseDuration,
  parseGoTestJson,
  parseReport,
  type TestCase,
  type TestSuite,
  type WorkspaceFiles,
} from '@shiprail/test-report';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { samples } from './tools.ts';

const read = (fixture: string): string => readFileSync(join(samples, 'reports', fixture), 'utf8');
const suitesOf = (fixture: string): TestSuite[] => parseReport(read(fixture), fixture).suites;
const cases = (suites: readonly TestSuite[]): TestCase[] => suites.flatMap((suite) => suite.cases);
const find = (suites: readonly TestSuite[], name: string): TestCase => {
  const found = cases(suites).find((candidate) => candidate.name === name);
  if (!found) throw new Error(`no test ${name}`);
  return found;
};
/** [suite, tests, failures, errors, skipped] per suite, sorted (Go runs packages in parallel). */
const counts = (suites: readonly TestSuite[]): Array<[string, number, number, number, number]> =>
  suites
    .map((suite): [string, number, number, number, number] => [
      suite.name,
      suite.tests,
      suite.failures,
      suite.errors,
      suite.skipped,
    ])
    .sort((a, b) => a[0].localeCompare(b[0]));

describe('the format is told by the content', () => {
  test.each([
    ['go-test.json', 'go-test-json'],
    ['go-test-stderr.json', 'go-test-json'],
    ['go-test-rerun.json', 'go-test-json'],
    ['dotnet-xunit.trx', 'trx'],
    ['mstest-datarows.trx', 'trx'],
    ['go-junit-report.xml', 'junit'],
    ['pytest-xunit2.xml', 'junit'],
    ['node-test-junit.xml', 'junit'],
  ])('%s: %s', (fixture, format) => {
    expect(parseReport(read(fixture), fixture).format).toBe(format);
  });

  test.each([
    ['plain text', 'all tests passed\n'],
    ['JSON that is not test2json', '[1, 2, 3]\n'],
    ['an empty file', ''],
    ['another XML document', '<?xml version="1.0"?>\n<coverage line-rate="1"/>\n'],
  ])('%s is a mistake in the file', (_name, text) => {
    expect(() => parseReport(text, 'report.out')).toThrow(ConfigurationError);
  });
});

describe('go test -json, as Go 1.19 wrote it', () => {
  const suites = suitesOf('go-test.json');

  test('a suite per package, a case per test and subtest, the build failure a case of its own', () => {
    expect(counts(suites)).toEqual([
      ['example.com/shop/broken', 1, 0, 1, 0],
      ['example.com/shop/calc', 6, 3, 0, 1],
      ['example.com/shop/panics', 2, 1, 0, 0],
    ]);
  });

  test.each([
    // test, status, message, text it holds
    ['TestAdd', 'passed', '', ''],
    ['TestDivideRoundsDown', 'failed', 'dividing -7 by 2', 'calc_test.go:14: Divide(-7, 2) = -3, want -4'],
    ['TestNeedsDatabase', 'skipped', 'no database in this environment', 'calc_test.go:19'],
    ['TestAbs', 'failed', 'subtest TestAbs/negative failed', ''],
    ['TestAbs/positive', 'passed', '', ''],
    ['TestAbs/negative', 'failed', 'Abs(-3) = -3, want 3', 'calc_test.go:29: Abs(-3) = -3, want 3'],
    ['TestUnknownItem', 'failed', 'panic: unknown item coffee [recovered]', 'panics/panics_test.go:12 +0x'],
    ['[build failed]', 'error', 'the package did not build (its compiler output went to stderr)', ''],
  ])('%s: %s', (name, status, message, text) => {
    const testCase = find(suites, name);
    expect([testCase.status, testCase.message]).toEqual([status, message]);
    expect(testCase.details).toContain(text);
    expect(testCase.details).not.toMatch(/^(=== RUN|--- FAIL)/m);
  });

  test('the test after a panic never ran: it is not counted', () => {
    expect(cases(suites).map((testCase) => testCase.name)).not.toContain('TestAfterThePanic');
  });

  test('with stderr captured too (2>&1), the compiler errors explain the build failure', () => {
    const [broken] = suitesOf('go-test-stderr.json');
    expect(broken?.cases.map((testCase) => [testCase.name, testCase.status, testCase.message])).toEqual([
      ['[build failed]', 'error', 'broken/broken.go:7:3: undefined: sum'],
    ]);
    expect(broken?.cases[0]?.details).toBe(
      'broken/broken.go:7:3: undefined: sum\nbroken/broken.go:9:9: undefined: sum',
    );
  });

  test('a failed test run again (gotestsum --rerun-fails) that passed is flaky, not failed', () => {
    const rerun = suitesOf('go-test-rerun.json');
    expect(counts(rerun)).toEqual([['example.com/shop/flaky', 2, 0, 0, 0]]);
    expect(cases(rerun).map((testCase) => [testCase.name, testCase.status, testCase.flaky])).toEqual([
      ['TestWarmCache', 'passed', true],
      ['TestStable', 'passed', false],
    ]);
  });
});

describe('go test -json: what Go 1.19 cannot show here, in the shapes cmd/test2json documents', () => {
  const event = (fields: Record<string, unknown>): string =>
    JSON.stringify({ Time: '2026-12-01T10:00:00Z', ...fields });
  test.each<[string, string[], Array<[string, string, string]>]>([
    [
      'Go 1.24: build-output and build-fail events, FailedBuild on the package',
      [
        event({
          ImportPath: 'example.com/shop/broken [example.com/shop/broken.test]',
          Action: 'build-output',
          Output: '# example.com/shop/broken\n',
        }),
        event({
          ImportPath: 'example.com/shop/broken [example.com/shop/broken.test]',
          Action: 'build-output',
          Output: 'broken/broken.go:7:3: undefined: sum\n',
        }),
        event({ ImportPath: 'example.com/shop/broken [example.com/shop/broken.test]', Action: 'build-fail' }),
        event({ Action: 'start', Package: 'example.com/shop/broken' }),
        event({
          Action: 'output',
          Package: 'example.com/shop/broken',
          Output: 'FAIL\texample.com/shop/broken [build failed]\n',
        }),
        event({
          Action: 'fail',
          Package: 'example.com/shop/broken',
          Elapsed: 0,
          FailedBuild: 'example.com/shop/broken [example.com/shop/broken.test]',
        }),
      ],
      [['[build failed]', 'error', '# example.com/shop/broken']],
    ],
    [
      'a test the binary exited under (os.Exit, a timeout) did not finish',
      [
        event({ Action: 'run', Package: 'example.com/shop/jobs', Test: 'TestDrains' }),
        event({
          Action: 'output',
          Package: 'example.com/shop/jobs',
          Test: 'TestDrains',
          Output: '=== RUN   TestDrains\n',
        }),
        event({ Action: 'output', Package: 'example.com/shop/jobs', Output: 'FAIL\texample.com/shop/jobs\t0.004s\n' }),
        event({ Action: 'fail', Package: 'example.com/shop/jobs', Elapsed: 0.004 }),
      ],
      [['TestDrains', 'error', 'did not finish: the test binary exited while it ran']],
    ],
    [
      'a package that fails outside its tests (TestMain) gets a case',
      [
        event({ Action: 'output', Package: 'example.com/shop/db', Output: 'main_test.go:15: no database\n' }),
        event({ Action: 'output', Package: 'example.com/shop/db', Output: 'FAIL\texample.com/shop/db\t0.002s\n' }),
        event({ Action: 'fail', Package: 'example.com/shop/db', Elapsed: 0.002 }),
      ],
      [['[package]', 'error', 'main_test.go:15: no database']],
    ],
    [
      'packages without test files are left out; lines that are not events are ignored',
      [
        event({
          Action: 'output',
          Package: 'example.com/shop/cmd',
          Output: '?   \texample.com/shop/cmd\t[no test files]\n',
        }),
        event({ Action: 'skip', Package: 'example.com/shop/cmd', Elapsed: 0 }),
        'go: downloading example.com/lib v1.2.0',
        event({ Action: 'run', Package: 'example.com/shop/api', Test: 'TestPing' }),
        event({ Action: 'pass', Package: 'example.com/shop/api', Test: 'TestPing', Elapsed: 0.25 }),
        event({ Action: 'pass', Package: 'example.com/shop/api', Elapsed: 0.3 }),
      ],
      [['TestPing', 'passed', '']],
    ],
  ])('%s', (_name, lines, expected) => {
    const suites = parseGoTestJson(`${lines.join('\r\n')}\r\n`, 'go.json');
    expect(cases(suites).map((testCase) => [testCase.name, testCase.status, testCase.message])).toEqual(expected);
  });

  test('durations come from Elapsed: the package for the suite, the test for the case', () => {
    const suites = parseGoTestJson(
      [
        JSON.stringify({ Action: 'run', Package: 'p', Test: 'TestA' }),
        JSON.stringify({ Action: 'pass', Package: 'p', Test: 'TestA', Elapsed: 1.25 }),
        JSON.stringify({ Action: 'pass', Package: 'p', Elapsed: 1.5 }),
      ].join('\n'),
      'go.json',
    );
    expect([suites[0]?.time, suites[0]?.cases[0]?.time]).toEqual([1.5, 1.25]);
  });
});

describe('TRX', () => {
  test('xUnit through `dotnet test --logger trx`: a suite per class', () => {
    const suites = suitesOf('dotnet-xunit.trx');
    expect(counts(suites)).toEqual([
      ['Orders.Tests.OrderTotalsTests', 3, 1, 0, 1],
      ['Orders.Tests.ShippingTests', 5, 1, 1, 0],
    ]);
    expect(suites.map((suite) => Number(suite.time.toFixed(7)))).toEqual([0.0179178, 5.0080399]);
  });

  test.each([
    // fixture, test, status, message, seconds
    ['dotnet-xunit.trx', 'Adds_line_items', 'passed', '', 0.0041877],
    ['dotnet-xunit.trx', 'Applies_percentage_discount', 'failed', 'Assert.Equal() Failure: Values differ', 0.0127301],
    ['dotnet-xunit.trx', 'Converts_currency', 'skipped', 'exchange-rate service not reachable from CI', 0.001],
    ['dotnet-xunit.trx', 'Caches_rates(region: "EU")', 'passed', '', 0.0003105],
    ['dotnet-xunit.trx', 'Calls_carrier_api', 'error', 'Test execution timed out after 5000 milliseconds', 5.0012894],
    ['mstest-datarows.trx', 'Parses_sku (AB-100)', 'passed', '', 0.001102],
    [
      'mstest-datarows.trx',
      'Parses_sku (ab-100)',
      'failed',
      'Assert.AreEqual failed. Expected:<AB-100>. Actual:<ab-100>.',
      0.0183117,
    ],
    [
      'mstest-datarows.trx',
      'Applies_regional_tax',
      'skipped',
      'Assert.Inconclusive failed. Tax tables for 2027 are not published yet.',
      0.0007001,
    ],
  ])('%s %s: %s', (fixture, name, status, message, seconds) => {
    const testCase = find(suitesOf(fixture), name);
    expect([testCase.status, testCase.message, testCase.time]).toEqual([status, message, seconds]);
  });

  test('the failure text is the message then the stack trace, line breaks as \\n', () => {
    const testCase = find(suitesOf('dotnet-xunit.trx'), 'Applies_percentage_discount');
    expect(testCase.details.split('\n').slice(0, 4)).toEqual([
      'Assert.Equal() Failure: Values differ',
      'Expected: 84.15',
      'Actual:   85.00',
      'at Orders.Tests.OrderTotalsTests.Applies_percentage_discount() in /home/runner/work/shop/shop/services/orders/tests/Orders.Tests/OrderTotalsTests.cs:line 31',
    ]);
    expect(testCase.output).toBe('discount code SPRING15 on a basket of 3 items');
  });

  test('data rows are cases of their own; a retried test that passed is one flaky case', () => {
    const suites = suitesOf('mstest-datarows.trx');
    expect(counts(suites)).toEqual([
      ['Catalog.Tests.PriceListTests', 1, 0, 0, 0],
      ['Catalog.Tests.SkuTests', 2, 1, 0, 0],
      ['Catalog.Tests.TaxTests', 1, 0, 0, 1],
    ]);
    expect(find(suites, 'Reads_price_list')).toMatchObject({ status: 'passed', flaky: true, time: 0.0410012 });
  });

  test.each([
    ['00:00:00.0041877', 0.0041877],
    ['00:01:02.5', 62.5],
    ['1.02:00:00', 93_600],
    ['', 0],
    ['PT1S', 0],
  ])('parseDuration(%j) = %d', (text, seconds) => {
    expect(parseDuration(text)).toBeCloseTo(seconds, 9);
  });
});

describe('where each failure is annotated', () => {
  const workspace = (...files: string[]): WorkspaceFiles => ({
    root: '/home/runner/work/shop/shop',
    exists: (path) => files.includes(path),
  });
  const GO = [
    'go-sample/calc/calc_test.go',
    'go-sample/panics/panics_test.go',
    'go-sample/panics/panics.go',
    'go-sample/broken/broken.go',
  ];
  const ORDERS = [
    'services/orders/tests/Orders.Tests/OrderTotalsTests.cs',
    'services/orders/tests/Orders.Tests/ShippingTests.cs',
    'services/orders/src/Orders/Shipping.cs',
  ];
  const CATALOG = ['services/catalog/Catalog.Tests/SkuTests.cs', 'services/catalog/Catalog/PriceList.cs'];
  test.each([
    [
      'go: the first t.Error line, from the import path',
      'go-test.json',
      'go-sample/report.json',
      GO,
      'TestAbs/negative',
      'go-sample/calc/calc_test.go:29',
    ],
    [
      'go: a panic at the test’s frame, not the code under test',
      'go-test.json',
      'go-sample/report.json',
      GO,
      'TestUnknownItem',
      'go-sample/panics/panics_test.go:12',
    ],
    [
      'go: the compiler’s first error',
      'go-test-stderr.json',
      'go-sample/report.json',
      GO,
      '[build failed]',
      'go-sample/broken/broken.go:7',
    ],
    [
      'TRX: the test’s frame',
      'dotnet-xunit.trx',
      'services/orders/TestResults/run.trx',
      ORDERS,
      'Applies_percentage_discount',
      'services/orders/tests/Orders.Tests/OrderTotalsTests.cs:31',
    ],
    [
      'TRX: the test file before the code under test',
      'dotnet-xunit.trx',
      'services/orders/TestResults/run.trx',
      ORDERS,
      'Rejects_unknown_region',
      'services/orders/tests/Orders.Tests/ShippingTests.cs:22',
    ],
    [
      'TRX: a Windows path from another machine',
      'mstest-datarows.trx',
      'TestResults/catalog.trx',
      CATALOG,
      'Parses_sku (ab-100)',
      'services/catalog/Catalog.Tests/SkuTests.cs:19',
    ],
    ['TRX: no workspace file matches', 'dotnet-xunit.trx', 'run.trx', [], 'Calls_carrier_api', undefined],
  ])('%s', (_label, fixture, report, files, name, expected) => {
    const location = locateFailure(find(suitesOf(fixture), name), report, workspace(...files));
    expect(location === undefined ? undefined : `${location.file}:${location.line}`).toBe(expected);
  });
});
