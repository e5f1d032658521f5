// Runs a bundled action the way the GitHub runner does: a fresh process under Node 24 with the
// action.yml defaults and INPUT_* variables, the runner's files (GITHUB_OUTPUT, GITHUB_STEP_SUMMARY,
// GITHUB_ENV), an event payload file and the GITHUB_* context variables.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { commandData } from '@shiprail/core';
import { readActionMetadataFile, repoRoot } from '../action-metadata.ts';

export const node24 = join(repoRoot, 'node_modules', 'node', 'bin', 'node');

export interface BundledActionOptions {
  inputs?: Record<string, string>;
  eventName?: string;
  event?: Record<string, unknown>;
  sha?: string;
  ref?: string;
  repository?: string;
  workspace?: string;
  /** The working directory of the step (default: the workspace). */
  cwd?: string;
  /** Extra environment (e.g. PATH additions, KUBECONFIG). */
  env?: Record<string, string>;
  /** The value `${{ github.token }}` defaults evaluate to. */
  token?: string;
  timeoutMs?: number;
  /** Also print the step's output as it comes (for running actions by hand). */
  echo?: boolean;
  /** Stops the action (SIGKILL) when aborted. */
  signal?: AbortSignal;
}

export interface ActionRun {
  exitCode: number;
  outputs: Record<string, string>;
  summary: string;
  /** Variables the action exported through GITHUB_ENV. */
  exportedEnv: Record<string, string>;
  stdout: string;
  stderr: string;
  /** `::error` messages, decoded. */
  errors: string[];
  /** `::warning` messages, decoded. */
  warnings: string[];
  /** Values the action masked with `::add-mask::`. */
  masked: string[];
  /** From start to exit of the process. */
  durationMs: number;
  /** What the action left in RUNNER_TEMP (relative paths), besides the runner's own files. */
  leftoverTempFiles: string[];
}

/** The runner's env name for an input: spaces become underscores, upper case; hyphens stay. */
export const inputEnvName = (name: string): string => `INPUT_${name.replace(/ /g, '_').toUpperCase()}`;

/** Reads the runner's `name<<delimiter` / `name=value` file format. */
export function parseRunnerFile(text: string): Record<string, string> {
  const values: Record<string, string> = {};
  const lines = text.split('\n');
  for (let index = 0; index < lines.length; index += 1) {
    const line = lines[index] ?? '';
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const [, name = '', delimiter] = heredoc;
      const body: string[] = [];
      for (index += 1; index < lines.length && lines[index] !== delimiter; index += 1) body.push(lines[index] ?? '');
      values[name] = body.join('\n');
    } else if (line.includes('=')) {
      values[line.slice(0, line.indexOf('='))] = line.slice(line.indexOf('=') + 1);
    }
  }
  return values;
}

/** Evaluates the few `${{ }}` defaults action.yml files use, as the runner would. */
function evaluateDefault(value: string, options: BundledActionOptions): string {
  return value
    .replace(/\$\{\{\s*github\.token\s*\}\}/g, options.token ?? '')
    .replace(/\$\{\{\s*github\.repository\s*\}\}/g, options.repository ?? 'acme/shop')
    .replace(/\$\{\{\s*github\.workspace\s*\}\}/g, options.workspace ?? '');
}

function leftoverFiles(runnerDir: string, runnerFiles: Record<string, string>): string[] {
  const own = new Set(Object.values(runnerFiles).map((path) => path.slice(runnerDir.length + 1)));
  return readdirSync(runnerDir, { recursive: true, encoding: 'utf8' })
    .filter((path) => !own.has(path))
    .sort();
}

export function runBundledAction(id: string, options: BundledActionOptions = {}): Promise<ActionRun> {
  return runBundledActionAt(join(repoRoot, 'actions', id), options);
}

