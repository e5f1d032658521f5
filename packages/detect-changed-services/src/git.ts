import type { Exec, ExecResult } from '@shiprail/core';

export const ZERO_SHA = '0000000000000000000000000000000000000000';
const SHA = /^[0-9a-f]{40}(?:[0-9a-f]{24})?$/;

/**
 * How far a shallow clone is deepened while looking for a merge base: one `git fetch --deepen` per step,
 * then the search gives up (and every service is selected). 3,150 commits in all by default.
 */
export const DEFAULT_DEEPEN_STEPS: readonly number[] = [50, 100, 200, 400, 800, 1600];

/** A changed file; a rename or copy also carries the path it came from. */
export interface ChangedFile {
  status: string;
  path: string;
  from?: string;
}

export interface GitOptions {
  cwd: string;
  exec: Exec;
  deepenSteps?: readonly number[];
  /** Progress lines for the log. */
  log?: (message: string) => void;
}

export type MergeBaseResult = { sha: string } | { sha?: undefined; reason: string };

export const shortSha = (sha: string): string => (SHA.test(sha) ? sha.slice(0, 7) : sha);

/** The git operations detection needs, fetching (and deepening shallow clones) only as far as needed. */
export class Git {
  readonly cwd: string;
  private readonly exec: Exec;
  private readonly deepenSteps: readonly number[];
  private readonly log: (message: string) => void;
  private shallow: boolean | undefined;

  constructor(options: GitOptions) {
    this.cwd = options.cwd;
    this.exec = options.exec;
    this.deepenSteps = options.deepenSteps ?? DEFAULT_DEEPEN_STEPS;
    this.log = options.log ?? (() => undefined);
  }

  run(args: readonly string[]): Promise<ExecResult> {
    return this.exec('git', ['-c', 'core.quotePath=false', ...args], {
      cwd: this.cwd,
      silent: true,
      allowFailure: true,
    });
  }

  /** The repository's top directory, or undefined when `cwd` is not in a git work tree. */
  async topLevel(): Promise<string | undefined> {
    const result = await this.run(['rev-parse', '--show-toplevel']);
    return result.exitCode === 0 ? result.stdout.trim() : undefined;
  }

  /** The commit a revision names locally (tags peeled), or undefined. */
  async resolve(revision: string): Promise<string | undefined> {
    if (revision === '' || revision.startsWith('-')) return undefined;
    const result = await this.run(['rev-parse', '--verify', '--quiet', '--end-of-options', `${revision}^{commit}`]);
    const sha = result.stdout.trim();
    return result.exitCode === 0 && SHA.test(sha) ? sha : undefined;
  }

  async isShallow(): Promise<boolean> {
    if (this.shallow === undefined) {
      const result = await this.run(['rev-parse', '--is-shallow-repository']);
      this.shallow = result.stdout.trim() === 'true';
    }
    return this.shallow;
  }

  private async fetch(args: readonly string[]): Promise<ExecResult> {
    const result = await this.run(['fetch', '--no-tags', '--quiet', ...args]);
    this.shallow = undefined;
    return result;
  }

