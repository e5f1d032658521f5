// Whether a commit a controller applied contains the GitOps commit: the history of the GitOps
// repository, read with git from a clone the job already has or from a fetch of the branch
// made the first time a revision other than ours is seen. Behind one interface, with the empty history
// (only our commit itself counts) beside it.
import { Git, type Exec } from '@shiprail/core';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export interface CommitHistory {
  /** Whether `descendant` has `ancestor` in its history; undefined when the history cannot say. */
  contains(descendant: string, ancestor: string): Promise<boolean | undefined>;
}

/** No history: only our commit itself counts. */
export const NO_HISTORY: CommitHistory = { contains: () => Promise.resolve(undefined) };

export interface GitHistoryOptions {
  exec: Exec;
  /** A clone of the GitOps repository (fetched from its `origin`), or a directory to fetch into. */
  directory: string;
  /** The repository URL to fetch from when `directory` is not a clone. */
  url: string | undefined;
  /** The branch to fetch ('' for the remote's HEAD). */
  branch: string;
  /** Environment of every git command (credentials as per-process configuration, never argv). */
  env: Readonly<Record<string, string>>;
  deadlineMs: number;
}

/** The history in a git repository, fetched again when a revision is not in it yet. */
export class GitHistory implements CommitHistory {
  private readonly options: GitHistoryOptions;
  private readonly git: Git;
  private prepared: Promise<void> | undefined;

  constructor(options: GitHistoryOptions) {
    this.options = options;
    this.git = new Git({
      exec: options.exec,
      cwd: options.directory,
      env: options.env,
      deadlineMs: options.deadlineMs,
    });
  }

  async contains(descendant: string, ancestor: string): Promise<boolean | undefined> {
    this.prepared ??= this.prepare();
    await this.prepared;
    if (!(await this.has(descendant)) || !(await this.has(ancestor))) {
      await this.fetch();
      if (!(await this.has(descendant)) || !(await this.has(ancestor))) return undefined;
    }
    const answer = await this.git.run(['merge-base', '--is-ancestor', ancestor, descendant], { allowFailure: true });
    if (answer.exitCode === 0) return true;
    if (answer.exitCode === 1) return false;
    return undefined;
  }

  private async has(sha: string): Promise<boolean> {
    return (await this.git.run(['cat-file', '-e', `${sha}^{commit}`], { allowFailure: true })).exitCode === 0;
  }

  /** A directory that is not a clone becomes an empty bare repository fetched from the URL. */
  private async prepare(): Promise<void> {
    const { directory } = this.options;
    if (existsSync(join(directory, '.git')) || existsSync(join(directory, 'HEAD'))) return;
    await this.git.run(['init', '--quiet', '--bare', '--', directory]);
  }

  private async fetch(): Promise<void> {
    const { url, branch } = this.options;
    const source = url ?? 'origin';
    const refspec = branch === '' ? 'HEAD' : `+refs/heads/${branch}:refs/remotes/gitops/${branch}`;
    await this.git.run(['fetch', '--quiet', '--no-tags', '--', source, refspec], {
      allowFailure: true,
    });
  }
}
