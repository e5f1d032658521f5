// The job summary: what changed in which overlay, where it was pushed, and the diff.
import { code, details, escapeUntrusted, table } from '@shiprail/core';
import { describeImageEntry } from './image-args.ts';
import type { KustomizeBumpInputs } from './inputs.ts';
import { describeChange } from './plan.ts';
import type { KustomizeBumpResult, PushOutcome } from './run.ts';

/**
 * The log lines that say what happened. Image references come from the repository, which others write:
 * each line is escaped so that no value can start a workflow command.
 */
export function outcomeLines(inputs: KustomizeBumpInputs, result: PushOutcome): string[] {
  const lines = result.edits.flatMap((edit) =>
    edit.changes.map((change) => escapeUntrusted(`${edit.overlay}: ${describeChange(change)}`)),
  );
  if (!result.changed) lines.push('Every overlay already has these images: nothing to commit');
  else if (result.dryRun) lines.push('Dry run: nothing committed or pushed');
  else
    lines.push(
      `Pushed ${result.commit} to ${result.target} on attempt ${result.attempts} of ${inputs['max-attempts']}`,
    );
  return lines;
}

/** The step summary: what changed where, and the diff. */
export function renderSummary(inputs: KustomizeBumpInputs, result: KustomizeBumpResult): string {
  const lines = ['### kustomize-bump', ''];
  if (!result.changed) {
    lines.push(`Every overlay on ${code(result.branch)} already has these images: nothing committed.`);
  } else if (result.dryRun) {
    lines.push(`Dry run: these edits of ${code(result.branch)} were computed, nothing was committed or pushed.`);
  } else {
    const where = result.pullRequest ? `pull request ${result.pullRequest}` : code(result.target);
    lines.push(
      `Committed ${code(result.commit.slice(0, 12))} to ${where} on attempt ${result.attempts} of ${inputs['max-attempts']}` +
        `${verificationNote(inputs, result)}.`,
    );
  }
  const rows = result.edits.flatMap((edit) =>
    edit.changes.map((change) => [
      edit.overlay,
      change.name,
      change.before === undefined ? '(new entry)' : describeImageEntry(change.before),
      describeImageEntry(change.after),
    ]),
  );
  if (rows.length > 0) lines.push('', table(['Overlay', 'Image', 'Before', 'After'], rows));
  if (result.diff) lines.push('', details('Diff', `\`\`\`diff\n${result.diff.replace(/```/g, '` ` `')}\n\`\`\``));
  return `${lines.join('\n')}\n`;
}

function verificationNote(inputs: KustomizeBumpInputs, result: KustomizeBumpResult): string {
  if (result.verified) return ', after `kubectl kustomize` rendered every new reference';
  return inputs.verify === 'false' ? '' : ' (not verified: kubectl is not on PATH)';
}
