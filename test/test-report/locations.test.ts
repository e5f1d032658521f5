// Where each failed test of the real and documented reports is annotated, in workspaces laid out as
// those tools' projects are; and what is never pointed at.
import {
  locateFailure,
  parseJUnit,
  resolvePath,
  textLocations,
  type TestCase,
  type WorkspaceFiles,
} from '@shiprail/test-report';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { samples } from './tools.ts';

const workspace = (...files: string[]): WorkspaceFiles => ({
  root: '/home/runner/work/shop/shop',
  exists: (path) => files.includes(path),
});

function testCase(fixture: string, name: string): TestCase {
  const suites = parseJUnit(readFileSync(join(samples, 'reports', fixture), 'utf8'), fixture);
  const found = suites.flatMap((suite) => suite.cases).find((candidate) => candidate.name === name);
  if (!found) throw new Error(`no test ${name} in ${fixture}`);
  return found;
}

const PYTHON = ['services/calc/tests/test_calc.py', 'services/calc/calc.py'];
const CART = ['cart/src/test/java/com/acme/shop/CartTest.java', 'cart/src/main/java/com/acme/shop/Cart.java'];
const GO = ['services/pricing/discount/discount_test.go', 'services/pricing/tax/tax_test.go'];

describe('the location of a failed test', () => {
  test.each([
    // label, report fixture, where the report lies in the workspace, workspace files, test, expected location
    [
      'pytest: the assertion',
      'pytest-xunit2.xml',
      'services/calc/junit.xml',
      PYTHON,
      'test_add_wrong',
      'services/calc/tests/test_calc.py:11',
    ],
    [
      'pytest: the test’s line, not the code under test',
      'pytest-xunit2.xml',
      'services/calc/junit.xml',
      PYTHON,
      'test_divide_by_zero',
      'services/calc/tests/test_calc.py:15',
    ],
    [
      'pytest: a failing fixture',
      'pytest-xunit2.xml',
      'services/calc/junit.xml',
      PYTHON,
      'test_uses_broken_fixture',
      'services/calc/tests/test_calc.py:20',
    ],
    [
      'pytest: a method of a test class',
      'pytest-xunit2.xml',
      'services/calc/reports/junit.xml',
      PYTHON,
      'test_mean_empty',
      'services/calc/tests/test_calc.py:42',
    ],
    [
      'pytest xunit1: the text before the attribute',
      'pytest-xunit1.xml',
      'junit.xml',
      ['tests/test_calc.py'],
      'test_add_wrong',
      'tests/test_calc.py:11',
    ],
    [
      'Jest: the first frame in the workspace',
      'jest-junit.xml',
      'junit.xml',
      ['jest-sample/calc.test.cjs'],
      'calc adds wrongly',
      'jest-sample/calc.test.cjs:9',
    ],
    [
      'Jest: the test file over the code under test',
      'jest-junit.xml',
      'junit.xml',
      ['jest-sample/calc.test.cjs', 'jest-sample/calc.cjs'],
      'calc parses broken JSON',
      'jest-sample/calc.test.cjs:13',
    ],
    [
      'Jest: the code under test when the test file is gone',
      'jest-junit.xml',
      'junit.xml',
      ['jest-sample/calc.cjs'],
      'calc parses broken JSON',
      'jest-sample/calc.cjs:3',
    ],
    [
      "Node's test runner: a file:// frame in the workspace",
      'node-test-junit.xml',
      'junit.xml',
      ['node-sample/calc.test.mjs'],
      'adds wrongly',
      'node-sample/calc.test.mjs:11',
    ],
    [
      'Surefire: the test method’s frame',
      'surefire-TEST-com.acme.shop.CartTest.xml',
      'cart/target/surefire-reports/TEST-com.acme.shop.CartTest.xml',
      CART,
      'totalIncludesTax',
      'cart/src/test/java/com/acme/shop/CartTest.java:31',
    ],
    [
      'Surefire: the test over the class it calls',
      'surefire-TEST-com.acme.shop.CartTest.xml',
      'cart/target/surefire-reports/TEST-com.acme.shop.CartTest.xml',
      CART,
      'removesUnknownItem',
      'cart/src/test/java/com/acme/shop/CartTest.java:40',
    ],
    [
      'Gradle: a Kotlin test, app// frames',
      'gradle-TEST-com.acme.shop.InventoryTest.xml',
      'inventory/build/test-results/test/TEST-com.acme.shop.InventoryTest.xml',
      ['inventory/src/test/kotlin/com/acme/shop/InventoryTest.kt'],
      'rejectsNegativeQuantity()',
      'inventory/src/test/kotlin/com/acme/shop/InventoryTest.kt:22',
    ],
    [
      'Go: the package directory from the import path',
      'go-junit-report.xml',
      'services/pricing/report.xml',
      GO,
      'TestPercentOff/rounds_half_up',
      'services/pricing/discount/discount_test.go:27',
    ],
    [
      'Go: the first t.Error line',
      'go-junit-report.xml',
      'report.xml',
      GO,
      'TestRegions',
      'services/pricing/tax/tax_test.go:12',
    ],
    ['no workspace file matches: no location', 'jest-junit.xml', 'junit.xml', [], 'calc adds wrongly', undefined],
  ])('%s', (_label, fixture, report, files, name, expected) => {
    const location = locateFailure(testCase(fixture, name), report, workspace(...files));
    expect(location === undefined ? undefined : `${location.file}:${location.line}`).toBe(expected);
  });

  const bare = (details: string, file?: string): TestCase => ({
    suite: 's',
    classname: 'c',
    name: 'n',
    status: 'failed',
    time: 0,
    message: '',
    details,
    type: '',
    file,
    line: file === undefined ? undefined : 7,
    output: '',
    flaky: false,
  });

  test.each([
    ['a path out of the workspace', bare('../../etc/passwd.py:1: boom'), ['etc/passwd.py'], undefined],
    ['an absolute path elsewhere that names no workspace file', bare('    at f (/etc/hosts.js:3:1)'), [], undefined],
    [
      'a dependency frame',
      bare('    at f (/home/runner/work/shop/shop/node_modules/lib/index.js:3:1)'),
      ['node_modules/lib/index.js'],
      undefined,
    ],
    [
      'the file and line attributes when the text has none',
      bare('boom', 'src/a.test.ts'),
      ['src/a.test.ts'],
      'src/a.test.ts:7',
    ],
    ['a file attribute outside the workspace', bare('boom', '/etc/passwd'), [], undefined],
    [
      'a file URL frame',
      bare('    at file:///home/runner/work/shop/shop/src/a.test.mjs:4:2'),
      ['src/a.test.mjs'],
      'src/a.test.mjs:4',
    ],
    [
      'a Python traceback, innermost last',
      bare('Traceback:\n  File "tests/test_a.py", line 3, in t\n  File "tests/helper.py", line 9, in h'),
      ['tests/test_a.py', 'tests/helper.py'],
      'tests/helper.py:9',
    ],
  ])('%s', (_label, failed, files, expected) => {
    const location = locateFailure(failed, 'junit.xml', workspace(...files));
    expect(location === undefined ? undefined : `${location.file}:${location.line}`).toBe(expected);
  });
});

