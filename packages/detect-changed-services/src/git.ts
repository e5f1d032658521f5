// The repository's history as detection reads it: changed paths between two commits, merge bases, and
// fetches from origin (deepening shallow clones) only as far as needed, each under a deadline.
import {
  ClassifiedError,
  classifyGitFailure,
  errorMessage,
  failureOf,
  escapeUntrusted,
  Git,
  isTransient,
  retry,
  stripUrlCredentials,
  type Exec,
  type ExecOptions,
  type ExecResult,
} from '@shiprail/core';

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

export interface GitHistoryOptions {
  cwd: string;
  exec: Exec;
  deepenSteps?: readonly number[];
  /** Progress lines for the log. */
  log?: (message: string) => void;
  /** Deadline of one fetch from origin (default 2 minutes). */
  fetchTimeoutMs?: number;
  /** Attempts of a fetch that failed for a reason another attempt can fix (default 3). */
  fetchAttempts?: number;
  /** Pause between attempts (the runtime's clock). */
  sleep?: (ms: number) => Promise<void>;
}

export const DEFAULT_FETCH_TIMEOUT_MS = 120_000;
/** Local git commands only read the repository; this bounds them all the same. */
const LOCAL_DEADLINE_MS = 600_000;

/** A fetch from origin that failed for a reason other than a missing ref: the step cannot decide. */
export class GitFetchError extends ClassifiedError {
  readonly reason: string;

  constructor(what: string, reason: string, failure: GitFetchError['failure'], attempts: number) {
    const tries = attempts > 1 ? ` after ${attempts} attempts` : failure === 'permanent' ? ' (not retried)' : '';
    super(`git fetch of ${what} from origin failed${tries}: ${reason}`, failure);
    this.name = 'GitFetchError';
    this.reason = reason;
  }
}

/** The last lines of git's error output, safe to log: one line, no credentials, no commands. */
export function fetchFailureReason(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
  return escapeUntrusted(stripUrlCredentials(lines.slice(-2).join(' ') || 'no output'));
}

export type MergeBaseResult = { sha: string } | { sha?: undefined; reason: string };

const DIFF = ['diff', '--no-ext-diff', '--no-textconv', '--name-status', '-z', '-M'];

/** Git calls started before the comparison asks for them (`GitHistory.prefetch`); undefined when one could not start. */
interface Prefetched {
  a: string;
  b: string;
  /** `rev-parse --is-shallow-repository --show-toplevel a...b`: the top level, then b, a and `^<merge base>` lines. */
  probe: Promise<ExecResult | undefined>;
  /** The merge bases the probe printed (none: no common ancestor in the clone); undefined when it failed. */
  mergeBases: Promise<string[] | undefined>;
  /** `diff a...b`: the changes from their merge base to b. */
  diff: Promise<ExecResult | undefined>;
}

/** The merge bases in the output of `rev-parse ... a...b` (`b`, `a`, then `^<merge base>` lines), if it is that. */
function mergeBasesOf(probed: ExecResult | undefined, a: string, b: string): string[] | undefined {
  if (probed?.exitCode !== 0) return undefined;
  const [, , tip, start, ...bases] = probed.stdout.trim().split('\n');
  if (tip !== b || start !== a || !bases.every((line) => line.startsWith('^') && SHA.test(line.slice(1)))) {
    return undefined;
  }
  return bases.map((line) => line.slice(1));
}

/** `true|false` and the top level, the first two lines `rev-parse --is-shallow-repository --show-toplevel` prints. */
function repositoryOf(stdout: string): { shallow: boolean; top: string } | undefined {
  const [shallow, top] = stdout.split('\n');
  if ((shallow !== 'true' && shallow !== 'false') || top === undefined || top === '') return undefined;
  return { shallow: shallow === 'true', top };
}

export const shortSha = (sha: string): string => (SHA.test(sha) ? sha.slice(0, 7) : sha);

/** The repository's history as detection reads it, fetching (and deepening shallow clones) only as far as needed. */
export class GitHistory {
  readonly cwd: string;
  private readonly git: Git;
  private readonly deepenSteps: readonly number[];
  private readonly log: (message: string) => void;
  private readonly fetchTimeoutMs: number;
  private readonly fetchAttempts: number;
  private readonly sleep: ((ms: number) => Promise<void>) | undefined;
  private shallow: boolean | undefined;
  private prefetched: Prefetched | undefined;

