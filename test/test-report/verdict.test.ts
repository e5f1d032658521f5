// The decision and the summary from plain values: when the step passes, and what a person sees first.
import {
  decide,
  parseCoverage,
  parseInputs,
  parseJUnit,
  renderSummary,
  totalsOf,
  type Coverage,
  type ReportResult,
  type TestSuite,
} from '@shiprail/test-report';
import { InputParser } from '@shiprail/core';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { configurationMistake, samples } from './tools.ts';

const totals = (tests: number, failures = 0, errors = 0, skipped = 0) => ({
  tests,
  passed: tests - failures - errors - skipped,
  failures,
  errors,
  skipped,
  flaky: 0,
  time: 1,
});
const coverage = (percent: number): Coverage => ({
  format: 'lcov',
  file: 'lcov.info',
  linesValid: 100,
  linesCovered: percent,
  percent,
});

describe('the verdict', () => {
  test.each([
    ['all passed', totals(10, 0, 0, 2), true, undefined, 0, []],
    ['a failure', totals(10, 1), true, undefined, 0, ['1 test of 10 failed']],
    ['failures and errors', totals(10, 2, 1), true, undefined, 0, ['2 tests of 10 failed', '1 test of 10 errored']],
    ['reports without a test', totals(0), true, undefined, 0, ['the reports hold no test case']],
    ['coverage alone, no reports', totals(0), false, coverage(50), 0, []],
    ['coverage at the minimum', totals(3), true, coverage(80), 80, []],
    [
      'coverage just below the minimum',
      totals(3),
      true,
      coverage(79.996),
      80,
      ['line coverage 79.99 % is below the minimum of 80 %'],
    ],
    ['no minimum', totals(3), true, coverage(1), 0, []],
  ])('%s', (_label, counts, readReports, measured, minimum, reasons) => {
    expect(decide(counts, readReports, measured, minimum)).toEqual({ passed: reasons.length === 0, reasons });
  });
});

describe('inputs', () => {
  const parse = (values: Record<string, string>) =>
    parseInputs(
      new InputParser(
        (name) => values[name] ?? '',
        () => undefined,
      ),
    );

  test('defaults', () => {
    expect(parse({ reports: 'a.xml\n# comment\n\nb/**/*.xml' })).toEqual({
      reports: ['a.xml', 'b/**/*.xml'],
      coverage: '',
      'min-coverage': 0,
      name: 'Tests',
    });
  });

  test.each([
    [{}, "input 'reports': give JUnit XML globs here, a coverage file, or both"],
    [{ reports: 'a.xml', 'min-coverage': '80' }, "input 'min-coverage': is 80 but no coverage file is given"],
    [{ coverage: 'lcov.info', 'min-coverage': '101' }, "input 'min-coverage': must be at most 100, got 101"],
    [{ coverage: 'lcov.info', 'min-coverage': 'eighty' }, "input 'min-coverage': expected a number, got 'eighty'"],
  ])('%j is refused', (values, message) => {
    expect(configurationMistake(() => parse(values))).toBe(message);
  });
});

describe('the summary', () => {
  const suites: TestSuite[] = parseJUnit(
    readFileSync(join(samples, 'reports', 'pytest-xunit2.xml'), 'utf8'),
    'svc/junit.xml',
  );
  const measured = parseCoverage(readFileSync(join(samples, 'reports', 'coverage-py.xml'), 'utf8'), 'svc/coverage.xml');
  const result: ReportResult = {
    suites,
    totals: totalsOf(suites),
    failures: suites
      .flatMap((suite) => suite.cases)
      .filter((testCase) => testCase.status === 'failed' || testCase.status === 'error')
      .map((testCase) => ({
        testCase,
        report: 'svc/junit.xml',
        location: { file: 'svc/tests/test_calc.py', line: 11 },
      })),
    coverage: measured,
    verdict: { passed: false, reasons: ['3 tests of 8 failed'] },
    readReports: true,
  };
  const markdown = renderSummary(result, {
    name: 'api',
    blobUrl: 'https://github.com/acme/shop/blob/abc',
    minCoverage: 80,
  });

  test('reads verdict, failures, suites, coverage, in that order', () => {
    const order = [
      '### api: ❌ 3 failed, 1 errored, 2 passed, 2 skipped of 8 tests · line coverage 86.11 %',
      '#### Failures',
      '#### Suites',
      '#### Coverage',
    ];
    const positions = order.map((heading) => markdown.indexOf(heading));
    expect(positions.every((position) => position >= 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
  });

  test('a failure row links to its line and carries the message', () => {
    expect(markdown).toContain(
      '| tests.test_calc › test_add_wrong | failed | [svc/tests/test_calc.py:11](https://github.com/acme/shop/blob/abc/svc/tests/test_calc.py#L11) | assert 4 == 5 + where 4 = &lt;function add at',
    );
    expect(markdown).toContain('| `svc/coverage.xml` | Cobertura | 31 | 36 | 86.11 % | 80 % |');
  });

  test('failure text cannot close its code block or inject markup', () => {
    const [first] = result.failures;
    if (first === undefined) throw new Error('the report has failures');
    const hostile = {
      ...first,
      testCase: { ...first.testCase, name: '<img src=x> | `x`', details: '```\n</details><script>' },
    };
    const page = renderSummary({ ...result, failures: [hostile] }, { name: 'api', blobUrl: '', minCoverage: 0 });
    expect(page).toContain('&lt;img src=x&gt; \\| `x`');
    expect(page).toContain('````text\n```\n</details><script>\n````');
    const pipes = renderSummary(
      { ...result, failures: [], suites: result.suites.map((suite) => ({ ...suite, report: 'a|b.xml' })) },
      { name: 'api', blobUrl: '', minCoverage: 0 },
    );
    expect(pipes).toContain('| `a\\|b.xml` |');
  });
});
