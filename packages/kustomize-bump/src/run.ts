// The step's top function: edit the overlays in a checkout of the GitOps branch, commit, push (again after
// a lost race) or open a pull request, and report what changed.
import { ConfigurationError, errorMessage, escapeUntrusted, retry, type Runtime } from '@shiprail/core';
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { describeImageEntry } from './image-args.ts';
import { GitopsGit, gitEnvironment, isLostRace } from './git.ts';
import { ownerAndName, parseInputs, type KustomizeBumpInputs } from './inputs.ts';
import { editOverlays, type OverlayEdit } from './overlays.ts';
import { commitMessage, planKustomizeBump, targetBranch, type KustomizeBumpPlan } from './plan.ts';
import { openOrUpdatePullRequest, type OctokitFactory, type PullRequestResult } from './pull-request.ts';
import { outcomeLines, renderSummary } from './summary.ts';
import { renderedResolver, verifyRendered } from './rendered.ts';
import { findOnPath, verifyOverlay } from './verify.ts';
import {
  borrowWorktree,
  cloneShallow,
  displayUrl,
  fetchBranch,
  remoteUrlOf,
  resolveBranch,
  type Workspace,
} from './workspace.ts';

/** Backoff between push attempts: full jitter spreads racing bumps apart. */
const PUSH_BACKOFF = { baseMs: 500, factor: 2, maxMs: 8000, jitter: 1 };

export interface KustomizeBumpResult {
  changed: boolean;
  commit: string;
  pullRequest: string;
  diff: string;
  branch: string;
  /** The branch pushed to: `branch`, or the pull request's head branch. */
  target: string;
  attempts: number;
  edits: OverlayEdit[];
  verified: boolean;
  dryRun: boolean;
}

/** What was pushed where: known before any pull request is opened. */
export type PushOutcome = Pick<KustomizeBumpResult, 'changed' | 'dryRun' | 'commit' | 'target' | 'attempts' | 'edits'>;

/** What the action reaches besides the Runtime: the GitHub API client. */
export interface KustomizeBumpServices {
  getOctokit: OctokitFactory;
}

/** @actions/github (Octokit and its HTTP stack) is loaded when a pull request is opened: most steps push. */
export const runnerServices: KustomizeBumpServices = {
  getOctokit: async (...args) => (await import('@actions/github')).getOctokit(...args),
};

/** The kustomize-bump action: edit the overlays, commit, push (or open a pull request), report. */
export async function runKustomizeBump(
  runtime: Runtime,
  services: KustomizeBumpServices = runnerServices,
): Promise<void> {
  const inputs = parseInputs(runtime.inputs);
  const result = await bumpImages(runtime, inputs, services);
  runtime.setOutput('changed', result.changed);
  runtime.setOutput('commit', result.commit);
  runtime.setOutput('pull-request', result.pullRequest);
  runtime.setOutput('diff', result.diff);
  runtime.setOutput('previous-images', previousImages(result.edits).join('\n'));
  await runtime.appendSummary(renderSummary(inputs, result));
}

/**
 * What the changed containers rendered before the edit, once each: what a revert of the commit brings
 * back (also on a first entry). Unrendered overlays fall back to the replaced entries.
 */
export function previousImages(edits: readonly OverlayEdit[]): string[] {
  const before = edits.flatMap((edit) =>
    edit.changes.flatMap((change) => {
      const target = edit.targets.find((candidate) => candidate.entry.name === change.after.name);
      if (target !== undefined) return target.containers.map((container) => container.image);
      return change.before ? [describeImageEntry(change.before)] : [];
    }),
  );
  return [...new Set(before)];
}

/** One bump under way: the plan, the checkout, and the branches read from the remote. */
interface Session {
  runtime: Runtime;
  plan: KustomizeBumpPlan;
  workspace: Workspace;
  branch: string;
  target: string;
  verify: boolean;
}

/** What the attempt that succeeded did. */
interface AttemptOutcome {
  attempt: number;
  edits: OverlayEdit[];
  /** '' when nothing was committed (no change, or a dry run). */
  commit: string;
  message: string;
  diff: string;
}

