// The job summary: verdict, counts by severity, blocking findings, the rest folded, then the ignore file.
import { code, details, escapeCell, raw, table, type Cell } from '@shiprail/core';
import type { GateResult } from './gate.ts';
import type { IgnoreRule } from './ignore.ts';
import { advisoryLink, type Finding } from './trivy-report.ts';
import { SEVERITIES, type Severity } from './severity.ts';

/** Rows per table: enough to act on, few enough that the page stays fast with thousands of findings. */
export const BLOCKING_ROWS = 100;
export const OTHER_ROWS = 200;
export const IGNORE_ROWS = 50;

export interface SummaryContext {
  /** What was gated: the image reference, or the report path. */
  subject: string;
  severities: ReadonlySet<Severity>;
  ignoreUnfixed: boolean;
  fail: boolean;
  reportPath: string;
  ignoreFiles: readonly string[];
  trivyVersion: string;
}

const linkedId = (finding: Finding): Cell => {
  const link = advisoryLink(finding);
  return link === '' ? finding.id : raw(`[${escapeCell(finding.id)}](${link.replace(/[()\s]/g, encodeURIComponent)})`);
};

const truncate = (text: string, length: number): string =>
  text.length > length ? `${text.slice(0, length - 1)}…` : text;

/** Where a finding is: the lock file or binary for language packages, else the image's OS. */
const locationOf = (finding: Finding): string => finding.pkgPath || finding.target;

function findingsTable(findings: readonly Finding[], limit: number, what: string, reportPath: string): string {
  const shown = findings.slice(0, limit);
  // A Target column only when the rows come from more than one place: most images have one.
  const withTarget = new Set(shown.map(locationOf)).size > 1;
  const rows = shown.map((finding): Cell[] => [
    linkedId(finding),
    finding.severity,
    finding.pkgName,
    finding.installed,
    finding.fixed || '—',
    truncate(finding.title || finding.description, 120),
    ...(withTarget ? [truncate(locationOf(finding), 80)] : []),
  ]);
  const header = [
    'Vulnerability',
    'Severity',
    'Package',
    'Installed',
    'Fixed',
    'Title',
    ...(withTarget ? ['Target'] : []),
  ];
  const more =
    findings.length > limit
      ? `\n\n_…and ${findings.length - limit} more ${what}: every finding is in ${code(reportPath)}._`
      : '';
  return `${table(header, rows)}${more}`;
}

const ruleWhere = (rule: IgnoreRule): string => `${rule.file}:${rule.line}`;

function ignoresSection(result: GateResult): string {
  const parts: string[] = [];
  if (result.expired.length > 0) {
    const rows = result.expired
      .slice(0, IGNORE_ROWS)
      .map(({ rule, matches }): Cell[] => [rule.id, rule.expires, matches, raw(code(ruleWhere(rule)))]);
    parts.push(
      `**Expired ignores** (${result.expired.length}): no longer applied; renew them with a new date or fix the findings.\n\n` +
        table(['Vulnerability', 'Expired', 'Findings it would hide', 'Entry'], rows) +
        (result.expired.length > IGNORE_ROWS ? `\n\n_…and ${result.expired.length - IGNORE_ROWS} more._` : ''),
    );
  }
  if (result.unused.length > 0) {
    const rows = result.unused
      .slice(0, IGNORE_ROWS)
      .map((rule): Cell[] => [rule.id, rule.statement, raw(code(ruleWhere(rule)))]);
    parts.push(
      `**Ignores that match nothing** (${result.unused.length}): no finding of this report has these IDs (and paths/PURLs); remove them once no image needs them.\n\n` +
        table(['Vulnerability', 'Statement', 'Entry'], rows) +
        (result.unused.length > IGNORE_ROWS ? `\n\n_…and ${result.unused.length - IGNORE_ROWS} more._` : ''),
    );
  }
  if (result.ignored.length > 0) {
    const byRule = new Map<IgnoreRule, number>();
    for (const { rule } of result.ignored) byRule.set(rule, (byRule.get(rule) ?? 0) + 1);
    const rows = [...byRule]
      .slice(0, IGNORE_ROWS)
      .map(([rule, count]): Cell[] => [
        rule.id,
        count,
        rule.expires || 'never',
        rule.statement,
        raw(code(ruleWhere(rule))),
      ]);
    parts.push(
      details(
        `Ignored findings (${result.ignored.length}, by ${byRule.size} ${byRule.size === 1 ? 'entry' : 'entries'})`,
        table(['Vulnerability', 'Findings', 'Expires', 'Statement', 'Entry'], rows) +
          (byRule.size > IGNORE_ROWS ? `\n\n_…and ${byRule.size - IGNORE_ROWS} more entries._` : ''),
      ),
    );
  }
  return parts.join('\n\n');
}

/** The job summary: verdict, counts by severity, blocking findings, the rest folded, then the ignore file. */
export function renderSummary(result: GateResult, context: SummaryContext): string {
  const gated = SEVERITIES.filter((severity) => context.severities.has(severity));
  const verdict = result.passed
    ? '✅ passed'
    : context.fail
      ? `❌ failed: ${result.blocking.length} blocking`
      : `⚠️ ${result.blocking.length} blocking (reported only: \`fail: false\`)`;
  const unfixed = context.ignoreUnfixed ? 'findings without a fix do not block' : 'findings without a fix block too';
  const lines = [
    `### Trivy gate: ${verdict}`,
    '',
    `${code(context.subject)} · gate on ${gated.join(', ')} · ${unfixed}` +
      (context.trivyVersion ? ` · Trivy ${context.trivyVersion}` : '') +
      (context.ignoreFiles.length > 0 ? ` · ignores from ${context.ignoreFiles.map(code).join(', ')}` : ''),
    '',
  ];
  const ignoredBySeverity = new Map<Severity, number>();
  for (const { finding } of result.ignored) {
    ignoredBySeverity.set(finding.severity, (ignoredBySeverity.get(finding.severity) ?? 0) + 1);
  }
  const countRows = SEVERITIES.map((severity): Cell[] => [
    context.severities.has(severity) ? raw(`**${severity}**`) : severity,
    result.counts[severity],
    result.blockingCounts[severity],
    ignoredBySeverity.get(severity) ?? 0,
  ]);
  countRows.push([raw('**Total**'), sum(result.counts), result.blocking.length, result.ignored.length]);
  lines.push(table(['Severity', 'Findings', 'Blocking', 'Ignored'], countRows));
  if (result.unfixedSkipped > 0) {
    lines.push('', `${result.unfixedSkipped} finding(s) of a gated severity have no fix yet and do not block.`);
  }
  if (result.blocking.length > 0) {
    lines.push('', `#### Blocking findings (${result.blocking.length})`, '');
    lines.push(findingsTable(result.blocking, BLOCKING_ROWS, 'blocking findings', context.reportPath));
  }
  if (result.others.length > 0) {
    lines.push(
      '',
      details(
        `Other findings (${result.others.length}): not blocking`,
        findingsTable(result.others, OTHER_ROWS, 'findings', context.reportPath),
      ),
    );
  }
  const ignores = ignoresSection(result);
  if (ignores !== '') lines.push('', '#### Ignore file', '', ignores);
  lines.push('', `Report: ${code(context.reportPath)}`, '');
  return lines.join('\n');
}

const sum = (counts: Record<Severity, number>): number => SEVERITIES.reduce((total, s) => total + counts[s], 0);
