// The job summary: the verdict line, failures first (where, why), then suites, then coverage.
import { code, details, escapeCell, raw, table, type Cell } from '@shiprail/core';
import { formatPercent, type Coverage } from './coverage.ts';
import type { TestSuite } from './junit.ts';
import { plural, testTitle, type Failure, type Totals, type Verdict } from './verdict.ts';

/** Rows per table and folded tracebacks: enough to act on, few enough that the page stays fast. */
export const FAILURE_ROWS = 100;
export const FAILURE_DETAILS = 20;
export const DETAIL_LINES = 60;
export const SUITE_ROWS = 200;

export interface SummaryContext {
  name: string;
  /** `https://github.com/owner/repo/blob/<sha>`: failure locations link to the file; '' for no links. */
  blobUrl: string;
  minCoverage: number;
}

export interface ReportResult {
  suites: TestSuite[];
  totals: Totals;
  failures: Failure[];
  coverage: Coverage | undefined;
  verdict: Verdict;
  readReports: boolean;
}

const truncate = (text: string, length: number): string =>
  text.length > length ? `${text.slice(0, length - 1)}…` : text;

/** A file name as inline code in a table cell: GitHub reads `\|` inside a cell's code as a pipe. */
const codeCell = (text: string): Cell => raw(code(text).replace(/\|/g, '\\|'));

const seconds = (value: number): string => (value < 10 ? `${value.toFixed(2)}s` : `${value.toFixed(1)}s`);

/** The job summary: the verdict line, failures first (where, why), then suites, then coverage. */
export function renderSummary(result: ReportResult, context: SummaryContext): string {
  const parts = [`### ${context.name}: ${headline(result)}`];
  if (result.failures.length > 0) parts.push(failuresSection(result.failures, context));
  if (result.readReports) parts.push(suitesSection(result.suites, result.totals));
  if (result.coverage) parts.push(coverageSection(result.coverage, context.minCoverage));
  return `${parts.join('\n\n')}\n`;
}

function headline(result: ReportResult): string {
  const { totals, coverage } = result;
  const counts = [
    totals.failures > 0 ? `${totals.failures} failed` : '',
    totals.errors > 0 ? `${totals.errors} errored` : '',
    `${totals.passed} passed`,
    totals.skipped > 0 ? `${totals.skipped} skipped` : '',
    totals.flaky > 0 ? `${totals.flaky} flaky` : '',
  ].filter((part) => part !== '');
  const tests = result.readReports ? `${counts.join(', ')} of ${plural(totals.tests, 'test')}` : '';
  const lines = coverage ? `line coverage ${formatPercent(coverage.percent)} %` : '';
  const mark = result.verdict.passed ? '✅' : '❌';
  return `${mark} ${[tests, lines].filter((part) => part !== '').join(' · ')}`;
}

function where(failure: Failure, blobUrl: string): Cell {
  const { location } = failure;
  if (location === undefined) return '—';
  const label = location.line === undefined ? location.file : `${location.file}:${location.line}`;
  if (blobUrl === '') return codeCell(label);
  const path = location.file.split('/').map(encodeURIComponent).join('/');
  const anchor = location.line === undefined ? '' : `#L${location.line}`;
  return raw(`[${escapeCell(label)}](${blobUrl}/${path}${anchor})`);
}

function failuresSection(failures: readonly Failure[], context: SummaryContext): string {
  const rows = failures
    .slice(0, FAILURE_ROWS)
    .map((failure): Cell[] => [
      truncate(testTitle(failure.testCase), 120),
      failure.testCase.status === 'error' ? 'error' : 'failed',
      where(failure, context.blobUrl),
      truncate(failure.testCase.message.replace(/\s+/g, ' ').trim() || failure.testCase.type || '—', 200),
    ]);
  const more = failures.length > FAILURE_ROWS ? `\n\n_…and ${failures.length - FAILURE_ROWS} more failed tests._` : '';
  const folded = failures
    .filter((failure) => failure.testCase.details !== '' || failure.testCase.output !== '')
    .slice(0, FAILURE_DETAILS)
    .map((failure) => details(truncate(testTitle(failure.testCase), 120), failureText(failure)));
  return [`#### Failures`, `${table(['Test', 'Outcome', 'Where', 'Message'], rows)}${more}`, ...folded].join('\n\n');
}

/** The traceback, then what the test printed. */
function failureText(failure: Failure): string {
  const { details: trace, output } = failure.testCase;
  const parts = trace === '' ? [] : [fence(trace)];
  if (output !== '') parts.push(`Output:\n\n${fence(output)}`);
  return parts.join('\n\n');
}

/** Failure text in a code block that no line of the text can close. */
function fence(text: string): string {
  const lines = text.split(/\r?\n/);
  const shown =
    lines.length > DETAIL_LINES
      ? [...lines.slice(0, DETAIL_LINES), `… ${lines.length - DETAIL_LINES} more lines`]
      : lines;
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((match) => match[0].length));
  const marker = '`'.repeat(longest + 1);
  return `${marker}text\n${shown.join('\n')}\n${marker}`;
}

function suitesSection(suites: readonly TestSuite[], totals: Totals): string {
  // Suites with failures first; the rest keep the reports' order.
  const ordered = [...suites].sort((a, b) => Number(b.failures + b.errors > 0) - Number(a.failures + a.errors > 0));
  const rows = ordered
    .slice(0, SUITE_ROWS)
    .map((suite): Cell[] => [
      truncate(suite.name || '(unnamed)', 100),
      codeCell(suite.report),
      suite.tests,
      Math.max(suite.tests - suite.failures - suite.errors - suite.skipped, 0),
      suite.failures,
      suite.errors,
      suite.skipped,
      seconds(suite.time),
    ]);
  rows.push([
    raw('**Total**'),
    '',
    totals.tests,
    totals.passed,
    totals.failures,
    totals.errors,
    totals.skipped,
    seconds(totals.time),
  ]);
  const more = suites.length > SUITE_ROWS ? `\n\n_…and ${suites.length - SUITE_ROWS} more suites._` : '';
  return `#### Suites\n\n${table(['Suite', 'Report', 'Tests', 'Passed', 'Failed', 'Errors', 'Skipped', 'Time'], rows)}${more}`;
}

function coverageSection(coverage: Coverage, minCoverage: number): string {
  const row: Cell[] = [
    codeCell(coverage.file),
    coverage.format === 'lcov' ? 'lcov' : 'Cobertura',
    coverage.linesCovered ?? '—',
    coverage.linesValid ?? '—',
    `${formatPercent(coverage.percent)} %`,
    minCoverage > 0 ? `${minCoverage} %` : '—',
  ];
  return `#### Coverage\n\n${table(['File', 'Format', 'Lines covered', 'Lines', 'Line coverage', 'Minimum'], [row])}`;
}
