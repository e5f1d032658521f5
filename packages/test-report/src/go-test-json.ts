// `go test -json` output (cmd/test2json events, one JSON object a line), read in one pass: a suite per
// package, a case per test and subtest (`TestAbs/negative`), the test's own output as its failure text
// (Go's `file_test.go:12: message` lines and panic traces, which the locator reads). A test run again in
// the same stream (gotestsum --rerun-fails appends reruns to its file) that passes after failing is
// flaky. A package that fails with no failing test (a build failure, a panic outside a test, a crash) gets
// a case of its own, so that no failure goes unreported. Lines that are not events are what Go wrote
// to stderr when it is captured too (`2>&1`): Go before 1.24 writes build failures there
// (`# pkg`, the compiler's `file.go:7:3: message` lines, then `FAIL\tpkg [build failed]`); Go 1.24 and
// later write them as `build-output` / `build-fail` events and a `FailedBuild` field.
import { ConfigurationError } from '@shiprail/core';
import type { TestCase, TestStatus, TestSuite } from './junit.ts';

/** One cmd/test2json event; only the fields read. */
interface GoTestEvent {
  Action?: string;
  Package?: string;
  Test?: string;
  Elapsed?: number;
  Output?: string;
  ImportPath?: string;
  FailedBuild?: string;
}

interface Attempt {
  status: TestStatus | undefined;
  elapsed: number;
  output: string[];
}

interface GoTest {
  name: string;
  attempts: Attempt[];
}

interface GoPackage {
  name: string;
  tests: Map<string, GoTest>;
  output: string[];
  status: TestStatus | undefined;
  elapsed: number;
  /** The compiler's output when the package (or its test binary) did not build. */
  buildOutput: string[];
  buildFailed: boolean;
}

/** Lines test2json passes through that say nothing about the failure: framing and verdict lines. */
const FRAMING = /^\s*(=== (RUN|PAUSE|CONT|NAME)\s|--- (PASS|FAIL|SKIP):\s)|^(PASS|FAIL|ok\s.*|FAIL\s.*|\?\s.*)$/;
/** `# example.com/shop/broken [example.com/shop/broken.test]`: the header of a package's compiler output. */
const BUILD_HEADER = /^# (\S+)(?: \[[^\]]*\])?$/;
/** `FAIL\texample.com/shop/broken [build failed]` (or `[setup failed]`). */
const BUILD_FAILED = /^FAIL\s+(\S+) \[(build|setup) failed\]$/;
/** `    calc_test.go:14: message`: where t.Error, t.Fatal, t.Log and t.Skip were called. */
const GO_LOCATION_LINE = /^\s*[^\s:]+\.go:\d+: ?(.*)$/;

/** Reads one `go test -json` stream. Throws ConfigurationError when it holds no event at all. */
export function parseGoTestJson(text: string, file: string): TestSuite[] {
  const reader = new GoTestReader();
  let events = 0;
  let lineNumber = 0;
  for (let start = 0; start < text.length;) {
    const newline = text.indexOf('\n', start);
    const end = newline === -1 ? text.length : newline;
    const line = text.charCodeAt(end - 1) === 0x0d ? text.slice(start, end - 1) : text.slice(start, end);
    lineNumber += 1;
    start = end + 1;
    const event = line.startsWith('{') ? parseEvent(line) : undefined;
    if (event) {
      events += 1;
      reader.event(event);
    } else if (line.trim() !== '' && reader.plainLine(line)) {
      events += 1;
    }
  }
  if (events === 0) {
    throw new ConfigurationError(
      `is not a JUnit XML or TRX report, nor \`go test -json\` output: no test event in its ${lineNumber} line${lineNumber === 1 ? '' : 's'}`,
      { file },
    );
  }
  return reader.suites(file);
}

