// JUnit XML dialects: the committed reports of real tools (pytest, jest-junit, Node's test runner) and documented shapes
// (Surefire, Gradle, go-junit-report), then the edges of the format, each from a table.
import { parseJUnit, totalsOf, type TestCase, type TestSuite } from '@shiprail/test-report';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { configurationMistake, samples } from './tools.ts';

const readReport = (name: string): TestSuite[] =>
  parseJUnit(readFileSync(join(samples, 'reports', name), 'utf8'), `reports/${name}`);

const failed = (suites: readonly TestSuite[]): TestCase[] =>
  suites.flatMap((suite) =>
    suite.cases.filter((testCase) => testCase.status === 'failed' || testCase.status === 'error'),
  );

describe('reports of real tools and documented shapes', () => {
  test.each([
    // file, suites, tests, failures, errors, skipped, flaky, first failed test, its message
    ['pytest-xunit2.xml', 1, 8, 3, 1, 2, 0, 'test_add_wrong', 'assert 4 == 5'],
    ['pytest-xunit1.xml', 1, 8, 3, 1, 2, 0, 'test_add_wrong', 'assert 4 == 5'],
    [
      'jest-junit.xml',
      1,
      4,
      2,
      0,
      1,
      0,
      'calc adds wrongly',
      'Error: expect(received).toBe(expected) // Object.is equality',
    ],
    [
      'surefire-TEST-com.acme.shop.CartTest.xml',
      1,
      5,
      1,
      1,
      1,
      1,
      'totalIncludesTax',
      'expected: <107.0> but was: <100.0>',
    ],
    [
      'gradle-TEST-com.acme.shop.InventoryTest.xml',
      1,
      3,
      1,
      0,
      1,
      0,
      'rejectsNegativeQuantity()',
      'org.opentest4j.AssertionFailedError: Expected java.lang.IllegalArgumentException to be thrown, but nothing was thrown.',
    ],
    ['go-junit-report.xml', 2, 5, 2, 0, 1, 0, 'TestPercentOff/rounds_half_up', 'Failed'],
    // Top-level tests straight under <testsuites>, a describe() block as a nested suite.
    ['node-test-junit.xml', 2, 4, 1, 0, 1, 0, 'adds wrongly', 'Expected values to be strictly equal:'],
  ])('%s', (file, suiteCount, tests, failures, errors, skipped, flaky, firstFailed, message) => {
    const suites = readReport(file);
    expect(suites).toHaveLength(suiteCount);
    expect(totalsOf(suites)).toMatchObject({ tests, failures, errors, skipped, flaky });
    const [first] = failed(suites);
    expect(first?.name).toBe(firstFailed);
    expect(first?.message.split('\n')[0]).toBe(message);
    expect(first?.details).not.toBe('');
  });

  test('pytest xunit1 line attributes are 0-based and become 1-based; xunit2 has none', () => {
    const xunit1 = failed(readReport('pytest-xunit1.xml'))[0];
    expect({ file: xunit1?.file, line: xunit1?.line }).toEqual({ file: 'tests/test_calc.py', line: 10 });
    const xunit2 = failed(readReport('pytest-xunit2.xml'))[0];
    expect({ file: xunit2?.file, line: xunit2?.line }).toEqual({ file: undefined, line: undefined });
  });

  test('a pytest fixture failure is an error, with pytest’s message', () => {
    const errored = readReport('pytest-xunit2.xml')[0]?.cases.find((testCase) => testCase.status === 'error');
    expect(errored).toMatchObject({
      name: 'test_uses_broken_fixture',
      message: 'failed on setup with "RuntimeError: fixture could not start"',
    });
  });
});

const suite = (body: string, attributes = 'name="s"'): string => `<testsuite ${attributes}>${body}</testsuite>`;

describe('format edges', () => {
  test.each([
    ['a bare testsuite root', suite('<testcase name="a"/><testcase name="b"><failure/></testcase>'), 2, 1, 0, 0],
    [
      'testsuites around nested suites',
      `<testsuites>${suite(suite('<testcase name="a"/>', 'name="inner"'), 'name="outer"')}</testsuites>`,
      1,
      0,
      0,
      0,
    ],
    [
      'counts of a suite without test cases',
      suite('', 'name="s" tests="7" failures="2" errors="1" skipped="1"'),
      7,
      2,
      1,
      1,
    ],
    [
      'an error and a skip',
      suite('<testcase name="a"><error message="boom"/></testcase><testcase name="b"><skipped/></testcase>'),
      2,
      0,
      1,
      1,
    ],
    [
      'a failure in text only, CDATA',
      suite('<testcase name="a"><failure><![CDATA[x < y\nat f]]></failure></testcase>'),
      1,
      1,
      0,
      0,
    ],
    ['a byte order mark and declaration', `\uFEFF<?xml version="1.0"?>${suite('<testcase name="a"/>')}`, 1, 0, 0, 0],
    ['an empty report', '<testsuites/>', 0, 0, 0, 0],
  ])('%s', (_label, xml, tests, failures, errors, skipped) => {
    expect(totalsOf(parseJUnit(xml, 'r.xml'))).toMatchObject({ tests, failures, errors, skipped });
  });

  test('the message is the attribute, else the first line of the text; entities are decoded', () => {
    const [testSuite] = parseJUnit(
      suite(
        '<testcase name="a"><failure message="a &lt; b &amp;&#10;c">trace</failure></testcase>' +
          '<testcase name="b"><failure>\n  first line\nsecond</failure></testcase>',
      ),
      'r.xml',
    );
    expect(testSuite?.cases.map((testCase) => testCase.message)).toEqual(['a < b &\nc', 'first line']);
  });

  test('what a test printed is kept: system-out, then system-err', () => {
    const [testSuite] = parseJUnit(
      suite(
        '<testcase name="a"><failure/><system-out>out\n</system-out><system-err><![CDATA[err]]></system-err></testcase>',
      ),
      'r.xml',
    );
    expect(testSuite?.cases[0]?.output).toBe('out\nerr');
  });

  test('test cases inherit their suite’s file attribute', () => {
    const [testSuite] = parseJUnit(suite('<testcase name="a"/>', 'name="s" file="src/a.test.ts"'), 'r.xml');
    expect(testSuite?.cases[0]?.file).toBe('src/a.test.ts');
  });

  test.each([
    ['not XML at all', 'hello', /r\.xml(:1)?: malformed XML/],
    [
      'an unclosed tag',
      '<testsuites>\n<testsuite name="a">\n<testcase name="b">\n</testsuites>',
      /^r\.xml:4: malformed XML/,
    ],
    ['another root', '<coverage line-rate="1"/>', /^r\.xml: is not a test report: its root element is <coverage>/],
    [
      'an entity declaration (billion laughs)',
      '<?xml version="1.0"?>\n<!DOCTYPE lolz [\n<!ENTITY lol "lol">\n<!ENTITY lol2 "&lol;&lol;&lol;&lol;">\n]>\n<testsuite name="&lol2;"/>',
      /^r\.xml:3: declares XML entities/,
    ],
    [
      'an external entity',
      '<!DOCTYPE t [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><testsuite name="&xxe;"/>',
      /^r\.xml:1: declares XML entities/,
    ],
  ])('%s is a ConfigurationError at the file (and line)', (_label, xml, message) => {
    expect(configurationMistake(() => parseJUnit(xml, 'r.xml'))).toMatch(message);
  });
});
