// The events a rehearsal delivers, shaped as GitHub delivers them: a push to a branch, a pull request
// (run on the merge commit GitHub makes of its head into its base, at refs/pull/N/merge) and a merge
// queue's `merge_group` (run on the queue's temporary branch gh-readonly-queue/<base>/pr-N-<base sha>).
import { gitIn } from '../git.ts';
import type { WorkflowEvent } from './workflow-run.ts';

export interface EventRepository {
  /** owner/name */
  fullName: string;
  defaultBranch: string;
}

const repositoryPayload = (repository: EventRepository): Record<string, unknown> => {
  const [owner = '', name = ''] = repository.fullName.split('/');
  return { full_name: repository.fullName, name, owner: { login: owner }, default_branch: repository.defaultBranch };
};

export function pushEvent(
  repository: EventRepository,
  branch: string,
  before: string,
  after: string,
  actor: string,
): WorkflowEvent {
  const ref = `refs/heads/${branch}`;
  return {
    name: 'push',
    payload: { ref, before, after, repository: repositoryPayload(repository) },
    sha: after,
    ref,
    repository: repository.fullName,
    actor,
  };
}

export interface PullRequest {
  number: number;
  base: { ref: string; sha: string };
  head: { ref: string; sha: string };
  /** The merge commit GitHub made (refs/pull/N/merge); `pullRequestMergeCommit` makes it. */
  mergeSha: string;
}

/** A pull_request event: GITHUB_SHA is the merge commit, GITHUB_REF refs/pull/N/merge. */
export function pullRequestEvent(repository: EventRepository, pull: PullRequest, actor: string): WorkflowEvent {
  return {
    name: 'pull_request',
    payload: {
      action: 'synchronize',
      number: pull.number,
      pull_request: { number: pull.number, base: pull.base, head: pull.head, merge_commit_sha: pull.mergeSha },
      repository: repositoryPayload(repository),
    },
    sha: pull.mergeSha,
    ref: `refs/pull/${pull.number}/merge`,
    repository: repository.fullName,
    actor,
  };
}

/**
 * Makes the commits GitHub keeps for a pull request in the repository at `path`: refs/pull/N/head at its
 * head and refs/pull/N/merge at the head merged into the base (first parent the base). A conflict throws
 * (GitHub runs no pull_request workflow then). Returns the merge commit.
 */
export async function pullRequestMergeCommit(
  path: string,
  number: number,
  baseSha: string,
  headSha: string,
): Promise<string> {
  const merge = await mergeCommit(path, baseSha, headSha);
  const git = gitIn(path);
  await git.output(['update-ref', `refs/pull/${number}/head`, headSha]);
  await git.output(['update-ref', `refs/pull/${number}/merge`, merge]);
  return merge;
}

/** The commit of `headSha` merged into `baseSha` (first parent the base); a conflict throws. */
async function mergeCommit(path: string, baseSha: string, headSha: string): Promise<string> {
  const git = gitIn(path, { author: { name: 'GitHub', email: 'noreply@github.com' } });
  const tree = (await git.output(['merge-tree', '--write-tree', baseSha, headSha])).split('\n')[0] ?? '';
  return git.output(['commit-tree', tree, '-p', baseSha, '-p', headSha, '-m', `Merge ${headSha} into ${baseSha}`]);
}

/** What a merge queue entry is: a pull request's head queued onto the base branch at `baseSha`. */
export interface MergeQueueEntry {
  baseBranch: string;
  baseSha: string;
  /** The queue's commit (the pull request merged onto the base); `mergeQueueCommit` makes it. */
  headSha: string;
  pullRequest: number;
}

/**
 * Makes the commit a merge queue tests in the repository at `path`: the pull request's head merged onto
 * `baseSha`, on the queue's branch gh-readonly-queue/<base>/pr-N-<base sha>. Returns the queue entry.
 */
export async function mergeQueueCommit(
  path: string,
  entry: Omit<MergeQueueEntry, 'headSha'>,
  pullRequestHead: string,
): Promise<MergeQueueEntry> {
  const headSha = await mergeCommit(path, entry.baseSha, pullRequestHead);
  const branch = `refs/heads/gh-readonly-queue/${entry.baseBranch}/pr-${entry.pullRequest}-${entry.baseSha}`;
  await gitIn(path).output(['update-ref', branch, headSha]);
  return { ...entry, headSha };
}

/** A merge_group event: the queue's branch holds the pull request merged onto the base's `baseSha`. */
export function mergeGroupEvent(repository: EventRepository, group: MergeQueueEntry, actor: string): WorkflowEvent {
  const headRef = `refs/heads/gh-readonly-queue/${group.baseBranch}/pr-${group.pullRequest}-${group.baseSha}`;
  return {
    name: 'merge_group',
    payload: {
      action: 'checks_requested',
      merge_group: {
        head_sha: group.headSha,
        head_ref: headRef,
        base_sha: group.baseSha,
        base_ref: `refs/heads/${group.baseBranch}`,
        head_commit: { id: group.headSha },
      },
      repository: repositoryPayload(repository),
    },
    sha: group.headSha,
    ref: headRef,
    repository: repository.fullName,
    actor,
  };
}