function parseEvent(line: string): GoTestEvent | undefined {
  try {
    const value: unknown = JSON.parse(line);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

const importPath = (value: string): string => value.replace(/ \[[^\]]*\]$/, '');

class GoTestReader {
  private readonly packages = new Map<string, GoPackage>();
  /** The package whose compiler output the plain lines now belong to. */
  private buildBlock: GoPackage | undefined;

  event(event: GoTestEvent): void {
    const action = event.Action ?? '';
    if (action === 'build-output' || action === 'build-fail') {
      const target = this.package(importPath(event.ImportPath ?? ''));
      if (action === 'build-fail') target.buildFailed = true;
      else if (event.Output !== undefined) target.buildOutput.push(event.Output.replace(/\n$/, ''));
      return;
    }
    if (event.Package === undefined) return;
    const target = this.package(event.Package);
    if (event.FailedBuild !== undefined) this.package(importPath(event.FailedBuild)).buildFailed = true;
    if (event.Test === undefined) this.packageEvent(target, action, event);
    else this.testEvent(target, event.Test, action, event);
  }

  /** A line that is not an event; true when it is one Go writes (a build failure's header or verdict). */
  plainLine(line: string): boolean {
    const failed = BUILD_FAILED.exec(line);
    if (failed) {
      this.package(failed[1] ?? '').buildFailed = true;
      this.buildBlock = undefined;
      return true;
    }
    const header = BUILD_HEADER.exec(line);
    if (header) {
      this.buildBlock = this.package(header[1] ?? '');
      return true;
    }
    this.buildBlock?.buildOutput.push(line);
    return false;
  }

  private package(name: string): GoPackage {
    let found = this.packages.get(name);
    if (!found) {
      found = {
        name,
        tests: new Map(),
        output: [],
        status: undefined,
        elapsed: 0,
        buildOutput: [],
        buildFailed: false,
      };
      this.packages.set(name, found);
    }
    return found;
  }

  private packageEvent(target: GoPackage, action: string, event: GoTestEvent): void {
    if (action === 'output' && event.Output !== undefined) keepOutput(target.output, event.Output);
    const status = finalStatus(action);
    if (status !== undefined) {
      target.status = status;
      target.elapsed = event.Elapsed ?? 0;
    }
  }

  private testEvent(target: GoPackage, name: string, action: string, event: GoTestEvent): void {
    let test = target.tests.get(name);
    if (!test) {
      test = { name, attempts: [] };
      target.tests.set(name, test);
    }
    let attempt = test.attempts[test.attempts.length - 1];
    // A `run` of a test that already finished is a rerun: a new attempt.
    if (!attempt || (action === 'run' && attempt.status !== undefined)) {
      attempt = { status: undefined, elapsed: 0, output: [] };
      test.attempts.push(attempt);
    }
    if (action === 'output' && event.Output !== undefined) keepOutput(attempt.output, event.Output);
    const status = finalStatus(action);
    if (status !== undefined) {
      attempt.status = status;
      attempt.elapsed = event.Elapsed ?? 0;
    }
  }

  /** A suite per package that ran a test or failed; packages without test files are left out. */
  suites(file: string): TestSuite[] {
    const suites = [...this.packages.values()].map((goPackage): TestSuite => {
      const cases = [...goPackage.tests.values()].map((test) => testCase(goPackage.name, test));
      for (const parent of cases) explainParent(parent, cases);
      const packageFailure = packageCase(goPackage, cases);
      if (packageFailure) cases.push(packageFailure);
      const count = (status: TestStatus): number => cases.filter((entry) => entry.status === status).length;
      return {
        name: goPackage.name,
        report: file,
        tests: cases.length,
        failures: count('failed'),
        errors: count('error'),
        skipped: count('skipped'),
        time: goPackage.elapsed,
        file: undefined,
        cases,
      };
    });
    return suites.filter((suite) => suite.cases.length > 0);
  }
}

function finalStatus(action: string): TestStatus | undefined {
  if (action === 'pass') return 'passed';
  if (action === 'fail') return 'failed';
  if (action === 'skip') return 'skipped';
  return undefined;
}

/** Keeps an output line unless it is test2json's framing: most lines of a passing run are, so they are never stored. */
function keepOutput(lines: string[], output: string): void {
  const line = output.endsWith('\n') ? output.slice(0, -1) : output;
  if (!FRAMING.test(line)) lines.push(line);
}

/** The output kept, as one text. */
function meaningfulOutput(lines: readonly string[]): string {
  return lines.join('\n').replace(/^\n+|\s+$/g, '');
}

/** What a reader sees first: the first `file.go:N:` message, else the first line. */
function firstMessage(text: string): string {
  const lines = text.split('\n');
  for (const line of lines) {
    const located = GO_LOCATION_LINE.exec(line);
    if (located) return (located[1] ?? '').trim();
  }
  return lines.find((line) => line.trim() !== '')?.trim() ?? '';
}

function testCase(packageName: string, test: GoTest): TestCase {
  const last = test.attempts[test.attempts.length - 1] as Attempt;
  // A test that started but never finished: the test binary exited under it (os.Exit, a crash, a timeout).
  const status: TestStatus = last.status ?? 'error';
  const text = meaningfulOutput(last.output);
  const failing = status === 'failed' || status === 'error';
  const shown = status === 'skipped' || failing;
  return {
    suite: packageName,
    classname: packageName,
    name: test.name,
    status,
    time: last.elapsed,
    message:
      last.status === undefined
        ? 'did not finish: the test binary exited while it ran'
        : shown
          ? firstMessage(text)
          : '',
    details: shown ? text : '',
    type: last.status === undefined ? 'unfinished' : '',
    file: undefined,
    line: undefined,
    output: shown ? '' : text,
    flaky: status === 'passed' && test.attempts.some((attempt) => attempt.status === 'failed'),
  };
}

/** A test that failed without a word of its own failed through its subtests: say which. */
function explainParent(parent: TestCase, cases: readonly TestCase[]): void {
  if (parent.status !== 'failed' || parent.details !== '') return;
  const failed = cases.filter((entry) => entry.status === 'failed' && entry.name.startsWith(`${parent.name}/`));
  if (failed.length > 0) parent.message = `subtest ${failed.map((entry) => entry.name).join(', ')} failed`;
}

/** The package's own failure when none of its tests accounts for it: a build failure, a crash, TestMain. */
function packageCase(goPackage: GoPackage, cases: readonly TestCase[]): TestCase | undefined {
  const base = {
    suite: goPackage.name,
    classname: goPackage.name,
    time: goPackage.elapsed,
    type: '',
    file: undefined,
    line: undefined,
    output: '',
    flaky: false,
  };
  if (goPackage.buildFailed) {
    const details = goPackage.buildOutput.join('\n').trim();
    return {
      ...base,
      name: '[build failed]',
      status: 'error',
      message: details === '' ? 'the package did not build (its compiler output went to stderr)' : firstLine(details),
      details,
      type: 'build failed',
    };
  }
  if (goPackage.status !== 'failed' || cases.some((entry) => entry.status === 'failed' || entry.status === 'error')) {
    return undefined;
  }
  const details = meaningfulOutput(goPackage.output);
  return {
    ...base,
    name: '[package]',
    status: 'error',
    message: details === '' ? 'the package failed outside any test' : firstLine(details),
    details,
  };
}

const firstLine = (text: string): string => text.split('\n', 1)[0]?.trim() ?? '';
