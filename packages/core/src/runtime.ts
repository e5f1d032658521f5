// The side effects an action has (inputs, log, exec, clock, outputs, summary, files), as one Runtime passed in.
import type { GitHubContext } from './context.ts';
import type { InputParser } from './inputs.ts';

export interface ExecOptions {
  cwd?: string;
  /** Added to the inherited environment. */
  env?: Record<string, string>;
  /** Written to the program's standard input (how secrets reach programs: never argv). */
  input?: string | Buffer;
  /** Keep the program's output out of the log. */
  silent?: boolean;
  /** Resolve with a non-zero exit code instead of throwing. */
  allowFailure?: boolean;
  /**
   * For programs that talk to servers: kill the program when `ms` pass and reject with a DeadlineError
   * ("<what> did not answer within <duration>"). Its output is then captured, never streamed to the log.
   */
  deadline?: { ms: number; what: string };
  /** With a deadline: kill the program (and what it started) when this aborts, and reject. */
  signal?: AbortSignal;
}

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Runs a program with an argument vector; never a shell string. */
export type Exec = (program: string, args: readonly string[], options?: ExecOptions) => Promise<ExecResult>;

export interface AnnotationProperties {
  title?: string;
  file?: string;
  startLine?: number;
}

export interface Log {
  info(message: string): void;
  debug(message: string): void;
  warning(message: string, properties?: AnnotationProperties): void;
  /** An error annotation that does not end the step (a failed test at its line); the step's own failure is thrown. */
  error(message: string, properties?: AnnotationProperties): void;
  notice(message: string, properties?: AnnotationProperties): void;
  group<T>(name: string, body: () => Promise<T>): Promise<T>;
}

export interface Clock {
  now(): number;
  /** Waits `ms`, or less when `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export type OutputValue = string | number | boolean | readonly unknown[] | Record<string, unknown>;

/**
 * Every side effect an action has, passed in: the real one wraps @actions/*, the tests' one records.
 * Decision logic takes plain values and returns plain values; only `run` functions touch this.
 */
export interface Runtime {
  inputs: InputParser;
  log: Log;
  /** Sets an output (secrets redacted); arrays and objects become compact single-line JSON. */
  setOutput(name: string, value: OutputValue): void;
  /** Appends Markdown to the job summary, secrets redacted (no-op when `GITHUB_STEP_SUMMARY` is unset). */
  appendSummary(markdown: string): Promise<void>;
  /** Masks a secret in the log and adds it to what `redact` removes. */
  mask(secret: string): void;
  /** The text with every masked secret and URL credential replaced by `***`: for files and server answers. */
  redact(text: string): string;
  env: Readonly<Record<string, string | undefined>>;
  github: GitHubContext;
  exec: Exec;
  /** HTTP requests: the global fetch in a step, whatever a test chooses in a test. */
  fetch: typeof fetch;
  clock: Clock;
  /** A directory for temporary files (`RUNNER_TEMP` on runners). */
  tempDir: string;
  /** The step's working directory, which relative paths in inputs are resolved against. */
  cwd: string;
}

/** Outputs are strings on the wire: JSON for structures, as the spec's conventions say. */
export function serializeOutput(value: OutputValue): string {
  return typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value);
}
