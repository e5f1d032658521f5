// git on the rehearsal's own repositories (the sample, the suite's snapshot, the GitOps remote, checkouts):
// core's Git, with the author the rehearsal commits as.
import { Git } from '@shiprail/core';
import { actionsExec } from '@shiprail/core/action';

export interface GitAuthor {
  name: string;
  email: string;
}

export interface RehearsalGitOptions {
  /** Who authors and commits. */
  author?: GitAuthor;
  /** More environment (GIT_DIR, GIT_WORK_TREE, dates). */
  env?: Record<string, string>;
}

/** git in `cwd`, reading no system configuration and signing nothing. */
export function gitIn(cwd: string, options: RehearsalGitOptions = {}): Git {
  const { author } = options;
  const identity: Record<string, string> = author
    ? {
        GIT_AUTHOR_NAME: author.name,
        GIT_AUTHOR_EMAIL: author.email,
        GIT_COMMITTER_NAME: author.name,
        GIT_COMMITTER_EMAIL: author.email,
      }
    : {};
  return new Git({
    exec: actionsExec,
    cwd,
    env: { GIT_CONFIG_NOSYSTEM: '1', ...identity, ...options.env },
    config: ['commit.gpgsign=false', 'advice.detachedHead=false'],
  });
}
