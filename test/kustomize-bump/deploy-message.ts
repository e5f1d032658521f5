// deploy.yml's commit-message input for kustomize-bump, as the workflow runner evaluates it, and the
// trailers git itself finds in a message.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from '@shiprail/rehearsal/action-metadata';
import { evaluateExpression, loadWorkflow, tokenEvaluator } from '@shiprail/rehearsal/workflow';

/** Each job of deploy.yml with a bump step, and the environment it deploys under `DEPLOY_CONTEXTS`. */
export const DEPLOY_JOBS: ReadonlyArray<[job: string, environment: string]> = [
  ['dev', 'dev'],
  ['middle', 'staging'],
  ['canary', 'canary'],
  ['production', 'production'],
];

const DEPLOY_CONTEXTS = {
  needs: { plan: { outputs: { first: 'dev', last: 'production' } } },
  matrix: { environment: 'staging' },
  inputs: { 'canary-environment': 'canary' },
};

let deployWorkflow: ReturnType<typeof loadWorkflow> | undefined;

/** The commit-message template `job`'s bump step gives kustomize-bump. */
export async function deployCommitTemplate(job: string): Promise<string> {
  deployWorkflow ??= loadWorkflow(join(repoRoot, '.github', 'workflows', 'deploy.yml'));
  const workflow = await deployWorkflow;
  const step = workflow.jobs.find((each) => each.id === job)?.steps.find((each) => each.id === 'bump');
  const input = step?.with?.find('commit-message');
  if (input === undefined) throw new Error(`deploy.yml's ${job} job has no bump step with a commit-message`);
  const walk = await tokenEvaluator();
  const template = walk(input, (expression) => evaluateExpression(expression, DEPLOY_CONTEXTS));
  if (typeof template !== 'string') throw new Error(`deploy.yml's ${job} commit-message is not text`);
  return template;
}

/** What `git interpret-trailers --parse` finds in `message`: one `Key: value` line each. */
export function gitTrailers(message: string): string[] {
  const parsed = execFileSync('git', ['interpret-trailers', '--parse'], { input: message, encoding: 'utf8' });
  return parsed.split('\n').filter((line) => line !== '');
}
