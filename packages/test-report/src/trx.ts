// Visual Studio test results (TRX: `dotnet test --logger trx`, vstest.console, MSTest), the TeamTest 2010
// schema (vstst.xsd): `<TestRun>` with `<Results>` of `<UnitTestResult>` (outcome, `duration` as
// hh:mm:ss.fffffff, `<Output>` with StdOut, StdErr and `<ErrorInfo>` Message and StackTrace) and
// `<TestDefinitions>` whose `<UnitTest>` / `<TestMethod>` give each test's class. A suite per test class. Data-driven
// tests' rows (`<InnerResults>`) are cases of their own; a test with several results (a retried test) is
// one case: its last result, flaky when it passed after failing.
import type { TestCase, TestStatus, TestSuite } from './junit.ts';
import { children, firstChild, type XmlElement } from './xml.ts';

/** TRX outcomes (vstst.xsd's TestOutcome) as test-report counts them. */
const OUTCOMES: Readonly<Record<string, TestStatus>> = {
  Passed: 'passed',
  PassedButRunAborted: 'passed',
  Completed: 'passed',
  Warning: 'passed',
  Failed: 'failed',
  Error: 'error',
  Timeout: 'error',
  Aborted: 'error',
  Disconnected: 'error',
  NotRunnable: 'error',
  InProgress: 'error',
  Pending: 'error',
  // NotExecuted: [Ignore] / Skip; Inconclusive: MSTest's Assert.Inconclusive, neither a pass nor a failure.
  NotExecuted: 'skipped',
  Inconclusive: 'skipped',
};

interface Definition {
  className: string;
  name: string;
}

/** Reads a parsed TRX document (its root is `<TestRun>`). */
export function readTrx(root: XmlElement, file: string): TestSuite[] {
  const definitions = new Map<string, Definition>();
  for (const definitionList of children(root, 'TestDefinitions')) {
    for (const test of definitionList.children) {
      const method = firstChild(test, 'TestMethod');
      const id = test.attributes.get('id');
      if (id === undefined) continue;
      definitions.set(id, {
        className: method?.attributes.get('className') ?? '',
        name: method?.attributes.get('name') ?? test.attributes.get('name') ?? '',
      });
    }
  }
  // Results by test (a data row by its own test name), in order of their first result.
  const byTest = new Map<string, XmlElement[]>();
  const collect = (result: XmlElement): void => {
    const inner = firstChild(result, 'InnerResults');
    if (inner && inner.children.length > 0) {
      for (const row of inner.children) collect(row);
      return;
    }
    const key = `${result.attributes.get('testId') ?? ''}\u0000${result.attributes.get('testName') ?? ''}`;
    const list = byTest.get(key);
    if (list) list.push(result);
    else byTest.set(key, [result]);
  };
  for (const results of children(root, 'Results')) for (const result of results.children) collect(result);

  const suites = new Map<string, TestSuite>();
  for (const results of byTest.values()) {
    const testCase = readResult(results, definitions);
    let suite = suites.get(testCase.suite);
    if (!suite) {
      suite = {
        name: testCase.suite,
        report: file,
        tests: 0,
        failures: 0,
        errors: 0,
        skipped: 0,
        time: 0,
        file: undefined,
        cases: [],
      };
      suites.set(testCase.suite, suite);
    }
    suite.cases.push(testCase);
    suite.tests += 1;
    suite.time += testCase.time;
    if (testCase.status === 'failed') suite.failures += 1;
    if (testCase.status === 'error') suite.errors += 1;
    if (testCase.status === 'skipped') suite.skipped += 1;
  }
  return [...suites.values()];
}

function readResult(results: readonly XmlElement[], definitions: ReadonlyMap<string, Definition>): TestCase {
  const last = results[results.length - 1] as XmlElement;
  const definition = definitions.get(last.attributes.get('testId') ?? '');
  const outcome = last.attributes.get('outcome') ?? '';
  // A result without an outcome is one the run never finished.
  const status: TestStatus = OUTCOMES[outcome] ?? 'error';
  const output = firstChild(last, 'Output');
  const errorInfo = output ? firstChild(output, 'ErrorInfo') : undefined;
  const text = (element: XmlElement | undefined, name: string): string =>
    (element ? firstChild(element, name)?.text : undefined)?.replace(/\r\n?/g, '\n').trim() ?? '';
  const message = text(errorInfo, 'Message');
  const stackTrace = text(errorInfo, 'StackTrace');
  const testName = last.attributes.get('testName') ?? definition?.name ?? '';
  const className = definition?.className ?? '';
  // vstest names a result by the fully qualified method; the class is the suite, the rest the test.
  const name =
    className !== '' && testName.startsWith(`${className}.`) ? testName.slice(className.length + 1) : testName;
  return {
    suite: className || '(no class)',
    classname: className,
    name,
    status,
    time: parseDuration(last.attributes.get('duration')),
    // xUnit writes a skipped test's reason to its StdOut.
    message:
      (message || (status === 'skipped' ? text(output, 'StdOut') : '')).split(/\r?\n/, 1)[0]?.trim() ||
      (status === 'passed' ? '' : outcome || 'no outcome'),
    details: [message, stackTrace].filter((part) => part !== '').join('\n'),
    type: status === 'passed' || status === 'failed' ? '' : outcome,
    file: undefined,
    line: undefined,
    output: [text(output, 'StdOut'), text(output, 'StdErr')].filter((part) => part !== '').join('\n'),
    flaky:
      status === 'passed' &&
      results.slice(0, -1).some((earlier) => {
        const earlierStatus = OUTCOMES[earlier.attributes.get('outcome') ?? ''];
        return earlierStatus === 'failed' || earlierStatus === 'error';
      }),
  };
}

/** A .NET TimeSpan as XML serialization writes it: `[d.]hh:mm:ss[.fffffff]`; 0 when absent or unreadable. */
export function parseDuration(value: string | undefined): number {
  const match = /^(?:(\d+)\.)?(\d+):(\d+):(\d+(?:\.\d+)?)$/.exec(value?.trim() ?? '');
  if (!match) return 0;
  const [, days = '0', hours = '0', minutes = '0', seconds = '0'] = match;
  return Number(days) * 86_400 + Number(hours) * 3600 + Number(minutes) * 60 + Number(seconds);
}
