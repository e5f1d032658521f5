// A JUnit XML report in the shape the common report actions read (mikepenz/action-junit-report,
// dorny/test-reporter, EnricoMi/publish-unit-test-result-action): testsuites > testsuite > testcase,
// times in seconds, a failure's message attribute plus the details as its text.
import type { CheckResult } from './check-runner.ts';

export interface JUnitOptions {
  suiteName: string;
  /** ISO 8601 start time of the run. */
  timestamp: string;
  /** Wall time of the whole run. */
  elapsedMs: number;
  /** The check file, for the classname and file attributes. */
  source: string;
  lines: ReadonlyArray<number | undefined>;
}

/** XML 1.0 forbids most control characters even when escaped: drop them. */
export function escapeXml(text: string): string {
  return text
    .replace(/[^\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

const seconds = (ms: number): string => (ms / 1000).toFixed(3);

export function renderJUnit(results: readonly CheckResult[], options: JUnitOptions): string {
  const failures = results.filter((result) => !result.ok).length;
  const cases = results.map((result, index) => {
    const line = options.lines[index];
    const attributes =
      `name="${escapeXml(result.name)}" classname="${escapeXml(options.suiteName)}" time="${seconds(result.elapsedMs)}"` +
      ` file="${escapeXml(options.source)}"${line === undefined ? '' : ` line="${line}"`}`;
    const out = `attempts: ${result.attempts}; status: ${result.status ?? 'none'}; latency: ${result.ms === null ? 'none' : `${result.ms}ms`}`;
    if (result.ok)
      return `    <testcase ${attributes}>\n      <system-out>${escapeXml(out)}</system-out>\n    </testcase>`;
    return [
      `    <testcase ${attributes}>`,
      `      <failure message="${escapeXml(result.error ?? 'failed')}" type="SmokeCheckFailure">${escapeXml(result.details.join('\n'))}</failure>`,
      `      <system-out>${escapeXml(out)}</system-out>`,
      '    </testcase>',
    ].join('\n');
  });
  const counts = `tests="${results.length}" failures="${failures}" errors="0" skipped="0" time="${seconds(options.elapsedMs)}"`;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${escapeXml(options.suiteName)}" ${counts}>`,
    `  <testsuite name="${escapeXml(options.suiteName)}" ${counts} timestamp="${escapeXml(options.timestamp)}">`,
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}