/** Clones (or borrows a worktree of `repository-path`), edits, verifies, commits and pushes. */
export async function bumpImages(
  runtime: Runtime,
  inputs: KustomizeBumpInputs,
  services: KustomizeBumpServices = runnerServices,
): Promise<KustomizeBumpResult> {
  const plan = planKustomizeBump(inputs, runtime.github, runtime.tempDir);
  const remoteUrl = await remoteUrlOf(runtime, plan.source);
  const env = gitEnvironment(remoteUrl, inputs.token, runtime.env, (secret) => runtime.mask(secret));
  const scratch = await mkdtemp(join(runtime.tempDir, 'kustomize-bump-'));
  const git = new GitopsGit(runtime, scratch, env);
  try {
    const branch = await resolveBranch(git, remoteUrl, inputs.branch);
    const images = inputs.images.map((image) => image.argument).join(', ');
    runtime.log.info(`Bumping ${images} on ${displayUrl(remoteUrl)} ${escapeUntrusted(branch)}`);
    const workspace =
      plan.source.kind === 'clone'
        ? await borrowWorktree(git.in(plan.source.path), remoteUrl, scratch, branch)
        : await cloneShallow(git, remoteUrl, scratch, branch);
    try {
      const verify = await decideVerify(runtime, inputs);
      const session: Session = { runtime, plan, workspace, branch, target: targetBranch(inputs, branch), verify };
      return await bumpAndPublish(session, services);
    } finally {
      await workspace.cleanup();
    }
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

async function bumpAndPublish(session: Session, services: KustomizeBumpServices): Promise<KustomizeBumpResult> {
  const { runtime, plan, branch, target, verify } = session;
  const { inputs } = plan;
  const outcome = await attemptUntilPushed(session);
  const pushed: PushOutcome = {
    changed: outcome.edits.length > 0,
    dryRun: inputs['dry-run'],
    commit: outcome.commit,
    target,
    attempts: outcome.attempt,
    edits: outcome.edits,
  };
  for (const line of outcomeLines(inputs, pushed)) runtime.log.info(line);
  const publish = inputs.mode === 'pull-request' && pushed.changed && !pushed.dryRun;
  const pullRequest = publish ? await publishPullRequest(session, services, outcome) : undefined;
  if (pullRequest !== undefined) {
    runtime.log.info(`${pullRequest.created ? 'Opened' : 'Updated'} pull request ${escapeUntrusted(pullRequest.url)}`);
  }
  return {
    ...pushed,
    pullRequest: pullRequest?.url ?? '',
    diff: outcome.diff,
    branch,
    verified: verify && pushed.changed,
  };
}

/** Attempts until a push lands; only a push that lost a race to another writer is tried again. */
async function attemptUntilPushed(session: Session): Promise<AttemptOutcome> {
  const { runtime, plan, target } = session;
  const attempts = plan.inputs['max-attempts'];
  try {
    return await retry((attempt) => attemptBump(session, attempt), {
      ...PUSH_BACKOFF,
      attempts,
      retryIf: isLostRace,
      onRetry: (error, attempt, delay) =>
        runtime.log.info(
          `Attempt ${attempt} lost a race (${errorMessage(error)}); fetching and re-applying in ${delay} ms`,
        ),
      sleep: (ms) => runtime.clock.sleep(ms),
    });
  } catch (error) {
    if (!isLostRace(error) || !(error instanceof Error)) throw error;
    throw new Error(
      `${target} kept moving: the push was rejected ${attempts} times (${error.message}). ` +
        'Raise max-attempts, or serialise bumps with a workflow concurrency group.',
    );
  }
}

async function decideVerify(runtime: Runtime, inputs: KustomizeBumpInputs): Promise<boolean> {
  const verify = inputs.verify !== 'false' && (await findOnPath('kubectl', runtime.env));
  if (inputs.verify === 'true' && !verify) {
    throw new ConfigurationError('is true but kubectl is not on PATH: install kubectl or use auto', {
      input: 'verify',
    });
  }
  if (inputs.verify === 'auto' && !verify) {
    runtime.log.info('kubectl is not on PATH: the overlays are not rendered to verify the edit');
  }
  return verify;
}

const DIFF = ['diff', '--no-color', '--no-ext-diff'];

/** One attempt: (after the first, move to the remote's new head,) edit, verify, commit, push. */
async function attemptBump(session: Session, attempt: number): Promise<AttemptOutcome> {
  const { runtime, plan, workspace, branch, target, verify } = session;
  const { inputs } = plan;
  const { git } = workspace;
  if (attempt > 1) {
    await fetchBranch(git, branch, workspace.shallow);
    await git.run(['reset', '--quiet', '--hard', 'FETCH_HEAD']);
  }
  const resolve = verify ? renderedResolver(runtime, git.cwd, inputs.images) : undefined;
  const edits = await editOverlays(git.cwd, inputs.overlays, inputs.images, resolve);
  if (edits.length === 0) return { attempt, edits, commit: '', message: '', diff: '' };
  if (verify) {
    for (const edit of edits) {
      await verifyRendered(runtime, git.cwd, edit);
      // Entries written by name (`*` fields) are checked by reference, as kustomize edit set image leaves them.
      const byName = edit.changes.filter((change) => !edit.targets.some((t) => t.entry.name === change.after.name));
      if (byName.length > 0) {
        await verifyOverlay(
          runtime,
          git.cwd,
          edit.overlay,
          edit.file,
          byName.map((change) => change.after),
        );
      }
    }
  }
  const files = edits.map((edit) => edit.file);
  if (inputs['dry-run']) {
    return { attempt, edits, commit: '', message: '', diff: (await git.run([...DIFF, '--', ...files])).stdout };
  }
  const message = commitMessage(plan, branch, edits);
  await git.run(['add', '--', ...files]);
  await git.run(['-c', 'commit.gpgsign=false', 'commit', '--quiet', '--no-verify', '--file=-'], { input: message });
  const commit = await git.output(['rev-parse', 'HEAD']);
  await git.push(`refs/heads/${target}`, inputs.mode === 'pull-request');
  // Read once the push has landed: the window in which a concurrent push can win stays short.
  const diff = (await git.run([...DIFF, 'HEAD^', 'HEAD', '--', ...files])).stdout;
  return { attempt, edits, commit, message, diff };
}

/** Opens the pull request for the pushed head branch, or updates the open one. */
async function publishPullRequest(
  { runtime, workspace, branch, target, plan }: Session,
  services: KustomizeBumpServices,
  outcome: AttemptOutcome,
): Promise<PullRequestResult> {
  // The repository pushed to is the one the pull request is for (also with repository-path).
  const repository = ownerAndName(workspace.remoteUrl);
  if (repository === undefined) {
    throw new Error(`cannot tell the owner/name of ${displayUrl(workspace.remoteUrl)} for the pull request API`);
  }
  const [title = '', ...body] = outcome.message.split('\n');
  return openOrUpdatePullRequest(runtime, services.getOctokit, {
    token: plan.inputs.token,
    apiUrl: runtime.github.apiUrl,
    ...repository,
    head: target,
    base: branch,
    title,
    body: body.join('\n').trim(),
  });
}
