// The bundled action as the runner runs it, on reports that pytest and coverage.py write during the
// test, and on the committed reports of the other tools laid out as their projects are.
import { join } from 'node:path';
import { copySample, runPytest } from './tools.ts';
import { Workspaces, annotatedLines, annotations, runTestReportBundle as run } from './workspace.ts';

const workspaces = new Workspaces();
const workspace = (files: Record<string, string> = {}): string => workspaces.create(files);
afterAll(() => workspaces.remove());

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
    expect(annotatedLines(result.stdout)).toEqual([
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
    const located = annotatedLines(result.stdout);
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
    // What a failed test printed is folded under its traceback.
    expect(result.summary).toContain('Output:\n\n```text\ncomputing total for 1 item\n```');
  });
});

describe('go test -json and TRX, read directly by the same `reports` globs', () => {
  test('a Go module and a .NET project: counts, verdict and annotations at the failing lines', async () => {
    const directory = workspace({
      // The module where go-sample's reports were made, /home/runner/work/shop/shop/go-sample.
      'go-sample/report.json': 'report:go-test.json',
      'go-sample/calc/calc_test.go': '',
      'go-sample/panics/panics_test.go': '',
      'go-sample/panics/panics.go': '',
      'go-sample/broken/broken.go': '',
      'services/orders/TestResults/run.trx': 'report:dotnet-xunit.trx',
      'services/orders/tests/Orders.Tests/OrderTotalsTests.cs': '',
      'services/orders/tests/Orders.Tests/ShippingTests.cs': '',
      'services/orders/src/Orders/Shipping.cs': '',
    });
    const result = await run(directory, { reports: 'go-sample/*.json\n**/*.trx', name: 'shop' });
    expect(result.exitCode).toBe(1);
    expect(result.outputs).toEqual({
      passed: 'false',
      tests: '17',
      failures: '6',
      errors: '2',
      skipped: '2',
      coverage: '',
    });
    // In the order of the reports and their tests; a parent test that failed through its subtest, a
    // build failure whose compiler output went to stderr and a timeout have no line to point at.
    expect(annotatedLines(result.stdout)).toEqual([
      'go-sample/panics/panics_test.go:12',
      'go-sample/calc/calc_test.go:12',
      'undefined:undefined',
      'go-sample/calc/calc_test.go:29',
      'undefined:undefined',
      'services/orders/tests/Orders.Tests/OrderTotalsTests.cs:31',
      'services/orders/tests/Orders.Tests/ShippingTests.cs:22',
      'undefined:undefined',
      'undefined:undefined',
    ]);
    expect(result.stdout).toContain(
      '✗ example.com/shop/broken › [build failed]: the package did not build (its compiler output went to stderr)',
    );
    expect(result.summary).toContain('Orders.Tests.ShippingTests');
    expect(result.summary).toContain('go-sample/calc/calc_test.go:29');
  });
});
