// The checkout kustomize-bump edits: a shallow clone of the branch, or a worktree borrowed from a clone.
import { ConfigurationError, escapeUntrusted, Git, stripUrlCredentials, type Runtime } from '@shiprail/core';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { GitopsGit } from './git.ts';
import type { RepositorySource } from './plan.ts';

/** A checkout of the branch to edit, and how to get rid of it. */
export interface Workspace {
  git: GitopsGit;
  remoteUrl: string;
  /** A shallow clone fetches new heads at depth 1 too. */
  shallow: boolean;
  cleanup(): Promise<void>;
}

/** A remote URL for logs: no user info, no control characters. */
export const displayUrl = (url: string): string => escapeUntrusted(stripUrlCredentials(url));

/** The URL of the remote: given, or the `origin` of the clone to borrow. */
export async function remoteUrlOf(runtime: Runtime, source: RepositorySource): Promise<string> {
  if (source.kind === 'remote') return source.remoteUrl;
  if (!existsSync(source.path) || !statSync(source.path).isDirectory()) {
    throw new ConfigurationError(`'${source.path}' is not a directory`, { input: 'repository-path' });
  }
  const clone = new Git({ exec: (program, args, options) => runtime.exec(program, args, options), cwd: source.path });
  const origin = await clone.run(['remote', 'get-url', 'origin'], { allowFailure: true });
  if (origin.exitCode !== 0) {
    throw new ConfigurationError(`'${source.path}' is not a git clone with an origin remote`, {
      input: 'repository-path',
    });
  }
  return origin.stdout.trim();
}

/** The branch to bump: checked to exist (`ls-remote`), the remote's default one when none is named. */
export async function resolveBranch(git: GitopsGit, remoteUrl: string, requested: string): Promise<string> {
  const refs = ['HEAD', ...(requested ? [`refs/heads/${requested}`] : [])];
  const listed = await git.fetchFromRemote(
    ['ls-remote', '--symref', '--', remoteUrl, ...refs],
    `cannot read ${displayUrl(remoteUrl)}`,
  );
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
    throw new Error(`the default branch ${escapeUntrusted(branch)} of ${displayUrl(remoteUrl)} has no commit`);
  }
  return branch;
}

/** A shallow clone of one branch into the scratch directory. */
export async function cloneShallow(
  git: GitopsGit,
  remoteUrl: string,
  scratch: string,
  branch: string,
): Promise<Workspace> {
  const directory = join(scratch, 'clone');
  const args = ['clone', '--quiet', '--depth=1', '--no-tags', '--single-branch', `--branch=${branch}`];
  await git.fetchFromRemote([...args, '--', remoteUrl, directory], `cannot clone ${displayUrl(remoteUrl)}`);
  return { git: git.in(directory), remoteUrl, shallow: true, cleanup: () => Promise.resolve() };
}

/** A temporary worktree of an existing clone: its objects are reused, its checkout is left alone. */
export async function borrowWorktree(
  clone: GitopsGit,
  remoteUrl: string,
  scratch: string,
  branch: string,
): Promise<Workspace> {
  await fetchBranch(clone, branch, false);
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

/** Fetches the branch's current head into FETCH_HEAD. */
export async function fetchBranch(git: GitopsGit, branch: string, shallow: boolean): Promise<void> {
  const depth = shallow ? ['--depth=1'] : [];
  await git.fetchFromRemote(
    ['fetch', '--quiet', '--no-tags', ...depth, 'origin', `refs/heads/${branch}`],
    `cannot fetch ${branch}`,
  );
}