  constructor(options: GitHistoryOptions) {
    this.cwd = options.cwd;
    this.git = new Git({
      exec: options.exec,
      cwd: options.cwd,
      config: ['core.quotePath=false'],
      deadlineMs: LOCAL_DEADLINE_MS,
    });
    this.deepenSteps = options.deepenSteps ?? DEFAULT_DEEPEN_STEPS;
    this.log = options.log ?? (() => undefined);
    this.fetchTimeoutMs = options.fetchTimeoutMs ?? DEFAULT_FETCH_TIMEOUT_MS;
    this.fetchAttempts = options.fetchAttempts ?? 3;
    this.sleep = options.sleep;
  }

  run(args: readonly string[], deadline?: ExecOptions['deadline']): Promise<ExecResult> {
    return this.git.run(args, { allowFailure: true, ...(deadline === undefined ? {} : { deadline }) });
  }

  /**
   * Starts, side by side, the two git calls a comparison of the commits `a` and `b` (full SHAs) most
   * likely needs: one `rev-parse` that answers `topLevel` and their merge base, and the diff from that
   * merge base to `b`. git then works while the action reads its manifest, instead of after; answers
   * the comparison turns out not to need are left unread.
   */
  prefetch(a: string, b: string): void {
    if (this.prefetched !== undefined || !SHA.test(a) || !SHA.test(b)) return;
    // A call that cannot start (or overruns its deadline) is made again, in order, when it is needed.
    const settle = (call: Promise<ExecResult>): Promise<ExecResult | undefined> => call.catch(() => undefined);
    const probe = settle(this.run(['rev-parse', '--is-shallow-repository', '--show-toplevel', `${a}...${b}`]));
    this.prefetched = {
      a,
      b,
      probe,
      mergeBases: probe.then((probed) => mergeBasesOf(probed, a, b)),
      diff: settle(this.run([...DIFF, `${a}...${b}`])),
    };
  }

  /** The repository's top directory, or undefined when `cwd` is not in a git work tree. */
  async topLevel(): Promise<string | undefined> {
    // One call answers both questions: whether this is a work tree, and whether the clone is shallow. A
    // prefetched probe that failed on its commits has printed them all the same.
    const probed = await this.prefetched?.probe;
    const found =
      (probed && repositoryOf(probed.stdout)) ??
      repositoryOf((await this.run(['rev-parse', '--is-shallow-repository', '--show-toplevel'])).stdout);
    if (found === undefined) return undefined;
    this.shallow = found.shallow;
    return found.top;
  }

  /** The merge bases the prefetched probe found for `a` and `b`, or undefined when it answered nothing for them. */
  private async prefetchedMergeBases(a: string, b: string): Promise<string[] | undefined> {
    const prefetched = this.prefetched;
    return prefetched?.a === a && prefetched.b === b ? prefetched.mergeBases : undefined;
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

  /**
   * `git fetch` from origin under a deadline, retried while the failure is one another attempt can fix
   * (the network, the server, the deadline). True when it fetched, false when origin has no such ref or
   * commit; any other failure (authentication, a repository that is not there, retries spent) throws.
   */
  private async fetch(what: string, args: readonly string[]): Promise<boolean> {
    let attempts = 0;
    try {
      return await retry(
        async () => {
          attempts += 1;
          const result = await this.run(['fetch', '--no-tags', '--quiet', ...args], {
            ms: this.fetchTimeoutMs,
            what: 'origin',
          });
          this.shallow = undefined;
          if (result.exitCode === 0) return true;
          const gitFailure = classifyGitFailure(result.stderr);
          if (gitFailure === 'missing') return false;
          throw new GitFetchError(what, fetchFailureReason(result.stderr), failureOf(gitFailure === 'transient'), 1);
        },
        {
          attempts: this.fetchAttempts,
          baseMs: 1000,
          maxMs: 8000,
          jitter: 0.3,
          retryIf: isTransient,
          onRetry: (error, attempt, delayMs) =>
            this.log(`Fetch attempt ${attempt} failed (${errorMessage(error)}); trying again in ${delayMs} ms`),
          ...(this.sleep === undefined ? {} : { sleep: this.sleep }),
        },
      );
    } catch (error) {
      if (error instanceof GitFetchError && attempts <= 1) throw error;
      const reason = error instanceof GitFetchError ? error.reason : escapeUntrusted(errorMessage(error));
      throw new GitFetchError(what, reason, error instanceof GitFetchError ? error.failure : 'transient', attempts);
    }
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
      const fetched = await this.fetch(shortSha(revision), [...depth, 'origin', revision]);
      return fetched ? this.resolve(revision) : undefined;
    }
    const name = revision.replace(/^origin\//, '').replace(/^refs\/heads\//, '');
    this.log(`Fetching ${escapeUntrusted(name)} from origin`);
    const shown = `'${escapeUntrusted(name)}'`;
    const branch = await this.fetch(shown, [...depth, 'origin', `+refs/heads/${name}:refs/remotes/origin/${name}`]);
    if (branch) return this.resolve(`refs/remotes/origin/${name}`);
    const tag = await this.fetch(shown, [...depth, 'origin', `+refs/tags/${name}:refs/tags/${name}`]);
    return tag ? this.resolve(`refs/tags/${name}`) : undefined;
  }

  /** The tip of a branch as origin has it (fetched when missing), else the local branch. */
  async ensureBranch(name: string): Promise<string | undefined> {
    const remote = `refs/remotes/origin/${name}`;
    const known = await this.resolve(remote);
    if (known !== undefined) return known;
    const depth = (await this.isShallow()) ? [`--depth=${this.deepenSteps[0] ?? 50}`] : [];
    this.log(`Fetching ${escapeUntrusted(name)} from origin`);
    const fetched = await this.fetch(`'${escapeUntrusted(name)}'`, [
      ...depth,
      'origin',
      `+refs/heads/${name}:${remote}`,
    ]);
    return (fetched ? await this.resolve(remote) : undefined) ?? this.resolve(`refs/heads/${name}`);
  }

  /** Fetches `count` more commits of history behind the shallow boundary of the given commits. */
  private async deepen(count: number, commits: readonly string[], withTags = false): Promise<boolean> {
    this.log(`Deepening the shallow clone by ${count} commits`);
    const tags = withTags ? ['+refs/tags/*:refs/tags/*'] : [];
    return this.fetch(`${count} more commits`, [`--deepen=${count}`, 'origin', ...commits, ...tags]);
  }

  /**
   * The merge base of two commits named by full SHAs, when the clone holds both and it is found without
   * fetching: one git call where resolving each commit first would take three. Undefined otherwise.
   */
  async localMergeBase(a: string, b: string): Promise<string | undefined> {
    if (!SHA.test(a) || !SHA.test(b)) return undefined;
    // With several merge bases, `git merge-base` picks the one it reports.
    const prefetched = await this.prefetchedMergeBases(a, b);
    if (prefetched !== undefined && prefetched.length <= 1) return prefetched[0];
    const result = await this.run(['merge-base', a, b]);
    const sha = result.stdout.trim();
    return result.exitCode === 0 && SHA.test(sha) ? sha : undefined;
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
      if (!(await this.deepen(step, [a, b]))) {
        return {
          reason: `the shallow clone could not be deepened: origin does not serve ${shortSha(a)} and ${shortSha(b)}`,
        };
      }
      fetched += step;
    }
  }

