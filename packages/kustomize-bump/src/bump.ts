import { ConfigurationError, code, details, retry, table, type Runtime } from '@shiprail/core';
import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Git, PushRejectedError, gitEnvironment } from './git.ts';
import { describeImageEntry, type ImageArgument, type ImageEntry } from './image-args.ts';
import { ownerAndName, parseInputs, remoteUrlFor, type KustomizeBumpInputs } from './inputs.ts';
import { setKustomizationImages, type ImageChange } from './kustomization-edit.ts';
import { renderCommitMessage, type Placeholder } from './message.ts';
import { openOrUpdatePullRequest } from './pull-request.ts';
import { findOnPath, verifyOverlay } from './verify.ts';

/** The names kustomize looks for in a directory, in its order. */
export const KUSTOMIZATION_FILES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];

/** Backoff between push attempts: full jitter spreads racing bumps apart. */
const PUSH_BACKOFF = { baseMs: 500, factor: 2, maxMs: 8000, jitter: 1 };

export interface OverlayEdit {
  overlay: string;
  /** The kustomization file, relative to the repository root. */
  file: string;
  changes: ImageChange[];
  text: string;
}

export interface BumpResult {
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

export async function runKustomizeBump(runtime: Runtime): Promise<void> {
  const inputs = parseInputs(runtime.inputs);
  const result = await bumpImages(runtime, inputs);
  runtime.setOutput('changed', result.changed);
  runtime.setOutput('commit', result.commit);
  runtime.setOutput('pull-request', result.pullRequest);
  runtime.setOutput('diff', result.diff);
  await runtime.appendSummary(renderSummary(inputs, result));
}

interface Workspace {
  git: Git;
  remoteUrl: string;
  shallow: boolean;
  cleanup(): Promise<void>;
}

/** Clones (or borrows a worktree of `repository-path`), edits, verifies, commits and pushes. */
export async function bumpImages(runtime: Runtime, inputs: KustomizeBumpInputs): Promise<BumpResult> {
  const existingClone = inputs['repository-path'];
  const remoteUrl = existingClone
    ? await originOf(runtime, resolve(runtime.github.workspace, existingClone))
    : remoteUrlFor(inputs.repository || runtime.github.repository, runtime.github.serverUrl);
  const env = gitEnvironment(remoteUrl, inputs.token, runtime.env, (secret) => runtime.mask(secret));
  const scratch = await mkdtemp(join(runtime.tempDir, 'kustomize-bump-'));
  const git = new Git(runtime, scratch, env);
  try {
    const branch = await resolveBranch(git, remoteUrl, inputs.branch);
    runtime.log.info(
      `Bumping ${inputs.images.map((image) => image.argument).join(', ')} on ${displayUrl(remoteUrl)} ${branch}`,
    );
    const workspace = existingClone
      ? await borrowWorktree(git.in(resolve(runtime.github.workspace, existingClone)), remoteUrl, scratch, branch)
      : await cloneShallow(git, remoteUrl, scratch, branch);
    try {
      return await editAndPush(runtime, inputs, workspace, branch);
    } finally {
      await workspace.cleanup();
    }
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

async function originOf(runtime: Runtime, path: string): Promise<string> {
  if (!existsSync(path) || !statSync(path).isDirectory()) {
    throw new ConfigurationError(`'${path}' is not a directory`, { input: 'repository-path' });
  }
  const origin = await runtime.exec('git', ['remote', 'get-url', 'origin'], {
    cwd: path,
    silent: true,
    allowFailure: true,
  });
  if (origin.exitCode !== 0) {
    throw new ConfigurationError(`'${path}' is not a git clone with an origin remote`, { input: 'repository-path' });
  }
  return origin.stdout.trim();
}

/** The branch to bump: checked to exist (`ls-remote`), the remote's default one when none is named. */
async function resolveBranch(git: Git, remoteUrl: string, requested: string): Promise<string> {
  const refs = ['HEAD', ...(requested ? [`refs/heads/${requested}`] : [])];
  const listed = await git.run(['ls-remote', '--symref', remoteUrl, ...refs], { allowFailure: true });
  if (listed.exitCode !== 0) {
    const reason = listed.stderr.trim().split('\n').slice(-2).join(' ');
    throw new Error(`cannot read ${displayUrl(remoteUrl)}: ${reason}`);
  }
  const lines = listed.stdout.split('\n');
  const defaultBranch = lines
    .map((line) => /^ref: refs\/heads\/(\S+)\tHEAD$/.exec(line)?.[1])
    .find((name) => name !== undefined);
  const branch = requested || defaultBranch;
  if (branch === undefined) throw new Error(`${displayUrl(remoteUrl)} has no default branch (is it empty?)`);
  if (requested && !lines.some((line) => line.endsWith(`\trefs/heads/${requested}`))) {
    throw new ConfigurationError(`branch '${requested}' does not exist in ${displayUrl(remoteUrl)}`, {
      input: 'branch',
    });
  }
  if (!requested && !lines.some((line) => /^[0-9a-f]+\tHEAD$/.test(line))) {
    throw new Error(`the default branch ${branch} of ${displayUrl(remoteUrl)} has no commit`);
  }
  return branch;
}

async function cloneShallow(git: Git, remoteUrl: string, scratch: string, branch: string): Promise<Workspace> {
  const directory = join(scratch, 'clone');
  await git.run([
    'clone',
    '--quiet',
    '--depth=1',
    '--no-tags',
    '--single-branch',
    `--branch=${branch}`,
    remoteUrl,
    directory,
  ]);
  return { git: git.in(directory), remoteUrl, shallow: true, cleanup: () => Promise.resolve() };
}

/** A temporary worktree of an existing clone: its objects are reused, its checkout is left alone. */
async function borrowWorktree(clone: Git, remoteUrl: string, scratch: string, branch: string): Promise<Workspace> {
  await clone.run(['fetch', '--quiet', '--no-tags', 'origin', `refs/heads/${branch}`]);
  const head = await clone.output(['rev-parse', 'FETCH_HEAD']);
  const directory = join(scratch, 'worktree');
  await clone.run(['worktree', 'add', '--quiet', '--detach', directory, head]);
  return {
    git: clone.in(directory),
    remoteUrl,
    shallow: false,
    cleanup: async () => {
      await clone.run(['worktree', 'remove', '--force', directory], { allowFailure: true });
    },
  };
}

interface BumpPlan {
  runtime: Runtime;
  inputs: KustomizeBumpInputs;
  workspace: Workspace;
  branch: string;
  /** The branch pushed to: `branch`, or the pull request's head branch (force-pushed: it is ours). */
  target: string;
  verify: boolean;
}

async function editAndPush(
  runtime: Runtime,
  inputs: KustomizeBumpInputs,
  workspace: Workspace,
  branch: string,
): Promise<BumpResult> {
  const target = inputs.mode === 'pull-request' ? pullRequestBranch(branch, inputs) : branch;
  const plan: BumpPlan = { runtime, inputs, workspace, branch, target, verify: await decideVerify(runtime, inputs) };
  let attempts = 0;
  let result: BumpResult;
  try {
    result = await retry(
      (attempt) => {
        attempts = attempt;
        return attemptBump(plan, attempt);
      },
      {
        ...PUSH_BACKOFF,
        attempts: inputs['max-attempts'],
        retryIf: (error) => error instanceof PushRejectedError,
        onRetry: (error, attempt, delay) =>
          runtime.log.info(
            `Attempt ${attempt} lost a race (${errorText(error)}); fetching and re-applying in ${delay} ms`,
          ),
        sleep: (ms) => runtime.clock.sleep(ms),
      },
    );
  } catch (error) {
    if (!(error instanceof PushRejectedError)) throw error;
    throw new Error(
      `${target} kept moving: the push was rejected ${attempts} times (${error.message}). ` +
        'Raise max-attempts, or serialise bumps with a workflow concurrency group.',
    );
  }
  logOutcome(plan, result);
  if (inputs.mode === 'pull-request' && result.changed && !result.dryRun) {
    result = { ...result, pullRequest: await publishPullRequest(plan, result) };
  }
  return result;
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

/** One attempt: (after the first, move to the remote's new head,) edit, verify, commit, push. */
async function attemptBump(plan: BumpPlan, attempt: number): Promise<BumpResult> {
  const { runtime, inputs, workspace, branch, target, verify } = plan;
  const { git } = workspace;
  if (attempt > 1) {
    const depth = workspace.shallow ? ['--depth=1'] : [];
    await git.run(['fetch', '--quiet', '--no-tags', ...depth, 'origin', `refs/heads/${branch}`]);
    await git.run(['reset', '--quiet', '--hard', 'FETCH_HEAD']);
  }
  const edits = await editOverlays(git.cwd, inputs.overlays, inputs.images);
  const result: BumpResult = {
    changed: edits.length > 0,
    commit: '',
    pullRequest: '',
    diff: '',
    branch,
    target,
    attempts: attempt,
    edits,
    verified: verify && edits.length > 0,
    dryRun: inputs['dry-run'],
  };
  if (edits.length === 0) return result;
  if (verify) {
    for (const edit of edits) {
      await verifyOverlay(
        runtime,
        git.cwd,
        edit.overlay,
        edit.file,
        edit.changes.map((change) => change.after),
      );
    }
  }
  const files = edits.map((edit) => edit.file);
  const diffArgs = ['diff', '--no-color', '--no-ext-diff'];
  if (inputs['dry-run']) return { ...result, diff: (await git.run([...diffArgs, '--', ...files])).stdout };
  await git.run(['add', '--', ...files]);
  const message = renderCommitMessage(inputs['commit-message'], messageValues(runtime, inputs, branch, edits));
  await git.run(['-c', 'commit.gpgsign=false', 'commit', '--quiet', '--no-verify', '--file=-'], { input: message });
  const commit = await git.output(['rev-parse', 'HEAD']);
  await git.push(`refs/heads/${target}`, inputs.mode === 'pull-request');
  // Read once the push has landed: the window in which a concurrent push can win stays short.
  const diff = (await git.run([...diffArgs, 'HEAD^', 'HEAD', '--', ...files])).stdout;
  return { ...result, diff, commit };
}

function logOutcome({ runtime, inputs, target }: BumpPlan, result: BumpResult): void {
  for (const edit of result.edits) {
    for (const change of edit.changes) runtime.log.info(`${edit.overlay}: ${describeChange(change)}`);
  }
  if (!result.changed) runtime.log.info('Every overlay already has these images: nothing to commit');
  else if (result.dryRun) runtime.log.info('Dry run: nothing committed or pushed');
  else
    runtime.log.info(`Pushed ${result.commit} to ${target} on attempt ${result.attempts} of ${inputs['max-attempts']}`);
}

/** Opens the pull request for the pushed head branch, or updates the open one; returns its URL. */
async function publishPullRequest(
  { runtime, inputs, workspace, branch, target }: BumpPlan,
  result: BumpResult,
): Promise<string> {
  // The repository pushed to is the one the pull request is for (also with repository-path).
  const repository = ownerAndName(workspace.remoteUrl);
  if (repository === undefined) {
    throw new Error(`cannot tell the owner/name of ${displayUrl(workspace.remoteUrl)} for the pull request API`);
  }
  const message = renderCommitMessage(inputs['commit-message'], messageValues(runtime, inputs, branch, result.edits));
  const [title = '', ...body] = message.split('\n');
  const pullRequest = await openOrUpdatePullRequest({
    token: inputs.token,
    apiUrl: runtime.github.apiUrl,
    ...repository,
    head: target,
    base: branch,
    title,
    body: body.join('\n').trim(),
  });
  runtime.log.info(`${pullRequest.created ? 'Opened' : 'Updated'} pull request ${pullRequest.url}`);
  return pullRequest.url;
}

/** Reads and edits every overlay in memory first, then writes: one bad file means nothing is written. */
export async function editOverlays(
  root: string,
  overlays: readonly string[],
  images: ImageEntry[],
): Promise<OverlayEdit[]> {
  const edits: OverlayEdit[] = [];
  for (const overlay of overlays) {
    const directory = join(root, overlay);
    if (!existsSync(directory) || !statSync(directory).isDirectory()) {
      throw new ConfigurationError(`'${overlay}' is not a directory of the repository`, { input: 'overlays' });
    }
    const name = KUSTOMIZATION_FILES.find((candidate) => existsSync(join(directory, candidate)));
    if (name === undefined) {
      throw new ConfigurationError(`'${overlay}' has no kustomization.yaml (nor kustomization.yml, Kustomization)`, {
        input: 'overlays',
      });
    }
    const file = overlay === '.' ? name : `${overlay}/${name}`;
    const edit = setKustomizationImages(await readFile(join(root, file), 'utf8'), file, images);
    if (edit.changes.length > 0) edits.push({ overlay, file, changes: edit.changes, text: edit.text });
  }
  for (const edit of edits) await writeFile(join(root, edit.file), edit.text);
  return edits;
}

/** One head branch per base, overlays and image names: a later bump of the same images updates its PR. */
export function pullRequestBranch(branch: string, inputs: Pick<KustomizeBumpInputs, 'overlays' | 'images'>): string {
  const names = inputs.images.map((image) => image.name).sort();
  const key = `${[...inputs.overlays].sort().join('\n')}\n--\n${names.join('\n')}`;
  const hash = createHash('sha256').update(key).digest('hex').slice(0, 8);
  const label = names
    .map((name) => name.split('/').pop() ?? name)
    .join('-')
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .slice(0, 40);
  return `kustomize-bump/${branch}/${label}-${hash}`;
}

function messageValues(
  runtime: Runtime,
  inputs: KustomizeBumpInputs,
  branch: string,
  edits: OverlayEdit[],
): Record<Placeholder, string> {
  const { repository, sha, serverUrl, runId } = runtime.github;
  const server = serverUrl.replace(/\/+$/, '');
  return {
    images: inputs.images.map((image: ImageArgument) => image.argument).join(', '),
    overlays: edits.map((edit) => edit.overlay).join(', '),
    changes: edits
      .flatMap((edit) => edit.changes.map((change) => `- ${edit.overlay}: ${describeChange(change)}`))
      .join('\n'),
    branch,
    'source-repository': repository,
    'source-sha': sha,
    'source-short-sha': sha.slice(0, 7),
    'source-url': repository && sha ? `${server}/${repository}/commit/${sha}` : '',
    'run-url': repository && runId ? `${server}/${repository}/actions/runs/${runId}` : '',
  };
}

export function describeChange(change: ImageChange): string {
  const before = change.before === undefined ? `new entry ${change.name}` : describeImageEntry(change.before);
  return `${before} → ${describeImageEntry(change.after)}`;
}

function renderSummary(inputs: KustomizeBumpInputs, result: BumpResult): string {
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

function verificationNote(inputs: KustomizeBumpInputs, result: BumpResult): string {
  if (result.verified) return ', after `kubectl kustomize` rendered every new reference';
  return inputs.verify === 'false' ? '' : ' (not verified: kubectl is not on PATH)';
}

/** A remote URL without any user info, for logs. */
function displayUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^@/]*@/i, '$1');
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
