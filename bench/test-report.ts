// test-report: process start to exit of the bundled action under Node 24, as the runner starts it, on
// a realistic report (pytest's, with coverage.py's Cobertura) and on a large one (20,000 test cases, 1 %
// failing with stack traces). The floor is `node -e ''` on the same Node, measured in the same run; the
// figures that matter are the ratios to it and the time added on top of it. Another shiprail bundle that
// stops at its first input (canary-analyze without inputs) shows what loading any bundle costs.
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '@shiprail/rehearsal/action-metadata';
import { median, timeNode, type Timing } from './lib/timing.ts';

const ROUNDS = 7;
const LARGE_CASES = 20_000;
const bundle = join(repoRoot, 'dist', 'test-report', 'index.js');
const reports = join(repoRoot, 'test', 'fixtures', 'test-report', 'reports');

function largeReport(cases: number): string {
  const body = Array.from({ length: cases }, (_, index) => {
    const attributes = `classname="com.acme.shop.Suite${Math.floor(index / 50)}Test" name="case${index}()" time="0.004"`;
    if (index % 100 !== 7) return `    <testcase ${attributes}/>`;
    const trace = [
      `org.opentest4j.AssertionFailedError: expected: &lt;${index}&gt; but was: &lt;${index + 1}&gt;`,
      '\tat app//org.junit.jupiter.api.AssertionFailureBuilder.build(AssertionFailureBuilder.java:151)',
      `\tat app//com.acme.shop.Suite${Math.floor(index / 50)}Test.case${index}(Suite${Math.floor(index / 50)}Test.java:${20 + (index % 50)})`,
      '\tat java.base/java.lang.reflect.Method.invoke(Method.java:580)',
    ].join('\n');
    return `    <testcase ${attributes}>\n      <failure message="expected: &lt;${index}&gt;" type="org.opentest4j.AssertionFailedError">${trace}</failure>\n    </testcase>`;
  });
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites>\n  <testsuite name="all" tests="${cases}">\n${body.join('\n')}\n  </testsuite>\n</testsuites>\n`;
}

/** `go test -json` of `tests` tests in 20 packages, as Go 1.19 writes it; 1 % failing with `file_test.go:N:` lines. */
function largeGoTestJson(tests: number): string {
  const lines: string[] = [];
  const event = (fields: Record<string, unknown>): void => {
    lines.push(JSON.stringify({ Time: '2026-12-05T13:47:05.902327603Z', ...fields }));
  };
  const packages = 20;
  for (let index = 0; index < packages; index += 1) {
    const Package = `example.com/shop/service${index}`;
    for (let test = index; test < tests; test += packages) {
      const Test = `TestCase${test}`;
      event({ Action: 'run', Package, Test });
      event({ Action: 'output', Package, Test, Output: `=== RUN   ${Test}\n` });
      const fails = test % 100 === 7;
      if (fails)
        event({
          Action: 'output',
          Package,
          Test,
          Output: `    case_test.go:${20 + (test % 50)}: got ${test}, want ${test + 1}\n`,
        });
      event({ Action: 'output', Package, Test, Output: `--- ${fails ? 'FAIL' : 'PASS'}: ${Test} (0.00s)\n` });
      event({ Action: fails ? 'fail' : 'pass', Package, Test, Elapsed: 0.004 });
    }
    event({ Action: 'output', Package, Output: `FAIL\t${Package}\t0.412s\n` });
    event({ Action: 'fail', Package, Elapsed: 0.412 });
  }
  return `${lines.join('\n')}\n`;
}

const workspace = mkdtempSync(join(tmpdir(), 'test-report-bench-'));
const runnerFiles = join(workspace, '.runner');
mkdirSync(runnerFiles);
copyFileSync(join(reports, 'pytest-xunit2.xml'), join(workspace, 'pytest.xml'));
copyFileSync(join(reports, 'coverage-py.xml'), join(workspace, 'coverage.xml'));
writeFileSync(join(workspace, 'large.xml'), largeReport(LARGE_CASES));
writeFileSync(join(workspace, 'large-go.json'), largeGoTestJson(LARGE_CASES));

function timeProcess(args: readonly string[], inputs: Record<string, string>): Timing {
  for (const name of ['output', 'summary']) writeFileSync(join(runnerFiles, name), '');
  const env: Record<string, string> = {
    PATH: process.env['PATH'] ?? '/usr/bin:/bin',
    GITHUB_WORKSPACE: workspace,
    GITHUB_OUTPUT: join(runnerFiles, 'output'),
    GITHUB_STEP_SUMMARY: join(runnerFiles, 'summary'),
    RUNNER_TEMP: runnerFiles,
    GITHUB_REPOSITORY: 'acme/shop',
    GITHUB_SHA: 'abc123',
  };
  for (const [name, value] of Object.entries(inputs)) env[`INPUT_${name.toUpperCase()}`] = value;
  return timeNode(args, { env });
}

function measure(args: readonly string[], inputs: Record<string, string>, rounds = ROUNDS): Timing {
  timeProcess(args, inputs); // warm the file cache
  const timings = Array.from({ length: rounds }, () => timeProcess(args, inputs));
  return {
    wallMs: median(timings.map((timing) => timing.wallMs)),
    cpuMs: median(timings.map((timing) => timing.cpuMs)),
  };
}

const inputsOf = (reports: string, coverage = ''): Record<string, string> => ({
  REPORTS: reports,
  COVERAGE: coverage,
  'MIN-COVERAGE': '0',
  NAME: 'bench',
});

try {
  const floor = measure(['-e', ''], {});
  const anyBundle = measure([join(repoRoot, 'dist', 'canary-analyze', 'index.js')], {});
  // Neither reports nor coverage: the action stops at its inputs, so this is its start.
  const started = measure([bundle], inputsOf(''));
  const realistic = measure([bundle], inputsOf('pytest.xml', 'coverage.xml'));
  const large = measure([bundle], inputsOf('large.xml'), 3);
  const largeGo = measure([bundle], inputsOf('large-go.json'), 3);
  // The floor of a large file: a Node process that reads it once, as text.
  const readGo = measure(
    ['-e', `require('node:fs').readFileSync(${JSON.stringify(join(workspace, 'large-go.json'))}, 'utf8')`],
    {},
    3,
  );
  const size = (path: string): string => `${(statSync(path).size / 1024 / 1024).toFixed(1)} MiB`;
  console.log(
    `bundle: ${size(bundle)}; large report: ${LARGE_CASES} test cases, ${size(join(workspace, 'large.xml'))}; ` +
      `large go test -json: ${LARGE_CASES} tests, ${size(join(workspace, 'large-go.json'))}`,
  );
  console.log(
    `median of ${ROUNDS} runs (3 for the large report), spawn to exit of Node ${process.versions.node}; cpu = user + system time of that process:`,
  );
  const row = (label: string, timing: Timing, base: Timing = floor): void => {
    const figures = (key: keyof Timing, what: string): string => {
      const ratio = timing[key] / base[key];
      return `${what} ${timing[key].toFixed(0).padStart(5)} ms (${ratio.toFixed(2)}x, +${(timing[key] - base[key]).toFixed(0)})`;
    };
    console.log(`  ${label.padEnd(46)} ${figures('wallMs', 'wall')}  ${figures('cpuMs', 'cpu')}`);
  };
  console.log('  (ratios and additions against the floor)');
  row("node -e '' (the floor)", floor);
  row('canary-analyze bundle, stopping at its inputs', anyBundle);
  row('test-report bundle, stopping at its inputs', started);
  row('pytest report + Cobertura (8 tests)', realistic);
  row(`large report (${LARGE_CASES} cases, 200 failing)`, large);
  row(`large go test -json (${LARGE_CASES} tests, 200 failing)`, largeGo);
  console.log('  (against a Node process that reads the go test -json file once)');
  row('reading the go test -json file once (its floor)', readGo, readGo);
  row(`large go test -json (${LARGE_CASES} tests, 200 failing)`, largeGo, readGo);
} finally {
  rmSync(workspace, { recursive: true, force: true });
}