/** Runs the action in `actionDirectory` (its action.yml, and the bundle its `runs.main` names). */
export async function runBundledActionAt(
  actionDirectory: string,
  options: BundledActionOptions = {},
): Promise<ActionRun> {
  const id = basename(actionDirectory);
  const metadata = readActionMetadataFile(join(actionDirectory, 'action.yml'), id);
  const unknown = Object.keys(options.inputs ?? {}).filter((name) => !metadata.inputs.some((i) => i.name === name));
  if (unknown.length > 0) throw new Error(`${id} has no input named ${unknown.join(', ')}`);

  const runnerDir = mkdtempSync(join(tmpdir(), 'runner-'));
  const files = {
    output: join(runnerDir, 'output'),
    summary: join(runnerDir, 'summary.md'),
    env: join(runnerDir, 'env'),
    event: join(runnerDir, 'event.json'),
  };
  for (const path of [files.output, files.summary, files.env]) writeFileSync(path, '');
  writeFileSync(files.event, JSON.stringify(options.event ?? {}));
  const workspace = options.workspace ?? runnerDir;

  const env: Record<string, string> = {
    // V8's compiled code for the bundles, kept between runs: a runner starts each action once, the
    // rehearsal and the tests hundreds of times. It changes what starting costs, not what runs.
    NODE_COMPILE_CACHE: join(tmpdir(), 'shiprail-node-compile-cache'),
    PATH: process.env['PATH'] ?? '/usr/bin:/bin',
    HOME: process.env['HOME'] ?? runnerDir,
    CI: 'true',
    GITHUB_ACTIONS: 'true',
    RUNNER_TEMP: runnerDir,
    RUNNER_OS: 'Linux',
    RUNNER_ARCH: 'X64',
    GITHUB_OUTPUT: files.output,
    GITHUB_STEP_SUMMARY: files.summary,
    GITHUB_ENV: files.env,
    GITHUB_EVENT_NAME: options.eventName ?? 'push',
    GITHUB_EVENT_PATH: files.event,
    GITHUB_SHA: options.sha ?? '0000000000000000000000000000000000000000',
    GITHUB_REF: options.ref ?? 'refs/heads/main',
    GITHUB_REPOSITORY: options.repository ?? 'acme/shop',
    GITHUB_WORKSPACE: workspace,
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_API_URL: 'https://api.github.com',
    GITHUB_RUN_ID: '4242',
    GITHUB_RUN_NUMBER: '7',
    GITHUB_RUN_ATTEMPT: '1',
    GITHUB_ACTOR: 'octocat',
    GITHUB_WORKFLOW: 'deploy',
    ...options.env,
  };
  for (const input of metadata.inputs) {
    const value = options.inputs?.[input.name] ?? evaluateDefault(input.default ?? '', options);
    env[inputEnvName(input.name)] = value;
  }

  const bundle = resolve(actionDirectory, metadata.runs.main);
  const started = performance.now();
  const child = spawn(node24, [bundle], { cwd: options.cwd ?? workspace, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    if (options.echo === true) process.stdout.write(chunk);
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    if (options.echo === true) process.stderr.write(chunk);
  });
  const kill = (): boolean => child.kill('SIGKILL');
  const timeout = setTimeout(kill, options.timeoutMs ?? 120_000);
  options.signal?.addEventListener('abort', kill, { once: true });
  const exitCode = await new Promise<number>((done) => child.on('close', (code) => done(code ?? 137)));
  clearTimeout(timeout);
  options.signal?.removeEventListener('abort', kill);
  const durationMs = performance.now() - started;

  const outputs = parseRunnerFile(readFileSync(files.output, 'utf8'));
  const run: ActionRun = {
    exitCode,
    outputs,
    summary: readFileSync(files.summary, 'utf8'),
    exportedEnv: parseRunnerFile(readFileSync(files.env, 'utf8')),
    stdout,
    stderr,
    errors: commandData(stdout, 'error'),
    warnings: commandData(stdout, 'warning'),
    masked: commandData(stdout, 'add-mask'),
    durationMs,
    leftoverTempFiles: leftoverFiles(runnerDir, files),
  };
  rmSync(runnerDir, { recursive: true, force: true });
  const undeclared = Object.keys(outputs).filter((name) => !metadata.outputs.some((o) => o.name === name));
  if (undeclared.length > 0)
    throw new Error(`${id} set outputs its action.yml does not declare: ${undeclared.join(', ')}`);
  return run;
}
