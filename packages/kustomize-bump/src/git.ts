// git in the GitOps repository: its environment, reads from the remote retried when another attempt can fix them, and
// pushes that tell a lost race from a refusal.
import {
  ClassifiedError,
  classifyGitFailure,
  errorMessage,
  escapeUntrusted,
  failureOf,
  Git,
  isTransient,
  retry,
  type ExecResult,
  type GitFailure,
  type Runtime,
} from '@shiprail/core';

/** The identity of bump commits unless the environment sets git's own author variables. */
export const BOT_NAME = 'github-actions[bot]';
export const BOT_EMAIL = '41898282+github-actions[bot]@users.noreply.github.com';

/** Bytes per second below which an HTTP transfer counts as stalled, and for how many seconds. */
const LOW_SPEED_LIMIT = '1000';
const LOW_SPEED_TIME = '30';

/**
 * The environment every git command runs with. The token travels as an `http.<origin>.extraHeader`
 * given through GIT_CONFIG_COUNT/KEY/VALUE: git reads it for this process only, so it is in no argv,
 * no `.git/config` and no log. The empty first value clears headers a checkout may have persisted.
 */
export function gitEnvironment(
  remoteUrl: string,
  token: string,
  env: Readonly<Record<string, string | undefined>>,
  mask: (secret: string) => void,
): Record<string, string> {
  const environment: Record<string, string> = {
    GIT_TERMINAL_PROMPT: '0',
    GCM_INTERACTIVE: 'never',
    GIT_AUTHOR_NAME: env['GIT_AUTHOR_NAME'] || BOT_NAME,
    GIT_AUTHOR_EMAIL: env['GIT_AUTHOR_EMAIL'] || BOT_EMAIL,
    GIT_COMMITTER_NAME: env['GIT_COMMITTER_NAME'] || BOT_NAME,
    GIT_COMMITTER_EMAIL: env['GIT_COMMITTER_EMAIL'] || BOT_EMAIL,
    // A remote that accepts and then stalls ends the command instead of holding the step for ever.
    GIT_HTTP_LOW_SPEED_LIMIT: env['GIT_HTTP_LOW_SPEED_LIMIT'] || LOW_SPEED_LIMIT,
    GIT_HTTP_LOW_SPEED_TIME: env['GIT_HTTP_LOW_SPEED_TIME'] || LOW_SPEED_TIME,
    GIT_CONFIG_COUNT: '0',
  };
  const origin = httpOrigin(remoteUrl);
  if (token === '' || origin === undefined) return environment;
  const basic = Buffer.from(`x-access-token:${token}`).toString('base64');
  mask(basic);
  const key = `http.${origin}/.extraheader`;
  return {
    ...environment,
    GIT_CONFIG_COUNT: '2',
    GIT_CONFIG_KEY_0: key,
    GIT_CONFIG_VALUE_0: '',
    GIT_CONFIG_KEY_1: key,
    GIT_CONFIG_VALUE_1: `AUTHORIZATION: basic ${basic}`,
  };
}

/** `https://host[:port]` of an http(s) remote; undefined for file, ssh and local paths. */
export function httpOrigin(remoteUrl: string): string | undefined {
  if (!/^https?:\/\//i.test(remoteUrl)) return undefined;
  try {
    return new URL(remoteUrl).origin;
  } catch {
    return undefined;
  }
}

/** A failed git command that talked to the remote, with what it means for another attempt. */
export class GitRemoteError extends ClassifiedError {
  readonly gitFailure: GitFailure;

  constructor(message: string, gitFailure: GitFailure) {
    super(message, failureOf(gitFailure === 'transient'));
    this.name = 'GitRemoteError';
    this.gitFailure = gitFailure;
  }
}

/** A push that lost a race: worth fetching the new head and trying again. */
export const isLostRace = (error: unknown): boolean => error instanceof GitRemoteError && error.gitFailure === 'race';

/** git's report of a failure: its output without the `hint:` advice and blank lines. */
export function gitFailureText(result: ExecResult): string[] {
  return `${result.stdout}\n${result.stderr}`
    .split('\n')
    .map((line) => line.trimEnd())
    .filter((line) => line !== '' && !line.startsWith('hint:'));
}

/** The last lines of git's report on one line, escaped: the remote's own words (hooks print there). */
const lastLines = (lines: readonly string[], count: number): string => escapeUntrusted(lines.slice(-count).join(' | '));

/** Network commands that fail for a reason another attempt may fix are tried this often, in all. */
const NETWORK_ATTEMPTS = 3;
const NETWORK_BACKOFF = { baseMs: 1000, factor: 2, maxMs: 4000, jitter: 0.5 };

/** git in the GitOps repository, with the environment above: it also fetches from and pushes to the remote. */
export class GitopsGit extends Git {
  private readonly runtime: Runtime;

  constructor(runtime: Runtime, cwd: string, env: Readonly<Record<string, string>>) {
    super({ exec: (program, args, options) => runtime.exec(program, args, options), cwd, env });
    this.runtime = runtime;
  }

  override in(cwd: string): GitopsGit {
    return new GitopsGit(this.runtime, cwd, this.options.env ?? {});
  }

  /**
   * A command that reads from the remote (ls-remote, clone, fetch). A stalled transfer ends through the
   * low-speed limit of gitEnvironment; network and server failures are tried again a few times, and
   * anything else (authentication, a missing repository) fails at once with git's reason.
   */
  async fetchFromRemote(args: readonly string[], what: string): Promise<ExecResult> {
    return retry(
      async () => {
        const result = await this.run(args, { allowFailure: true });
        if (result.exitCode === 0) return result;
        const lines = gitFailureText(result);
        throw new GitRemoteError(`${what}: ${lastLines(lines, 2)}`, classifyGitFailure(lines.join('\n')));
      },
      {
        ...NETWORK_BACKOFF,
        attempts: NETWORK_ATTEMPTS,
        retryIf: isTransient,
        onRetry: (error, attempt, delay) =>
          this.runtime.log.info(`${errorMessage(error)} (attempt ${attempt}); trying again in ${delay} ms`),
        sleep: (ms) => this.runtime.clock.sleep(ms),
      },
    );
  }

  /** Pushes HEAD; the failure says whether it lost a race, met a network fault, or was refused. */
  async push(target: string, force: boolean): Promise<void> {
    const args = ['push', '--porcelain', '--no-verify', ...(force ? ['--force'] : []), 'origin', `HEAD:${target}`];
    const result = await this.run(args, { allowFailure: true });
    if (result.exitCode === 0) return;
    const lines = gitFailureText(result);
    const gitFailure = classifyGitFailure(lines.join('\n'));
    // The refused refs (`!` lines of --porcelain) and what the remote said: the rest is git's boilerplate.
    const telling = lines.filter((line) => line.startsWith('!') || line.startsWith('remote:'));
    const detail = lastLines(telling.length > 0 ? telling : lines, 6);
    throw new GitRemoteError(
      gitFailure === 'race' ? `push rejected: ${detail}` : `the remote refused the push to ${target}: ${detail}`,
      gitFailure,
    );
  }
}
