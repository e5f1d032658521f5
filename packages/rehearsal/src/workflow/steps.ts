// One step as a runner executes it: `run:` with bash, `uses: ./…` through the bundle harness, and the
// third-party actions the rehearsal maps to local equivalents.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { commandData } from '@shiprail/core';
import { parseRunnerFile, runBundledActionAt } from './bundled-action.ts';

export interface StepResult {
  /** 0 for success. */
  exitCode: number;
  outputs: Record<string, string>;
  exportedEnv: Record<string, string>;
  summary: string;
  /** `::error` messages, or why the step could not run. */
  errors: string[];
  warnings: string[];
  masked: string[];
  /** The last lines of the step's output, for a failure's explanation. */
  tail: string;
}

export interface StepEnvironment {
  workspace: string;
  runnerTemp: string;
  /** GITHUB_* and RUNNER_* variables of the job, and the env context. */
  env: Record<string, string>;
  event: Record<string, unknown>;
  /** What `${{ github.token }}` defaults of action.yml files evaluate to. */
  token: string;
  timeoutMs: number;
  signal: AbortSignal;
}

const tailOf = (text: string): string => text.trim().split('\n').slice(-8).join('\n');

/**
 * The command lines of the runner's shells on Linux. A step that names no shell gets `bash -e`, without
 * pipefail; only `shell: bash` adds `--noprofile --norc -o pipefail`.
 */
const SHELLS: Readonly<Record<string, string>> = {
  '': 'bash -e {0}',
  bash: 'bash --noprofile --norc -eo pipefail {0}',
  sh: 'sh -e {0}',
  python: 'python {0}',
};

/** Why a `shell:` value cannot run here, or undefined when it can. */
export function shellRefusal(shell: string): string | undefined {
  if (shell in SHELLS) return undefined;
  if (['pwsh', 'powershell', 'cmd'].includes(shell)) return `shell '${shell}' is not supported by the rehearsal runner`;
  if (!shell.includes('{0}')) return `shell '${shell}' is neither a known shell nor a command with {0} for the script`;
  return undefined;
}

/** The argument vector a step's shell runs `script` (a file) with; a custom shell is `command … {0} …`. */
export function shellCommand(shell: string, script: string): string[] {
  const template = SHELLS[shell] ?? shell;
  return template
    .trim()
    .split(/\s+/)
    .map((part) => part.replace('{0}', script));
}

/** Runs a `run:` script with the step's shell (`shell`: its `shell:` or defaults.run, '' for none). */
export async function runScript(
  script: string,
  cwd: string,
  context: StepEnvironment,
  shell = '',
): Promise<StepResult> {
  const files = mkdtempSync(join(context.runnerTemp, 'step-'));
  const paths = {
    script: join(files, 'script.sh'),
    output: join(files, 'output'),
    env: join(files, 'env'),
    summary: join(files, 'summary.md'),
  };
  writeFileSync(paths.script, script);
  for (const path of [paths.output, paths.env, paths.summary]) writeFileSync(path, '');
  const env = {
    ...context.env,
    GITHUB_OUTPUT: paths.output,
    GITHUB_ENV: paths.env,
    GITHUB_STEP_SUMMARY: paths.summary,
  };
  const [command = 'bash', ...args] = shellCommand(shell, paths.script);
  const child = spawn(command, args, {
    cwd,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const kill = (): boolean => child.kill('SIGKILL');
  const timer = setTimeout(kill, context.timeoutMs);
  context.signal.addEventListener('abort', kill, { once: true });
  const exitCode = await new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? 137)));
  clearTimeout(timer);
  context.signal.removeEventListener('abort', kill);
  const result: StepResult = {
    exitCode,
    outputs: parseRunnerFile(readFileSync(paths.output, 'utf8')),
    exportedEnv: parseRunnerFile(readFileSync(paths.env, 'utf8')),
    summary: readFileSync(paths.summary, 'utf8'),
    errors: commandData(stdout, 'error'),
    warnings: commandData(stdout, 'warning'),
    masked: commandData(stdout, 'add-mask'),
    tail: tailOf(`${stdout}\n${stderr}`),
  };
  rmSync(files, { recursive: true, force: true });
  return result;
}

/** Runs a JavaScript action from its folder (its action.yml and bundle) as the runner does. */
export async function runLocalAction(
  actionDirectory: string,
  inputs: Record<string, string>,
  context: StepEnvironment,
): Promise<StepResult> {
  const run = await runBundledActionAt(actionDirectory, {
    inputs,
    workspace: context.workspace,
    eventName: context.env['GITHUB_EVENT_NAME'],
    event: context.event,
    sha: context.env['GITHUB_SHA'],
    ref: context.env['GITHUB_REF'],
    repository: context.env['GITHUB_REPOSITORY'],
    token: context.token,
    env: context.env,
    timeoutMs: context.timeoutMs,
    signal: context.signal,
  });
  return {
    exitCode: run.exitCode,
    outputs: run.outputs,
    exportedEnv: run.exportedEnv,
    summary: run.summary,
    errors: run.errors,
    warnings: run.warnings,
    masked: run.masked,
    tail: tailOf(`${run.stdout}\n${run.stderr}`),
  };
}

/** A step that did not start a process: the message says why it failed. */
export const failedStep = (message: string): StepResult => ({
  exitCode: 1,
  outputs: {},
  exportedEnv: {},
  summary: '',
  errors: [message],
  warnings: [],
  masked: [],
  tail: '',
});

export const succeededStep = (outputs: Record<string, string>, warnings: string[] = []): StepResult => ({
  exitCode: 0,
  outputs,
  exportedEnv: {},
  summary: '',
  errors: [],
  warnings,
  masked: [],
  tail: '',
});
