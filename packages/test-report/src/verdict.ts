// The verdict over parsed reports: totals, failures in report order and whether the step fails.
import { formatPercent, type Coverage } from './coverage.ts';
import type { TestCase, TestSuite } from './junit.ts';
import type { SourceLocation } from './locations.ts';

export interface Totals {
  tests: number;
  passed: number;
  failures: number;
  errors: number;
  skipped: number;
  /** Passed after failing first (Surefire's reruns). */
  flaky: number;
  /** Seconds, summed over suites. */
  time: number;
}

export function totalsOf(suites: readonly TestSuite[]): Totals {
  const sum = (pick: (suite: TestSuite) => number): number => suites.reduce((total, suite) => total + pick(suite), 0);
  const failures = sum((suite) => suite.failures);
  const errors = sum((suite) => suite.errors);
  const skipped = sum((suite) => suite.skipped);
  const tests = sum((suite) => suite.tests);
  return {
    tests,
    passed: Math.max(tests - failures - errors - skipped, 0),
    failures,
    errors,
    skipped,
    flaky: sum((suite) => suite.cases.filter((testCase) => testCase.flaky).length),
    time: sum((suite) => suite.time || suite.cases.reduce((total, testCase) => total + testCase.time, 0)),
  };
}

export interface Verdict {
  passed: boolean;
  /** Why it did not pass, one phrase each; empty when it passed. */
  reasons: string[];
}

/**
 * Passed when no test failed or errored, reports that were asked for hold at least one test, and
 * coverage meets the minimum.
 */
export function decide(
  totals: Totals,
  readReports: boolean,
  coverage: Coverage | undefined,
  minCoverage: number,
): Verdict {
  const reasons: string[] = [];
  if (totals.failures > 0) reasons.push(`${plural(totals.failures, 'test')} of ${totals.tests} failed`);
  if (totals.errors > 0) reasons.push(`${plural(totals.errors, 'test')} of ${totals.tests} errored`);
  if (readReports && totals.tests === 0) reasons.push('the reports hold no test case');
  if (coverage !== undefined && minCoverage > 0 && coverage.percent < minCoverage) {
    reasons.push(`line coverage ${formatPercent(coverage.percent)} % is below the minimum of ${minCoverage} %`);
  }
  return { passed: reasons.length === 0, reasons };
}

export const plural = (count: number, noun: string): string => `${count} ${noun}${count === 1 ? '' : 's'}`;

/** A failed or errored test with where it failed. */
export interface Failure {
  testCase: TestCase;
  report: string;
  location: SourceLocation | undefined;
}

/** Failed and errored tests, in report order. */
export function failuresOf(suites: readonly TestSuite[]): Array<{ testCase: TestCase; report: string }> {
  return suites.flatMap((suite) =>
    suite.cases
      .filter((testCase) => testCase.status === 'failed' || testCase.status === 'error')
      .map((testCase) => ({ testCase, report: suite.report })),
  );
}

/** A test's name as a person reads it: `class › name`, without repeating a class the name already holds. */
export function testTitle(testCase: TestCase): string {
  const { classname, name } = testCase;
  if (classname === '' || name.startsWith(classname) || classname === name) return name || classname;
  return `${classname} › ${name}`;
}