describe('locations in failure text', () => {
  test.each([
    ['V8 frames, innermost first', '    at a (/w/x.js:1:2)\n    at /w/y.js:3:4', ['/w/x.js:1', '/w/y.js:3']],
    ['pytest lines, innermost last', 'tests/t.py:5: \n\ncalc.py:9: ZeroDivisionError', ['calc.py:9', 'tests/t.py:5']],
    ['Go t.Error lines in order', '    a_test.go:3: x\n    a_test.go:4: y', ['a_test.go:3', 'a_test.go:4']],
    [
      'Java frames with module prefixes',
      '\tat java.base@21/java.lang.Thread.run(Thread.java:1)\n\tat app//a.B.c(B.java:5)',
      ['Thread.java:1', 'B.java:5'],
    ],
    ['nothing that looks like a location', 'expected 4, got 5 at 10:30', []],
  ])('%s', (_label, text, expected) => {
    expect(textLocations(text).map((location) => `${location.path}:${location.line}`)).toEqual(expected);
  });

  test.each([
    ['relative to the report’s directory', 'tests/t.py', ['svc/tests/t.py'], 'svc/tests/t.py'],
    ['absolute inside the workspace', '/home/runner/work/shop/shop/a/b.ts', ['a/b.ts'], 'a/b.ts'],
    ['absolute from a container: the longest tail that exists', '/app/src/b.ts', ['src/b.ts', 'b.ts'], 'src/b.ts'],
    ['Windows separators', 'tests\\t.py', ['svc/tests/t.py'], 'svc/tests/t.py'],
    ['never above the workspace', '../../../outside.py', ['outside.py'], undefined],
  ])('resolvePath: %s', (_label, path, files, expected) => {
    expect(resolvePath(path, workspace(...files), ['svc', '.'])).toBe(expected);
  });
});