  /**
   * The commit a revision names, fetching it from `origin` when the clone lacks it (checkouts usually
   * hold only the commit they built): a SHA by itself, a name as `origin/<name>` or as a tag.
   */
  async ensureCommit(revision: string): Promise<string | undefined> {
    const local = (await this.resolve(revision)) ?? (await this.resolve(`refs/remotes/origin/${revision}`));
    if (local !== undefined || revision === '' || revision.startsWith('-')) return local;
    const depth = (await this.isShallow()) ? [`--depth=${this.deepenSteps[0] ?? 50}`] : [];
    if (SHA.test(revision)) {
      this.log(`Fetching ${shortSha(revision)} from origin`);
      const fetched = await this.fetch([...depth, 'origin', revision]);
      return fetched.exitCode === 0 ? this.resolve(revision) : undefined;
    }
    const name = revision.replace(/^origin\//, '').replace(/^refs\/heads\//, '');
    this.log(`Fetching ${name} from origin`);
    const branch = await this.fetch([...depth, 'origin', `+refs/heads/${name}:refs/remotes/origin/${name}`]);
    if (branch.exitCode === 0) return this.resolve(`refs/remotes/origin/${name}`);
    const tag = await this.fetch([...depth, 'origin', `+refs/tags/${name}:refs/tags/${name}`]);
    return tag.exitCode === 0 ? this.resolve(`refs/tags/${name}`) : undefined;
  }

  /** The tip of a branch as origin has it (fetched when missing), else the local branch. */
  async ensureBranch(name: string): Promise<string | undefined> {
    const remote = `refs/remotes/origin/${name}`;
    const known = await this.resolve(remote);
    if (known !== undefined) return known;
    const depth = (await this.isShallow()) ? [`--depth=${this.deepenSteps[0] ?? 50}`] : [];
    this.log(`Fetching ${name} from origin`);
    const fetched = await this.fetch([...depth, 'origin', `+refs/heads/${name}:${remote}`]);
    return (fetched.exitCode === 0 ? await this.resolve(remote) : undefined) ?? this.resolve(`refs/heads/${name}`);
  }

  /** Fetches `count` more commits of history behind the shallow boundary of the given commits. */
  private async deepen(count: number, commits: readonly string[], withTags = false): Promise<ExecResult> {
    this.log(`Deepening the shallow clone by ${count} commits`);
    const tags = withTags ? ['+refs/tags/*:refs/tags/*'] : [];
    return this.fetch([`--deepen=${count}`, 'origin', ...commits, ...tags]);
  }

  /** `git merge-base a b`, deepening a shallow clone a bounded number of times until it is found. */
  async mergeBase(a: string, b: string): Promise<MergeBaseResult> {
    let fetched = 0;
    for (let attempt = 0; ; attempt += 1) {
      const result = await this.run(['merge-base', a, b]);
      const sha = result.stdout.trim();
      if (result.exitCode === 0 && SHA.test(sha)) return { sha };
      if (!(await this.isShallow())) {
        return { reason: `${shortSha(a)} and ${shortSha(b)} have no common ancestor` };
      }
      const step = this.deepenSteps[attempt];
      if (step === undefined) {
        return {
          reason:
            `no merge base of ${shortSha(a)} and ${shortSha(b)} in the shallow clone after deepening it ` +
            `${attempt} times (${fetched} commits); fetch more history (actions/checkout fetch-depth: 0)`,
        };
      }
      const deepened = await this.deepen(step, [a, b]);
      if (deepened.exitCode !== 0) {
        return { reason: `the shallow clone could not be deepened: ${lastLine(deepened.stderr)}` };
      }
      fetched += step;
    }
  }

  /** Files that differ between two commits; renames are detected (`-M`) and keep both paths. */
  async changedFiles(base: string, head: string): Promise<ChangedFile[]> {
    const result = await this.run(['diff', '--no-ext-diff', '--no-textconv', '--name-status', '-z', '-M', base, head]);
    if (result.exitCode !== 0) throw new Error(`git diff ${base} ${head} failed: ${lastLine(result.stderr)}`);
    return parseNameStatus(result.stdout);
  }

  /**
   * The nearest tag before `commit` (from its parents back) that `skip` does not reject, deepening a
   * shallow clone (and fetching tags) while none is found. Undefined when there is none.
   */
  async previousTag(commit: string, skip: (tag: string) => boolean): Promise<string | undefined> {
    for (let attempt = 0; ; attempt += 1) {
      const parent = await this.resolve(`${commit}^`);
      const excluded: string[] = [];
      // Skipped tags are excluded one by one; a bounded number, as a release line has few of them per step.
      for (let round = 0; parent !== undefined && round < 100; round += 1) {
        const result = await this.run([
          'describe',
          '--tags',
          '--abbrev=0',
          ...excluded.flatMap((tag) => ['--exclude', tag]),
          parent,
        ]);
        const tag = result.stdout.trim();
        if (result.exitCode !== 0 || tag === '') break;
        if (!skip(tag)) return tag;
        excluded.push(tag);
      }
      const step = this.deepenSteps[attempt];
      if (step === undefined || !(await this.isShallow())) return undefined;
      const deepened = await this.deepen(step, [commit], true);
      if (deepened.exitCode !== 0) return undefined;
    }
  }
}

/** Parses `git diff --name-status -z` output: `M\0path\0`, `R100\0old\0new\0`. */
export function parseNameStatus(output: string): ChangedFile[] {
  const fields = output.split('\0');
  const files: ChangedFile[] = [];
  for (let index = 0; index < fields.length;) {
    const status = fields[index] ?? '';
    if (status === '') {
      index += 1;
      continue;
    }
    if (status.startsWith('R') || status.startsWith('C')) {
      const from = fields[index + 1] ?? '';
      const path = fields[index + 2] ?? '';
      files.push({ status: status.charAt(0), path, from });
      index += 3;
    } else {
      files.push({ status: status.charAt(0), path: fields[index + 1] ?? '' });
      index += 2;
    }
  }
  return files;
}

/** Every path a change touches: a renamed file counts at its old and its new path. */
export function changedPaths(files: readonly ChangedFile[]): string[] {
  const paths: string[] = [];
  for (const file of files) {
    if (file.from !== undefined && file.status === 'R') paths.push(file.from);
    paths.push(file.path);
  }
  return paths;
}

function lastLine(text: string): string {
  return text.trim().split('\n').pop() ?? '';
}
