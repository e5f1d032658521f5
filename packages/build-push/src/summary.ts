// The job summary: the image, how it came to be (built, reused or pushed), its digest, tags and labels.
import { code, escapeCell, raw, table } from '@shiprail/core';
import type { BuildPlan } from './plan.ts';

/** What the step did with the image. */
export interface Outcome {
  digest: string;
  /** Built here, reused from the registry, or pushed from an OCI layout an earlier step built. */
  verdict: 'Built' | 'Reused' | 'Pushed';
  /** How the image came to be, for the summary. */
  decision: string;
}

/** The summary of a dry run (no outcome) or of the image built, reused or pushed. */
export function renderSummary(plan: BuildPlan, outcome: Outcome | undefined): string {
  const lines = [
    `## build-push: ${code(plan.image.name)}`,
    '',
    `${escapeCell(plan.context.eventName || 'run')} of ${code(plan.context.ref)} at ${code(plan.context.sha.slice(0, 12))}`,
    '',
  ];
  if (outcome === undefined) lines.push('**Dry run**: tags and labels computed; nothing was built or pushed.');
  else lines.push(`**${outcome.verdict}**: ${escapeCell(outcome.decision)}.`);
  if (outcome !== undefined && outcome.digest !== '') lines.push('', `Digest: ${code(outcome.digest)}`);
  lines.push(
    '',
    table(
      ['Tag', 'From rule'],
      plan.tags.tags.map(({ tag, rule }) => [raw(code(`${plan.image.name}:${tag}`)), raw(code(rule))]),
    ),
  );
  if (plan.tags.tags.length === 0) lines.push('', '_No rule gave a tag for this event._');
  for (const warning of plan.tags.warnings) lines.push('', `> ${escapeCell(warning)}`);
  lines.push(
    '',
    table(
      ['Label', 'Value'],
      Object.entries(plan.labels).map(([key, value]) => [raw(code(key)), value]),
    ),
  );
  return `${lines.join('\n')}\n`;
}
