// JUnit XML as the common tools write it: pytest (xunit1 and xunit2), Jest's jest-junit, Maven Surefire,
// Gradle / JUnit 5, go-junit-report, Node's test runner. A `<testsuites>` root or a bare `<testsuite>`, suites
// nested or not; Node puts top-level tests straight under `<testsuites>`.
import { ConfigurationError } from '@shiprail/core';
import { children, firstChild, parseXml, type XmlElement } from './xml.ts';

export type TestStatus = 'passed' | 'failed' | 'error' | 'skipped';

export interface TestCase {
  suite: string;
  classname: string;
  name: string;
  status: TestStatus;
  /** Seconds. */
  time: number;
  /** The failure's (or error's, or skip's) message: its `message` attribute, else the first line of its text. */
  message: string;
  /** The failure's text: a stack trace, pytest's traceback, Go's `file_test.go:12:` lines. */
  details: string;
  /** The failure's `type` attribute (exception class). */
  type: string;
  /** `file` / `line` attributes (the suite's `file` when the case has none); pytest's 0-based `line` is corrected. */
  file: string | undefined;
  line: number | undefined;
  /** What the test printed (`system-out`, then `system-err`), as the report captured it. */
  output: string;
  /** Surefire's reruns: a test that failed and then passed. */
  flaky: boolean;
}

export interface TestSuite {
  name: string;
  /** The report file the suite was read from (workspace-relative). */
  report: string;
  tests: number;
  failures: number;
  errors: number;
  skipped: number;
  /** Seconds. */
  time: number;
  /** The suite's `file` attribute, when the tool writes one. */
  file: string | undefined;
  cases: TestCase[];
}

interface PendingSuite {
  element: XmlElement;
  inheritedFile: string | undefined;
}

/** Reads one JUnit XML report. Throws ConfigurationError (file and line) when it is not one. */
export function parseJUnit(xml: string, file: string): TestSuite[] {
  return readJUnit(parseXml(xml, file), file);
}

/** Reads a parsed JUnit XML document. */
export function readJUnit(root: XmlElement, file: string): TestSuite[] {
  if (root.name !== 'testsuites' && root.name !== 'testsuite') {
    throw new ConfigurationError(
      `is not a test report: its root element is <${root.name}>, expected <testsuites> or <testsuite> (JUnit XML) or <TestRun> (TRX)`,
      { file },
    );
  }
  const suites: TestSuite[] = [];
  if (root.name === 'testsuites' && firstChild(root, 'testcase')) {
    suites.push(readSuite(root, file, undefined));
  }
  // Each suite, then those nested in it, in document order; a stack of its own rather than recursion, as a
  // report may nest suites as deep as it likes.
  const outermost = root.name === 'testsuite' ? [root] : children(root, 'testsuite');
  const pending: PendingSuite[] = outermost.reverse().map((element) => ({ element, inheritedFile: undefined }));
  for (let next = pending.pop(); next; next = pending.pop()) {
    const suite = readSuite(next.element, file, next.inheritedFile);
    const nested = children(next.element, 'testsuite');
    if (suite.cases.length > 0 || nested.length === 0) suites.push(suite);
    for (const element of nested.reverse()) pending.push({ element, inheritedFile: suite.file });
  }
  return suites;
}

function readSuite(element: XmlElement, report: string, inheritedFile: string | undefined): TestSuite {
  const name = element.attributes.get('name') ?? '';
  const file = element.attributes.get('file') ?? element.attributes.get('filepath') ?? inheritedFile;
  // pytest names its suite "pytest" and writes 0-based `line` attributes.
  const zeroBasedLines = name === 'pytest';
  const cases = children(element, 'testcase').map((testcase) => readCase(testcase, name, file, zeroBasedLines));
  const count = (status: TestStatus): number => cases.filter((testCase) => testCase.status === status).length;
  const declared = (key: string): number => toCount(element.attributes.get(key));
  // A suite without test cases (an aggregate written by some tools) still carries its counts.
  const fromCases = cases.length > 0;
  return {
    name,
    report,
    tests: fromCases ? cases.length : declared('tests'),
    failures: fromCases ? count('failed') : declared('failures'),
    errors: fromCases ? count('error') : declared('errors'),
    skipped: fromCases ? count('skipped') : declared('skipped') + declared('disabled'),
    time: toSeconds(element.attributes.get('time')),
    file,
    cases,
  };
}

function readCase(
  element: XmlElement,
  suite: string,
  suiteFile: string | undefined,
  zeroBasedLines: boolean,
): TestCase {
  const failure = firstChild(element, 'failure');
  const error = firstChild(element, 'error');
  const skipped = firstChild(element, 'skipped');
  const outcome = failure ?? error ?? skipped;
  const status: TestStatus = failure ? 'failed' : error ? 'error' : skipped ? 'skipped' : 'passed';
  const details = outcome ? outcome.text.trim() : '';
  const line = toLine(element.attributes.get('line'));
  return {
    suite,
    classname: element.attributes.get('classname') ?? element.attributes.get('class') ?? '',
    name: element.attributes.get('name') ?? '',
    status,
    time: toSeconds(element.attributes.get('time')),
    message: outcome ? (outcome.attributes.get('message') ?? firstLine(details)) : '',
    details,
    type: outcome ? (outcome.attributes.get('type') ?? '') : '',
    file: element.attributes.get('file') ?? element.attributes.get('filepath') ?? suiteFile,
    line: line === undefined ? undefined : zeroBasedLines ? line + 1 : line,
    output: ['system-out', 'system-err']
      .flatMap((tag) => children(element, tag).map((child) => child.text.trim()))
      .filter((part) => part !== '')
      .join('\n'),
    flaky:
      status === 'passed' &&
      (firstChild(element, 'flakyFailure') !== undefined || firstChild(element, 'flakyError') !== undefined),
  };
}

const firstLine = (value: string): string => value.split(/\r?\n/, 1)[0]?.trim() ?? '';

function toCount(value: string | undefined): number {
  const parsed = Number(value);
  return value !== undefined && Number.isInteger(parsed) && parsed >= 0 ? parsed : 0;
}

function toLine(value: string | undefined): number | undefined {
  const parsed = Number(value);
  return value !== undefined && value !== '' && Number.isInteger(parsed) && parsed >= 0 ? parsed : undefined;
}

/** Seconds as tools write them: `0.012`, `1,234.5` (Surefire in some locales), or nothing. */
function toSeconds(value: string | undefined): number {
  const parsed = Number((value ?? '').replace(/,/g, ''));
  return Number.isFinite(parsed) && parsed > 0 ? parsed : 0;
}
