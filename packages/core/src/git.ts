// Git, the one way every action runs git: an argument vector in one working directory, never a password
// prompt, and a deadline when one is set.
import type { Exec, ExecOptions, ExecResult } from './runtime.ts';

export interface GitOptions {
  exec: Exec;
  /** The working directory of every command. */
  cwd: string;
  /** Added to the environment of every command, over GIT_TERMINAL_PROMPT=0. */
  env?: Readonly<Record<string, string>>;
  /** `name=value` settings given to every command with `-c`. */
  config?: readonly string[];
  /** The deadline of a command that names none; without it, such a command has none. */
  deadlineMs?: number;
}

export interface GitRunOptions {
  /** Written to git's standard input. */
  input?: string;
  /** Resolve with a non-zero exit code instead of throwing. */
  allowFailure?: boolean;
  /** This command's own deadline, over the default one. */
  deadline?: ExecOptions['deadline'];
}

/**
 * git with an argument vector in one working directory: its output kept out of the log, never waiting
 * for a password prompt (a command that needs credentials nobody gave fails), and under a deadline when
 * one is set.
 */
export class Git {
  readonly cwd: string;
  protected readonly options: GitOptions;
  private readonly env: Record<string, string>;
  private readonly prefix: readonly string[];

  constructor(options: GitOptions) {
    this.options = options;
    this.cwd = options.cwd;
    this.env = { GIT_TERMINAL_PROMPT: '0', ...options.env };
    this.prefix = (options.config ?? []).flatMap((setting) => ['-c', setting]);
  }

  /** The same git in another working directory. */
  in(cwd: string): Git {
    return new Git({ ...this.options, cwd });
  }

  run(args: readonly string[], options: GitRunOptions = {}): Promise<ExecResult> {
    const { deadlineMs } = this.options;
    const deadline =
      options.deadline ?? (deadlineMs === undefined ? undefined : { ms: deadlineMs, what: `git ${args[0] ?? ''}` });
    return this.options.exec('git', [...this.prefix, ...args], {
      cwd: this.cwd,
      env: this.env,
      silent: true,
      ...(options.input === undefined ? {} : { input: options.input }),
      ...(options.allowFailure === undefined ? {} : { allowFailure: options.allowFailure }),
      ...(deadline === undefined ? {} : { deadline }),
    });
  }

  /** The command's standard output, trimmed; a failure throws. */
  async output(args: readonly string[]): Promise<string> {
    return (await this.run(args)).stdout.trim();
  }
}
