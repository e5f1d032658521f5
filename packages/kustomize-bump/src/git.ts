import type { ExecResult, Runtime } from '@shiprail/core';

/** The identity of bump commits unless the environment sets git's own author variables. */
export const BOT_NAME = 'github-actions[bot]';
export const BOT_EMAIL = '41898282+github-actions[bot]@users.noreply.github.com';

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

/** A push that lost a race: the branch moved (or another push held its lock) since we fetched. */
export class PushRejectedError extends Error {
  constructor(detail: string) {
    super(`push rejected: ${detail}`);
    this.name = 'PushRejectedError';
  }
}

const RACE_LOST =
  /\[rejected\]|\[remote rejected\]|non-fast-forward|fetch first|cannot lock ref|failed to update ref|stale info|incorrect old value/i;

/** git with an argument vector in one working directory, with the environment above. */
export class Git {
  readonly cwd: string;
  private readonly runtime: Runtime;
  private readonly env: Record<string, string>;

  constructor(runtime: Runtime, cwd: string, env: Record<string, string>) {
    this.runtime = runtime;
    this.cwd = cwd;
    this.env = env;
  }

  in(cwd: string): Git {
    return new Git(this.runtime, cwd, this.env);
  }

  run(args: readonly string[], options: { input?: string; allowFailure?: boolean } = {}): Promise<ExecResult> {
    return this.runtime.exec('git', args, {
      cwd: this.cwd,
      env: this.env,
      silent: true,
      ...(options.input === undefined ? {} : { input: options.input }),
      ...(options.allowFailure === undefined ? {} : { allowFailure: options.allowFailure }),
    });
  }

  async output(args: readonly string[]): Promise<string> {
    return (await this.run(args)).stdout.trim();
  }

  /** Pushes HEAD; a lost race becomes PushRejectedError (worth a retry), anything else an Error. */
  async push(target: string, force: boolean): Promise<void> {
    const args = ['push', '--porcelain', '--no-verify', ...(force ? ['--force'] : []), 'origin', `HEAD:${target}`];
    const result = await this.run(args, { allowFailure: true });
    if (result.exitCode === 0) return;
    const detail = `${result.stdout}\n${result.stderr}`.trim();
    const lastLines = detail.split('\n').slice(-4).join(' | ');
    if (RACE_LOST.test(detail)) throw new PushRejectedError(lastLines);
    throw new Error(`git push failed: ${lastLines}`);
  }
}
