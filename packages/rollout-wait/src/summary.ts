// What the job summary shows: the GitOps controller's verdict per object (with `controller`); one row per
// resource, and for each resource that did not finish, the container reasons, recent events and the
// last log lines of one failing pod (read by diagnosis.ts).
import { code, escapeCell, formatDuration, table } from '@shiprail/core';
import { shortSha } from './controllers/revision.ts';
import { describeTarget, type ControllerWaitOutcome } from './controllers/wait.ts';
import type { RolloutWaitResult, TrackedResource } from './decide.ts';
import type { Diagnosis } from './diagnosis.ts';

export interface ResourceReport {
  entry: TrackedResource;
  diagnosis: Diagnosis | undefined;
  rollback: string | undefined;
}

const resultLabel: Readonly<Record<RolloutWaitResult, string>> = {
  success: '✅ success',
  failed: '❌ failed',
  timeout: '⏱️ timeout',
};

export function renderSummary(
  result: RolloutWaitResult,
  reports: readonly ResourceReport[],
  context: {
    elapsedMs: number;
    timeoutMs: number;
    unclaimedImages: readonly string[];
    server: string;
    /** Why the wait stopped before a verdict (an API failure), if it did. */
    stoppedBy?: string;
  },
): string {
  const lines = [
    `## Rollout: ${resultLabel[result]}`,
    '',
    `${reports.length} resource${reports.length === 1 ? '' : 's'} watched on ${code(context.server)} for ${formatDuration(context.elapsedMs)} (deadline ${formatDuration(context.timeoutMs)}).`,
    '',
    table(
      ['Resource', 'Namespace', 'Done', 'Reason', 'Message'],
      reports.map(({ entry, rollback }) => [
        `${entry.ref.kind}/${entry.ref.name}`,
        entry.ref.namespace,
        entry.verdict.phase === 'done' ? 'yes' : 'no',
        entry.verdict.reason,
        rollback ? `${entry.verdict.message}; ${rollback}` : entry.verdict.message,
      ]),
    ),
  ];
  if (context.stoppedBy !== undefined) lines.push('', `**Stopped:** ${escapeCell(context.stoppedBy)}`);
  if (context.unclaimedImages.length > 0) {
    lines.push('', `No watched pod template uses ${context.unclaimedImages.map(code).join(', ')}.`);
  }
  for (const { entry, diagnosis, rollback } of reports) {
    if (diagnosis === undefined) continue;
    lines.push('', `### ${entry.ref.kind}/${entry.ref.name}: ${escapeCell(entry.verdict.reason)}`, '');
    if (rollback) lines.push(`**Rollback:** ${escapeCell(rollback)}`, '');
    if (diagnosis.problems.length > 0) {
      lines.push(
        table(
          ['Pod', 'Container', 'Reason', 'Restarts', 'Message'],
          diagnosis.problems
            .slice(0, 20)
            .map((problem) => [problem.pod, problem.container, problem.reason, problem.restarts, problem.message]),
        ),
        '',
      );
    }
    if (diagnosis.events.length > 0) {
      lines.push(
        '**Recent events**',
        '',
        table(
          ['Object', 'Type', 'Reason', 'Count', 'Message'],
          diagnosis.events.map((event) => [
            `${event.involvedObject?.kind ?? ''}/${event.involvedObject?.name ?? ''}`,
            event.type ?? '',
            event.reason ?? '',
            event.count ?? 1,
            event.message ?? '',
          ]),
        ),
        '',
      );
    }
    if (diagnosis.log) {
      const { pod, container, previous, text } = diagnosis.log;
      lines.push(
        `**Last log lines of pod ${code(pod)}, container ${code(container)}${previous ? ' (previous instance)' : ''}**`,
        '',
        '```text',
        text.replace(/```/g, "'''").trimEnd() || '(empty)',
        '```',
        '',
      );
    }
  }
  return `${lines.join('\n').trimEnd()}\n`;
}

const VERDICT_LABEL: Readonly<Record<string, string>> = { done: 'applied', failed: 'failed', progressing: 'not yet' };

/** The summary section: one row per object, with the controller's own words. */
export function renderControllerSummary(outcome: ControllerWaitOutcome, commit: string, elapsedMs: number): string {
  const title = outcome.result === 'success' ? '✅ applied' : outcome.result === 'failed' ? '❌ failed' : '⏱️ timeout';
  const lines = [
    `## GitOps controller: ${title}`,
    '',
    `Commit ${code(shortSha(commit))}, ${outcome.targets.length} object${outcome.targets.length === 1 ? '' : 's'} followed for ${formatDuration(elapsedMs)}.`,
    '',
  ];
  if (outcome.targets.length > 0) {
    lines.push(
      table(
        ['Object', 'Revision', 'Verdict', 'Reason', 'Message'],
        outcome.targets.map((target) => [
          describeTarget(target),
          target.verdict.revisionChecked
            ? shortSha(target.verdict.revision)
            : `${target.verdict.revision} (not revision-checked)`,
          VERDICT_LABEL[target.verdict.phase] ?? target.verdict.phase,
          target.verdict.reason,
          target.verdict.message,
        ]),
      ),
    );
  }
  if (outcome.error !== undefined) lines.push('', `**Stopped:** ${escapeCell(outcome.error.message)}`);
  return `${lines.join('\n').trimEnd()}\n`;
}
