// The step: every report file read and parsed first, then the verdict, annotations, outputs and summary.
import { ConfigurationError, escapeUntrusted, type Runtime } from '@shiprail/core';
import { formatPercent, parseCoverage, type Coverage } from './coverage.ts';
import { BoundedReader, expandGlobs, workspaceFiles } from './files.ts';
import { parseInputs, type TestReportInputs } from './inputs.ts';
import type { TestSuite } from './junit.ts';
import { locateFailure } from './locations.ts';
import { parseReport } from './reports.ts';
import { renderSummary, type ReportResult } from './summary.ts';
import { decide, failuresOf, plural, testTitle, totalsOf, type Failure } from './verdict.ts';

/** GitHub shows at most 10 error annotations per step; the step's own error is one of them. */
export const MAX_ANNOTATIONS = 9;
const ANNOTATION_LINES = 30;

export async function runTestReport(runtime: Runtime): Promise<void> {
  const inputs = parseInputs(runtime.inputs);
  const workspace = runtime.github.workspace;
  const result = readResults(inputs, workspace);

  const { totals, coverage, verdict } = result;
  runtime.setOutput('passed', verdict.passed);
  runtime.setOutput('tests', totals.tests);
  runtime.setOutput('failures', totals.failures);
  runtime.setOutput('errors', totals.errors);
  runtime.setOutput('skipped', totals.skipped);
  runtime.setOutput('coverage', coverage ? formatPercent(coverage.percent) : '');

  logResults(runtime, inputs.name, result);
  const { serverUrl, repository, sha } = runtime.github;
  const blobUrl = repository !== '' && sha !== '' ? `${serverUrl}/${repository}/blob/${sha}` : '';
  await runtime.appendSummary(
    renderSummary(result, { name: inputs.name, blobUrl, minCoverage: inputs['min-coverage'] }),
  );
  if (!verdict.passed) throw new Error(`${inputs.name}: ${verdict.reasons.join('; ')}`);
}

/** Everything the step decides, from the files alone: no output is set before all of them parsed. */
export function readResults(inputs: TestReportInputs, workspace: string): ReportResult {
  const reader = new BoundedReader(workspace);
  const suites: TestSuite[] = [];
  for (const file of inputs.reports.length > 0 ? expandGlobs(inputs.reports, workspace, 'reports') : []) {
    suites.push(...parseReport(reader.read(file), file).suites);
  }
  const coverage = inputs.coverage === '' ? undefined : readCoverage(inputs.coverage, workspace, reader);
  const existing = workspaceFiles(workspace);
  const failures: Failure[] = failuresOf(suites).map(({ testCase, report }) => ({
    testCase,
    report,
    location: locateFailure(testCase, report, existing),
  }));
  const totals = totalsOf(suites);
  const readReports = inputs.reports.length > 0;
  return {
    suites,
    totals,
    failures,
    coverage,
    readReports,
    verdict: decide(totals, readReports, coverage, inputs['min-coverage']),
  };
}

function readCoverage(pattern: string, workspace: string, reader: BoundedReader): Coverage {
  const matched = expandGlobs([pattern], workspace, 'coverage');
  const [file] = matched;
  if (file === undefined || matched.length > 1) {
    throw new ConfigurationError(`'${pattern}' matches ${matched.length} files; give one coverage file`, {
      input: 'coverage',
    });
  }
  return parseCoverage(reader.read(file), file);
}

/** A line per failure in the log, and an annotation at the failing line for the first few. */
function logResults(runtime: Runtime, name: string, result: ReportResult): void {
  const { totals, coverage } = result;
  if (result.readReports) {
    runtime.log.info(
      `${name}: ${plural(totals.tests, 'test')} in ${plural(result.suites.length, 'suite')}: ${totals.passed} passed, ` +
        `${totals.failures} failed, ${totals.errors} errored, ${totals.skipped} skipped`,
    );
  }
  if (coverage)
    runtime.log.info(`line coverage ${formatPercent(coverage.percent)} % (${escapeUntrusted(coverage.file)})`);
  result.failures.forEach((failure, index) => {
    const title = testTitle(failure.testCase);
    const at = failure.location
      ? ` at ${failure.location.file}${failure.location.line ? `:${failure.location.line}` : ''}`
      : '';
    runtime.log.info(escapeUntrusted(`✗ ${title}${at}: ${failure.testCase.message}`));
    if (index < MAX_ANNOTATIONS) runtime.log.error(annotationText(failure), annotationProperties(name, title, failure));
  });
  if (result.failures.length > MAX_ANNOTATIONS) {
    runtime.log.info(
      `${result.failures.length - MAX_ANNOTATIONS} more failed tests are listed above and in the job summary (GitHub shows ${MAX_ANNOTATIONS + 1} error annotations per step)`,
    );
  }
}

function annotationText(failure: Failure): string {
  const { message, details } = failure.testCase;
  const lines = details.split(/\r?\n/);
  const shown = lines.slice(0, ANNOTATION_LINES).join('\n') + (lines.length > ANNOTATION_LINES ? '\n…' : '');
  if (details === '') return message || failure.testCase.status;
  return details.startsWith(message) || message === '' ? shown : `${message}\n\n${shown}`;
}

function annotationProperties(
  name: string,
  title: string,
  failure: Failure,
): { title: string; file?: string; startLine?: number } {
  const { location } = failure;
  return {
    title: `${name}: ${title}`.slice(0, 200),
    ...(location ? { file: location.file } : {}),
    ...(location?.line !== undefined ? { startLine: location.line } : {}),
  };
}
