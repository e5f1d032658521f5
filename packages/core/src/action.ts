// The runtime of a real step on a runner (@actions/* behind the Runtime interface) and runAction, the one top of every
// action.
import { tmpdir } from 'node:os';
import { readGitHubContext } from './context.ts';
import { ConfigurationError, errorMessage } from './errors.ts';
import { execWithDeadline } from './exec-deadline.ts';
import { InputParser } from './inputs.ts';
import { capSummary } from './markdown.ts';
import { sleep } from './retry.ts';
import { serializeOutput, type Exec, type Log, type Runtime } from './runtime.ts';
import { Redactor } from './secrets.ts';
import { neutralizeCommandLines } from './untrusted.ts';
import * as core from './workflow-commands.ts';

/** Runs programs through @actions/exec: an argument vector, output captured, secrets never in argv. */
export const actionsExec: Exec = async (program, args, options = {}) => {
  if (options.deadline !== undefined)
    return execWithDeadline(program, args, { ...options, deadline: options.deadline });
  // Loaded when first used, in the bundle too ("eager": no separate file): some steps never run a program
  // without a deadline, and need not pay for loading it.
  const { getExecOutput } = await import(/* webpackMode: "eager" */ '@actions/exec');
  const result = await getExecOutput(program, [...args], {
    cwd: options.cwd,
    env: options.env ? mergeEnv(options.env) : undefined,
    input: options.input === undefined ? undefined : Buffer.from(options.input),
    silent: options.silent ?? false,
    ignoreReturnCode: true,
  });
  if (result.exitCode !== 0 && options.allowFailure !== true) {
    const detail = result.stderr.trim().split('\n').slice(-5).join('\n');
    throw new Error(`${program} exited with code ${result.exitCode}${detail ? `: ${detail}` : ''}`);
  }
  return result;
};

function mergeEnv(extra: Record<string, string>): Record<string, string> {
  const merged: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) if (value !== undefined) merged[key] = value;
  return { ...merged, ...extra };
}

const actionsLog: Log = {
  // Warnings, notices and debug lines are commands whose data is escaped; plain lines are not.
  info: (message) => core.info(neutralizeCommandLines(message)),
  debug: (message) => core.debug(message),
  warning: (message, properties) => core.warning(message, properties),
  error: (message, properties) => core.error(message, properties),
  notice: (message, properties) => core.notice(message, properties),
  group: (name, body) => core.group(name, body),
};

/** The runtime of a real step: the runner's files and workflow commands. */
export function createActionsRuntime(env: NodeJS.ProcessEnv = process.env): Runtime {
  const redactor = new Redactor();
  const mask = (secret: string): void => {
    core.setSecret(secret);
    redactor.add(secret);
  };
  const redact = (text: string): string => redactor.redact(text);
  return {
    inputs: new InputParser((name) => core.getInput(name), mask),
    log: actionsLog,
    setOutput: (name, value) => core.setOutput(name, redact(serializeOutput(value))),
    appendSummary: async (markdown) => {
      if (!env['GITHUB_STEP_SUMMARY']) return;
      await core.appendSummary(capSummary(redact(markdown)));
    },
    mask,
    redact,
    env,
    github: readGitHubContext(env),
    exec: actionsExec,
    fetch: (input, init) => fetch(input, init),
    clock: { now: () => Date.now(), sleep },
    tempDir: env['RUNNER_TEMP'] || tmpdir(),
    cwd: process.cwd(),
  };
}

/**
 * The top of every action: builds the runtime, runs `main`, and turns a thrown error into one `::error`
 * line and exit code 1. User mistakes carry their input or file and line into the annotation.
 */
export async function runAction(main: (runtime: Runtime) => Promise<void>): Promise<void> {
  try {
    await main(createActionsRuntime());
  } catch (error) {
    if (error instanceof ConfigurationError) {
      const { file, line, column } = error.location;
      core.error(error.describe(), {
        title: 'Configuration error',
        ...(file === undefined ? {} : { file }),
        ...(line === undefined ? {} : { startLine: line }),
        ...(column === undefined ? {} : { startColumn: column }),
      });
    } else {
      if (error instanceof Error && error.stack) core.debug(error.stack);
      core.error(errorMessage(error));
    }
    process.exitCode = 1;
  }
}
