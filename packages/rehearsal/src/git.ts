// git on the rehearsal's own repositories (the sample, the suite's snapshot, the GitOps remote, checkouts):
// core's Git, with the author the rehearsal commits as.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
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

/**
 * git in `cwd`, reading no system configuration, signing nothing and starting no upkeep: the rehearsal's
 * repositories live for minutes, and `maintenance run --auto` after each commit or fetch was one more
 * process every time.
 */
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
    config: ['commit.gpgsign=false', 'advice.detachedHead=false', 'maintenance.auto=false', 'gc.auto=0'],
  });
}

/**
 * The commit a branch of a bare repository points at, read from its ref files: the clusters ask several
 * times a second, and a git process each time cost more than the rest of their following.
 */
export async function branchHead(gitDir: string, branch: string): Promise<string> {
  const ref = `refs/heads/${branch}`;
  const loose = await readFile(join(gitDir, ref), 'utf8').catch(() => undefined);
  if (loose !== undefined && /^[0-9a-f]{40}\n?$/.test(loose)) return loose.trim();
  const packed = await readFile(join(gitDir, 'packed-refs'), 'utf8').catch(() => '');
  const line = packed.split('\n').find((entry) => entry.endsWith(` ${ref}`));
  if (line !== undefined) return line.slice(0, 40);
  return gitIn(gitDir).output(['--git-dir', gitDir, 'rev-parse', ref]);
}