  /** Files that differ between two commits; renames are detected (`-M`) and keep both paths. */
  async changedFiles(base: string, head: string): Promise<ChangedFile[]> {
    const prefetched = await this.prefetchedDiff(base, head);
    if (prefetched !== undefined) return parseNameStatus(prefetched.stdout);
    const result = await this.run([...DIFF, base, head]);
    if (result.exitCode !== 0) {
      throw new Error(`git diff ${base} ${head} failed: ${escapeUntrusted(lastLine(result.stderr))}`);
    }
    return parseNameStatus(result.stdout);
  }

  /** A file's text at a commit (`path` from the top level); undefined when the commit has no such file. */
  async fileAt(commit: string, path: string): Promise<string | undefined> {
    const result = await this.run(['cat-file', 'blob', `${commit}:${path}`]);
    return result.exitCode === 0 ? result.stdout : undefined;
  }

  /** The prefetched diff, when it is the diff from `base` to `head`: `base` is the one merge base of the pair. */
  private async prefetchedDiff(base: string, head: string): Promise<ExecResult | undefined> {
    const prefetched = this.prefetched;
    if (prefetched?.b !== head) return undefined;
    const bases = await prefetched.mergeBases;
    if (bases?.length !== 1 || bases[0] !== base) return undefined;
    const result = await prefetched.diff;
    return result?.exitCode === 0 ? result : undefined;
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
      if (!(await this.deepen(step, [commit], true))) return undefined;
    }
  }
}

/** Parses `git diff --name-status -z` output: `M\0path\0`, `R100\0old\0new\0`. */
export function parseNameStatus(output: string): ChangedFile[] {
  const files: ChangedFile[] = [];
  // Walks the text field by field: no array of every field (tens of thousands of strings) in between.
  let start = 0;
  const field = (): string => {
    const end = output.indexOf('\0', start);
    const value = output.slice(start, end === -1 ? output.length : end);
    start = end === -1 ? output.length + 1 : end + 1;
    return value;
  };
  while (start < output.length) {
    const status = field();
    if (status === '') continue;
    if (status.startsWith('R') || status.startsWith('C')) {
      const from = field();
      files.push({ status: status.charAt(0), path: field(), from });
    } else {
      files.push({ status: status.charAt(0), path: field() });
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
