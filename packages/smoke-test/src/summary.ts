// The job summary: a table of every check and the details of each failure.
import { code, details, formatDuration, table } from '@shiprail/core';
import type { Check } from './check-types.ts';
import type { SmokeTestInputs } from './inputs.ts';
import type { CheckResult } from './check-runner.ts';

export function renderSummary(
  results: readonly CheckResult[],
  checks: readonly Check[],
  inputs: Pick<SmokeTestInputs, 'base-url' | 'concurrency'>,
  elapsedMs: number,
): string {
  const failed = results.filter((result) => !result.ok);
  const heading =
    failed.length === 0
      ? `### ✅ Smoke test: all ${results.length} checks passed`
      : `### ❌ Smoke test: ${failed.length} of ${results.length} checks failed`;
  const target = inputs['base-url'] === '' ? '' : ` against ${code(inputs['base-url'])}`;
  const rows = results.map((result, index) => [
    result.name,
    result.ok ? '✅ pass' : result.attempts === 0 ? '⏭️ not run' : '❌ fail',
    result.status ?? '–',
    result.ms === null ? '–' : formatDuration(result.ms),
    result.attempts,
    checks[index]?.retry === undefined ? 'no' : `until ${formatDuration(checks[index]?.retry?.untilMs ?? 0)}`,
  ]);
  const parts = [
    heading,
    `${results.length} checks${target}, ${inputs.concurrency} at a time, in ${formatDuration(elapsedMs)}.`,
    table(['Check', 'Result', 'Status', 'Latency', 'Attempts', 'Retry'], rows),
  ];
  for (const result of failed) {
    const body = result.details.join('\n').replace(/```/g, "'''");
    parts.push(details(`${result.name}: ${result.details[0] ?? 'failed'}`, `\`\`\`text\n${body}\n\`\`\``));
  }
  return `${parts.join('\n\n')}\n`;
}
