// An in-process Runtime for tests of `run` functions: real exec and clock, recorded outputs and logs.
import { actionsExec } from '@shiprail/core/action';
import {
  InputParser,
  readGitHubContext,
  Redactor,
  serializeOutput,
  sleep,
  type GitHubContext,
  type Log,
  type Runtime,
} from '@shiprail/core';
import { tmpdir } from 'node:os';

/** A log that drops everything: for calling logic that takes a Log without a whole runtime. */
export const silentLog: Log = {
  info: () => undefined,
  debug: () => undefined,
  warning: () => undefined,
  error: () => undefined,
  notice: () => undefined,
  group: (_name, body) => body(),
};

export interface RecordingRuntime extends Runtime {
  outputs: Record<string, string>;
  summaries: string[];
  logs: string[];
  warnings: string[];
  /** Error annotations, with their properties. */
  errors: Array<{ message: string; file?: string; startLine?: number; title?: string }>;
  masked: string[];
}

export interface TestRuntimeOptions {
  inputs?: Record<string, string>;
  env?: Record<string, string>;
  github?: Partial<GitHubContext>;
  now?: () => number;
  fetch?: typeof fetch;
}

export function createTestRuntime(options: TestRuntimeOptions = {}): RecordingRuntime {
  const inputs = options.inputs ?? {};
  const masked: string[] = [];
  const logs: string[] = [];
  const warnings: string[] = [];
  const errors: RecordingRuntime['errors'] = [];
  const outputs: Record<string, string> = {};
  const summaries: string[] = [];
  const env = options.env ?? {};
  const redactor = new Redactor();
  const mask = (secret: string): void => {
    masked.push(secret);
    redactor.add(secret);
  };
  const redact = (text: string): string => redactor.redact(text);
  return {
    inputs: new InputParser((name) => inputs[name] ?? '', mask),
    log: {
      info: (message) => logs.push(message),
      debug: () => undefined,
      warning: (message) => warnings.push(message),
      error: (message, properties) => errors.push({ message, ...properties }),
      notice: (message) => logs.push(message),
      group: async (name, body) => {
        logs.push(name);
        return body();
      },
    },
    setOutput: (name, value) => {
      outputs[name] = redact(serializeOutput(value));
    },
    appendSummary: (markdown) => {
      summaries.push(redact(markdown));
      return Promise.resolve();
    },
    mask,
    redact,
    env,
    github: { ...readGitHubContext(env), ...options.github },
    exec: actionsExec,
    fetch: options.fetch ?? ((input, init) => fetch(input, init)),
    clock: { now: options.now ?? (() => Date.now()), sleep },
    tempDir: tmpdir(),
    cwd: process.cwd(),
    outputs,
    summaries,
    logs,
    warnings,
    errors,
    masked,
  };
}
